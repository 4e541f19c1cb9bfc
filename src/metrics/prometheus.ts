// The desk's Prometheus meters on one registry (never prom-client's global
// one: two app instances in one process must not share or collide). Counters
// and histograms are fed by the code that sees the event; the gauges read
// live state from the store and the outbox when Prometheus scrapes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONVERSATION_STATUSES, type AgentDoc, type ConversationDoc } from '../domain/model.js';
import type { JobQueue, QueueStats } from '../jobs/port.js';
import { COLLECTIONS } from '../store/collections.js';
import type { Store } from '../store/port.js';

/** The part of a pino logger this needs. */
export interface MetricsLogger {
  warn(obj: object, msg?: string): void;
}

export interface DeskMetricsOptions {
  store: Store;
  queue: JobQueue;
  /** Defaults to a new registry. */
  register?: Registry;
  logger?: MetricsLogger;
  /** Subscriptions this instance pushes live events to. */
  liveSubscriptions?: () => number;
  /** A scrape waits at most this long for the store or the outbox before skipping those gauges. */
  collectTimeoutMs?: number;
  /** One reading of the store and one of the outbox serve every gauge scraped within this window (default 1 s). */
  snapshotTtlMs?: number;
}

export interface DeskMetrics {
  register: Registry;
  /** Seconds from a webhook POST's arrival to its answer, by outcome (stored, rejected, ...). */
  webhookLatency: Histogram<'outcome'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  messagesTotal: Counter<'direction'>;
  /** By WhatsApp error code (0 when a send failed without one). */
  sendFailuresTotal: Counter<'code'>;
  /** Scrapes in which the store or the outbox did not answer; their gauges kept their last values. */
  collectErrorsTotal: Counter<'source'>;
  /** Webhook messages and statuses addressed to another business number than WHATSAPP_PHONE_NUMBER_ID: acknowledged, not stored. */
  foreignWebhookItemsTotal: Counter<'phone_number_id' | 'kind'>;
}

export function createDeskMetrics(options: DeskMetricsOptions): DeskMetrics {
  const register = options.register ?? new Registry();
  const registers = [register];
  const timeoutMs = options.collectTimeoutMs ?? 2_000;
  const snapshotTtlMs = options.snapshotTtlMs ?? 1_000;

  // A caller-supplied registry may already carry them; prom-client refuses duplicates.
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register });

  type Snapshot<T> = { read(): Promise<T | null>; latest(): Promise<unknown> };
  const snapshots: Array<Snapshot<unknown>> = [];
  const snapshot = <T>(source: 'store' | 'outbox', load: () => Promise<T>): Snapshot<T> => {
    let cached: { at: number; value: Promise<T | null> } | null = null;
    const taken: Snapshot<T> = {
      read() {
        const now = Date.now();
        if (cached && now - cached.at < snapshotTtlMs) return cached.value;
        // Through a then(), so a synchronous throw is caught like a rejection.
        const value = withTimeout(Promise.resolve().then(load), timeoutMs).catch((error: unknown) => {
          collectErrorsTotal.inc({ source });
          options.logger?.warn({ err: error, source }, 'metrics: could not read live values; these gauges keep their last values this scrape');
          return null;
        });
        cached = { at: now, value };
        return value;
      },
      latest: () => cached?.value ?? Promise.resolve(null),
    };
    snapshots.push(taken);
    return taken;
  };

  // Registered after the gauges (below): prom-client starts collecting in
  // registration order, so this waits for this scrape's readings and reports
  // their failures in the same scrape.
  const collectErrorsTotal = new Counter({
    name: 'desk_metrics_collect_errors_total',
    help: 'Scrapes in which a live gauge could not be read (the store or the outbox did not answer); those gauges kept their last values',
    labelNames: ['source'] as const,
    registers: [],
    async collect() {
      await Promise.all(snapshots.map((s) => s.latest()));
    },
  });

  const conversations = options.store.collection<ConversationDoc>(COLLECTIONS.conversations);
  const agents = options.store.collection<AgentDoc>(COLLECTIONS.agents);
  // Counted one status at a time: each count rides the {status, ...} index.
  const deskState = snapshot('store', async () => {
    const [byStatus, agentsOnline] = await Promise.all([
      Promise.all(CONVERSATION_STATUSES.map(async (status) => [status, await conversations.countDocuments({ status })] as const)),
      agents.countDocuments({ status: 'ONLINE' }),
    ]);
    return { byStatus: Object.fromEntries(byStatus) as Record<(typeof CONVERSATION_STATUSES)[number], number>, agentsOnline };
  }).read;
  const outbox = snapshot('outbox', (): Promise<QueueStats[]> => options.queue.stats()).read;

  const { liveSubscriptions } = options;
  if (liveSubscriptions) {
    new Gauge({
      name: 'desk_live_subscriptions',
      help: 'GraphQL subscriptions this instance pushes live events to',
      registers,
      collect() {
        this.set(liveSubscriptions());
      },
    });
  }
  new Gauge({
    name: 'desk_queue_length',
    help: 'Conversations waiting for an agent (QUEUED)',
    registers,
    async collect() {
      const state = await deskState();
      if (state) this.set(state.byStatus.QUEUED);
    },
  });
  new Gauge({
    name: 'desk_agents_online',
    help: 'Agents whose status is ONLINE',
    registers,
    async collect() {
      const state = await deskState();
      if (state) this.set(state.agentsOnline);
    },
  });
  new Gauge({
    name: 'desk_conversations',
    help: 'Conversations by status',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const state = await deskState();
      if (state) for (const status of CONVERSATION_STATUSES) this.set({ status }, state.byStatus[status]);
    },
  });
  new Gauge({
    name: 'desk_outbox_depth',
    help: 'Outbox jobs waiting, delayed or running, per queue',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      const stats = await outbox();
      if (!stats) return;
      // Queues that disappeared must not report their last depth forever.
      this.reset();
      for (const s of stats) this.set({ queue: s.queue }, s.pending + s.active);
    },
  });
  new Gauge({
    name: 'desk_outbox_dead_letters',
    help: 'Outbox jobs that exhausted their attempts or failed permanently, per queue',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      const stats = await outbox();
      if (!stats) return;
      this.reset();
      for (const s of stats) this.set({ queue: s.queue }, s.dead);
    },
  });

  register.registerMetric(collectErrorsTotal);

  const messagesTotal = new Counter({
    name: 'desk_messages_total',
    help: 'WhatsApp messages received (inbound) and sent (outbound)',
    labelNames: ['direction'] as const,
    registers,
  });
  // Both series exist from the start, so rate() works before the first message.
  messagesTotal.inc({ direction: 'inbound' }, 0);
  messagesTotal.inc({ direction: 'outbound' }, 0);

  return {
    register,
    webhookLatency: new Histogram({
      name: 'desk_webhook_duration_seconds',
      help: 'Time from a WhatsApp webhook POST arriving to its answer, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    messagesTotal,
    sendFailuresTotal: new Counter({
      name: 'desk_send_failures_total',
      help: 'Outbound WhatsApp messages that ended FAILED, by WhatsApp error code',
      labelNames: ['code'] as const,
      registers,
    }),
    collectErrorsTotal,
    foreignWebhookItemsTotal: new Counter({
      name: 'desk_whatsapp_foreign_items_total',
      help: 'WhatsApp webhook messages and statuses for another phone_number_id than WHATSAPP_PHONE_NUMBER_ID: acknowledged, not stored',
      labelNames: ['phone_number_id', 'kind'] as const,
      registers,
    }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
