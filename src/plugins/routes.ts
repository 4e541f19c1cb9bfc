// POST|GET /plugins/:name/* — each plugin's inbound webhooks, with the raw
// body kept for the plugin's own signature check — and the dispatch of one
// request to the plugin route that matches it.
import type { IncomingHttpHeaders } from 'node:http';
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PluginHandlers, PluginLogger, PluginRequest, PluginResponse } from './contract.js';
import type { PluginHost } from './host.js';

function normalisePath(path: string): string {
  const bare = path.split('?')[0] ?? '';
  const withSlash = bare.startsWith('/') ? bare : `/${bare}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

/** Runs the plugin's route for `req`: null when it has none at that path (answer 404), 405 for another method, 500 when it throws. */
export async function routeRequest(plugin: { handlers: PluginHandlers; logger: PluginLogger }, req: PluginRequest): Promise<PluginResponse | null> {
  const routes = plugin.handlers.routes ?? [];
  const path = normalisePath(req.path);
  const method = req.method.toUpperCase();
  const route = routes.find((r) => r.path === path && r.method === method);
  if (!route) {
    const allowed = routes.filter((r) => r.path === path).map((r) => r.method);
    if (allowed.length === 0) return null;
    return { status: 405, headers: { allow: allowed.join(', ') }, body: { error: `method ${method} not allowed` } };
  }
  try {
    return await route.handler(req);
  } catch (error) {
    plugin.logger.error({ err: error, path }, 'plugin route failed');
    return { status: 500, body: { error: 'internal error' } };
  }
}

export interface PluginRoutesOptions {
  host: PluginHost;
  bodyLimit: number;
}

/** Header values as plugins read them: one string per name (repeated headers joined as HTTP allows). */
function singleValued(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
}

const params = z.object({ name: z.string(), '*': z.string() });

/** Registered with its options: `app.register(pluginRoutes, { host, bodyLimit })`. */
export const pluginRoutes: FastifyPluginAsyncZod<PluginRoutesOptions> = async (app, { host, bodyLimit }) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.route({
    method: ['GET', 'POST'],
    url: '/plugins/:name/*',
    schema: { params },
    handler: async (request, reply) => {
      const { name } = request.params;
      const url = new URL(request.url, 'http://local');
      const prefix = `/plugins/${name}`;
      const response = await host.handleRequest(name, {
        method: request.method,
        path: url.pathname.slice(prefix.length) || '/',
        url: request.url,
        headers: singleValued(request.headers),
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        query: Object.fromEntries(url.searchParams.entries()),
      });
      if (!response) return reply.code(404).send({ error: `no route ${request.method} ${url.pathname}` });
      if (response.headers) reply.headers(response.headers);
      return reply.code(response.status).send(response.body ?? '');
    },
  });
};
