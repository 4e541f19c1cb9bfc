import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import webhookPlugin, { deliveryIdFor } from '../plugins/webhook/index.js';
import type { ConversationDoc } from '../src/domain/model.js';
import type { DomainEvent } from '../src/events/types.js';
import { createInProcessQueue } from '../src/jobs/inProcess.js';
import { DEDUPE_TTL_MS, type ConversationRef, type DeskApi, type PluginRequest } from '../src/plugins/contract.js';
import { createPluginHost, PluginConfigError } from '../src/plugins/host.js';
import type { HostLogger, PluginHost } from '../src/plugins/host.js';
import type { PluginStateDoc } from '../src/store/repositories/pluginState.js';
import { COLLECTIONS } from '../src/store/collections.js';
import type { Store } from '../src/store/port.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { newId } from '../src/store/ids.js';
import { buildConversation, buildCustomer, buildMessage } from './support/eventFactory.js';

const logger: HostLogger = pino({ level: 'silent' });
const SECRET = 'a-shared-secret-of-some-length';

// ---- a loopback receiver: records what arrives, answers as scripted ----

interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
  at: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; 200 once they run out. */
  script: Array<{ status: number; headers?: Record<string, string> }>;
  close(): Promise<void>;
}

async function startReceiver(path = '/hook'): Promise<Receiver> {
  const received: Received[] = [];
  const script: Receiver['script'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = script.shift() ?? { status: 200 };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify({ ok: answer.status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    script,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver would write: HMAC-SHA256 over `timestamp + "." + rawBody`, hex, with the sha256= prefix. */
function expectedSignature(timestamp: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

// ---- a recording desk ----

interface DeskCall {
  method: keyof DeskApi;
  args: unknown[];
}

function recordingDesk(known: ConversationRef[] = []) {
  const calls: DeskCall[] = [];
  const links = new Map<string, string>();
  const find = (id: string) => {
    const ref = known.find((c) => c.id === id);
    if (!ref) throw Object.assign(new Error(`conversation ${id} not found`), { code: 'NOT_FOUND' });
    return ref;
  };
  const desk: DeskApi = {
    async postReply(conversationId, text, options) {
      calls.push({ method: 'postReply', args: [conversationId, text, options] });
      find(conversationId);
      return { messageId: `msg-${calls.length}` };
    },
    async resolveConversation(conversationId) {
      calls.push({ method: 'resolveConversation', args: [conversationId] });
      find(conversationId);
    },
    async reopenConversation(conversationId) {
      calls.push({ method: 'reopenConversation', args: [conversationId] });
      find(conversationId);
    },
    async linkConversation(conversationId, link) {
      calls.push({ method: 'linkConversation', args: [conversationId, link] });
      find(conversationId);
      links.set(link.externalId, conversationId);
    },
    async findConversationByExternalId(externalId) {
      calls.push({ method: 'findConversationByExternalId', args: [externalId] });
      const id = links.get(externalId);
      return id ? find(id) : null;
    },
  };
  return { desk, calls, links };
}

// ---- events ----

const customer = buildCustomer({ _id: 'cust-1', name: 'Ada' });

function conversationDoc(id: string): ConversationDoc {
  return buildConversation(customer, { _id: id, status: 'ASSIGNED' });
}

function messageEvent(conversationId: string, options: { type?: 'message.received' | 'message.sent'; origin?: string | null } = {}): DomainEvent {
  const conversation = conversationDoc(conversationId);
  const message = buildMessage(conversation, { _id: newId(), origin: options.origin ?? null, text: 'Where is my order?', whatsappId: 'wamid.1' });
  return { id: newId(), at: message.createdAt, type: options.type ?? 'message.received', conversation, customer, message };
}

// ---- the host around the real plugin ----

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startWebhook(env: Record<string, string | undefined>, desk: DeskApi = recordingDesk().desk): Promise<{ host: PluginHost; store: Store; drained: () => Promise<void> }> {
  const queue = createInProcessQueue({ logger });
  const store = createEmbeddedStore();
  const host = await createPluginHost({
    plugins: [{ plugin: webhookPlugin }],
    env: { WEBHOOK_SECRET: SECRET, ...env },
    store,
    queue,
    desk: () => desk,
    logger,
    retry: { attempts: 5, baseMs: 10, maxMs: 40 },
    sweepIntervalMs: 0,
  });
  cleanups.push(async () => {
    await queue.close();
    await host.close();
  });
  return { host, store, drained: () => queue.drained(8_000) };
}

async function withReceiver(path?: string): Promise<Receiver> {
  const receiver = await startReceiver(path);
  cleanups.push(() => receiver.close());
  return receiver;
}

describe('webhook plugin settings', () => {
  it('names the setting that is wrong', async () => {
    const receiver = await withReceiver();
    const cases: Array<[Record<string, string | undefined>, RegExp]> = [
      [{ WEBHOOK_URLS: undefined }, /^Invalid configuration: WEBHOOK_URLS: required but not set \(plugin webhook\)$/],
      [{ WEBHOOK_URLS: `${receiver.url}, ftp://files.example.com` }, /^Invalid configuration: WEBHOOK_URLS: "ftp:\/\/files.example.com" is not an http\(s\) URL \(plugin webhook\)$/],
      [{ WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: 'short' }, /^Invalid configuration: WEBHOOK_SECRET: must be at least 16 characters \(plugin webhook\)$/],
      [{ WEBHOOK_URLS: receiver.url, WEBHOOK_TIMEOUT: 'soon' }, /^Invalid configuration: WEBHOOK_TIMEOUT: expected a duration/],
    ];
    for (const [env, message] of cases) {
      const error = await startWebhook(env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PluginConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('short');
    }
  });
});

describe('webhook plugin: outbound', () => {
  it('POSTs each event as JSON with event, delivery, timestamp and a verifiable signature', async () => {
    const receiver = await withReceiver();
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: receiver.url });
    const event = messageEvent(newId());
    await host.publish(event);
    await drained();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const { headers, rawBody } = request!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-desk-event']).toBe('message.received');
    expect(headers['x-desk-delivery']).toBe(deliveryIdFor(event.id, receiver.url));
    const timestamp = headers['x-desk-timestamp'] as string;
    expect(timestamp).toMatch(/^\d+$/);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(headers['x-desk-signature']).toBe(expectedSignature(timestamp, rawBody));
    expect(JSON.parse(rawBody)).toEqual(JSON.parse(JSON.stringify(event)));
  });

  it('retries a failing receiver with the same delivery id until it accepts, once', async () => {
    const receiver = await withReceiver();
    receiver.script.push({ status: 500 }, { status: 503 });
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: receiver.url });
    const event = messageEvent(newId());
    await host.publish(event);
    await drained();

    expect(receiver.received).toHaveLength(3);
    const ids = new Set(receiver.received.map((r) => r.headers['x-desk-delivery']));
    expect(ids).toEqual(new Set([deliveryIdFor(event.id, receiver.url)]));
    for (const r of receiver.received) expect(r.headers['x-desk-signature']).toBe(expectedSignature(r.headers['x-desk-timestamp'] as string, r.rawBody));
    const [status] = await host.integrations();
    expect(status).toMatchObject({ name: 'webhook', status: 'OK', pending: 0, deadLetters: 0 });
    expect(status!.lastError).toMatch(/answered 503/);
  });

  it('honours Retry-After from a receiver that answers 429', async () => {
    const receiver = await withReceiver();
    receiver.script.push({ status: 429, headers: { 'retry-after': '1' } });
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: receiver.url });
    await host.publish(messageEvent(newId()));
    await drained();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('gives up at once on a receiver that rejects the request (400): a dead letter, retryable', async () => {
    const receiver = await withReceiver();
    receiver.script.push({ status: 400 });
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: receiver.url });
    await host.publish(messageEvent(newId()));
    await drained();
    expect(receiver.received).toHaveLength(1);
    expect((await host.integrations())[0]).toMatchObject({ status: 'FAILING', deadLetters: 1, pending: 0 });

    expect(await host.retryDeadLetters('webhook')).toBe(1);
    await drained();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.headers['x-desk-delivery']).toBe(receiver.received[0]!.headers['x-desk-delivery']);
    expect((await host.integrations())[0]).toMatchObject({ status: 'OK', deadLetters: 0 });
  });

  it('does not send an event again to a URL that already took it when another URL failed', async () => {
    const good = await withReceiver('/good');
    const flaky = await withReceiver('/flaky');
    flaky.script.push({ status: 502 });
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: `${good.url},${flaky.url}` });
    await host.publish(messageEvent(newId()));
    await drained();
    expect(good.received).toHaveLength(1);
    expect(flaky.received).toHaveLength(2);
    expect(good.received[0]!.headers['x-desk-delivery']).not.toBe(flaky.received[0]!.headers['x-desk-delivery']);
  });

  it('does not post back a reply that came in through the webhook', async () => {
    const receiver = await withReceiver();
    const { host, drained } = await startWebhook({ WEBHOOK_URLS: receiver.url });
    await host.publish(messageEvent(newId(), { type: 'message.sent', origin: 'webhook' }));
    const agentReply = messageEvent(newId(), { type: 'message.sent' });
    await host.publish(agentReply);
    await drained();
    expect(receiver.received.map((r) => (JSON.parse(r.rawBody) as { id: string }).id)).toEqual([agentReply.id]);
  });
});

