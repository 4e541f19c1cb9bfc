// POST|GET /plugins/:name/* — each plugin's inbound webhooks, with the raw
// body kept for the plugin's own signature check — and the dispatch of one
// request to the plugin route that matches it.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
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

export function pluginRoutes(host: PluginHost, options: { bodyLimit: number }): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, body));

    const handler = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
      const { name } = request.params as { name: string };
      const url = new URL(request.url, 'http://local');
      const prefix = `/plugins/${name}`;
      const response = await host.handleRequest(name, {
        method: request.method,
        path: url.pathname.slice(prefix.length) || '/',
        url: request.url,
        headers: request.headers as Record<string, string | undefined>,
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        query: Object.fromEntries(url.searchParams.entries()),
      });
      if (!response) return reply.code(404).send({ error: `no route ${request.method} ${url.pathname}` });
      if (response.headers) reply.headers(response.headers);
      return reply.code(response.status).send(response.body ?? '');
    };
    app.post('/plugins/:name/*', handler);
    app.get('/plugins/:name/*', handler);
  };
}
