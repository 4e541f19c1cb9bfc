// The HTTP server: Fastify with /graphql (HTTP and graphql-ws on one port),
// probes, Prometheus, and whatever route groups the composition root adds
// (the WhatsApp webhook, plugins' inbound routes). It owns no services: the
// schema, authentication, readiness and metrics all arrive as options.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUS_CODES } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { MAX_MEDIA_BYTES } from '../domain/media.js';
import type { AgentDoc } from '../domain/model.js';
import type { SharedSubscriptions } from '../graphql/subscriptionHub.js';
import { graphqlErrorBody } from './graphqlErrors.js';
import { formatBytes, graphqlRoute } from './graphqlRoute.js';
import { attachGraphqlWs, type GraphqlWsOptions } from './graphqlWs.js';
import { healthRoutes, SHUTTING_DOWN } from './health.js';
import { createAuthFailureBudget } from './authFailures.js';
import { connectionCeiling, openFileLimit } from './openFiles.js';
import { createGraphqlRateLimiter } from './rateLimit.js';
import { metricsRoute } from './metricsRoute.js';
import { observeRequestDurations, type HttpRequestDuration } from './requestMetrics.js';
import { createGraphqlYoga, type Principal, type Transport } from './yoga.js';

/** Largest request body on any route, and largest graphql-ws message. */
export const BODY_LIMIT = 3 * 1024 * 1024;

export const GRAPHQL_PATH = '/graphql';

/** Largest GraphQL multipart request: WhatsApp's largest file plus room for the other parts. */
export const UPLOAD_BODY_LIMIT = MAX_MEDIA_BYTES + 1024 * 1024;

const READY_TIMEOUT_MS = 5_000;

/**
 * A group of routes, registered as its own Fastify plugin (encapsulated
 * scope). It may add content-type parsers there — e.g. a raw-body parser for
 * signature checks (src/whatsapp/routes.ts) — without touching any other route.
 */
export type RouteGroup = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServerOptions {
  logger: Logger;
  config: Pick<Config, 'isProduction' | 'host' | 'port' | 'shutdownTimeoutMs' | 'graphql' | 'trustProxy' | 'ws' | 'metricsToken' | 'corsOrigins'>;
  schema: GraphQLSchema;
  /** A bearer token → the agent it belongs to; null when no agent has it. */
  authenticate(token: string | null): Promise<AgentDoc | null>;
  /** The GraphQL context for one operation; the server adds nothing of its own to it. */
  createContext(viewer: AgentDoc | null, transport: Transport, credentials: Principal['credentials']): object;
  /** Resolves when the store is reachable; the rejection's message becomes /readyz's reason. */
  ready(): Promise<void>;
  metricsRegistry: Registry;
  httpRequestDuration?: HttpRequestDuration;
  /** Shares rate-limit counters between instances; per-process counters without it. */
  redis?: Redis | null;
  /** Namespace of the rate-limit counters in Redis. Default "ratelimit:graphql". */
  rateLimitKeyPrefix?: string;
  routes?: RouteGroup[];
  /** Fans the schema's live subscriptions out to graphql-ws subscribers; without it each subscriber runs its own. */
  subscriptions?: SharedSubscriptions;
  /** graphql-ws's limits, when not the defaults (tests shrink them). */
  wsLimits?: Pick<GraphqlWsOptions, 'slowSubscriberBytes' | 'heartbeatMs' | 'maxOperationsPerSocket'>;
}

export interface HttpServer {
  app: FastifyInstance;
  /** Starts listening; resolves with the base URL (no trailing slash). */
  listen(): Promise<string>;
  /**
   * Graceful stop: not-ready at once, new connections refused, in-flight
   * requests finished (sockets destroyed after shutdownTimeoutMs), graphql-ws
   * sockets closed with 1001. Safe to call more than once.
   */
  close(): Promise<void>;
  activeSubscriptions(): number;
  /** See GraphqlWs.revoke: closes this instance's sockets of the agent whose credentials no longer authenticate. */
  revokeSockets(agentId: string): Promise<number>;
  /** graphql-ws sockets open or being upgraded, as counted against WS_MAX_CONNECTIONS. */
  openConnections(): number;
}

