import { Registry, collectDefaultMetrics } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDoc, AgentStatus, ConversationDoc, ConversationStatus } from '../src/domain/model.js';
import { createInProcessQueue } from '../src/jobs/inProcess.js';
import { PermanentJobError, type JobQueue } from '../src/jobs/port.js';
import { createDeskMetrics } from '../src/metrics/prometheus.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import type { Collection, Doc, Store } from '../src/store/port.js';
import { buildAgentDoc, buildConversation, buildCustomer } from './support/eventFactory.js';

const quietLogger = { debug: () => {}, warn: () => {}, error: () => {} };
const queues: JobQueue[] = [];
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
});

function newQueue(): JobQueue {
  const queue = createInProcessQueue({ logger: quietLogger });
  queues.push(queue);
  return queue;
}

let sequence = 0;
const T = new Date('2025-03-03T10:00:00Z');

function conversation(status: ConversationStatus): ConversationDoc {
  const id = `c${++sequence}`;
  return buildConversation(buildCustomer({ _id: `cu${id}`, waId: `1555000${sequence}` }), {
    _id: id,
    status,
    activeKey: status === 'RESOLVED' ? null : `cu${id}`,
    assigneeId: status === 'ASSIGNED' ? 'a1' : null,
    resolvedAt: status === 'RESOLVED' ? T : null,
    openedAt: T,
    cycleStartedAt: T,
    lastCustomerMessageAt: T,
    lastMessageAt: T,
    createdAt: T,
    updatedAt: T,
  });
}

function agent(status: AgentStatus): AgentDoc {
  const id = `a${++sequence}`;
  return buildAgentDoc({ _id: id, name: id, email: `${id}@desk.example`, status, statusChangedAt: T, createdAt: T, updatedAt: T });
}

