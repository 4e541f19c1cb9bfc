// GET|POST /graphql over HTTP: rate limit, credentials, then yoga. The route
// lives in its own Fastify scope so its body parsing (yoga reads the raw text
// itself) and its GraphQL-shaped error answers touch no other route.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { AgentDoc } from '../domain/model.js';
import { parseBearer } from './bearer.js';
import { sendGraphqlError } from './graphqlErrors.js';
import type { AuthFailureBudget } from './authFailures.js';
import type { GraphqlRateLimiter } from './rateLimit.js';
import { BAD_USER_INPUT, type GraphqlYoga, type Principal } from './yoga.js';

export interface GraphqlRouteOptions {
  yoga: GraphqlYoga;
  rateLimiter: GraphqlRateLimiter;
  /** Refused credentials spend from it; an IP past it is answered 429 before any credential is checked. */
  authFailures: AuthFailureBudget;
  authenticate(token: string | null): Promise<AgentDoc | null>;
  settle(req: object, principal: Principal): void;
  bodyLimit: number;
  /** Largest multipart request (file uploads, graphql-multipart-request-spec); larger than bodyLimit. */
  uploadLimit?: number;
}

// RFC 6750 §3: a refused bearer token is answered with this challenge.
const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

export interface GraphqlRoute {
  plugin(app: FastifyInstance): Promise<void>;
  /** Ends open streaming responses (GraphQL subscriptions over SSE), as shutdown does for graphql-ws. */
  endStreams(): void;
}

export function graphqlRoute(options: GraphqlRouteOptions): GraphqlRoute {
  const streams = new Set<() => void>();
  async function graphql(app: FastifyInstance) {
    // Yoga parses JSON, GraphQL and form bodies itself and reports their
    // mistakes as GraphQL errors; Fastify only enforces the size limit here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_request, body, done) => done(null, body));
    // Files are bytes, not text, and may be up to WhatsApp's largest media; only
    // callers with a valid token get this far (onRequest), so nobody else makes us buffer one.
    const uploadLimit = options.uploadLimit ?? options.bodyLimit;
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: uploadLimit }, (_request, body, done) => done(null, body));

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status === 413) {
        const limit = isMultipart(request.headers['content-type']) ? (options.uploadLimit ?? options.bodyLimit) : options.bodyLimit;
        return sendGraphqlError(reply, 413, `Request body exceeds the ${formatBytes(limit)} limit`, 'PAYLOAD_TOO_LARGE');
      }
      if (status >= 400 && status < 500) return sendGraphqlError(reply, status, error.message, BAD_USER_INPUT);
      request.log.error({ err: error }, 'graphql request failed');
      return sendGraphqlError(reply, 500, 'Unexpected error.', 'INTERNAL_SERVER_ERROR');
    });

    app.route({
      url: '/graphql',
      method: ['GET', 'POST', 'OPTIONS'],
      // Before the body is read: a client over budget costs us no parsing.
      onRequest: async (request, reply) => {
        if (request.method === 'OPTIONS') return;
        const credentials = parseBearer(request.headers.authorization);
        if (credentials.kind !== 'anonymous') {
          const blockedFor = await options.authFailures.blockedFor(request.ip);
          if (blockedFor !== null) {
            reply.header('retry-after', String(blockedFor));
            return sendGraphqlError(reply, 429, `Too many failed authentication attempts; retry in ${blockedFor} s`, 'RATE_LIMITED', { retryAfter: blockedFor });
          }
        }
        const verdict = await options.rateLimiter.consume(request.ip, credentials.kind === 'bearer' ? credentials.token : null);
        if (!verdict.allowed) {
          reply.header('retry-after', String(verdict.retryAfterSeconds));
          return sendGraphqlError(reply, 429, `Too many requests; retry in ${verdict.retryAfterSeconds} s`, 'RATE_LIMITED', {
            retryAfter: verdict.retryAfterSeconds,
          });
        }
        if (isMultipart(request.headers['content-type']) && (credentials.kind !== 'bearer' || !(await options.authenticate(credentials.token)))) {
          reply.header('www-authenticate', INVALID_TOKEN_CHALLENGE);
          return sendGraphqlError(reply, 401, 'File uploads need a valid bearer token', 'UNAUTHENTICATED');
        }
      },
      handler: async (request, reply) => {
        if (request.method !== 'OPTIONS') {
          const credentials = parseBearer(request.headers.authorization);
          if (credentials.kind === 'malformed') {
            await options.authFailures.recordFailure(request.ip);
            reply.header('www-authenticate', INVALID_TOKEN_CHALLENGE);
            return sendGraphqlError(reply, 401, 'The Authorization header must be "Bearer <token>"', 'UNAUTHENTICATED');
          }
          const viewer = credentials.kind === 'bearer' ? await options.authenticate(credentials.token) : null;
          if (credentials.kind === 'bearer' && viewer === null) {
            await options.authFailures.recordFailure(request.ip);
            reply.header('www-authenticate', INVALID_TOKEN_CHALLENGE);
            return sendGraphqlError(reply, 401, 'Unknown or revoked token', 'UNAUTHENTICATED');
          }
          options.settle(request, { viewer, transport: 'http', credentials: { token: credentials.kind === 'bearer' ? credentials.token : null, ip: request.ip } });
        }

        // Yoga gets a fetch Request built from what Fastify already read: yoga's
        // Node adapter (handleNodeRequestAndResponse) re-reads a parsed body so
        // slowly that a 3 MB request takes seconds.
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        const aborted = new AbortController();
        reply.raw.once('close', () => {
          // The client went away before the answer was complete (an SSE stream, a slow query).
          if (!reply.raw.writableFinished) aborted.abort();
        });
        const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && (typeof request.body === 'string' || Buffer.isBuffer(request.body));
        const response = await options.yoga.fetch(
          `${request.protocol}://${request.host}${request.url}`,
          { method: request.method, headers, body: hasBody ? (request.body as string | Buffer<ArrayBuffer>) : null, signal: aborted.signal },
          { req: request },
        );
        response.headers.forEach((value, key) => reply.header(key, value));
        if (response.body === null && response.status >= 400) {
          // Yoga answers unsupported media types and methods with an empty body.
          return sendGraphqlError(reply, response.status, response.statusText || 'Request not acceptable', BAD_USER_INPUT);
        }
        reply.status(response.status);
        if (response.body && response.headers.get('content-type')?.startsWith('text/event-stream')) {
          return reply.send(endable(response.body, streams));
        }
        return reply.send(response.body);
      },
    });
  }

  return {
    plugin: graphql,
    endStreams() {
      for (const end of streams) end();
      streams.clear();
    },
  };
}

/**
 * A subscription's event stream that shutdown can end: cancelling the source
 * completes the subscription in yoga, and the response then ends cleanly
 * between two events.
 */
function endable(source: ReadableStream<Uint8Array>, streams: Set<() => void>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const end = () => void reader.cancel('server shutting down').catch(() => {});
  streams.add(end);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        streams.delete(end);
        controller.close();
      } else controller.enqueue(value);
    },
    cancel(reason) {
      streams.delete(end);
      return reader.cancel(reason);
    },
  });
}

function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? '');
}

export function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}