function baseUrl(address: AddressInfo, configuredHost: string): string {
  // A wildcard bind is reachable on loopback; that is the URL worth printing.
  const wildcard = configuredHost === '0.0.0.0' || configuredHost === '::' || configuredHost === '';
  const host = wildcard ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { config, logger } = options;
  let shuttingDown = false;

  // Typed as the default FastifyInstance that route groups are written
  // against; pino's Logger is a wider type than FastifyBaseLogger, which makes
  // the two instance types incompatible only on paper.
  const app = Fastify({
    loggerInstance: logger,
    // One debug line per request from observeRequestDurations instead of Fastify's two at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Our onRequest hook answers during the drain, with bodies that say why.
    return503OnClosing: false,
    // Behind a load balancer the client's address is in X-Forwarded-For; per-IP limits need it.
    trustProxy: options.config.trustProxy,
  }) as unknown as FastifyInstance;

  // Principals live beside the request, not in it, so the GraphQL context is
  // exactly what createContext builds.
  const principals = new WeakMap<object, Principal>();
  const settle = (req: object, principal: Principal) => principals.set(req, principal);

  const yoga = createGraphqlYoga({
    schema: options.schema,
    config,
    logger,
    principalOf: (req) => principals.get(req),
    createContext: options.createContext,
  });

  const rateLimiter = createGraphqlRateLimiter({
    perTokenPerMinute: config.graphql.rateLimitPerMinute,
    perIpPerMinute: config.graphql.rateLimitIpPerMinute,
    redis: options.redis ?? null,
    keyPrefix: options.rateLimitKeyPrefix ?? 'ratelimit:graphql',
    logger,
  });

  const authFailures = createAuthFailureBudget({
    perIp: config.graphql.authFailuresPerIp,
    redis: options.redis ?? null,
    keyPrefix: `${options.rateLimitKeyPrefix ?? 'ratelimit:graphql'}:auth-failures`,
    logger,
  });

  const ceiling = connectionCeiling(config.ws.maxConnections, openFileLimit());
  if (ceiling.warning) logger.warn(ceiling.warning);

  // request.ip as Fastify derives it for HTTP, so both transports spend one per-IP budget.
  const clientIp = (request: IncomingMessage) =>
    config.trustProxy ? proxyAddr(request, () => true) : (request.socket.remoteAddress ?? '');

  const ws = attachGraphqlWs({
    server: app.server,
    path: GRAPHQL_PATH,
    yoga,
    authenticate: options.authenticate,
    settle,
    logger,
    isProduction: config.isProduction,
    maxPayload: BODY_LIMIT,
    clientIp,
    authFailures,
    maxConnectionsPerIp: config.ws.maxConnectionsPerIp,
    maxConnections: ceiling.maxConnections,
    rateLimit: (request, token) => rateLimiter.consume(clientIp(request), token),
    subscriptions: options.subscriptions,
    ...options.wsLimits,
  });

  observeRequestDurations(app, options.httpRequestDuration);

  app.addHook('onRequest', async (request, reply) => {
    if (!shuttingDown) return;
    const path = request.url.split('?')[0];
    // Liveness holds and metrics stay scrapable through the drain.
    if (path === '/healthz' || path === '/metrics') return;
    reply.header('connection', 'close');
    if (path === '/readyz') return reply.status(503).send({ status: 'unavailable', reason: SHUTTING_DOWN });
    if (path === GRAPHQL_PATH) return reply.status(503).send(graphqlErrorBody('The server is shutting down', 'SHUTTING_DOWN'));
    return reply.status(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'The server is shutting down' });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' });
    }
    const message = status === 413 ? `Request body exceeds the ${formatBytes(BODY_LIMIT)} limit` : error.message;
    return reply.status(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', code: error.code, message });
  });

  const graphqlHttp = graphqlRoute({ yoga, rateLimiter, authFailures, authenticate: options.authenticate, settle, bodyLimit: BODY_LIMIT, uploadLimit: UPLOAD_BODY_LIMIT });

  // Subscriptions never finish on their own and would hold server.close()
  // open until the deadline: they end first, over both transports.
  app.addHook('preClose', async () => {
    graphqlHttp.endStreams();
    await ws.close();
  });

  await app.register(healthRoutes, { ready: options.ready, isShuttingDown: () => shuttingDown, readyTimeoutMs: READY_TIMEOUT_MS });
  await app.register(metricsRoute, { registry: options.metricsRegistry, token: config.metricsToken });
  await app.register(graphqlHttp.plugin);
  for (const group of options.routes ?? []) {
    await app.register(async (scope) => {
      await group(scope);
    });
  }

  let closed: Promise<void> | null = null;

  return {
    app,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const url = baseUrl(app.server.address() as AddressInfo, config.host);
      logger.info({ url: `${url}${GRAPHQL_PATH}`, graphiql: !config.isProduction }, 'GraphQL server listening');
      return url;
    },
    close() {
      closed ??= (async () => {
        shuttingDown = true;
        logger.info({ timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
        const deadline = setTimeout(() => {
          logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timeout reached: dropping remaining connections');
          app.server.closeAllConnections();
          ws.terminate();
        }, config.shutdownTimeoutMs);
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await yoga.dispose();
        logger.info('HTTP server closed');
      })();
      return closed;
    },
    activeSubscriptions: () => ws.activeSubscriptions(),
    revokeSockets: (agentId) => ws.revoke(agentId),
    openConnections: () => ws.openConnections(),
  };
}
