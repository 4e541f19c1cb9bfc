// The HTTP layer on its own, against a small schema written here with plain
// graphql-js: probes, Prometheus, bearer auth on both transports, rate limits,
// query-cost armor, malformed input, body limits, route groups with their own
// body parsing, and a graceful shutdown with work in flight.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GraphQLError,
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldConfigMap,
} from 'graphql';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testConfig, type Config } from '../src/config.js';
import type { AgentDoc } from '../src/domain/model.js';
import { createInProcessEventBus } from '../src/events/bus.js';
import { eventsFor } from '../src/graphql/schema/events.js';
import { createSubscriptionHub } from '../src/graphql/subscriptionHub.js';
import { BODY_LIMIT, createHttpServer, type HttpServer, type HttpServerOptions } from '../src/http/server.js';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import WebSocket from 'ws';
import { agentStatusEvent, buildAgentDoc } from './support/eventFactory.js';
import { gql, subscribe, SubscriptionEnded, type SubscriptionProbe } from './support/gqlClient.js';

// ---------------------------------------------------------------- the schema

interface TestContext {
  viewer: AgentDoc | null;
  transport: 'http' | 'ws';
}

/** A hand-driven event source, ending promptly when its subscriber leaves. */
function createChannel<T>() {
  type Pull = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };
  const subscribers = new Set<{ push(v: T): void; fail(e: unknown): void }>();
  return {
    get size() {
      return subscribers.size;
    },
    publish(value: T) {
      for (const s of subscribers) s.push(value);
    },
    fail(error: unknown) {
      for (const s of subscribers) s.fail(error);
    },
    iterate(): AsyncIterableIterator<T> {
      const buffered: T[] = [];
      const pulls: Pull[] = [];
      let done = false;
      const subscriber = {
        push(v: T) {
          const pull = pulls.shift();
          if (pull) pull.resolve({ value: v, done: false });
          else buffered.push(v);
        },
        fail(e: unknown) {
          finish();
          for (const pull of pulls.splice(0)) pull.reject(e);
        },
      };
      const finish = () => {
        done = true;
        subscribers.delete(subscriber);
      };
      subscribers.add(subscriber);
      return {
        next: () => {
          if (buffered.length > 0) return Promise.resolve({ value: buffered.shift()!, done: false });
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve, reject) => pulls.push({ resolve, reject }));
        },
        return: async () => {
          finish();
          for (const pull of pulls.splice(0)) pull.resolve({ value: undefined, done: true });
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
  };
}

