// The plugin host: validates each plugin's settings, sets it up with its
// context, mounts its routes and delivers domain events to it through the
// job outbox — durably, in order per conversation, one queue per plugin.
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../config.js';
import { eventConversationId } from '../events/types.js';
import { backoffDelay, RetryableError } from '../jobs/port.js';
import type { JobContext, JobQueue } from '../jobs/port.js';
import { COLLECTIONS } from '../store/collections.js';
import { newId } from '../store/ids.js';
import { DuplicateKeyError } from '../store/port.js';
import type { Collection, Store } from '../store/port.js';
import type {
  DeskApi,
  DeskPlugin,
  DomainEvent,
  PluginHandlers,
  PluginHttpClient,
  PluginLogger,
  PluginRequest,
  PluginResponse,
  PluginState,
  PluginStateOptions,
} from './contract.js';
import { createHttpClient } from './httpClient.js';

/** pino satisfies this. */
export interface HostLogger extends PluginLogger {
  child(bindings: Record<string, unknown>): HostLogger;
}

export interface RetryPolicy {
  /** Tries of one delivery, the first included, before it becomes a dead letter. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export interface PluginHostOptions {
  plugins: Array<{ plugin: DeskPlugin }>;
  /** The raw environment each plugin's configSchema reads its settings from. */
  env: Record<string, string | undefined>;
  store: Store;
  queue: JobQueue;
  desk: (pluginName: string) => DeskApi;
  logger: HostLogger;
  http?: PluginHttpClient;
  retry?: RetryPolicy;
  /** Conversations drained at once per plugin on one instance. */
  concurrency?: number;
  /** How long a drain holds a delivery; must exceed the slowest onEvent (another instance may take it over afterwards). */
  leaseMs?: number;
  /** How often to look for deliveries no job is coming back for (after a crash or restart); 0 turns it off. */
  sweepIntervalMs?: number;
  /** Delivered records are kept this long, then pruned. */
  retentionMs?: number;
}

export type IntegrationHealth = 'OK' | 'DEGRADED' | 'FAILING';

export interface IntegrationStatus {
  name: string;
  status: IntegrationHealth;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
  /** Deliveries waiting (including those in retry). */
  pending: number;
  deadLetters: number;
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

export type DeliveryState = 'pending' | 'done' | 'dead';

/** One event for one plugin: the outbox record in plugin_deliveries. */
export interface PluginDeliveryDoc {
  /** `<plugin>.<event id>`: publishing the same event twice records it once. */
  _id: string;
  plugin: string;
  /** The conversation id, or 'global' for events about no conversation (agent.status). */
  orderingKey: string;
  /** Time-ordered (newId): deliveries of one plugin+orderingKey go out in seq order. */
  seq: string;
  eventId: string;
  eventType: string;
  event: DomainEvent;
  state: DeliveryState;
  /** Tries so far (leases taken). */
  attempts: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Not tried again before this (backoff, Retry-After). */
  nextAttemptAt: Date;
  /** A drain holds the delivery until then; null when free. */
  leaseUntil: Date | null;
  leaseToken: string | null;
  /** The job that scheduled the pending retry, and will come back for it. */
  retryOwner: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
}

/** A plugin's key-value state in plugin_state. */
export interface PluginStateDoc {
  /** `<plugin>/<key>` */
  _id: string;
  plugin: string;
  key: string;
  value: unknown;
  /** Absent or null: kept for good. Past it the key reads as absent, and the sweep deletes it. */
  expiresAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A plugin setting failed its schema. Extends ConfigError so start-up reports it like any other bad setting. */
export class PluginConfigError extends ConfigError {
  constructor(
    readonly plugin: string,
    setting: string,
    problem: string,
  ) {
    super(setting, `${problem} (plugin ${plugin})`);
    this.name = 'PluginConfigError';
  }
}

export class UnknownPluginError extends Error {
  constructor(readonly plugin: string) {
    super(`No plugin named "${plugin}" is enabled`);
    this.name = 'UnknownPluginError';
  }
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 15, baseMs: 1_000, maxMs: 10 * 60_000 };
const GLOBAL_KEY = 'global';
/** Plugin names become URL segments, queue names and job ids (BullMQ forbids ':' in both). */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/**
 * A drain job carries several deliveries one after another, so a delivery's
 * tries are counted on its own record, not by the job: the job itself is
 * retried for as long as it has something to retry.
 */
const DRAIN_JOB_ATTEMPTS = 1_000_000;

interface DrainJob {
  plugin: string;
  orderingKey: string;
}

interface MountedPlugin {
  name: string;
  queueName: string;
  handlers: PluginHandlers;
  logger: HostLogger;
  events: Set<string> | null;
}

export function queueNameFor(plugin: string): string {
  return `plugin-${plugin}`;
}

export async function createPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const { store, queue, env } = options;
  const retry = options.retry ?? DEFAULT_RETRY;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const concurrency = options.concurrency ?? 4;
  const http = options.http ?? createHttpClient();
  const deliveries = store.collection<PluginDeliveryDoc>(COLLECTIONS.pluginDeliveries);
  const states = store.collection<PluginStateDoc>(COLLECTIONS.pluginState);
  const hostLogger = options.logger.child({ component: 'plugins' });

