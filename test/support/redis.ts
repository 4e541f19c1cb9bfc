import { Redis } from 'ioredis';

/** Null when REDIS_URL answers a PING; otherwise why the Redis tests cannot run. */
export async function redisUnavailable(url: string | undefined = process.env.REDIS_URL): Promise<string | null> {
  if (!url) return 'REDIS_URL is not set';
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  let cause: Error | undefined;
  probe.on('error', (err: Error) => (cause ??= err));
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (err) {
    return `${url} is unreachable (${(cause ?? (err as Error)).message})`;
  } finally {
    probe.disconnect();
  }
}

/** Removes every key a test run wrote under its prefix. */
export async function deleteKeys(url: string, pattern: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
