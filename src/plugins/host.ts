// The plugin host: sets each plugin up with its context (settings checked by
// settings.ts, state by the plugin_state repository), and joins the other
// parts — the delivery outbox (deliveries.ts), request dispatch (routes.ts)
// and the integrations verdict (health.ts) — behind one PluginHost.
import type { JobQueue } from '../jobs/port.js';
import type { Store } from '../store/port.js';
import { pluginDeliveryRepository } from '../store/repositories/pluginDeliveries.js';
import { pluginStateRepository } from '../store/repositories/pluginState.js';
import type { DeskApi, DeskPlugin, DomainEvent, PluginHandlers, PluginHttpClient, PluginLogger, PluginRequest, PluginResponse } from './contract.js';
import { createPluginDeliveries, type RetryPolicy } from './deliveries.js';
import { integrationStatus, type IntegrationStatus } from './health.js';
import { createHttpClient } from './httpClient.js';
import { routeRequest } from './routes.js';
import { validatePluginSettings } from './settings.js';

export { queueNameFor, type RetryPolicy } from './deliveries.js';
export type { IntegrationHealth, IntegrationStatus } from './health.js';
export { PluginConfigError } from './settings.js';

/** pino satisfies this. */
export interface HostLogger extends PluginLogger {
  child(bindings: Record<string, unknown>): HostLogger;
}

/** Why each default is what it is. */
const DEFAULTS = {
  /** Longer than any CRM call with its retries inside onEvent; after it another instance may take the delivery over. */
  leaseMs: 5 * 60_000,
  /** Recovery after a crash or restart waits at most this long. */
  sweepIntervalMs: 30_000,
  /** A week of delivered records, for the integrations screen and for support questions. */
  retentionMs: 7 * 24 * 3_600_000,
  /** A few conversations at once per plugin: CRMs rate-limit per account. */
  concurrency: 4,
} as const;

export interface PluginHostOptions {
  plugins: Array<{ plugin: DeskPlugin }>;
  /** The environment; each plugin's configSchema is shown only the settings it names. */
  env: Record<string, string | undefined>;
  store: Store;
  queue: JobQueue;
  desk: (pluginName: string) => DeskApi;
  logger: HostLogger;
  http?: PluginHttpClient;
  /** PLUGIN_ATTEMPTS, PLUGIN_RETRY_BASE and PLUGIN_RETRY_MAX (their defaults are the config's). */
  retry: RetryPolicy;
  /** Conversations drained at once per plugin on one instance. */
  concurrency?: number;
  /** How long a drain holds a delivery; must exceed the slowest onEvent (another instance may take it over afterwards). */
  leaseMs?: number;
  /** How often to look for deliveries no job is coming back for (after a crash or restart); 0 turns it off. */
  sweepIntervalMs?: number;
  /** Delivered records are kept this long, then pruned. */
  retentionMs?: number;
}

export interface PluginHost {
  readonly names: string[];
  /** Records one delivery per interested plugin and enqueues it. Never throws: a failure is logged. */
  publish(event: DomainEvent): Promise<void>;
  /** Runs the plugin's route for `req`; null when there is no such plugin or route (answer 404). */
  handleRequest(name: string, req: PluginRequest): Promise<PluginResponse | null>;
  integrations(): Promise<IntegrationStatus[]>;
  /** Sets the plugin's dead letters back to pending with fresh attempts; returns how many. */
  retryDeadLetters(name: string): Promise<number>;
  /** Stops sweeping and closes the plugins. Close the queue first so no drain is running. */
  close(): Promise<void>;
}

export class UnknownPluginError extends Error {
  constructor(readonly plugin: string) {
    super(`No plugin named "${plugin}" is enabled`);
    this.name = 'UnknownPluginError';
  }
}

interface MountedPlugin {
  name: string;
  handlers: PluginHandlers;
  logger: HostLogger;
}

export async function createPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const { store } = options;
  const http = options.http ?? createHttpClient();
  const states = pluginStateRepository(store);
  const deliveryRecords = pluginDeliveryRepository(store);
  const hostLogger = options.logger.child({ component: 'plugins' });

  // Every setting is checked before any plugin starts, so a bad one stops
  // start-up with nothing half set up.
  const configs = validatePluginSettings(options.plugins.map((p) => p.plugin), options.env);

  const mounted: MountedPlugin[] = [];
  try {
    for (const { plugin, config } of configs) {
      const logger = options.logger.child({ plugin: plugin.name });
      const handlers = await plugin.setup({ name: plugin.name, config, logger, http, desk: options.desk(plugin.name), state: states.forPlugin(plugin.name) });
      mounted.push({ name: plugin.name, handlers, logger });
    }
  } catch (error) {
    await closePlugins(mounted, hostLogger);
    const name = configs[mounted.length]?.plugin.name ?? 'unknown';
    throw new Error(`Plugin ${name} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const byName = new Map(mounted.map((m) => [m.name, m]));

  const deliveries = createPluginDeliveries({
    targets: mounted,
    repository: deliveryRecords,
    queue: options.queue,
    retry: options.retry,
    leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    retentionMs: options.retentionMs ?? DEFAULTS.retentionMs,
    logger: hostLogger,
  });

  let closed = false;
  let sweeping = false;
  async function sweepSafely(): Promise<void> {
    if (sweeping || closed) return;
    sweeping = true;
    try {
      await deliveries.sweep();
      await states.pruneExpired(new Date());
    } catch (error) {
      hostLogger.warn({ err: error }, 'plugin delivery sweep failed');
    } finally {
      sweeping = false;
    }
  }

  // Recovery: deliveries left pending by a previous run (the in-process queue
  // forgets its jobs on restart) are picked up now.
  await sweepSafely();
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULTS.sweepIntervalMs;
  const timer = sweepIntervalMs > 0 ? setInterval(() => void sweepSafely(), sweepIntervalMs) : null;
  timer?.unref();

  return {
    names: mounted.map((m) => m.name),
    publish: (event) => deliveries.publish(event),

    async handleRequest(name, req) {
      const m = byName.get(name);
      return m ? routeRequest(m, req) : null;
    },

    integrations: () => Promise.all(mounted.map(async (m) => integrationStatus(m.name, await deliveryRecords.stats(m.name)))),

    async retryDeadLetters(name) {
      const m = byName.get(name);
      if (!m) throw new UnknownPluginError(name);
      return deliveries.retryDeadLetters(m);
    },

    async close() {
      if (closed) return;
      closed = true;
      deliveries.stop();
      if (timer) clearInterval(timer);
      await closePlugins(mounted, hostLogger);
    },
  };
}

async function closePlugins(mounted: MountedPlugin[], logger: HostLogger): Promise<void> {
  for (const m of mounted) {
    try {
      await m.handlers.close?.();
    } catch (error) {
      logger.warn({ err: error, plugin: m.name }, 'plugin close failed');
    }
  }
}