function buildTestSchema() {
  const pings = createChannel<string>();
  const bus = createInProcessEventBus();
  let liveResolves = 0;
  let slowInFlight = 0;
  const sleeps = new Set<NodeJS.Timeout>();

  const Agent = new GraphQLObjectType({
    name: 'Agent',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLID), resolve: (a: AgentDoc) => a._id },
      name: { type: new GraphQLNonNull(GraphQLString) },
    },
  });
  const Node: GraphQLObjectType = new GraphQLObjectType({
    name: 'Node',
    fields: (): GraphQLFieldConfigMap<unknown, TestContext> => ({
      id: { type: new GraphQLNonNull(GraphQLID), resolve: () => 'n' },
      child: { type: Node, resolve: () => ({}) },
    }),
  });

  const schema = new GraphQLSchema({
    query: new GraphQLObjectType<unknown, TestContext>({
      name: 'Query',
      fields: {
        viewer: {
          type: new GraphQLNonNull(Agent),
          resolve: (_root, _args, ctx) => {
            if (!ctx.viewer) throw new GraphQLError('Sign in first', { extensions: { code: 'UNAUTHENTICATED' } });
            return ctx.viewer;
          },
        },
        transport: { type: GraphQLString, resolve: (_root, _args, ctx) => ctx.transport },
        contextKeys: { type: GraphQLString, resolve: (_root, _args, ctx) => Object.keys(ctx).sort().join(',') },
        node: { type: Node, resolve: () => ({}) },
        slow: {
          type: GraphQLString,
          args: { ms: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: async (_root, { ms }: { ms: number }) => {
            slowInFlight += 1;
            try {
              await new Promise<void>((resolve) => {
                const timer = setTimeout(() => {
                  sleeps.delete(timer);
                  resolve();
                }, ms);
                sleeps.add(timer);
              });
              return `slept ${ms}`;
            } finally {
              slowInFlight -= 1;
            }
          },
        },
        boom: {
          type: GraphQLString,
          args: { kind: { type: new GraphQLNonNull(GraphQLString) } },
          resolve: (_root, { kind }: { kind: string }) => {
            if (kind === 'forbidden') throw new GraphQLError('Admins only', { extensions: { code: 'FORBIDDEN' } });
            throw new Error('connection to mongodb://admin:hunter2@db failed');
          },
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        setCapacity: {
          type: GraphQLInt,
          args: { capacity: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: (_root, { capacity }: { capacity: number }) => capacity,
        },
      },
    }),
    subscription: new GraphQLObjectType<unknown, TestContext>({
      name: 'Subscription',
      fields: {
        // The desk's kind of source (eventsFor): served by the subscription hub when the server has one.
        live: {
          type: GraphQLString,
          subscribe: () => eventsFor(bus, ['agent.status'], () => true),
          resolve: (event) => {
            liveResolves += 1;
            return (event as { agent: { name: string } }).agent.name;
          },
        },
        ping: {
          type: GraphQLString,
          subscribe: () => pings.iterate(),
          resolve: (payload: unknown, _args, ctx) => `${String(payload)} for ${ctx.viewer?.name ?? 'anonymous'} over ${ctx.transport}`,
        },
      },
    }),
  });

  return {
    schema,
    pings,
    bus,
    liveResolves: () => liveResolves,
    slowInFlight: () => slowInFlight,
    wakeSleepers() {
      for (const timer of sleeps) clearTimeout(timer);
      sleeps.clear();
    },
  };
}

// ---------------------------------------------------------------- harness

function agent(id: string, name: string): AgentDoc {
  const at = new Date('2024-01-01T00:00:00Z');
  const tokenHash = createHash('sha256').update(`token-${id}`).digest('hex');
  return buildAgentDoc({ _id: id, name, email: `${name.toLowerCase()}@example.test`, tokenHash, statusChangedAt: at, createdAt: at, updatedAt: at });
}
const alice = agent('a1', 'Alice');
const bob = agent('a2', 'Bob');
const tokens = new Map([
  ['alice-token', alice],
  ['bob-token', bob],
]);

/** A pino logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines: () => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l)) };
}

interface Started {
  server: HttpServer;
  url: string;
  test: TestSchema;
  registry: Registry;
  logLines: () => Array<Record<string, unknown>>;
  readiness: { failure: Error | null };
}

/** An agent.status domain event: what the `live` subscription carries. */
const agentStatus = (name: string) => agentStatusEvent({ name });

const running: Started[] = [];
const probes: SubscriptionProbe<unknown>[] = [];

afterEach(async () => {
  await Promise.all(probes.splice(0).map((p) => p.close().catch(() => {})));
  for (const s of running.splice(0)) {
    s.test.wakeSleepers();
    await s.server.close();
  }
});

type TestSchema = ReturnType<typeof buildTestSchema>;

async function start(
  env: Record<string, string> = {},
  options: Partial<HttpServerOptions> | ((test: TestSchema) => Partial<HttpServerOptions>) = {},
): Promise<Started> {
  const config: Config = testConfig({ HOST: '127.0.0.1', PORT: '0', ...env });
  const test = buildTestSchema();
  const extra = typeof options === 'function' ? options(test) : options;
  const registry = new Registry();
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const { logger, lines } = capturingLogger();
  const readiness = { failure: null as Error | null };
  const server = await createHttpServer({
    logger,
    config,
    schema: test.schema,
    authenticate: async (token) => (token ? (tokens.get(token) ?? null) : null),
    createContext: (viewer, transport): TestContext => ({ viewer, transport }),
    ready: async () => {
      if (readiness.failure) throw readiness.failure;
    },
    metricsRegistry: registry,
    httpRequestDuration,
    ...extra,
  });
  const url = await server.listen();
  const started = { server, url, test, registry, logLines: lines, readiness };
  running.push(started);
  return started;
}

/**
 * One graphql-ws connection spoken by hand, for what the graphql-ws client
 * hides: several operations on one socket, every message as sent, and a
 * socket that can stop reading.
 */
async function rawGraphqlWs(url: string, token: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, GRAPHQL_TRANSPORT_WS_PROTOCOL, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const received: Array<{ id?: string; type: string; payload?: any }> = [];
  socket.on('message', (data) => received.push(JSON.parse(String(data))));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await vi.waitFor(() => expect(received.some((m) => m.type === 'connection_ack')).toBe(true));
  return {
    socket,
    closed,
    start: (id: string, query: string) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } })),
    /** Messages for one operation id, once there are at least `count`. */
    async messagesFor(id: string, count: number) {
      await vi.waitFor(() => expect(received.filter((m) => m.id === id).length).toBeGreaterThanOrEqual(count));
      return received.filter((m) => m.id === id);
    },
  };
}

function probe<T = Record<string, any>>(url: string, document: string, token?: string): SubscriptionProbe<T> {
  const p = subscribe<T>(url, document, undefined, token);
  probes.push(p as SubscriptionProbe<unknown>);
  return p;
}

async function postRaw(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** A fresh TCP connection (no keep-alive pool), to tell "refused" from "answered". */
function freshGet(url: string, path: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}${path}`, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
    });
    request.on('error', reject);
  });
}

// ---------------------------------------------------------------- probes and metrics

describe('probes and metrics', () => {
  it('answers /healthz while serving', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz from ready(): 200 when it resolves, 503 with the reason when it rejects', async () => {
    const { url, readiness } = await start();
    const ok = await fetch(`${url}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok' });

    readiness.failure = new Error('store unreachable: connect ECONNREFUSED 127.0.0.1:27017');
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', reason: 'store unreachable: connect ECONNREFUSED 127.0.0.1:27017' });

    readiness.failure = null;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('exposes the registry on /metrics with every request observed under its route pattern', async () => {
    const { url } = await start();
    expect((await gql(url, '{ transport }')).status).toBe(200);
    expect((await fetch(`${url}/no/such/route?secret=1`)).status).toBe(404);

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/graphql",status_code="200"\} 1/);
    expect(body).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/);
    expect(body).not.toContain('secret');
  });

  it('serves GraphiQL on GET /graphql outside production only', async () => {
    const dev = await start();
    const page = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/graphiql/i);

    const prod = await start({ NODE_ENV: 'production' });
    const none = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(none.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    await none.text();
    // GET queries still work in production.
    const get = await fetch(`${prod.url}/graphql?query=${encodeURIComponent('{ transport }')}`, { headers: { accept: 'application/json' } });
    expect(await get.json()).toEqual({ data: { transport: 'http' } });
  });
});

