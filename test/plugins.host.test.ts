import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConversationDoc } from '../src/domain/model.js';
import type { DomainEvent } from '../src/events/types.js';
import { createInProcessQueue } from '../src/jobs/inProcess.js';
import type { JobQueue } from '../src/jobs/port.js';
import { definePlugin, PermanentDeliveryError, RetryLaterError } from '../src/plugins/contract.js';
import type { DeskApi, DeskPlugin, PluginHandlers } from '../src/plugins/contract.js';
import { createPluginHost, PluginConfigError, UnknownPluginError } from '../src/plugins/host.js';
import type { HostLogger, PluginHost, PluginHostOptions } from '../src/plugins/host.js';
import type { PluginDeliveryDoc } from '../src/store/repositories/pluginDeliveries.js';
import { pluginStateRepository } from '../src/store/repositories/pluginState.js';
import { createHttpClient, HttpTimeoutError } from '../src/plugins/httpClient.js';
import { loadPlugins, PluginLoadError } from '../src/plugins/loader.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { newId } from '../src/store/ids.js';
import { buildConversation, buildCustomer, buildMessage } from './support/eventFactory.js';
import type { Collection, Doc, Store } from '../src/store/port.js';

// ---- the story's cast: events, plugins, hosts ----

const logger: HostLogger = pino({ level: 'silent' });
const FAST_RETRY = { attempts: 5, baseMs: 10, maxMs: 40 };

const customer = buildCustomer({ _id: 'cust-1', name: 'Ada' });

function conversationDoc(id: string): ConversationDoc {
  return buildConversation(customer, { _id: id, status: 'ASSIGNED' });
}

function messageEvent(conversationId: string, options: { type?: 'message.received' | 'message.sent'; origin?: string | null; text?: string } = {}): DomainEvent {
  const conversation = conversationDoc(conversationId);
  const message = buildMessage(conversation, {
    _id: newId(),
    direction: options.type === 'message.sent' ? 'OUTBOUND' : 'INBOUND',
    author: options.origin ? 'INTEGRATION' : 'CUSTOMER',
    origin: options.origin ?? null,
    text: options.text ?? 'hello',
    status: 'RECEIVED',
    whatsappId: null,
  });
  return { id: newId(), at: message.createdAt, type: options.type ?? 'message.received', conversation, customer, message };
}

function resolvedEvent(conversationId: string): DomainEvent {
  return { id: newId(), at: new Date(), type: 'conversation.resolved', conversation: conversationDoc(conversationId), customer, by: 'agent-1' };
}

const noDesk: DeskApi = {
  postReply: () => Promise.reject(new Error('not in this test')),
  resolveConversation: () => Promise.reject(new Error('not in this test')),
  reopenConversation: () => Promise.reject(new Error('not in this test')),
  linkConversation: () => Promise.reject(new Error('not in this test')),
  findConversationByExternalId: () => Promise.reject(new Error('not in this test')),
};

interface Call {
  eventId: string;
  conversationId: string | null;
  attempt: number;
  at: number;
  ok: boolean;
}