describe('webhook plugin: inbound', () => {
  const conversation: ConversationRef = { id: 'conv-1', status: 'ASSIGNED', waId: '15551234567' };

  let requestCount = 0;
  /** Signs a body as a sender would; an object body without an `id` gets a fresh one (pass `id: undefined` explicitly to send none). */
  function signedRequest(body: unknown, options: { timestamp?: number; signature?: string; delivery?: string; omit?: boolean } = {}): PluginRequest {
    const withId = typeof body === 'object' && body !== null && !('id' in body) ? { id: `req-${++requestCount}`, ...body } : body;
    const rawBody = Buffer.from(typeof withId === 'string' ? withId : JSON.stringify(withId));
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string | undefined> = { 'content-type': 'application/json' };
    if (!options.omit) {
      headers['x-desk-timestamp'] = timestamp;
      headers['x-desk-signature'] = options.signature ?? expectedSignature(timestamp, rawBody);
    }
    if (options.delivery) headers['x-desk-delivery'] = options.delivery;
    return { method: 'POST', path: '/inbound', url: '/plugins/webhook/inbound', headers, rawBody, query: {} };
  }

  async function inboundHost() {
    const receiver = await withReceiver();
    const recorded = recordingDesk([conversation]);
    const { host, store } = await startWebhook({ WEBHOOK_URLS: receiver.url }, recorded.desk);
    return { host, store, ...recorded };
  }

  it('posts an agent reply and resolves a conversation through the desk', async () => {
    const { host, calls } = await inboundHost();
    const reply = await host.handleRequest('webhook', signedRequest({ action: 'reply', conversationId: 'conv-1', text: 'Shipped today!', authorName: 'Grace' }));
    expect(reply).toEqual({ status: 200, body: { ok: true, conversationId: 'conv-1', messageId: 'msg-1' } });
    const resolve = await host.handleRequest('webhook', signedRequest({ action: 'resolve', conversationId: 'conv-1' }));
    expect(resolve).toEqual({ status: 200, body: { ok: true, conversationId: 'conv-1' } });
    expect(calls).toEqual([
      { method: 'postReply', args: ['conv-1', 'Shipped today!', { authorName: 'Grace' }] },
      { method: 'resolveConversation', args: ['conv-1'] },
    ]);
  });

  it('finds the conversation by an external id linked earlier', async () => {
    const { host, calls } = await inboundHost();
    expect(await host.handleRequest('webhook', signedRequest({ action: 'reply', externalId: 'T-9', text: 'hi' }))).toMatchObject({ status: 404 });
    expect(await host.handleRequest('webhook', signedRequest({ action: 'link', conversationId: 'conv-1', externalId: 'T-9' }))).toMatchObject({ status: 200 });
    expect(await host.handleRequest('webhook', signedRequest({ action: 'resolve', externalId: 'T-9' }))).toMatchObject({ status: 200 });
    expect(calls.map((c) => c.method)).toEqual(['findConversationByExternalId', 'linkConversation', 'findConversationByExternalId', 'resolveConversation']);
  });

  it('answers 404 for an unknown conversation and 400 for a bad body', async () => {
    const { host } = await inboundHost();
    expect(await host.handleRequest('webhook', signedRequest({ action: 'resolve', conversationId: 'nope' }))).toMatchObject({ status: 404 });
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /body must be JSON/],
      [{ action: 'delete', conversationId: 'conv-1' }, /action must be one of/],
      [{ action: 'reply', conversationId: 'conv-1' }, /text/],
      [{ action: 'reply', conversationId: 'conv-1', text: '   ' }, /text must not be empty/],
      [{ action: 'resolve' }, /exactly one of conversationId or externalId/],
      [{ action: 'resolve', conversationId: 'conv-1', externalId: 'T-1' }, /exactly one of conversationId or externalId/],
    ];
    for (const [body, error] of cases) {
      const response = await host.handleRequest('webhook', signedRequest(body));
      expect(response?.status).toBe(400);
      expect((response?.body as { error: string }).error).toMatch(error);
    }
  });

  it('refuses forged, stale and unsigned requests with 401, touching nothing', async () => {
    const { host, calls } = await inboundHost();
    const body = { action: 'resolve', conversationId: 'conv-1' };
    const now = Math.floor(Date.now() / 1000);
    const forged = signedRequest(body, { signature: `sha256=${createHmac('sha256', 'not-the-secret-at-all').update(`${now}.${JSON.stringify(body)}`).digest('hex')}` });
    const stale = signedRequest(body, { timestamp: now - 301 });
    const future = signedRequest(body, { timestamp: now + 301 });
    const unsigned = signedRequest(body, { omit: true });
    const tampered = { ...signedRequest(body), rawBody: Buffer.from(JSON.stringify({ ...body, conversationId: 'conv-2' })) };
    for (const request of [forged, stale, future, unsigned, tampered]) {
      expect(await host.handleRequest('webhook', request)).toMatchObject({ status: 401 });
    }
    expect(calls).toEqual([]);
    // the same body, properly signed and fresh, goes through
    expect(await host.handleRequest('webhook', signedRequest(body, { timestamp: now - 290 }))).toMatchObject({ status: 200 });
  });

  it('acts once on a request id sent twice, and lets a failed one be retried', async () => {
    const { host, store, calls } = await inboundHost();
    const body = { id: 'd-1', action: 'reply', conversationId: 'conv-1', text: 'once' };
    expect(await host.handleRequest('webhook', signedRequest(body))).toMatchObject({ status: 200 });
    // The sender's retry: the same body signed again with a fresh timestamp.
    expect(await host.handleRequest('webhook', signedRequest(body, { timestamp: Math.floor(Date.now() / 1000) + 1 }))).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(calls.filter((c) => c.method === 'postReply')).toHaveLength(1);

    const missing = { id: 'd-2', action: 'resolve', conversationId: 'later' };
    expect(await host.handleRequest('webhook', signedRequest(missing))).toMatchObject({ status: 404 });
    expect(await host.handleRequest('webhook', signedRequest(missing))).toMatchObject({ status: 404 });
    expect(calls.filter((c) => c.method === 'resolveConversation')).toHaveLength(2);

    // The marks are kept for a while, not for good.
    const marks = await store.collection<PluginStateDoc>(COLLECTIONS.pluginState).find({ plugin: 'webhook' });
    expect(marks.map((m) => m.key).sort()).toEqual(['inbound/d-1', 'inbound/d-2']);
    for (const mark of marks) expect(new Date(mark.expiresAt!).getTime() - new Date(mark.updatedAt).getTime()).toBe(DEDUPE_TTL_MS);
  });
});