// ---------------------------------------------------------------- auth and errors

describe('bearer auth over HTTP', () => {
  it('resolves a known token to its agent and builds the context from createContext only', async () => {
    const { url } = await start();
    const result = await gql(url, '{ viewer { id name } transport contextKeys }', undefined, 'alice-token');
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ viewer: { id: 'a1', name: 'Alice' }, transport: 'http' });
    // Everything in the context beyond createContext's keys is yoga's own (request, params, req, waitUntil).
    const keys = String(result.data?.contextKeys).split(',');
    expect(keys).toEqual(expect.arrayContaining(['transport', 'viewer']));
    expect(keys.filter((k) => !['transport', 'viewer', 'request', 'params', 'req', 'waitUntil'].includes(k))).toEqual([]);
  });

  it('treats a missing token as anonymous and lets the schema decide', async () => {
    const { url } = await start();
    const open = await gql(url, '{ transport }');
    expect(open).toMatchObject({ status: 200, data: { transport: 'http' } });

    const closed = await gql(url, '{ viewer { id } }');
    expect(closed.data).toBeNull();
    expect(closed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown or malformed token with 401 UNAUTHENTICATED', async () => {
    const { url } = await start();
    const unknown = await gql(url, '{ transport }', undefined, 'stolen-token');
    expect(unknown.status).toBe(401);
    expect(unknown.data).toBeUndefined();
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const basic = await postRaw(url, JSON.stringify({ query: '{ transport }' }), { 'content-type': 'application/json', authorization: 'Basic YWxpY2U6cHc=' });
    expect(basic.status).toBe(401);
    expect(basic.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('keeps actionable error codes and masks unexpected errors, logging them', async () => {
    const { url, logLines } = await start();
    const forbidden = await gql(url, '{ boom(kind: "forbidden") }', undefined, 'alice-token');
    expect(forbidden.errors?.[0]).toMatchObject({ message: 'Admins only', extensions: { code: 'FORBIDDEN' } });

    const crash = await gql(url, '{ boom(kind: "crash") }', undefined, 'alice-token');
    expect(crash.errors?.[0]?.message).toBe('Unexpected error.');
    expect(crash.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(crash)).not.toContain('hunter2');
    const logged = logLines().filter((line) => JSON.stringify(line).includes('hunter2'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]?.['level']).toBe(50);
  });
});

// ---------------------------------------------------------------- malformed input and limits

describe('malformed requests', () => {
  it('answers broken JSON, syntax errors, unknown fields and bad variables with 400 BAD_USER_INPUT, then keeps serving', async () => {
    const { url } = await start();
    const cases = [
      await postRaw(url, '{"query": "{ transport }"'),
      await postRaw(url, JSON.stringify({ query: '{ transport ' })),
      await postRaw(url, JSON.stringify({ query: '{ noSuchField }' })),
      await postRaw(url, JSON.stringify({ query: 'mutation ($c: Int!) { setCapacity(capacity: $c) }', variables: { c: 'five' } })),
      await postRaw(url, JSON.stringify({ query: 'mutation { setCapacity(capacity: "five") }' }), { 'content-type': 'application/json', accept: 'application/json' }),
      await postRaw(url, 'null'),
    ];
    for (const answer of cases) {
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json().errors[0].extensions.code, answer.text).toBe('BAD_USER_INPUT');
    }
    expect(cases[2]!.json().errors[0].extensions.reason).toBe('GRAPHQL_VALIDATION_FAILED');

    const wrongType = await postRaw(url, JSON.stringify({ query: '{ transport }' }), { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const healthy = await gql(url, 'mutation ($c: Int!) { setCapacity(capacity: $c) }', { c: 5 });
    expect(healthy).toMatchObject({ status: 200, data: { setCapacity: 5 } });
  });

  it('refuses bodies over 3 MB with 413 and a JSON error', async () => {
    const { url } = await start();
    const padding = 'x'.repeat(BODY_LIMIT);
    const tooBig = await postRaw(url, JSON.stringify({ query: '{ transport }', variables: { padding } }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.json().errors[0]).toMatchObject({ message: expect.stringContaining('3 MB'), extensions: { code: 'PAYLOAD_TOO_LARGE' } });

    // Just under the limit is fine.
    const fits = await postRaw(url, JSON.stringify({ query: '{ transport }', variables: { padding: 'x'.repeat(BODY_LIMIT - 100) } }));
    expect(fits.status).toBe(200);
    expect((await gql(url, '{ transport }')).status).toBe(200);
  });

  it('rejects queries beyond the depth, alias and cost limits', async () => {
    const { url } = await start({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '2' });
    expect((await gql(url, '{ node { child { id } } }')).status).toBe(200);

    const deep = await gql(url, '{ node { child { child { child { id } } } } }');
    expect(deep.status).toBe(400);
    expect(deep.errors?.[0]).toMatchObject({ message: expect.stringMatching(/depth/i), extensions: { code: 'BAD_USER_INPUT' } });

    expect((await gql(url, '{ a: transport b: transport }')).status).toBe(200);
    const aliased = await gql(url, '{ a: transport b: transport c: transport }');
    expect(aliased.status).toBe(400);
    expect(aliased.errors?.[0]).toMatchObject({ message: expect.stringMatching(/alias/i), extensions: { code: 'BAD_USER_INPUT' } });

    // Cost counts the objects a query may load (src/graphql/queryCost.ts): here one per node.
    const cheap = await start({ GRAPHQL_MAX_COST: '2' });
    expect((await gql(cheap.url, '{ node { id child { id } } transport }')).status).toBe(200);
    const costly = await gql(cheap.url, '{ node { id child { id child { id } } } transport contextKeys }');
    expect(costly.status).toBe(400);
    expect(costly.errors?.[0]).toMatchObject({ message: expect.stringMatching(/limit of 2/), extensions: { code: 'QUERY_TOO_COMPLEX', cost: 3, maxCost: 2 } });
  });

  it('refuses introspection when it is switched off, and allows it when on', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    const on = await start({ GRAPHQL_INTROSPECTION: 'true' });
    expect((await gql(on.url, introspection)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });

    const off = await start({ GRAPHQL_INTROSPECTION: 'false' });
    const refused = await gql(off.url, introspection);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/introspection/i), extensions: { code: 'BAD_USER_INPUT' } });
    expect((await gql(off.url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

// ---------------------------------------------------------------- rate limits

const redisUrl = process.env.REDIS_URL;
const redisReachable = await (async () => {
  if (!redisUrl) return false;
  const probeClient = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  try {
    await probeClient.connect();
    await probeClient.ping();
    return true;
  } catch {
    return false;
  } finally {
    probeClient.disconnect();
  }
})();
if (!redisReachable) {
  console.warn(`[http.server.test] SKIPPING Redis-backed rate limit test: ${redisUrl ? `Redis at ${redisUrl} is unreachable` : 'REDIS_URL is not set'}`);
}


describe('rate limits on /graphql', () => {
  it('limits each token and each IP per minute, answering 429 with Retry-After', async () => {
    const { url } = await start({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_IP_PER_MINUTE: '9' });
    for (let i = 0; i < 5; i++) expect((await gql(url, '{ transport }', undefined, 'alice-token')).status).toBe(200);

    const limited = await gql(url, '{ transport }', undefined, 'alice-token');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // A browser frontend can read the refusal and when to come back.
    const fromBrowser = await postRaw(url, JSON.stringify({ query: '{ transport }' }), {
      'content-type': 'application/json',
      authorization: 'Bearer alice-token',
      origin: 'https://desk.example.test',
    });
    expect(fromBrowser.status).toBe(429);
    expect(fromBrowser.headers.get('access-control-allow-origin')).toBe('https://desk.example.test');
    expect(fromBrowser.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);

    // Bob has his own budget, but the IP's (9) is shared, and refused requests spend it too: 7 spent so far.
    expect((await gql(url, '{ transport }', undefined, 'bob-token')).status).toBe(200);
    expect((await gql(url, '{ transport }', undefined, 'bob-token')).status).toBe(200);
    const ipLimited = await gql(url, '{ transport }', undefined, 'bob-token');
    expect(ipLimited.status).toBe(429);
    expect((await gql(url, '{ transport }')).status).toBe(429);

    // Probes are not rate limited.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('spends the same budget on every graphql-ws operation, refusing one over it without closing the socket', async () => {
    const { url, test } = await start({ RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_IP_PER_MINUTE: '100' });
    for (let i = 0; i < 2; i++) expect((await gql(url, '{ transport }', undefined, 'alice-token')).status).toBe(200);

    const ws = await rawGraphqlWs(url, 'alice-token');
    ws.start('query', '{ transport }');
    expect(await ws.messagesFor('query', 2)).toEqual([
      { id: 'query', type: 'next', payload: { data: { transport: 'ws' } } },
      { id: 'query', type: 'complete' },
    ]);
    ws.start('pings', 'subscription { ping }');
    await vi.waitFor(() => expect(test.pings.size).toBe(1));

    ws.start('over', '{ transport }');
    const [refusal] = await ws.messagesFor('over', 1);
    expect(refusal).toMatchObject({ type: 'error', payload: [{ message: expect.stringMatching(/^Too many requests; retry in \d+ s$/), extensions: { code: 'RATE_LIMITED' } }] });
    expect(refusal!.payload[0].extensions.retryAfter).toBeGreaterThanOrEqual(1);

    // The socket and the operations it already runs carry on; HTTP finds the budget spent too.
    test.pings.publish('still here');
    expect(await ws.messagesFor('pings', 1)).toEqual([{ id: 'pings', type: 'next', payload: { data: { ping: 'still here for Alice over ws' } } }]);
    expect((await gql(url, '{ transport }', undefined, 'alice-token')).status).toBe(429);
    ws.socket.close();
  });

  it('behind a proxy (TRUST_PROXY), counts each client by X-Forwarded-For on both transports', async () => {
    const { url } = await start({ TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_IP_PER_MINUTE: '2' });
    const via = (client: string) => ({ 'content-type': 'application/json', authorization: 'Bearer alice-token', 'x-forwarded-for': `${client}, 10.0.0.1` });
    const query = JSON.stringify({ query: '{ transport }' });
    expect((await postRaw(url, query, via('203.0.113.7'))).status).toBe(200);
    const ws = await rawGraphqlWs(url, 'alice-token', { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' });
    ws.start('second', '{ transport }');
    expect((await ws.messagesFor('second', 1))[0]).toMatchObject({ type: 'next' });
    expect((await postRaw(url, query, via('203.0.113.7'))).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await postRaw(url, query, via('198.51.100.2'))).status).toBe(200);
    ws.socket.close();
  });

  describe.skipIf(!redisReachable)('with Redis', () => {
    it('shares one budget between instances', async () => {
      const redis = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });
      // Until the client is ready the limiter counts in-process (its insurance).
      await redis.ping();
      const keyPrefix = `test:ratelimit:${randomUUID()}`;
      try {
        const env = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_IP_PER_MINUTE: '100' };
        const a = await start(env, { redis, rateLimitKeyPrefix: keyPrefix });
        const b = await start(env, { redis, rateLimitKeyPrefix: keyPrefix });
        for (const url of [a.url, b.url, a.url, b.url, a.url]) expect((await gql(url, '{ transport }', undefined, 'alice-token')).status).toBe(200);
        const limited = await gql(b.url, '{ transport }', undefined, 'alice-token');
        expect(limited.status).toBe(429);
        expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        const keys = await redis.keys(`${keyPrefix}*`);
        expect(keys.length).toBeGreaterThan(0);
        // The token itself never reaches Redis.
        expect(keys.join(' ')).not.toContain('alice-token');
        await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });
  });
});

// ---------------------------------------------------------------- graphql-ws

describe('graphql-ws on /graphql', () => {
  it('delivers subscription events with the viewer from connectionParams', async () => {
    const { url, test, server } = await start();
    const sub = probe<{ ping: string }>(url, 'subscription { ping }', 'alice-token');
    await sub.connected;
    await vi.waitFor(() => expect(test.pings.size).toBe(1));
    expect(server.activeSubscriptions()).toBe(1);

    test.pings.publish('one');
    test.pings.publish('two');
    expect(await sub.next()).toEqual({ data: { ping: 'one for Alice over ws' } });
    expect(await sub.next()).toEqual({ data: { ping: 'two for Alice over ws' } });

    await sub.close();
    await vi.waitFor(() => expect(test.pings.size).toBe(0));
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(0));
  });

  it('closes a connection without a token with 4403 before any subscription starts', async () => {
    const { url, test } = await start();
    const sub = probe<{ ping: string }>(url, 'subscription { ping }');
    await expect(sub.connected).rejects.toBeInstanceOf(SubscriptionEnded);
    expect(await sub.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(test.pings.size).toBe(0);
  });

  it('closes the connection with 4403 Forbidden for an unknown token', async () => {
    const { url, test } = await start();
    const sub = probe(url, 'subscription { ping }', 'stolen-token');
    await expect(sub.connected).rejects.toBeInstanceOf(SubscriptionEnded);
    expect(await sub.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    await expect(sub.next()).rejects.toMatchObject({ close: { code: 4403 } });
    expect(test.pings.size).toBe(0);
  });

  it('drops a socket whose client stopped answering pings, ending its subscriptions; a live one stays', async () => {
    // Long enough that a busy test process (server and clients share its event loop) still answers in time.
    const { url, test, server } = await start({}, { wsLimits: { heartbeatMs: 400 } });
    const live = probe<{ ping: string }>(url, 'subscription { ping }', 'alice-token');
    const gone = await rawGraphqlWs(url, 'bob-token');
    gone.start('1', 'subscription { ping }');
    await vi.waitFor(() => expect(test.pings.size).toBe(2));

    // The client vanishes without closing: it reads nothing more, so it answers no ping.
    (gone.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await vi.waitFor(() => expect(test.pings.size).toBe(1), { timeout: 5_000 });
    expect(server.activeSubscriptions()).toBe(1);

    await sleep(900); // two more heartbeats: the client that answers them stays
    test.pings.publish('still here');
    expect(await live.next()).toEqual({ data: { ping: 'still here for Alice over ws' } });
    (gone.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await gone.closed).code).toBe(1006);
  });

  it('refuses operations beyond the per-connection limit, and takes new ones once others complete', async () => {
    const { url, test } = await start({}, { wsLimits: { maxOperationsPerSocket: 2 } });
    const ws = await rawGraphqlWs(url, 'alice-token');
    ws.start('a', 'subscription { ping }');
    ws.start('b', 'subscription { ping }');
    await vi.waitFor(() => expect(test.pings.size).toBe(2));
    ws.start('c', 'subscription { ping }');
    expect(await ws.messagesFor('c', 1)).toEqual([
      { id: 'c', type: 'error', payload: [{ message: 'At most 2 operations may run at once on one connection', extensions: { code: 'BAD_USER_INPUT' } }] },
    ]);
    expect(test.pings.size).toBe(2);

    ws.socket.send(JSON.stringify({ id: 'a', type: 'complete' }));
    await vi.waitFor(() => expect(test.pings.size).toBe(1));
    ws.start('d', 'subscription { ping }');
    await vi.waitFor(() => expect(test.pings.size).toBe(2));
    test.pings.publish('d works');
    expect(await ws.messagesFor('d', 1)).toEqual([{ id: 'd', type: 'next', payload: { data: { ping: 'd works for Alice over ws' } } }]);
    ws.socket.close();
  });

  it('applies the same armor and error rules as HTTP', async () => {
    const { url, test } = await start({ GRAPHQL_MAX_DEPTH: '2' });
    const deep = probe(url, '{ node { child { child { id } } } }', 'alice-token');
    await expect(deep.next()).rejects.toMatchObject({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })] });

    const query = probe<{ transport: string }>(url, '{ transport }', 'alice-token');
    expect(await query.next()).toEqual({ data: { transport: 'ws' } });

    const crash = probe(url, '{ boom(kind: "crash") }', 'alice-token');
    const crashed = await crash.next();
    expect(crashed.errors?.[0]?.message).toBe('Unexpected error.');

    // An event source that fails mid-stream reaches the client masked.
    const failing = probe(url, 'subscription { ping }', 'alice-token');
    await failing.connected;
    await vi.waitFor(() => expect(test.pings.size).toBe(1));
    test.pings.fail(new Error('redis://:s3cret@cache lost'));
    const ended = await failing.next().then(
      () => null,
      (error: unknown) => error as SubscriptionEnded,
    );
    expect(ended?.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(ended?.errors)).not.toContain('s3cret');
  });
});

/** Opens a WebSocket upgrade and reports how it went: 101 and the socket, or the HTTP status that refused it. */
function upgrade(url: string): Promise<{ status: number; retryAfter: string | null; socket: WebSocket }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, GRAPHQL_TRANSPORT_WS_PROTOCOL);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ status: 101, retryAfter: null, socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, socket });
      res.resume();
    });
    socket.once('error', reject);
  });
}