  // Every setting is checked before any plugin starts, so a bad one stops
  // start-up with nothing half set up.
  const configs = validateConfigs(options.plugins.map((p) => p.plugin), env);

  const mounted: MountedPlugin[] = [];
  let closed = false;
  try {
    for (const { plugin, config } of configs) {
      const logger = options.logger.child({ plugin: plugin.name });
      const handlers = await plugin.setup({
        name: plugin.name,
        config,
        logger,
        http,
        desk: options.desk(plugin.name),
        state: createPluginState(store, plugin.name),
      });
      mounted.push({
        name: plugin.name,
        queueName: queueNameFor(plugin.name),
        handlers,
        logger,
        events: handlers.events ? new Set(handlers.events) : null,
      });
    }
  } catch (error) {
    await closePlugins(mounted, hostLogger);
    const name = configs[mounted.length]?.plugin.name ?? 'unknown';
    throw new Error(`Plugin ${name} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const byName = new Map(mounted.map((m) => [m.name, m]));

  for (const m of mounted) {
    if (!m.handlers.onEvent) continue;
    queue.register<DrainJob>(m.queueName, (job, ctx) => drain(m, job.orderingKey, ctx), {
      attempts: DRAIN_JOB_ATTEMPTS,
      backoff: { baseMs: retry.baseMs, maxMs: retry.maxMs },
      concurrency,
    }, async (job, error) => {
      // Only an infrastructure failure gets here (delivery failures are
      // counted on the delivery). The deliveries stay pending; the sweep
      // picks them up again.
      m.logger.error({ err: error, orderingKey: job.orderingKey }, 'plugin drain job gave up');
    });
  }

  function wants(m: MountedPlugin, event: DomainEvent): boolean {
    if (!m.handlers.onEvent) return false;
    if (m.events && !m.events.has(event.type)) return false;
    // Echo guard: a message that came from this plugin (a CRM agent's reply)
    // is not sent back to it, or the CRM would see its own comment twice.
    if ('message' in event && event.message.origin === m.name) return false;
    return true;
  }

  async function enqueueDrain(m: MountedPlugin, orderingKey: string, reason: string): Promise<void> {
    // One job per reason (not one per conversation): a job id shared by all
    // drains of a conversation would be dropped while that drain is active,
    // stranding a delivery recorded just after the drain's last look.
    const jobId = safeJobId(`${m.name}.${orderingKey}.${reason}`);
    await queue.enqueue<DrainJob>(m.queueName, { plugin: m.name, orderingKey }, { jobId });
  }

  async function record(m: MountedPlugin, event: DomainEvent, orderingKey: string): Promise<void> {
    const now = new Date();
    const seq = newId(now.getTime());
    const doc: PluginDeliveryDoc = {
      _id: `${m.name}.${event.id}`,
      plugin: m.name,
      orderingKey,
      seq,
      eventId: event.id,
      eventType: event.type,
      event,
      state: 'pending',
      attempts: 0,
      lastError: null,
      lastErrorAt: null,
      nextAttemptAt: now,
      leaseUntil: null,
      leaseToken: null,
      retryOwner: null,
      createdAt: now,
      deliveredAt: null,
      deadAt: null,
    };
    try {
      await deliveries.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) {
        m.logger.debug({ eventId: event.id }, 'event already recorded for this plugin');
        return;
      }
      throw error;
    }
    try {
      await enqueueDrain(m, orderingKey, seq);
    } catch (error) {
      // Recorded durably: the sweep enqueues it later.
      m.logger.warn({ err: error, eventId: event.id }, 'could not enqueue plugin delivery; the sweep will retry');
    }
  }

  /**
   * Delivers the plugin's pending deliveries for one conversation, oldest
   * first, until none is left or the oldest must wait. A dead letter does not
   * hold the conversation: once a delivery is given up, the next one goes.
   */
  async function drain(m: MountedPlugin, orderingKey: string, ctx: JobContext): Promise<void> {
    const onEvent = m.handlers.onEvent;
    if (!onEvent) return;
    while (!closed) {
      const head = await deliveries.findOne({ plugin: m.name, orderingKey, state: 'pending' }, { sort: { seq: 1 } });
      if (!head) return;
      const nowMs = Date.now();
      // Another drain holds it and carries on after it.
      if (head.leaseUntil && toMs(head.leaseUntil) > nowMs) return;
      const dueInMs = toMs(head.nextAttemptAt) - nowMs;
      if (dueInMs > 0) {
        // In backoff. The job that scheduled the retry comes back for it (a
        // timer may fire a moment early: wait out the rest); any other drain
        // leaves it to that job instead of adding pollers.
        if (head.retryOwner === ctx.jobId) throw new RetryableError('delivery not due yet', dueInMs);
        return;
      }

      const now = new Date(nowMs);
      const token = randomUUID();
      // The lease is the precondition: of two drains (on two instances) only
      // one gets it, so a delivery is never handed to the plugin twice at once.
      const leased = await deliveries.findOneAndUpdate(
        {
          _id: head._id,
          state: 'pending',
          nextAttemptAt: { $lte: now },
          $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
        },
        { $set: { leaseUntil: new Date(nowMs + leaseMs), leaseToken: token }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      );
      if (!leased) continue;

      let failure: unknown = null;
      try {
        await onEvent(leased.event);
      } catch (error) {
        failure = error ?? new Error('onEvent rejected without a reason');
      }
      const finishedAt = new Date();

      if (failure === null) {
        const result = await deliveries.updateOne(
          { _id: leased._id, leaseToken: token },
          { $set: { state: 'done', deliveredAt: finishedAt, leaseUntil: null, leaseToken: null, retryOwner: null } },
        );
        if (result.matchedCount === 0) {
          m.logger.warn({ deliveryId: leased._id, leaseMs }, 'delivered after its lease expired; another drain may deliver it again (raise leaseMs)');
        }
        continue;
      }

      const message = errorMessage(failure);
      const log = { deliveryId: leased._id, eventId: leased.eventId, eventType: leased.eventType, attempt: leased.attempts, error: message };
      if (isPermanent(failure) || leased.attempts >= retry.attempts) {
        await deliveries.updateOne(
          { _id: leased._id, leaseToken: token },
          { $set: { state: 'dead', lastError: message, lastErrorAt: finishedAt, deadAt: finishedAt, leaseUntil: null, leaseToken: null, retryOwner: null } },
        );
        m.logger.error(log, 'plugin delivery failed for good: dead letter (retry it from integrations); later events go on');
        continue;
      }

      const retryAfterMs = retryAfterOf(failure);
      const delay = retryAfterMs ?? backoffDelay(retry, leased.attempts);
      await deliveries.updateOne(
        { _id: leased._id, leaseToken: token },
        {
          $set: {
            lastError: message,
            lastErrorAt: finishedAt,
            nextAttemptAt: new Date(finishedAt.getTime() + delay),
            leaseUntil: null,
            leaseToken: null,
            retryOwner: ctx.jobId,
          },
        },
      );
      m.logger.warn({ ...log, retryInMs: delay }, 'plugin delivery failed; retrying later');
      throw new RetryableError(`${m.name}: ${message}`, delay);
    }
  }

  /** Finds conversations whose oldest pending delivery is due and held by nobody, and drains them. */
  async function sweep(): Promise<void> {
    const now = new Date();
    for (const m of mounted) {
      if (!m.handlers.onEvent || closed) continue;
      const heads = await deliveries.aggregate<{ _id: string; nextAttemptAt: Date | string; leaseUntil: Date | string | null }>([
        { $match: { plugin: m.name, state: 'pending' } },
        { $sort: { orderingKey: 1, seq: 1 } },
        { $group: { _id: '$orderingKey', nextAttemptAt: { $first: '$nextAttemptAt' }, leaseUntil: { $first: '$leaseUntil' } } },
      ]);
      for (const head of heads) {
        if (toMs(head.nextAttemptAt) > now.getTime()) continue;
        if (head.leaseUntil && toMs(head.leaseUntil) > now.getTime()) continue;
        await enqueueDrain(m, head._id, `sweep-${newId()}`);
      }
      await deliveries.deleteMany({ plugin: m.name, state: 'done', deliveredAt: { $lt: new Date(now.getTime() - retentionMs) } });
    }
    await states.deleteMany({ expiresAt: { $lte: now } });
  }

  /** The tail of each conversation's chain of recordings in progress. */
  const recording = new Map<string, Promise<void>>();

  let sweeping = false;
  async function sweepSafely(): Promise<void> {
    if (sweeping) return;
    sweeping = true;
    try {
      await sweep();
    } catch (error) {
      hostLogger.warn({ err: error }, 'plugin delivery sweep failed');
    } finally {
      sweeping = false;
    }
  }

  // Recovery: deliveries left pending by a previous run (the in-process queue
  // forgets its jobs on restart) are picked up now.
  await sweepSafely();
  const timer = sweepIntervalMs > 0 ? setInterval(() => void sweepSafely(), sweepIntervalMs) : null;
  timer?.unref();

  return {
    names: mounted.map((m) => m.name),

    async publish(event) {
      try {
        const orderingKey = eventConversationId(event) ?? GLOBAL_KEY;
        const targets = mounted.filter((m) => wants(m, event));
        if (targets.length === 0) return;
        // Events of one conversation are recorded one after the other, in
        // publish order (the workflow does not await publish): a later event
        // stored first could be drained before the earlier one exists.
        const previous = recording.get(orderingKey) ?? Promise.resolve();
        const current = previous.then(async () => {
          await Promise.all(
            targets.map((m) =>
              record(m, event, orderingKey).catch((error: unknown) => {
                m.logger.error({ err: error, eventId: event.id, eventType: event.type }, 'could not record the event for this plugin; it will not be delivered');
              }),
            ),
          );
        });
        recording.set(orderingKey, current);
        try {
          await current;
        } finally {
          if (recording.get(orderingKey) === current) recording.delete(orderingKey);
        }
      } catch (error) {
        hostLogger.error({ err: error }, 'plugin publish failed');
      }
    },

    async handleRequest(name, req) {
      const m = byName.get(name);
      if (!m) return null;
      const routes = m.handlers.routes ?? [];
      const path = normalisePath(req.path);
      const method = req.method.toUpperCase();
      const route = routes.find((r) => r.path === path && r.method === method);
      if (!route) {
        const allowed = routes.filter((r) => r.path === path).map((r) => r.method);
        if (allowed.length === 0) return null;
        return { status: 405, headers: { allow: allowed.join(', ') }, body: { error: `method ${method} not allowed` } };
      }
      try {
        return await route.handler(req);
      } catch (error) {
        m.logger.error({ err: error, path }, 'plugin route failed');
        return { status: 500, body: { error: 'internal error' } };
      }
    },

    async integrations() {
      return Promise.all(
        mounted.map(async (m): Promise<IntegrationStatus> => {
          const [pending, deadLetters, retrying, lastFailed, lastDone] = await Promise.all([
            deliveries.countDocuments({ plugin: m.name, state: 'pending' }),
            deliveries.countDocuments({ plugin: m.name, state: 'dead' }),
            deliveries.countDocuments({ plugin: m.name, state: 'pending', lastError: { $ne: null } }),
            deliveries.findOne({ plugin: m.name, lastErrorAt: { $ne: null } }, { sort: { lastErrorAt: -1 } }),
            deliveries.findOne({ plugin: m.name, state: 'done' }, { sort: { deliveredAt: -1 } }),
          ]);
          const lastErrorAt = lastFailed?.lastErrorAt ? new Date(toMs(lastFailed.lastErrorAt)) : null;
          const lastDeliveredAt = lastDone?.deliveredAt ? new Date(toMs(lastDone.deliveredAt)) : null;
          const troubled = retrying > 0 || deadLetters > 0;
          // FAILING: the latest outcome is a failure and something is still
          // undelivered. DEGRADED: deliveries go through, but some wait in
          // retry or were given up.
          const failingNow = lastErrorAt !== null && (lastDeliveredAt === null || lastErrorAt > lastDeliveredAt);
          const status: IntegrationHealth = troubled ? (failingNow ? 'FAILING' : 'DEGRADED') : 'OK';
          return { name: m.name, status, lastError: lastFailed?.lastError ?? null, lastErrorAt, lastDeliveredAt, pending, deadLetters };
        }),
      );
    },

    async retryDeadLetters(name) {
      const m = byName.get(name);
      if (!m) throw new UnknownPluginError(name);
      const dead = await deliveries.find({ plugin: name, state: 'dead' }, { projection: { orderingKey: 1 } });
      if (dead.length === 0) return 0;
      const result = await deliveries.updateMany(
        { plugin: name, state: 'dead' },
        { $set: { state: 'pending', attempts: 0, nextAttemptAt: new Date(), deadAt: null, leaseUntil: null, leaseToken: null, retryOwner: null } },
      );
      for (const orderingKey of new Set(dead.map((d) => d.orderingKey))) {
        await enqueueDrain(m, orderingKey, `revive-${newId()}`);
      }
      m.logger.info({ count: result.modifiedCount }, 'dead letters set to retry');
      return result.modifiedCount;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await closePlugins(mounted, hostLogger);
    },
  };
}

function validateConfigs(plugins: DeskPlugin[], env: Record<string, string | undefined>): Array<{ plugin: DeskPlugin; config: unknown }> {
  const seen = new Set<string>();
  return plugins.map((plugin) => {
    if (!PLUGIN_NAME.test(plugin.name)) {
      throw new Error(`Plugin name "${plugin.name}" is not allowed: use lower-case letters, digits, "-" and "_"`);
    }
    if (seen.has(plugin.name)) throw new Error(`Plugin "${plugin.name}" is enabled twice`);
    seen.add(plugin.name);
    const parsed = plugin.configSchema.safeParse(env);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const setting = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'settings';
      const topLevel = issue?.path[0];
      const unset = typeof topLevel === 'string' && (env[topLevel] === undefined || env[topLevel]?.trim() === '');
      // The value itself is left out: plugin settings are mostly secrets.
      const problem = unset && issue?.code === 'invalid_type' ? 'required but not set' : (issue?.message ?? 'invalid');
      throw new PluginConfigError(plugin.name, setting, problem);
    }
    return { plugin, config: parsed.data };
  });
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

/** PluginState over plugin_state: one document per plugin+key. */
export function createPluginState(store: Store, plugin: string, clock: () => Date = () => new Date()): PluginState {
  const states: Collection<PluginStateDoc> = store.collection<PluginStateDoc>(COLLECTIONS.pluginState);
  const idOf = (key: string) => `${plugin}/${key}`;
  const expiryOf = (now: Date, options?: PluginStateOptions) => (options?.ttlMs !== undefined ? new Date(now.getTime() + options.ttlMs) : null);
  const fields = (value: unknown, now: Date, options?: PluginStateOptions) => ({ value: value ?? null, expiresAt: expiryOf(now, options), updatedAt: now });
  return {
    async get<T = unknown>(key: string): Promise<T | null> {
      const doc = await states.findOne({ _id: idOf(key) });
      if (!doc || isExpired(doc, clock())) return null;
      return (doc.value ?? null) as T | null;
    },
    async set(key, value, options) {
      const now = clock();
      const update = { $set: fields(value, now, options), $setOnInsert: { _id: idOf(key), createdAt: now } };
      try {
        await states.findOneAndUpdate({ plugin, key }, update, { upsert: true });
      } catch (error) {
        // Two upserts raced to insert: the other one won, so update it.
        if (!isDuplicateKey(error)) throw error;
        await states.updateOne({ plugin, key }, { $set: fields(value, now, options) });
      }
    },
    async setIfAbsent(key, value, options) {
      const now = clock();
      try {
        // The unique _id (and unique plugin+key index) makes this the atomic test-and-set.
        await states.insertOne({ _id: idOf(key), plugin, key, ...fields(value, now, options), createdAt: now });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // Present but expired (the sweep has not run yet): take it over, atomically, once.
      const taken = await states.updateOne({ _id: idOf(key), expiresAt: { $lte: now } }, { $set: { ...fields(value, now, options), createdAt: now } });
      return taken.matchedCount === 1;
    },
  };
}

function isExpired(doc: PluginStateDoc, now: Date): boolean {
  return doc.expiresAt != null && toMs(doc.expiresAt) <= now.getTime();
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof DuplicateKeyError || (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000);
}

/** By name as well as class: a third-party plugin may carry its own copy of the contract module. */
function isPermanent(error: unknown): boolean {
  return error instanceof Error && error.name === 'PermanentDeliveryError';
}

function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'RetryLaterError') return undefined;
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}

function toMs(value: Date | string | number): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

function normalisePath(path: string): string {
  const bare = path.split('?')[0] ?? '';
  const withSlash = bare.startsWith('/') ? bare : `/${bare}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

/** BullMQ rejects ':' in custom job ids and ids that are plain integers. */
function safeJobId(id: string): string {
  return id.replace(/:/g, '_');
}