/** A plugin whose onEvent runs `behaviour` and records every call with its outcome. */
function recordingPlugin(name: string, behaviour: (event: DomainEvent, attempt: number) => Promise<void> | void = () => {}, extra: Partial<PluginHandlers> = {}) {
  const calls: Call[] = [];
  const attempts = new Map<string, number>();
  const plugin = definePlugin({
    name,
    configSchema: z.object({}),
    setup: () => ({
      ...extra,
      async onEvent(event: DomainEvent) {
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        const call: Call = { eventId: event.id, conversationId: 'conversation' in event ? event.conversation._id : null, attempt, at: Date.now(), ok: false };
        calls.push(call);
        await behaviour(event, attempt);
        call.ok = true;
      },
    }),
  });
  const delivered = () => calls.filter((c) => c.ok).map((c) => c.eventId);
  return { plugin, calls, delivered };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startHost(plugins: DeskPlugin[], overrides: Partial<PluginHostOptions> = {}): Promise<{ host: PluginHost; store: Store; queue: JobQueue }> {
  const store = overrides.store ?? createEmbeddedStore();
  const queue = overrides.queue ?? createInProcessQueue({ logger });
  const host = await createPluginHost({
    plugins: plugins.map((plugin) => ({ plugin })),
    env: {},
    store,
    queue,
    desk: () => noDesk,
    logger,
    retry: FAST_RETRY,
    sweepIntervalMs: 0,
    ...overrides,
  });
  cleanups.push(async () => {
    await queue.close();
    await host.close();
  });
  return { host, store, queue };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- configuration ----

describe('plugin configuration', () => {
  const zendeskLike = (setup = () => ({})) =>
    definePlugin({
      name: 'zendesk',
      configSchema: z.object({ ZENDESK_URL: z.url({ error: 'expected an http(s) URL' }), ZENDESK_API_TOKEN: z.string() }),
      setup,
    });

  it('stops start-up with an error naming the bad setting and the plugin', async () => {
    const error = await startHost([zendeskLike()], { env: { ZENDESK_URL: 'not a url', ZENDESK_API_TOKEN: 't' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginConfigError);
    expect((error as PluginConfigError).setting).toBe('ZENDESK_URL');
    expect((error as Error).message).toBe('Invalid configuration: ZENDESK_URL: expected an http(s) URL (plugin zendesk)');
  });

  it('says a required setting is not set, without echoing values', async () => {
    const error = await startHost([zendeskLike()], { env: { ZENDESK_URL: 'https://acme.zendesk.com' } }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('Invalid configuration: ZENDESK_API_TOKEN: required but not set (plugin zendesk)');
  });

  it('sets up no plugin when any plugin is misconfigured', async () => {
    let setups = 0;
    const first = recordingPlugin('first');
    const counting = { ...first.plugin, setup: (ctx: Parameters<typeof first.plugin.setup>[0]) => (setups++, first.plugin.setup(ctx)) };
    await expect(startHost([counting, zendeskLike()], { env: {} })).rejects.toThrow(/ZENDESK_URL.*\(plugin zendesk\)/);
    expect(setups).toBe(0);
  });

  it('hands setup its parsed config and context', async () => {
    let seen: unknown;
    const plugin = definePlugin({
      name: 'configured',
      configSchema: z.object({ LIMIT: z.coerce.number().default(3) }),
      setup: (ctx) => {
        seen = { name: ctx.name, config: ctx.config };
        return {};
      },
    });
    const { host } = await startHost([plugin], { env: { LIMIT: '7', UNRELATED: 'x' } });
    expect(seen).toEqual({ name: 'configured', config: { LIMIT: 7 } });
    expect(host.names).toEqual(['configured']);
  });

  it('shows each plugin only the settings its schema names, even a schema that would pass everything through', async () => {
    const seen: unknown[] = [];
    const greedy = (name: string, schema: z.ZodType) =>
      definePlugin({
        name,
        configSchema: schema,
        setup: (ctx) => {
          seen.push(ctx.config);
          return {};
        },
      });
    const env = { CRM_URL: 'https://crm.example', ADMIN_TOKEN: 'the desk admin secret', WHATSAPP_ACCESS_TOKEN: 'meta secret' };
    await startHost([greedy('loose', z.looseObject({ CRM_URL: z.string() })), greedy('piped', z.looseObject({ CRM_URL: z.string() }).transform((c) => c))], { env });
    expect(seen).toEqual([{ CRM_URL: 'https://crm.example' }, { CRM_URL: 'https://crm.example' }]);
  });

  it('refuses two plugins of one name and names that cannot be a queue or a URL segment', async () => {
    await expect(startHost([recordingPlugin('twice').plugin, recordingPlugin('twice').plugin])).rejects.toThrow(/"twice" is enabled twice/);
    await expect(startHost([recordingPlugin('Bad:Name').plugin])).rejects.toThrow(/not allowed/);
  });
});

// ---- delivery ----

describe('event delivery through the outbox', () => {
  it('delivers every event exactly once, in order per conversation, while a failing conversation does not hold up another', async () => {
    const A = newId();
    const B = newId();
    const e1 = messageEvent(A, { text: 'e1' });
    const e2 = messageEvent(A, { text: 'e2' });
    const e3 = messageEvent(A, { text: 'e3' });
    const f1 = messageEvent(B, { text: 'f1' });
    const crm = recordingPlugin('crm', (event, attempt) => {
      if (event.id === e1.id && attempt <= 2) throw new Error(`CRM down (try ${attempt})`);
    });
    const started = await startHost([crm.plugin], { retry: { attempts: 5, baseMs: 60, maxMs: 200 } });

    for (const event of [e1, e2, e3, f1]) await started.host.publish(event);
    await started.queue.drained(5_000);

    // exactly once each, A in publish order
    expect(crm.delivered().sort()).toEqual([e1.id, e2.id, e3.id, f1.id].sort());
    expect(crm.calls.filter((c) => c.conversationId === A && c.ok).map((c) => c.eventId)).toEqual([e1.id, e2.id, e3.id]);
    // e2 and e3 were not even tried before e1 went through
    const e1Done = crm.calls.find((c) => c.eventId === e1.id && c.ok)!;
    for (const later of [e2, e3]) expect(crm.calls.filter((c) => c.eventId === later.id).every((c) => c.at >= e1Done.at)).toBe(true);
    expect(crm.calls.filter((c) => c.eventId === e1.id).map((c) => c.ok)).toEqual([false, false, true]);
    // B's event went out at once, long before A's first event finally did
    const f1Call = crm.calls.find((c) => c.eventId === f1.id)!;
    expect(f1Call.at).toBeLessThan(e1Done.at);
    expect(e1Done.at - crm.calls[0]!.at).toBeGreaterThanOrEqual(60);

    const record = await started.store.collection<PluginDeliveryDoc>(COLLECTIONS.pluginDeliveries).findOne({ eventId: e1.id });
    expect(record).toMatchObject({ plugin: 'crm', orderingKey: A, state: 'done', attempts: 3, lastError: 'CRM down (try 2)' });

    const [status] = await started.host.integrations();
    expect(status).toMatchObject({ name: 'crm', status: 'OK', pending: 0, deadLetters: 0, lastError: 'CRM down (try 2)' });
    expect(status!.lastDeliveredAt).toBeInstanceOf(Date);
  });

  it('waits as long as RetryLaterError asks, not the (shorter) backoff', async () => {
    const crm = recordingPlugin('crm', (_event, attempt) => {
      if (attempt === 1) throw new RetryLaterError('429 Too Many Requests', 250);
    });
    const { host, queue } = await startHost([crm.plugin]);
    await host.publish(messageEvent(newId()));
    await queue.drained(5_000);
    expect(crm.calls.map((c) => c.ok)).toEqual([false, true]);
    // the backoff alone would have waited 5–10 ms
    expect(crm.calls[1]!.at - crm.calls[0]!.at).toBeGreaterThanOrEqual(245);
  });

  it('turns an exhausted delivery into a dead letter that does not block the conversation, and retries it on request', async () => {
    const A = newId();
    const poisoned = messageEvent(A, { text: 'poison' });
    const next = messageEvent(A, { text: 'next' });
    let healthy = false;
    const crm = recordingPlugin('crm', (event) => {
      if (event.id === poisoned.id && !healthy) throw new Error('500 from CRM');
    });
    const { host, queue } = await startHost([crm.plugin], { retry: { attempts: 3, baseMs: 5, maxMs: 20 } });

    await host.publish(poisoned);
    await host.publish(next);
    await queue.drained(5_000);

    expect(crm.calls.filter((c) => c.eventId === poisoned.id)).toHaveLength(3);
    expect(crm.delivered()).toEqual([next.id]);
    let [status] = await host.integrations();
    // the latest delivery succeeded, but one was given up: needs attention
    expect(status).toMatchObject({ status: 'DEGRADED', deadLetters: 1, pending: 0, lastError: '500 from CRM' });

    healthy = true;
    expect(await host.retryDeadLetters('crm')).toBe(1);
    await queue.drained(5_000);
    expect(crm.delivered()).toEqual([next.id, poisoned.id]);
    [status] = await host.integrations();
    expect(status).toMatchObject({ status: 'OK', deadLetters: 0, pending: 0 });
    expect(await host.retryDeadLetters('crm')).toBe(0);
    await expect(host.retryDeadLetters('nope')).rejects.toBeInstanceOf(UnknownPluginError);
  });

  it('dead-letters a PermanentDeliveryError at once and reports the plugin FAILING', async () => {
    const crm = recordingPlugin('crm', () => {
      throw new PermanentDeliveryError('422 RecordInvalid');
    });
    const { host, queue } = await startHost([crm.plugin]);
    await host.publish(messageEvent(newId()));
    await queue.drained(5_000);
    expect(crm.calls).toHaveLength(1);
    const [status] = await host.integrations();
    expect(status).toMatchObject({ status: 'FAILING', deadLetters: 1, pending: 0, lastError: '422 RecordInvalid', lastDeliveredAt: null });
    expect(status!.lastErrorAt).toBeInstanceOf(Date);
  });

  it('keeps a down plugin from delaying the workflow or another plugin', async () => {
    let release!: () => void;
    const hang = new Promise<void>((resolve) => (release = resolve));
    const down = recordingPlugin('down', () => hang);
    const up = recordingPlugin('up');
    const { host, queue } = await startHost([down.plugin, up.plugin]);
    cleanups.push(async () => release());

    const events = [messageEvent(newId()), messageEvent(newId()), resolvedEvent(newId())];
    for (const event of events) await host.publish(event);
    await waitFor(() => up.delivered().length === 3);
    expect(up.delivered()).toEqual(events.map((e) => e.id));
    // one hanging call per conversation; nothing delivered yet
    expect(down.delivered()).toEqual([]);
    const statuses = await host.integrations();
    expect(statuses.find((s) => s.name === 'down')).toMatchObject({ pending: 3 });
    expect(statuses.find((s) => s.name === 'up')).toMatchObject({ pending: 0, status: 'OK' });

    release();
    await queue.drained(5_000);
    expect(down.delivered().sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('never throws into the workflow when the outbox cannot record', async () => {
    const crm = recordingPlugin('crm');
    const store = createEmbeddedStore();
    const broken: Store = {
      ...store,
      kind: store.kind,
      collection: <T extends Doc>(name: string): Collection<T> => {
        const real = store.collection<T>(name);
        if (name !== COLLECTIONS.pluginDeliveries) return real;
        return Object.assign(Object.create(real) as Collection<T>, { insertOne: () => Promise.reject(new Error('disk full')) });
      },
    };
    const { host } = await startHost([crm.plugin], { store: broken });
    await expect(host.publish(messageEvent(newId()))).resolves.toBeUndefined();
  });

  it('does not echo a message back to the plugin it came from, and honours the events filter', async () => {
    const crm = recordingPlugin('crm');
    const onlyResolutions = recordingPlugin('resolutions', () => {}, { events: ['conversation.resolved'] });
    const { host, queue } = await startHost([crm.plugin, onlyResolutions.plugin]);

    const fromCrm = messageEvent(newId(), { type: 'message.sent', origin: 'crm' });
    const fromElsewhere = messageEvent(newId(), { type: 'message.sent', origin: 'zendesk' });
    const fromAgent = messageEvent(newId(), { type: 'message.sent' });
    const resolved = resolvedEvent(newId());
    for (const event of [fromCrm, fromElsewhere, fromAgent, resolved]) await host.publish(event);
    await queue.drained(5_000);

    expect(crm.delivered().sort()).toEqual([fromElsewhere.id, fromAgent.id, resolved.id].sort());
    expect(onlyResolutions.delivered()).toEqual([resolved.id]);
  });

  it('keeps publish order when the workflow does not await publish and the store answers out of order', async () => {
    const store = createEmbeddedStore();
    const slow: Store = {
      ...store,
      kind: store.kind,
      collection: <T extends Doc>(name: string): Collection<T> => {
        const real = store.collection<T>(name);
        if (name !== COLLECTIONS.pluginDeliveries) return real;
        const insertOne = async (doc: T) => {
          await new Promise((r) => setTimeout(r, Math.random() * 8));
          return real.insertOne(doc);
        };
        return Object.assign(Object.create(real) as Collection<T>, { insertOne });
      },
    };
    const crm = recordingPlugin('crm');
    const { host, queue } = await startHost([crm.plugin], { store: slow });
    const A = newId();
    const events = Array.from({ length: 12 }, (_, i) => messageEvent(A, { text: `m${i}` }));
    await Promise.all(events.map((event) => host.publish(event)));
    await queue.drained(5_000);
    expect(crm.delivered()).toEqual(events.map((e) => e.id));
  });

  it('records an event published twice once', async () => {
    const crm = recordingPlugin('crm');
    const { host, queue } = await startHost([crm.plugin]);
    const event = messageEvent(newId());
    await host.publish(event);
    await host.publish(event);
    await queue.drained(5_000);
    expect(crm.delivered()).toEqual([event.id]);
  });

  it('picks up deliveries a previous run left pending', async () => {
    const store = createEmbeddedStore();
    const before = recordingPlugin('crm');
    const first = await startHost([before.plugin], { store });
    await first.queue.close(); // the process stops before the drain runs
    const event = messageEvent(newId());
    await first.host.publish(event); // recorded, though it cannot be enqueued
    expect(before.calls).toEqual([]);

    const after = recordingPlugin('crm');
    const second = await startHost([after.plugin], { store });
    await second.queue.drained(5_000);
    expect(after.delivered()).toEqual([event.id]);
  });

  it('never delivers one delivery twice when drains race on two instances', async () => {
    const store = createEmbeddedStore();
    const inFlight = new Map<string, number>();
    let overlapped = false;
    const behaviour = async (event: DomainEvent, attempt: number) => {
      const key = 'conversation' in event ? event.conversation._id : 'global';
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      if ((inFlight.get(key) ?? 0) > 1) overlapped = true;
      try {
        await new Promise((r) => setTimeout(r, Math.random() * 4));
        if (attempt === 1 && (event.type === 'message.received' ? event.message.text : '')!.endsWith('0')) throw new Error('flaky');
      } finally {
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
      }
    };
    // Both instances deliver for the same plugin into one shared log.
    const shared = recordingPlugin('crm', behaviour);
    const options = { store, sweepIntervalMs: 3, concurrency: 8, retry: { attempts: 10, baseMs: 5, maxMs: 20 } };
    const one = await startHost([shared.plugin], options);
    const two = await startHost([shared.plugin], options);

    const conversations = [newId(), newId(), newId(), newId()];
    const published = new Map<string, string[]>(conversations.map((c) => [c, []]));
    for (let i = 0; i < 40; i++) {
      const conversation = conversations[i % conversations.length]!;
      const event = messageEvent(conversation, { text: `m${i}` });
      published.get(conversation)!.push(event.id);
      await (i % 2 === 0 ? one : two).host.publish(event);
    }
    const deliveries = store.collection<PluginDeliveryDoc>(COLLECTIONS.pluginDeliveries);
    await waitFor(async () => (await deliveries.countDocuments({ state: 'done' })) === 40, 10_000);

    const delivered = shared.delivered();
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered).size).toBe(40);
    for (const conversation of conversations) {
      expect(shared.calls.filter((c) => c.conversationId === conversation && c.ok).map((c) => c.eventId)).toEqual(published.get(conversation));
    }
    expect(overlapped).toBe(false);
  });
});

// ---- routes ----

describe('plugin routes', () => {
  it('routes a request to the plugin by method and path, and says when there is none', async () => {
    const plugin = recordingPlugin('crm', () => {}, {
      routes: [
        { method: 'POST', path: '/webhook', handler: async (req) => ({ status: 202, body: { got: req.rawBody.toString() } }) },
        { method: 'POST', path: '/broken', handler: () => Promise.reject(new Error('bug')) },
      ],
    });
    const { host } = await startHost([plugin.plugin]);
    const req = (method: string, path: string) => ({ method, path, url: `/plugins/crm${path}`, headers: {}, rawBody: Buffer.from('hi'), query: {} });

    expect(await host.handleRequest('crm', req('POST', '/webhook'))).toEqual({ status: 202, body: { got: 'hi' } });
    expect(await host.handleRequest('crm', req('POST', '/webhook/'))).toEqual({ status: 202, body: { got: 'hi' } });
    expect(await host.handleRequest('crm', req('GET', '/webhook'))).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    expect(await host.handleRequest('crm', req('POST', '/broken'))).toMatchObject({ status: 500 });
    expect(await host.handleRequest('crm', req('POST', '/other'))).toBeNull();
    expect(await host.handleRequest('nobody', req('POST', '/webhook'))).toBeNull();
  });
});

// ---- state ----

describe('plugin state', () => {
  it('keeps values per plugin and sets-if-absent atomically', async () => {
    const store = createEmbeddedStore();
    const a = pluginStateRepository(store).forPlugin('a');
    const b = pluginStateRepository(store).forPlugin('b');
    expect(await a.get('ticket')).toBeNull();
    await a.set('ticket', { id: 42 });
    await a.set('ticket', { id: 43 });
    expect(await a.get('ticket')).toEqual({ id: 43 });
    expect(await b.get('ticket')).toBeNull();

    const claims = await Promise.all(Array.from({ length: 10 }, () => a.setIfAbsent('event-1', true)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await b.setIfAbsent('event-1', true)).toBe(true);
  });

  it('forgets a key past its ttl: it reads as absent and one caller may set it again', async () => {
    const store = createEmbeddedStore();
    let now = new Date('2026-01-01T00:00:00Z');
    const state = pluginStateRepository(store).forPlugin('crm', () => now);
    await state.set('dedupe', 'first', { ttlMs: 60_000 });
    await state.set('ticket', 42);
    expect(await state.setIfAbsent('dedupe', 'again', { ttlMs: 60_000 })).toBe(false);

    now = new Date(now.getTime() + 60_000);
    expect(await state.get('dedupe')).toBeNull();
    expect(await state.get('ticket')).toBe(42);
    const takeovers = await Promise.all(Array.from({ length: 10 }, (_, i) => state.setIfAbsent('dedupe', `second ${i}`, { ttlMs: 60_000 })));
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(await state.get('dedupe')).toMatch(/^second \d$/);

    // set() without a ttl makes a key permanent again.
    await state.set('dedupe', 'kept');
    now = new Date(now.getTime() + 365 * 24 * 3_600_000);
    expect(await state.get('dedupe')).toBe('kept');
  });

  it('the host sweep deletes expired keys and nothing else', async () => {
    const store = createEmbeddedStore();
    const anHourAgo = new Date(Date.now() - 3_600_000);
    const past = pluginStateRepository(store).forPlugin('crm', () => anHourAgo);
    await past.set('expired', true, { ttlMs: 60_000 });
    await past.setIfAbsent('expired-too', true, { ttlMs: 60_000 });
    await past.set('permanent', true);
    await pluginStateRepository(store).forPlugin('crm').set('fresh', true, { ttlMs: 60_000 });

    await startHost([], { store });
    const keys = (await store.collection<{ _id: string; key: string }>(COLLECTIONS.pluginState).find({})).map((d) => d.key).sort();
    expect(keys).toEqual(['fresh', 'permanent']);
  });
});

// ---- loading ----

describe('plugin loading', () => {
  const builtIn = recordingPlugin('builtin').plugin;
  let dir = '';
  const fixture = async (name: string, source: string) => {
    if (!dir) {
      dir = await mkdtemp(join(tmpdir(), 'desk-plugins-'));
      cleanups.push(async () => {
        await rm(dir, { recursive: true, force: true });
        dir = '';
      });
    }
    await writeFile(join(dir, name), source);
    return join(dir, name);
  };
  const pluginSource = (name: string, exportAs: string) =>
    `const p = { name: '${name}', configSchema: { safeParse: (v) => ({ success: true, data: {} }) }, setup: () => ({}) };\n${exportAs}`;

  it('maps built-in names and imports files by path, relative to the working directory', async () => {
    await fixture('default.mjs', pluginSource('third-default', 'export default p;'));
    await fixture('named.mjs', pluginSource('third-named', 'export const plugin = p;'));
    const loaded = await loadPlugins(['builtin', './default.mjs', join(dir, 'named.mjs')], { builtin: builtIn }, { cwd: dir });
    expect(loaded.map((l) => [l.plugin.name, l.source])).toEqual([
      ['builtin', 'built-in'],
      ['third-default', join(dir, 'default.mjs')],
      ['third-named', join(dir, 'named.mjs')],
    ]);
  });

  it('explains an unknown name, a missing file, a module without a plugin, and a name taken twice', async () => {
    await expect(loadPlugins(['zendsk'], { builtin: builtIn })).rejects.toThrow(
      /Cannot load plugin "zendsk" \(from PLUGINS\): it is not a built-in plugin and no installed package of that name was found/,
    );
    const missing = join(tmpdir(), 'no-such-desk-plugin.mjs');
    await expect(loadPlugins([missing], {})).rejects.toThrow(`no module at ${missing}`);
    const empty = await fixture('empty.mjs', 'export const notAPlugin = 1;');
    const error = await loadPlugins([empty], {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toMatch(/exports no plugin: expected a default export or an export named "plugin".*\(it exports: notAPlugin\)/);
    const clash = await fixture('clash.mjs', pluginSource('builtin', 'export default p;'));
    await expect(loadPlugins(['builtin', clash], { builtin: builtIn })).rejects.toThrow(/name "builtin" is already taken by PLUGINS entry "builtin"/);
  });
});

// ---- the HTTP client plugins get ----

describe('plugin HTTP client', () => {
  it('sends and reads JSON, reports statuses without throwing, and times out a stalled server', async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/stall') return; // never answers
        const status = req.url === '/limited' ? 429 : 201;
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end(JSON.stringify({ method: req.method, contentType: req.headers['content-type'], auth: req.headers.authorization, got: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http = createHttpClient({ timeoutMs: 5_000 });

    const created = await http.request({ method: 'POST', url: `${base}/tickets`, json: { a: 1 }, headers: { Authorization: 'Bearer t' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ method: 'POST', contentType: 'application/json', auth: 'Bearer t', got: '{"a":1}' });

    const limited = await http.request({ method: 'GET', url: `${base}/limited` });
    expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });

    const impatient = createHttpClient({ timeoutMs: 150 });
    const started = Date.now();
    await expect(impatient.request({ method: 'GET', url: `${base}/stall` })).rejects.toBeInstanceOf(HttpTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(http.request({ method: 'GET', url: `${base}/stall`, timeoutMs: 50 })).rejects.toThrow(/timed out after 50 ms/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(http.request({ method: 'GET', url: `http://127.0.0.1:${closedPort}/refused?token=secret` })).rejects.toThrow(
      new RegExp(`^GET http://127.0.0.1:${closedPort}/refused failed: .*ECONNREFUSED`),
    );
  });
});