/** The value of one sample in Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.length === present.length && wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

/** A store whose conversations and agents can be made to fail or hang, as during a MongoDB failover. */
function flakyStore(inner: Store) {
  const state = { mode: 'up' as 'up' | 'down' | 'hanging' };
  const store: Store = {
    kind: inner.kind,
    ping: () => inner.ping(),
    close: () => inner.close(),
    batch: (work) => inner.batch(work),
    afterDurable: (effect) => inner.afterDurable(effect),
    collection<T extends Doc>(name: string): Collection<T> {
      const real = inner.collection<T>(name);
      return new Proxy(real, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (state.mode === 'down') return Promise.reject(new Error('connection refused'));
            if (state.mode === 'hanging') return new Promise(() => {});
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
  return { store, state };
}

describe('desk Prometheus metrics', () => {
  it('exposes live gauges, counters and histograms with the right values', async () => {
    const store = createEmbeddedStore();
    const queue = newQueue();
    const meters = createDeskMetrics({ store, queue, snapshotTtlMs: 0 });

    await store.collection<ConversationDoc>(COLLECTIONS.conversations).insertMany([
      conversation('QUEUED'),
      conversation('QUEUED'),
      conversation('ASSIGNED'),
      conversation('ASSIGNED'),
      conversation('ASSIGNED'),
      conversation('RESOLVED'),
    ]);
    await store.collection<AgentDoc>(COLLECTIONS.agents).insertMany([agent('ONLINE'), agent('ONLINE'), agent('AWAY'), agent('OFFLINE')]);

    // whatsapp.send: one job running (held open), two waiting. plugin.zendesk: one dead letter.
    let started = 0;
    queue.register(
      'whatsapp.send',
      () =>
        new Promise<void>((resolve) => {
          started++;
          releases.push(resolve);
        }),
      { attempts: 1, backoff: { baseMs: 1, maxMs: 1 }, concurrency: 1 },
    );
    queue.register(
      'plugin.zendesk',
      async () => {
        throw new PermanentJobError('401 from Zendesk');
      },
      { attempts: 3, backoff: { baseMs: 1, maxMs: 1 }, concurrency: 1 },
    );
    for (let i = 0; i < 3; i++) await queue.enqueue('whatsapp.send', { i });
    await queue.enqueue('plugin.zendesk', { event: 'x' });
    await expect.poll(async () => (await queue.stats('plugin.zendesk'))[0]?.dead).toBe(1);
    await expect.poll(() => started).toBe(1);

    meters.messagesTotal.inc({ direction: 'inbound' });
    meters.messagesTotal.inc({ direction: 'inbound' });
    meters.messagesTotal.inc({ direction: 'outbound' });
    meters.sendFailuresTotal.inc({ code: '131047' });
    meters.sendFailuresTotal.inc({ code: '131047' });
    meters.sendFailuresTotal.inc({ code: '130429' });
    meters.webhookLatency.observe({ outcome: 'stored' }, 0.02);
    meters.webhookLatency.observe({ outcome: 'stored' }, 0.3);
    meters.webhookLatency.observe({ outcome: 'unauthorized' }, 0.001);
    meters.httpRequestDuration.observe({ method: 'POST', route: '/graphql', status_code: '200' }, 0.04);

    const text = await meters.register.metrics();
    expect(sample(text, 'desk_queue_length')).toBe(2);
    expect(sample(text, 'desk_agents_online')).toBe(2);
    expect(sample(text, 'desk_conversations', { status: 'QUEUED' })).toBe(2);
    expect(sample(text, 'desk_conversations', { status: 'ASSIGNED' })).toBe(3);
    expect(sample(text, 'desk_conversations', { status: 'RESOLVED' })).toBe(1);
    expect(sample(text, 'desk_outbox_depth', { queue: 'whatsapp.send' })).toBe(3); // 2 waiting + 1 running
    expect(sample(text, 'desk_outbox_depth', { queue: 'plugin.zendesk' })).toBe(0);
    expect(sample(text, 'desk_outbox_dead_letters', { queue: 'plugin.zendesk' })).toBe(1);
    expect(sample(text, 'desk_outbox_dead_letters', { queue: 'whatsapp.send' })).toBe(0);
    expect(sample(text, 'desk_messages_total', { direction: 'inbound' })).toBe(2);
    expect(sample(text, 'desk_messages_total', { direction: 'outbound' })).toBe(1);
    expect(sample(text, 'desk_send_failures_total', { code: '131047' })).toBe(2);
    expect(sample(text, 'desk_send_failures_total', { code: '130429' })).toBe(1);
    expect(sample(text, 'desk_webhook_duration_seconds_count', { outcome: 'stored' })).toBe(2);
    expect(sample(text, 'desk_webhook_duration_seconds_sum', { outcome: 'stored' })).toBeCloseTo(0.32, 9);
    expect(sample(text, 'desk_webhook_duration_seconds_bucket', { outcome: 'stored', le: '0.025' })).toBe(1);
    expect(sample(text, 'desk_webhook_duration_seconds_bucket', { outcome: 'stored', le: '0.5' })).toBe(2);
    expect(sample(text, 'desk_webhook_duration_seconds_count', { outcome: 'unauthorized' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status_code: '200' })).toBe(1);
    // prom-client's process and Node.js defaults are on the same registry.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_heap_size_total_bytes');
    expect(sample(text, 'desk_metrics_collect_errors_total', { source: 'store' })).toBeUndefined();

    // Live: the next scrape sees the store as it is now.
    await store.collection<ConversationDoc>(COLLECTIONS.conversations).updateOne({ status: 'QUEUED' }, { $set: { status: 'ASSIGNED' } });
    await store.collection<AgentDoc>(COLLECTIONS.agents).updateOne({ status: 'AWAY' }, { $set: { status: 'ONLINE' } });
    for (const release of releases.splice(0)) release();
    await expect.poll(() => started).toBe(2);
    const later = await meters.register.metrics();
    expect(sample(later, 'desk_queue_length')).toBe(1);
    expect(sample(later, 'desk_conversations', { status: 'ASSIGNED' })).toBe(4);
    expect(sample(later, 'desk_agents_online')).toBe(3);
    expect(sample(later, 'desk_outbox_depth', { queue: 'whatsapp.send' })).toBe(2);
  });

  it('is starting at zero for messages, before anything happens', async () => {
    const meters = createDeskMetrics({ store: createEmbeddedStore(), queue: newQueue() });
    const text = await meters.register.metrics();
    expect(sample(text, 'desk_messages_total', { direction: 'inbound' })).toBe(0);
    expect(sample(text, 'desk_messages_total', { direction: 'outbound' })).toBe(0);
    expect(sample(text, 'desk_queue_length')).toBe(0);
    expect(sample(text, 'desk_conversations', { status: 'RESOLVED' })).toBe(0);
  });

  it('keeps answering scrapes when the store fails or hangs, and says so', async () => {
    const { store, state } = flakyStore(createEmbeddedStore());
    await store.collection<ConversationDoc>(COLLECTIONS.conversations).insertMany([conversation('QUEUED')]);
    const warnings: string[] = [];
    const meters = createDeskMetrics({
      store,
      queue: newQueue(),
      snapshotTtlMs: 0,
      collectTimeoutMs: 50,
      logger: { warn: (_obj, msg) => warnings.push(msg ?? '') },
    });
    expect(sample(await meters.register.metrics(), 'desk_queue_length')).toBe(1);

    state.mode = 'down';
    const down = await meters.register.metrics();
    // The last known value stays; the failure is counted and logged.
    expect(sample(down, 'desk_queue_length')).toBe(1);
    expect(sample(down, 'desk_metrics_collect_errors_total', { source: 'store' })).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(down).toContain('process_cpu_user_seconds_total');

    state.mode = 'hanging';
    const started = Date.now();
    const hanging = await meters.register.metrics();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sample(hanging, 'desk_queue_length')).toBe(1);

    state.mode = 'up';
    await store.collection<ConversationDoc>(COLLECTIONS.conversations).insertMany([conversation('QUEUED')]);
    expect(sample(await meters.register.metrics(), 'desk_queue_length')).toBe(2);
  });

  it('reads the store once per scrape for all the store gauges', async () => {
    const inner = createEmbeddedStore();
    let counts = 0;
    const store: Store = {
      ...inner,
      kind: inner.kind,
      ping: () => inner.ping(),
      close: () => inner.close(),
      collection<T extends Doc>(name: string) {
        const real = inner.collection<T>(name);
        return Object.assign(Object.create(real) as Collection<T>, {
          countDocuments: (filter?: Record<string, unknown>) => {
            counts++;
            return real.countDocuments(filter);
          },
        });
      },
    };
    const meters = createDeskMetrics({ store, queue: newQueue() });
    await meters.register.metrics();
    // 3 conversation statuses + agents online, shared by desk_queue_length, desk_agents_online and desk_conversations.
    expect(counts).toBe(4);
  });

  it('lives on its own registry, so two desks in one process do not collide, and accepts one that has the defaults', () => {
    const queue = newQueue();
    const first = createDeskMetrics({ store: createEmbeddedStore(), queue });
    const second = createDeskMetrics({ store: createEmbeddedStore(), queue });
    expect(first.register).not.toBe(second.register);

    const register = new Registry();
    collectDefaultMetrics({ register });
    expect(() => createDeskMetrics({ store: createEmbeddedStore(), queue, register })).not.toThrow();
  });
});
