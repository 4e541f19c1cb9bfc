// graphql-ws (the graphql-transport-ws protocol) on the HTTP server's port and
// the /graphql path. Operations run through yoga's envelop — the same parse,
// validation rules, armor limits, context and error masking as HTTP — in the
// way graphql-yoga documents its graphql-ws integration (`yoga.getEnveloped`).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSourceEventStream, execute, GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { MessageType, type Context as WsContext } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { AgentDoc } from '../domain/model.js';
import { LiveEvents, selectsPerViewerField } from '../graphql/live.js';
import type { SharedSubscriptions } from '../graphql/subscriptionHub.js';
import { deskErrorAsGraphQL, isDeliberateGraphQLError } from '../graphql/errors.js';
import { parseBearer } from './bearer.js';
import { startHeartbeat } from './wsHeartbeat.js';
import type { AuthFailureBudget } from './authFailures.js';
import type { RateLimitVerdict } from './rateLimit.js';
import { asBadUserInput, isRequestError, type GraphqlYoga, type Principal } from './yoga.js';

export interface GraphqlWsOptions {
  server: Server;
  path: string;
  yoga: GraphqlYoga;
  authenticate(token: string | null): Promise<AgentDoc | null>;
  settle(req: object, principal: Principal): void;
  /** The client's address as HTTP routes see it (X-Forwarded-For when the proxy is trusted): per-IP caps and budgets key on it. */
  clientIp(request: IncomingMessage): string;
  /** Refused connection_inits spend from the same per-IP budget as refused HTTP credentials; past it upgrades get 429. */
  authFailures: AuthFailureBudget;
  /** Open sockets one IP may hold; more are refused at the upgrade with 429. */
  maxConnectionsPerIp: number;
  /** Open sockets in all; more are refused at the upgrade with 503, before any WebSocket exists. */
  maxConnections: number;
  logger: Logger;
  isProduction: boolean;
  /** Largest accepted message, the WebSocket counterpart of the HTTP body limit. */
  maxPayload: number;
  /**
   * Spends one request of the HTTP budget for each operation a client starts,
   * so WebSocket is no way around the rate limits; the connection's upgrade
   * request and bearer token (null when anonymous) identify the client.
   */
  rateLimit(request: IncomingMessage, token: string | null): Promise<RateLimitVerdict>;
  /** Serves the subscriptions it can (the desk's, built on `eventsFor`) as one fan-out, without a viewer; without it each subscriber runs its own. */
  subscriptions?: SharedSubscriptions;
  /**
   * Unsent bytes a socket may hold before it is closed (1013 Try Again
   * Later): a tab that stopped reading must not grow the server's memory
   * without bound; reconnecting, it refetches what it missed.
   */
  slowSubscriberBytes?: number;
  /** Operations one socket may run at once; a helpdesk tab needs a handful. */
  maxOperationsPerSocket?: number;
  /** How often sockets are pinged; one silent for a whole interval is dropped (src/http/wsHeartbeat.ts). */
  heartbeatMs?: number;
}

export const SLOW_SUBSCRIBER_BYTES = 8 * 1024 * 1024;
export const MAX_OPERATIONS_PER_SOCKET = 100;
const TRY_AGAIN_LATER = 1013;
const CAP_WARNING_INTERVAL_MS = 10_000;

export interface GraphqlWs {
  /** Streaming operations currently open across all connections. */
  activeSubscriptions(): number;
  /** Refuses new upgrades, then closes every socket with 1001 "Going away", completing its subscriptions. */
  close(): Promise<void>;
  /** Drops every socket at once: for when the graceful close ran out of time. */
  terminate(): void;
  /**
   * Re-checks the credentials of every socket this agent holds on this
   * instance and closes (4403 Forbidden) those that no longer authenticate:
   * a deactivated agent's, a rotated token's, a signed-out session's.
   * Resolves with how many were closed.
   */
  revoke(agentId: string): Promise<number>;
  /** Sockets open or being upgraded right now. */
  openConnections(): number;
}

