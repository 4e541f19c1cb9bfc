// Probes for the orchestrator. /healthz answers "the process serves HTTP" and
// stays 200 through a graceful drain, so a liveness probe never kills a
// process that is finishing its work; /readyz answers "send me traffic": the
// store is reachable and no shutdown has begun.
import type { FastifyPluginAsync } from 'fastify';

export interface HealthRoutesOptions {
  ready(): Promise<void>;
  isShuttingDown(): boolean;
  /** A store check that hangs is a failed check; probes have short timeouts of their own. */
  readyTimeoutMs: number;
}

export const SHUTTING_DOWN = 'shutting down';

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Registered with its options: `app.register(healthRoutes, { ready, isShuttingDown, readyTimeoutMs })`. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  // A load balancer probes every few seconds: a warning per probe during an
  // outage would be thousands of lines saying one thing. Said once per reason.
  let lastReason: string | null = null;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (options.isShuttingDown()) return reply.status(503).send({ status: 'unavailable', reason: SHUTTING_DOWN });
    try {
      await withTimeout(Promise.resolve().then(options.ready), options.readyTimeoutMs);
      if (lastReason !== null) request.log.info({ was: lastReason }, 'ready again');
      lastReason = null;
      return { status: 'ok' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastReason) request.log.warn({ reason }, 'not ready (logged again only when the reason changes)');
      lastReason = reason;
      return reply.status(503).send({ status: 'unavailable', reason });
    }
  });
};
