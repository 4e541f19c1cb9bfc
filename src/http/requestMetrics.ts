// Prometheus exposition and the per-request duration histogram. The route
// label is the route pattern (`/plugins/:name/events`), never the raw URL, so
// the label set stays bounded whatever clients send.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram, Registry } from 'prom-client';
import { sameSecret } from '../whatsapp/signature.js';
import { parseBearer } from './bearer.js';

export type HttpRequestDuration = Histogram<'method' | 'route' | 'status_code'>;

/** Requests that matched no route share one label value. */
export const UNMATCHED_ROUTE = 'unmatched';

export function observeRequestDurations(app: FastifyInstance, histogram: HttpRequestDuration | undefined) {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    histogram?.observe(
      { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) },
      // Prometheus convention: durations in seconds.
      reply.elapsedTime / 1000,
    );
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });
}

/** `token`: METRICS_TOKEN; when set, scrapers must send `Authorization: Bearer <token>`. */
export function metricsRoute(registry: Registry, token: string | null = null) {
  return async function metrics(app: FastifyInstance) {
    app.get('/metrics', async (request, reply) => {
      if (token !== null) {
        const credentials = parseBearer(request.headers.authorization);
        if (credentials.kind !== 'bearer' || !sameSecret(credentials.token, token)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          return reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message: 'METRICS_TOKEN is required: send Authorization: Bearer <METRICS_TOKEN>' });
        }
      }
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    });
  };
}