/** graphql-ws's own code for a refused connection_init (what `false` from onConnect sends). */
export const FORBIDDEN_CLOSE = 4403;

type ConnectionContext = WsContext<Record<string, unknown> | undefined, Extra>;
type Enveloped = ReturnType<GraphqlYoga['getEnveloped']>;
type Run = (event: unknown) => Promise<ExecutionResult>;

/** What graphql-ws needs to run an operation, beyond its ExecutionArgs. */
interface Operation {
  enveloped: Enveloped;
  socket: WebSocket;
  id: string;
  /** See HubSubscriber.shareKey. */
  shareKey: string;
  /** The context a shared execution runs with; null when the operation selects a PER_VIEWER field and runs as this subscriber. */
  shared: object | null;
  /** The connection under the WebSocket (the upgrade request's socket): corked while fan-out frames gather. */
  tcp: Duplex;
}

/**
 * Frames the fan-out writes to one socket during one turn of the event loop
 * leave in one write: the socket is corked at its first frame and uncorked
 * once the turn's microtasks are done (setImmediate). One webhook fans out
 * several events within a turn (the customer's message, then the greeting the
 * follow-up stores, a conversation update): uncorked per frame, each is a
 * system call of its own per subscriber, and on loopback or a busy host that
 * call is most of the cost of a live update (bench/README.md,
 * "Subscriptions"). The wait is the rest of the current turn, never a timer.
 */
function coalescingWrites(): (tcp: Duplex) => boolean {
  const corked = new Set<Duplex>();
  const flush = () => {
    // A socket ended or destroyed meanwhile has let go of its cork already; uncork() is then a no-op.
    for (const tcp of corked) tcp.uncork();
    corked.clear();
  };
  /** Corks the socket for the rest of this turn; true at its first frame in the turn. */
  return (tcp) => {
    if (corked.has(tcp) || tcp.destroyed) return false;
    if (corked.size === 0) setImmediate(flush);
    tcp.cork();
    corked.add(tcp);
    return true;
  };
}

/** A `next` message's bytes after its payload. */
const NEXT_TAIL = Buffer.from('}');

let lastBody: { payload: Buffer | null; bytes: Buffer } = { payload: null, bytes: NEXT_TAIL };
/** The payload and the `}` that closes its `next` message, in one buffer: made once per payload, as the fan-out writes one payload to every subscriber in a row. */
function closedBody(payload: Buffer): Buffer {
  if (lastBody.payload !== payload) lastBody = { payload, bytes: Buffer.concat([payload, NEXT_TAIL]) };
  return lastBody.bytes;
}

let lastHeader: { length: number; bytes: Buffer } = { length: -1, bytes: Buffer.alloc(0) };
/**
 * The header of a final, unmasked text frame of `length` bytes (RFC 6455,
 * section 5.2): what a server sends. A fan-out writes frames of one length
 * to every subscriber in a row, so the last one is kept.
 */
function textFrameHeader(length: number): Buffer {
  if (lastHeader.length === length) return lastHeader.bytes;
  let bytes: Buffer;
  if (length < 126) {
    bytes = Buffer.from([0x81, length]);
  } else if (length < 65_536) {
    bytes = Buffer.alloc(4);
    bytes[0] = 0x81;
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes = Buffer.alloc(10);
    bytes[0] = 0x81;
    bytes[1] = 127;
    bytes.writeBigUInt64BE(BigInt(length), 2);
  }
  lastHeader = { length, bytes };
  return bytes;
}

/** Answers an upgrade with a plain HTTP status and lets go of the socket at once (a flood must not hold descriptors). */
function refuseUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}) {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`, () => socket.destroy());
}

/** The HTTP route's 429 body, as an operation error: the socket stays open. */
function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many requests; retry in ${retryAfterSeconds} s`, { extensions: { code: 'RATE_LIMITED', retryAfter: retryAfterSeconds } });
}

