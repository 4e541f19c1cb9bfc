// Instances on the embedded store each hold their own data: behind one load
// balancer, a customer's messages would land in whichever instance took the
// webhook. Nothing is shared between them to notice that, except Redis when
// REDIS_URL is set (the usual sign of a multi-instance setup). Each such
// instance keeps a heartbeat in one sorted set there, scored by expiry, and
// reports an error whenever it finds others beside it. An instance goes by
// its data directory's identity (store/dataDirIdentity.ts): a desk restarted
// on the same directory takes its predecessor's place in the set at once,
// whether that one left cleanly or was killed.
import type { Redis } from 'ioredis';

export interface EmbeddedPeersLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface EmbeddedPeers {
  /** Instances (this one included) seen at the last heartbeat; 0 before the first. */
  count(): number;
  /** Stops the heartbeat and removes this instance from the set. */
  close(): Promise<void>;
}

export function watchEmbeddedPeers(options: { redis: Redis; key: string; instanceId: string; logger: EmbeddedPeersLogger; intervalMs?: number }): EmbeddedPeers {
  const { redis, key, instanceId, logger } = options;
  const intervalMs = options.intervalMs ?? 10_000;
  let seen = 0;
  let reported = 1;
  let closed = false;

  async function beat(): Promise<void> {
    // While Redis is away the dependency monitor has said so once; a warning
    // here every interval would only repeat it.
    if (closed || redis.status !== 'ready') return;
    const now = Date.now();
    try {
      const [, , card] = (await redis
        .multi()
        .zremrangebyscore(key, '-inf', now)
        // Three missed heartbeats and an instance counts as gone.
        .zadd(key, now + 3 * intervalMs, instanceId)
        .zcard(key)
        .pexpire(key, 3 * intervalMs)
        .exec()) as Array<[Error | null, unknown]>;
      seen = Number(card?.[1] ?? 0);
    } catch (error) {
      logger.warn({ err: error }, 'could not check for other instances on embedded stores');
      return;
    }
    if (seen > 1 && seen !== reported) {
      logger.error(
        { instances: seen },
        `${seen} instances share this Redis, each on its own embedded store: each holds different data. Set MONGODB_URI on all of them, or run one`,
      );
    }
    reported = seen;
  }

  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  // The client refuses commands until connected (no offline queue).
  if (redis.status === 'ready') void beat();
  else redis.once('ready', () => void beat());

  return {
    count: () => seen,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await redis.zrem(key, instanceId).catch(() => undefined);
    },
  };
}
