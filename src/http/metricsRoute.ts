// GET /metrics: the Prometheus exposition of every collector in the registry,
// behind METRICS_TOKEN when it is set.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { sameSecret } from '../whatsapp/signature.js';
import { parseBearer } from './bearer.js';

export interface MetricsRouteOptions {
  registry: Registry;
  /** METRICS_TOKEN; when set, scrapers must send `Authorization: Bearer <token>`. */
  token: string | null;
}

/** Registered with its options: `app.register(metricsRoute, { registry, token })`. */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry, token }) => {
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
