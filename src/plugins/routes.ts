// POST|GET /plugins/:name/* — each plugin's inbound webhooks, with the raw
// body kept for the plugin's own signature check.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { PluginHost } from './host.js';

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
