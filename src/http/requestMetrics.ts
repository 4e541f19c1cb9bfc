// The per-request duration histogram (the /metrics route itself is in
// metricsRoute.ts). The route label is the route pattern
// (`/plugins/:name/events`), never the raw URL, so the label set stays bounded
// whatever clients send.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';

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