describe('METRICS_TOKEN and CORS_ORIGINS', () => {
  it('requires METRICS_TOKEN on /metrics when it is set', async () => {
    const secret = 'metrics-token-0123456789';
    const { url } = await start({ METRICS_TOKEN: secret });
    const without = await fetch(`${url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('http_request_duration_seconds');
  });

  const preflight = (url: string, origin: string) =>
    fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  const post = (url: string, origin: string) =>
    fetch(`${url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ transport }' }) });

  it('answers CORS only for the allowlisted origins, with credentials', async () => {
    const { url } = await start({ CORS_ORIGINS: 'https://desk.example.com, http://localhost:5173' });
    for (const response of [await preflight(url, 'https://evil.example'), await post(url, 'https://evil.example')]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const allowed = await post(url, 'http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight(url, 'https://desk.example.com')).headers.get('access-control-allow-origin')).toBe('https://desk.example.com');
  });

  it('is same origin only in production by default, and never credentialed for other origins in development', async () => {
    const prod = await start({ NODE_ENV: 'production' });
    expect((await post(prod.url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const dev = await start();
    const answer = await post(dev.url, 'http://localhost:5173');
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('refuses a CORS_ORIGINS entry that is not an origin, naming the setting', () => {
    expect(() => testConfig({ CORS_ORIGINS: 'https://desk.example.com/app' })).toThrow(/^Invalid configuration: CORS_ORIGINS: /);
  });
});

describe('graphql-ws caps and the authentication-failure budget', () => {
  it('refuses sockets beyond WS_MAX_CONNECTIONS_PER_IP at the upgrade with 429, while HTTP keeps answering', async () => {
    const { url } = await start({ WS_MAX_CONNECTIONS_PER_IP: '2' });
    const first = await rawGraphqlWs(url, 'alice-token');
    const second = await rawGraphqlWs(url, 'bob-token');
    const third = await upgrade(url);
    expect(third).toMatchObject({ status: 429, retryAfter: '5' });
    expect(await gql(url, '{ transport }', undefined, 'alice-token')).toMatchObject({ status: 200, data: { transport: 'http' } });

    first.socket.close();
    await first.closed;
    await vi.waitFor(async () => expect((await upgrade(url)).status).toBe(101));
    second.socket.close();
  });

  it('refuses sockets beyond WS_MAX_CONNECTIONS with 503, counting sockets that never said connection_init', async () => {
    const { url } = await start({ WS_MAX_CONNECTIONS: '3' });
    const idle = await Promise.all([upgrade(url), upgrade(url), upgrade(url)]);
    expect(idle.map((u) => u.status)).toEqual([101, 101, 101]);
    expect(await upgrade(url)).toMatchObject({ status: 503 });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const u of idle) u.socket.terminate();
    await vi.waitFor(async () => expect((await upgrade(url)).status).toBe(101));
  });

  it('counts refused connection_inits and refused HTTP tokens in one per-IP budget; past it upgrades and credentialed requests get 429', async () => {
    const { url } = await start({ AUTH_FAILURES_PER_IP: '3' });
    expect((await gql(url, '{ transport }', undefined, 'guess-1')).status).toBe(401);
    for (const guess of ['guess-2', 'guess-3']) {
      const sub = probe(url, 'subscription { ping }', guess);
      expect(await sub.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    }
    const refused = await upgrade(url);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // The real token no longer gets through on either transport from this IP…
    const http = await gql(url, '{ transport }', undefined, 'alice-token');
    expect(http.status).toBe(429);
    expect(http.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const sub = probe(url, 'subscription { ping }', 'alice-token');
    await expect(sub.connected).rejects.toBeInstanceOf(SubscriptionEnded);
    // …while requests without credentials (nothing to guess) still run.
    expect(await gql(url, '{ transport }')).toMatchObject({ status: 200 });
  });

  it('closes the sockets of an agent whose credentials were revoked, and no one else\'s', async () => {
    const { url, server, test } = await start();
    const alices = [probe<{ ping: string }>(url, 'subscription { ping }', 'alice-token'), probe<{ ping: string }>(url, 'subscription { ping }', 'alice-token')];
    const bobs = probe<{ ping: string }>(url, 'subscription { ping }', 'bob-token');
    await vi.waitFor(() => expect(test.pings.size).toBe(3));

    // Still valid: nothing closes.
    expect(await server.revokeSockets('a1')).toBe(0);
    tokens.delete('alice-token');
    try {
      expect(await server.revokeSockets('a1')).toBe(2);
      for (const p of alices) expect(await p.closed).toEqual({ code: 4403, reason: 'Forbidden' });
      test.pings.publish('after');
      expect(await bobs.next()).toEqual({ data: { ping: 'after for Bob over ws' } });
    } finally {
      tokens.set('alice-token', alice);
    }
  });
});

describe('graphql-ws with the subscription hub', () => {
  const withHub =
    (slowSubscriberBytes?: number) =>
    (test: TestSchema): Partial<HttpServerOptions> => ({
      subscriptions: { hub: createSubscriptionHub({ bus: test.bus, logger: pino({ level: 'silent' }) }), contextFor: (role) => ({ viewer: null, transport: 'ws', role }) },
      wsLimits: { slowSubscriberBytes },
    });

  it('serves eventsFor subscriptions from one bus listener and one execution per event, as graphql-ws frames', async () => {
    const { url, test, server } = await start({}, withHub());
    const subs = [probe<{ live: string }>(url, 'subscription { live }', 'alice-token'), probe<{ live: string }>(url, 'subscription { live }', 'bob-token')];
    await Promise.all(subs.map((s) => s.connected));
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(2));
    expect(test.bus.subscriberCount()).toBe(1);

    test.bus.publish(agentStatus('Zed'));
    test.bus.publish(agentStatus('Yan'));
    for (const sub of subs) {
      expect(await sub.next()).toEqual({ data: { live: 'Zed' } });
      expect(await sub.next()).toEqual({ data: { live: 'Yan' } });
    }
    // Two agents, one operation: each event resolved once for both.
    expect(test.liveResolves()).toBe(2);
    // Plain sources are still read per subscriber, beside the hub.
    const ping = probe<{ ping: string }>(url, 'subscription { ping }', 'alice-token');
    await vi.waitFor(() => expect(test.pings.size).toBe(1));
    test.pings.publish('p');
    expect(await ping.next()).toEqual({ data: { ping: 'p for Alice over ws' } });

    await Promise.all([...subs, ping].map((s) => s.close()));
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(0));
    expect(test.bus.subscriberCount()).toBe(0);
  });

  it('sends the frames one socket gets in one turn of the event loop in one write, in order', async () => {
    const { url, test, server } = await start({}, withHub());
    const { messagesFor, start: operation } = await rawGraphqlWs(url, 'alice-token');
    operation('a', 'subscription { live }');
    operation('b', 'subscription { live }');
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(2));

    // What the server's end of the connection hands the kernel: one entry per write call.
    const port = Number(new URL(url).port);
    const writes: string[] = [];
    type Chunk = { chunk: Buffer | string };
    const record = (socket: net.Socket, chunks: Array<Buffer | string>) => {
      if (socket.localPort === port) writes.push(chunks.map((c) => String(c)).join(''));
    };
    const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...args: any[]) => void>;
    const originalWrite = proto._write;
    const originalWritev = proto._writev;
    proto._write = function (this: net.Socket, chunk: Buffer | string, ...rest: unknown[]) {
      record(this, [chunk]);
      return originalWrite.call(this, chunk, ...rest);
    };
    proto._writev = function (this: net.Socket, chunks: Chunk[], ...rest: unknown[]) {
      record(this, chunks.map((c) => c.chunk));
      return originalWritev.call(this, chunks, ...rest);
    };
    try {
      test.bus.publish(agentStatus('Zed'));
      test.bus.publish(agentStatus('Yan'));
      expect((await messagesFor('a', 2)).map((m) => m.payload)).toEqual([{ data: { live: 'Zed' } }, { data: { live: 'Yan' } }]);
      expect((await messagesFor('b', 2)).map((m) => m.payload)).toEqual([{ data: { live: 'Zed' } }, { data: { live: 'Yan' } }]);
    } finally {
      proto._write = originalWrite;
      proto._writev = originalWritev;
    }
    // Four frames (two events, two operations), one system call.
    expect(writes).toHaveLength(1);
    const frames = [...writes[0]!.matchAll(/\{"id":"(a|b)","type":"next","payload":\{"data":\{"live":"(\w+)"\}\}\}/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(frames).toEqual(['a:Zed', 'b:Zed', 'a:Yan', 'b:Yan']);

    // The fan-out frames its shared bytes itself: every length class of the WebSocket header (7-bit, 16-bit, 64-bit), and text beyond ASCII.
    const names = ['ü', 'é'.repeat(200), 'x'.repeat(70_000)];
    for (const name of names) test.bus.publish(agentStatus(name));
    expect((await messagesFor('a', 5)).slice(2).map((m) => m.payload.data.live)).toEqual(names);
    expect((await messagesFor('b', 5)).slice(2).map((m) => m.payload.data.live)).toEqual(names);
  });

  it('closes a socket that stops reading (1013) instead of buffering without bound', async () => {
    const { url, test, server } = await start({}, withHub(64 * 1024));
    const { socket, closed, start: operation } = await rawGraphqlWs(url, 'alice-token');
    operation('1', 'subscription { live }');
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(1));

    // The client stops reading; the kernel's buffers fill, then the server's.
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 1_000 && server.activeSubscriptions() > 0; i++) {
      test.bus.publish(agentStatus(`${i} ${big}`));
      if (i % 50 === 0) await sleep(5);
    }
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toEqual({ code: 1013, reason: 'Subscriber too slow' });
    await vi.waitFor(() => expect(server.activeSubscriptions()).toBe(0));
    expect(test.bus.subscriberCount()).toBe(0);
  });
});

// ---------------------------------------------------------------- route groups

describe('route groups', () => {
  it('may parse bodies their own way (raw bytes for signatures) without touching other routes', async () => {
    const { url } = await start({}, {
      routes: [
        (app) => {
          // As the signed-webhook routes do: the exact bytes, in this scope only.
          app.removeContentTypeParser('application/json');
          app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
          app.post('/hooks/raw', async (request) => {
            const body = request.body as Buffer;
            return { isBuffer: Buffer.isBuffer(body), length: body.length, sha256: createHash('sha256').update(body).digest('hex') };
          });
        },
        (app) => {
          app.post('/hooks/parsed', async (request) => ({ body: request.body }));
        },
      ],
    });
    // Whitespace, key order and escapes a re-serialisation would change.
    const payload = Buffer.from('{ "b":1,\n  "a" : "caf\\u00e9 ☕" }  ');
    const raw = await fetch(`${url}/hooks/raw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(await raw.json()).toEqual({ isBuffer: true, length: payload.length, sha256: createHash('sha256').update(payload).digest('hex') });

    const parsed = await fetch(`${url}/hooks/parsed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await parsed.json()).toEqual({ body: { a: 1 } });
    expect((await gql(url, '{ transport }')).data).toEqual({ transport: 'http' });

    const tooBig = await fetch(`${url}/hooks/raw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(BODY_LIMIT + 1, 32) });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ statusCode: 413, message: expect.stringContaining('3 MB') });
  });
});

// ---------------------------------------------------------------- shutdown

describe('graceful close', () => {
  it('finishes in-flight requests, refuses new connections, closes graphql-ws with 1001, then resolves close()', async () => {
    const started = await start();
    const { url, server, test } = started;
    const sub = probe(url, 'subscription { ping }', 'alice-token');
    await sub.connected;
    await vi.waitFor(() => expect(test.pings.size).toBe(1));

    // One keep-alive connection: the second request waits for the first and
    // then travels on the same socket, after shutdown has begun.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (path: string, body?: string) =>
      new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
        const req = http.request(`${url}${path}`, { agent: keepAlive, method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end(body);
      });

    const slow = request('/graphql', JSON.stringify({ query: '{ slow(ms: 600) }' }));
    await vi.waitFor(() => expect(test.slowInFlight()).toBe(1));
    const queuedReadiness = request('/readyz');

    const closing = server.close();
    expect(server.close()).toBe(closing);

    expect(await sub.closed).toEqual({ code: 1001, reason: 'Going away' });
    await vi.waitFor(() => expect(test.pings.size).toBe(0));
    expect(server.activeSubscriptions()).toBe(0);
    await vi.waitFor(async () => {
      await expect(freshGet(url, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
    expect(test.slowInFlight()).toBe(1);

    expect(await slow).toMatchObject({ status: 200, body: JSON.stringify({ data: { slow: 'slept 600' } }) });
    const readiness = await queuedReadiness;
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body)).toEqual({ status: 'unavailable', reason: 'shutting down' });
    expect(readiness.connection).toBe('close');

    await closing;
    keepAlive.destroy();
    running.splice(running.indexOf(started), 1);
  });

  it('ends GraphQL subscriptions over SSE instead of waiting for them', async () => {
    const started = await start({ SHUTDOWN_TIMEOUT: '5s' });
    const { url, server, test } = started;
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${url}/graphql`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end(JSON.stringify({ query: 'subscription { ping }' }));
    });
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    let received = '';
    stream.on('data', (chunk) => (received += chunk));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    await vi.waitFor(() => expect(test.pings.size).toBe(1));
    test.pings.publish('over sse');
    await vi.waitFor(() => expect(received).toContain('over sse for anonymous over http'));

    const began = Date.now();
    await server.close();
    await ended;
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(test.pings.size).toBe(0);
    running.splice(running.indexOf(started), 1);
  });

  it('drops connections still busy when the shutdown timeout passes', async () => {
    const started = await start({ SHUTDOWN_TIMEOUT: '300ms' });
    const { url, server, test } = started;
    const stuck = gql(url, '{ slow(ms: 20000) }').then(
      () => 'answered',
      () => 'dropped',
    );
    await vi.waitFor(() => expect(test.slowInFlight()).toBe(1));

    const began = Date.now();
    await server.close();
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(await stuck).toBe('dropped');
    test.wakeSleepers();
    running.splice(running.indexOf(started), 1);
  });
});