/** What graphql-js's subscribe() does with a source stream: each event executed for this one subscriber. */
function perSubscriber(source: AsyncIterable<unknown>, run: Run): AsyncIterableIterator<ExecutionResult> {
  const events = source[Symbol.asyncIterator]();
  const stream: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => stream,
    async next() {
      const event = await events.next();
      return event.done ? { done: true, value: undefined } : { done: false, value: await run(event.value) };
    },
    async return() {
      await events.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      await events.return?.();
      throw error;
    },
  };
  return stream;
}

export function attachGraphqlWs(options: GraphqlWsOptions): GraphqlWs {
  const log = options.logger.child({ component: 'graphql-ws' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  /** Each acknowledged connection's viewer and bearer token. */
  const connections = new Map<ConnectionContext, { viewer: AgentDoc; token: string }>();
  /** Sockets counted against the caps, from the upgrade request until the TCP socket closes. */
  let open = 0;
  const openPerIp = new Map<string, number>();
  // The envelop instance that prepared an operation runs it too; keyed by the
  // operation's context object, which graphql-ws passes back untouched.
  const operations = new WeakMap<object, Operation>();
  const slowSubscriberBytes = options.slowSubscriberBytes ?? SLOW_SUBSCRIBER_BYTES;
  const maxOperations = options.maxOperationsPerSocket ?? MAX_OPERATIONS_PER_SOCKET;
  let closing = false;

  function operationFor(args: ExecutionArgs): Operation {
    const operation = operations.get(args.contextValue as object);
    if (!operation) throw new Error('graphql-ws operation was not prepared by onSubscribe');
    return operation;
  }

  const coalesce = coalescingWrites();

  /**
   * Writes `next` frames around payloads the hub serialized and encoded once
   * for many subscribers. The frame is written as its three parts (header,
   * this operation's prefix, the shared payload with its closing brace) into
   * the corked socket, so the payload is never copied per subscriber: this is what
   * ws.send does for a text frame from a server (unmasked, final, no
   * compression), without the copy. The WebSocket server negotiates no
   * extension (no permessage-deflate), so ws never holds a frame back that
   * these could overtake; a socket with one would go through ws.send.
   */
  function writerFor({ socket, tcp, id }: Operation): (payload: Buffer) => void {
    const head = Buffer.from(JSON.stringify({ id, type: MessageType.Next, payload: null }).slice(0, -'null}'.length));
    const raw = socket.extensions === '';
    return (payload) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // What is still unsent when a turn's first frame comes was not taken by the kernel in earlier turns: the client is not reading.
      if (coalesce(tcp) && socket.bufferedAmount > slowSubscriberBytes) {
        log.warn({ buffered: socket.bufferedAmount }, 'closing a graphql-ws socket that stopped reading its subscriptions');
        socket.close(TRY_AGAIN_LATER, 'Subscriber too slow');
        return;
      }
      if (!raw) return socket.send(Buffer.concat([head, payload, NEXT_TAIL]), { binary: false });
      const body = closedBody(payload);
      tcp.write(textFrameHeader(head.length + body.length));
      tcp.write(head);
      tcp.write(body);
    };
  }

  async function subscribe(args: ExecutionArgs) {
    const operation = operationFor(args);
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    // graphql-js's execute, as its subscribe() maps each event: the envelop
    // executor would see a subscription operation and subscribe again.
    const runWith =
      (contextValue: unknown): Run =>
      async (event) => {
        const result = await execute({ ...args, contextValue, rootValue: event });
        return result.errors ? { ...result, errors: result.errors.map(presentable) } : result;
      };
    const shared = options.subscriptions;
    if (!shared || !(source instanceof LiveEvents)) return perSubscriber(source, runWith(args.contextValue));
    return shared.hub.serve(source, {
      shareKey: operation.shareKey,
      execute: runWith(operation.shared ?? args.contextValue),
      mask: presentable,
      write: writerFor(operation),
    });
  }

  /** What a client may read of an error: GraphQL errors as they are, anything unexpected masked and logged. */
  function presentable(error: unknown): GraphQLError {
    const shown = deskErrorAsGraphQL(error);
    if (shown) return shown;
    if (isDeliberateGraphQLError(error)) return error;
    log.error({ err: error }, 'graphql-ws operation failed');
    return new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }

  /** Errors that stopped an operation before it ran: the client's to fix, as on HTTP. */
  function refused(error: unknown): GraphQLError {
    const shown = presentable(error);
    return isRequestError(shown) ? asBadUserInput(shown) : shown;
  }

  const disposable = useServer<Record<string, unknown> | undefined, Record<PropertyKey, never>>(
    {
      isProd: options.isProduction,
      onConnect: async (ctx) => {
        const ip = options.clientIp(ctx.extra.request);
        // Another socket of this IP may have spent the budget since this one's upgrade.
        if ((await options.authFailures.blockedFor(ip)) !== null) return false;
        const params = ctx.connectionParams ?? {};
        const credentials = parseBearer(params['authorization'] ?? params['Authorization']);
        // No token: refused (4403) without spending the budget, since nothing was guessed.
        if (credentials.kind === 'anonymous') return false;
        let viewer: AgentDoc | null = null;
        if (credentials.kind === 'bearer') {
          try {
            viewer = await options.authenticate(credentials.token);
          } catch (error) {
            log.error({ err: error }, 'authentication failed on graphql-ws connect');
            // Closes the socket with 4500 and this reason, not the store's message.
            throw new Error('Authentication unavailable');
          }
        }
        if (credentials.kind === 'malformed' || viewer === null) {
          await options.authFailures.recordFailure(ip);
          // 4403 Forbidden: graphql-ws's answer to `false` from onConnect.
          return false;
        }
        options.settle(ctx.extra.request, { viewer, transport: 'ws', credentials: { token: credentials.token, ip } });
        connections.set(ctx, { viewer, token: credentials.token });
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws has already entered this operation in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > maxOperations) {
          return [new GraphQLError(`At most ${maxOperations} operations may run at once on one connection`, { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        const client = connections.get(ctx);
        if (!client) return [new GraphQLError('Not connected', { extensions: { code: 'UNAUTHENTICATED' } })];
        const verdict = await options.rateLimit(ctx.extra.request, client.token);
        if (!verdict.allowed) return [rateLimited(verdict.retryAfterSeconds)];
        const enveloped = options.yoga.getEnveloped({ req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
        let document: DocumentNode;
        try {
          document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return errors.map(refused);
        } catch (error) {
          // Armor's limits and syntax errors are thrown; returned errors keep the socket open.
          return [refused(error)];
        }
        let contextValue: object;
        try {
          contextValue = (await enveloped.contextFactory()) as object;
        } catch (error) {
          return [presentable(error)];
        }
        // Shared executions run without a viewer, per role; an operation that
        // selects a field depending on who is asking runs as its subscriber.
        const perViewer = selectsPerViewerField(enveloped.schema, document);
        const audience = perViewer ? `viewer:${client.viewer._id}` : `role:${client.viewer.role}`;
        const shareKey = JSON.stringify([audience, payload.operationName ?? null, payload.variables ?? null, payload.query]);
        const shared = perViewer || !options.subscriptions ? null : options.subscriptions.contextFor(client.viewer.role);
        operations.set(contextValue, { enveloped, socket: ctx.extra.socket, tcp: ctx.extra.request.socket, id, shareKey, shared });
        return {
          schema: enveloped.schema,
          document,
          contextValue,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
        } satisfies ExecutionArgs;
      },
      execute: (args) => operationFor(args).enveloped.execute(args) as ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>,
      subscribe: (args) => subscribe(args) as ReturnType<NonNullable<Parameters<typeof useServer>[0]['subscribe']>>,
      onNext: (_ctx, _id, _payload, _args, result) => {
        const { errors } = result as ExecutionResult;
        // Variable coercion failures come back as a result, not a thrown error.
        if (!errors?.length || 'data' in result) return;
        return { ...result, errors: errors.map((e) => refused(e).toJSON()) };
      },
      onError: (_ctx, _id, _payload, errors): GraphQLFormattedError[] => errors.map((e) => presentable(e).toJSON()),
      onClose: (ctx) => {
        connections.delete(ctx as ConnectionContext);
      },
    },
    wss,
  );

  let refusedAtCap = 0;
  let capWarnedAt = 0;
  const release = (ip: string) => {
    open -= 1;
    const left = (openPerIp.get(ip) ?? 1) - 1;
    if (left > 0) openPerIp.set(ip, left);
    else openPerIp.delete(ip);
  };

  // Caps and the failure budget are checked on the HTTP upgrade request,
  // before ws allocates anything: a refused client costs one short answer.
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== options.path) return refuseUpgrade(socket, 404, 'Not Found');
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const ip = options.clientIp(request);
    if (open >= options.maxConnections) {
      refusedAtCap += 1;
      // Once per interval, not once per refusal: a flood must not become a flood of log lines.
      if (Date.now() - capWarnedAt > CAP_WARNING_INTERVAL_MS) {
        capWarnedAt = Date.now();
        log.warn({ open, max: options.maxConnections, refused: refusedAtCap }, 'graphql-ws connections refused: WS_MAX_CONNECTIONS reached');
        refusedAtCap = 0;
      }
      return refuseUpgrade(socket, 503, 'Service Unavailable', { 'Retry-After': '5' });
    }
    const fromIp = openPerIp.get(ip) ?? 0;
    if (fromIp >= options.maxConnectionsPerIp) return refuseUpgrade(socket, 429, 'Too Many Requests', { 'Retry-After': '5' });
    // Counted before anything async, so a burst of upgrades cannot slip past the caps together.
    open += 1;
    openPerIp.set(ip, fromIp + 1);
    socket.once('close', () => release(ip));
    void options.authFailures.blockedFor(ip).then(
      (retryAfter) => {
        if (socket.destroyed) return;
        if (retryAfter !== null) return refuseUpgrade(socket, 429, 'Too Many Requests', { 'Retry-After': String(retryAfter) });
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      },
      () => socket.destroy(),
    );
  };
  options.server.on('upgrade', onUpgrade);
  const stopHeartbeat = startHeartbeat(wss, options.heartbeatMs);

  return {
    activeSubscriptions() {
      let open = 0;
      for (const ctx of connections.keys()) {
        for (const operation of Object.values(ctx.subscriptions)) if (operation !== null) open += 1;
      }
      return open;
    },
    async close() {
      closing = true;
      stopHeartbeat();
      options.server.off('upgrade', onUpgrade);
      await disposable.dispose();
    },
    terminate() {
      for (const socket of wss.clients) socket.terminate();
    },
    async revoke(agentId) {
      const held = [...connections].filter(([, c]) => c.viewer._id === agentId);
      let closed = 0;
      await Promise.all(
        held.map(async ([ctx, { token }]) => {
          let still: AgentDoc | null = null;
          try {
            still = await options.authenticate(token);
          } catch (error) {
            // Cannot tell: closing is the safe side; the client reconnects and is checked afresh.
            log.warn({ err: error, agentId }, 'could not re-check a socket after a revocation; closing it');
          }
          if (still?._id === agentId) return;
          closed += 1;
          connections.delete(ctx);
          ctx.extra.socket.close(FORBIDDEN_CLOSE, 'Forbidden');
        }),
      );
      if (closed > 0) log.info({ agentId, closed }, 'closed graphql-ws sockets whose credentials were revoked');
      return closed;
    },
    openConnections: () => open,
  };
}