describe('webhook plugin: inbound requests cannot be replayed (issue 14, finding 5)', () => {
  const conversation: ConversationRef = { id: 'conv-1', status: 'ASSIGNED', waId: '15551234567' };

  function sign(rawBody: string, timestamp = Math.floor(Date.now() / 1000), headers: Record<string, string> = {}): PluginRequest {
    const ts = String(timestamp);
    return {
      method: 'POST',
      path: '/inbound',
      url: '/plugins/webhook/inbound',
      headers: { 'content-type': 'application/json', 'x-desk-timestamp': ts, 'x-desk-signature': expectedSignature(ts, rawBody), ...headers },
      rawBody: Buffer.from(rawBody),
      query: {},
    };
  }

  async function inboundHost() {
    const receiver = await withReceiver();
    const recorded = recordingDesk([conversation]);
    const { host } = await startWebhook({ WEBHOOK_URLS: receiver.url }, recorded.desk);
    return { host, ...recorded };
  }

  it('one signed reply replayed with a changed, missing or repeated X-Desk-Delivery reaches the customer once', async () => {
    const { host, calls } = await inboundHost();
    const captured = sign(JSON.stringify({ id: 'crm-7781', action: 'reply', conversationId: 'conv-1', text: 'Refund approved' }));
    const replays: PluginRequest[] = [
      captured,
      { ...captured, headers: { ...captured.headers, 'x-desk-delivery': 'changed-1' } },
      { ...captured, headers: { ...captured.headers, 'x-desk-delivery': 'changed-2' } },
      { ...captured, headers: { ...captured.headers, 'x-desk-delivery': undefined } },
    ];
    const answers = [];
    for (const request of replays) answers.push(await host.handleRequest('webhook', request));
    expect(answers[0]).toMatchObject({ status: 200, body: { ok: true, conversationId: 'conv-1' } });
    for (const answer of answers.slice(1)) expect(answer).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(calls.filter((c) => c.method === 'postReply')).toEqual([{ method: 'postReply', args: ['conv-1', 'Refund approved', undefined] }]);
  });

  it('the same id sent five times at once is acted on once', async () => {
    const { host, calls } = await inboundHost();
    const request = sign(JSON.stringify({ id: 'crm-burst', action: 'reply', conversationId: 'conv-1', text: 'Refund approved' }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => host.handleRequest('webhook', request)));
    expect(calls.filter((c) => c.method === 'postReply')).toHaveLength(1);
    expect(answers.filter((a) => a?.status === 200 && (a.body as { duplicate?: boolean }).duplicate !== true)).toHaveLength(1);
    // The others were told it is done, or still in progress (retry later): never acted on.
    for (const answer of answers) expect([200, 409]).toContain(answer?.status);
  });

  it('requires the id inside the signed body: without one (header or not) nothing happens', async () => {
    const { host, calls } = await inboundHost();
    const body = JSON.stringify({ action: 'reply', conversationId: 'conv-1', text: 'Refund approved' });
    for (const headers of [{}, { 'x-desk-delivery': 'd-header-only' }] as Array<Record<string, string>>) {
      const answer = await host.handleRequest('webhook', sign(body, undefined, headers));
      expect(answer).toMatchObject({ status: 400, body: { ok: false, error: 'id: id must be a string' } });
    }
    for (const id of ['', ' \u200b\u2060 ', 'x'.repeat(201)]) {
      const answer = await host.handleRequest('webhook', sign(JSON.stringify({ id, action: 'resolve', conversationId: 'conv-1' })));
      expect(answer?.status).toBe(400);
      expect((answer?.body as { error: string }).error).toMatch(/^id: id (must not be empty or blank|has 201 characters; at most 200 are allowed)$/);
    }
    expect(calls).toEqual([]);
  });

  it('the timestamp is signed: the captured signature with another timestamp, or the original one after 5 minutes, is refused', async () => {
    const { host, calls } = await inboundHost();
    const now = Math.floor(Date.now() / 1000);
    const captured = sign(JSON.stringify({ id: 'crm-1', action: 'resolve', conversationId: 'conv-1' }), now - 299);
    const retimed = { ...captured, headers: { ...captured.headers, 'x-desk-timestamp': String(now) } };
    expect(await host.handleRequest('webhook', retimed)).toMatchObject({ status: 401, body: { error: 'invalid signature: signature does not match' } });
    const late = sign(JSON.stringify({ id: 'crm-2', action: 'resolve', conversationId: 'conv-1' }), now - 301);
    expect(await host.handleRequest('webhook', late)).toMatchObject({ status: 401, body: { error: 'invalid signature: X-Desk-Timestamp is more than 5 minutes away from now' } });
    expect(calls).toEqual([]);
    expect(await host.handleRequest('webhook', captured)).toMatchObject({ status: 200 });
  });

  it('counts text in characters (code points) and refuses invisible text, as WhatsApp does', async () => {
    const { host, calls } = await inboundHost();
    const emoji = '😀'.repeat(4096); // 8,192 UTF-16 units, 4,096 characters
    const ok = await host.handleRequest('webhook', sign(JSON.stringify({ id: 'e-1', action: 'reply', conversationId: 'conv-1', text: emoji, authorName: '🙂'.repeat(200) })));
    expect(ok).toMatchObject({ status: 200 });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ text: `${emoji}😀` }, 'text: text has 4097 characters; at most 4096 are allowed'],
      [{ text: '\u200b\u200d\ufeff \n' }, 'text: text must not be empty or blank'],
      [{ text: 'hi', authorName: '\u2063' }, 'authorName: authorName must not be empty or blank'],
      [{ text: 'hi', authorName: 'a'.repeat(201) }, 'authorName: authorName has 201 characters; at most 200 are allowed'],
    ];
    let n = 0;
    for (const [extra, error] of cases) {
      const body = { id: `e-bad-${++n}`, action: 'reply', conversationId: 'conv-1', ...extra };
      expect(await host.handleRequest('webhook', sign(JSON.stringify(body)))).toEqual({ status: 400, body: { ok: false, error } });
    }
    const link = { id: 'l-1', action: 'link', conversationId: 'conv-1', externalId: 'T'.repeat(501) };
    expect(await host.handleRequest('webhook', sign(JSON.stringify(link)))).toEqual({ status: 400, body: { ok: false, error: 'externalId: externalId has 501 characters; at most 500 are allowed' } });
    expect(calls.filter((c) => c.method === 'postReply')).toHaveLength(1);
  });
});
