// The agent console: the single-page app that `npm run build` puts in
// dist/web, served at `/`. Its assets carry content hashes in their names, so
// they are cached for a year; index.html names the current ones and is never
// cached, so a new build reaches every browser on its next load.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface ConsoleRoutesOptions {
  /** The Vite build output (index.html and assets/). */
  root: string;
  logger: Logger;
}

/** dist/web under the package root, whether this module runs from src/ (tsx) or dist/src/ (node). */
export function defaultConsoleRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

export function consoleIsBuilt(root: string): boolean {
  return existsSync(join(root, 'index.html'));
}

export function consoleRoutes(options: ConsoleRoutesOptions) {
  return async function agentConsole(app: FastifyInstance) {
    const indexPath = join(options.root, 'index.html');
    if (!consoleIsBuilt(options.root)) {
      options.logger.warn({ root: options.root }, 'the agent console is not built: run `npm run build` to serve it at /');
      app.get('/', async (_request, reply) =>
        reply.status(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('The agent console is not built. Run `npm run build`, then start the desk again.\n'),
      );
      return;
    }
    // Read once: a build replaces it and the process restarts to serve it.
    const indexHtml = readFileSync(indexPath);
    app.get('/', async (_request, reply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml));
    await app.register(fastifyStatic, {
      root: join(options.root, 'assets'),
      prefix: '/assets/',
      index: false,
      // Hashed names: a changed file is a new URL.
      immutable: true,
      maxAge: '365d',
    });
  };
}
