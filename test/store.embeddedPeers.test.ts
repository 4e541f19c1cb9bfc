// Instances on embedded stores that share a Redis find each other and say
// that each holds different data. Needs a real Redis (CI exports REDIS_URL).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { dataDirIdentity } from '../src/store/dataDirIdentity.js';
import { watchEmbeddedPeers, type EmbeddedPeers } from '../src/store/embeddedPeers.js';
import { deleteKeys, redisUnavailable } from './support/redis.js';

const redisUrl = process.env.REDIS_URL;
const skipReason = await redisUnavailable(redisUrl);
if (skipReason) console.warn(`!!! The check for several instances on embedded stores was NOT tested: ${skipReason}.`);

/** Heartbeats wait on Redis connections, slow when the whole suite runs at once. */
const WAIT = { timeout: 5_000 };

function capture() {
  const lines: Array<{ level: number; msg: string; instances?: number }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, errors: () => lines.filter((l) => l.level >= 50) };
}

describe.skipIf(skipReason !== null)('instances on embedded stores sharing one Redis', () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const clients: Redis[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    if (redisUrl) await deleteKeys(redisUrl, `${prefix}*`);
  });

  function watcher(key: string, logger: ReturnType<typeof capture>['logger'], instanceId: string = randomUUID()): EmbeddedPeers {
    const redis = new Redis(redisUrl!, { enableOfflineQueue: false });
    clients.push(redis);
    return watchEmbeddedPeers({ redis, key, instanceId, logger, intervalMs: 250 });
  }

  it('each reports the others once, and a closed or silent one stops counting', async () => {
    const key = `${prefix}:peers-unit`;
    const first = capture();
    const second = capture();
    // An instance that stopped without leaving (killed): its heartbeat ran out a while ago.
    const probe = new Redis(redisUrl!);
    clients.push(probe);
    await probe.zadd(key, Date.now() - 1_000, 'killed-instance');
    const a = watcher(key, first.logger);
    await vi.waitFor(() => expect(a.count()).toBe(1), WAIT);
    expect(first.errors()).toEqual([]);

    const b = watcher(key, second.logger);
    await vi.waitFor(() => expect([a.count(), b.count()]).toEqual([2, 2]), WAIT);
    await new Promise((r) => setTimeout(r, 600)); // two more heartbeats each
    // Once each, not at every heartbeat.
    expect(first.errors()).toHaveLength(1);
    expect(second.errors()).toHaveLength(1);
    expect(second.errors()[0]).toMatchObject({ instances: 2, msg: expect.stringContaining('Set MONGODB_URI') });

    await b.close();
    await vi.waitFor(() => expect(a.count()).toBe(1), WAIT);
    await a.close();
  });

  it('an instance restarted on its data directory takes its killed predecessor\'s place: no second instance reported', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'desk-peers-'));
    try {
      const identity = dataDirIdentity(dataDir);
      expect(dataDirIdentity(dataDir)).toBe(identity); // stable across starts
      const key = `${prefix}:peers-restart`;
      const probe = new Redis(redisUrl!);
      clients.push(probe);
      // The predecessor was killed a moment ago: its heartbeat is still live for a while.
      await probe.zadd(key, Date.now() + 60_000, identity);
      const log = capture();
      const restarted = watcher(key, log.logger, identity);
      await vi.waitFor(() => expect(restarted.count()).toBe(1), WAIT);
      expect(log.errors()).toEqual([]);
      expect(await probe.zcard(key)).toBe(1);
      await restarted.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('createApp on the embedded store with REDIS_URL joins the check; an injected store does not', async () => {
    const env = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix, PORT: '0', HOST: '127.0.0.1' };
    const one = capture();
    const two = capture();
    const probe = new Redis(redisUrl!);
    clients.push(probe);
    const instances = () => probe.zcard(`${prefix}:embedded-instances`);
    const apps = [await createApp({ config: testConfig(env), logger: one.logger })];
    try {
      // Its first heartbeat waits for its Redis connection; the next instance's first one then finds it.
      await vi.waitFor(async () => expect(await instances()).toBe(1), WAIT);
      apps.push(await createApp({ config: testConfig(env), logger: two.logger }));
      await vi.waitFor(() => expect(two.errors().map((l) => l.instances)).toEqual([2]), WAIT);
      expect(await instances()).toBe(2);

      // Two instances over one injected store are one set of data: nothing to report.
      const shared = capture();
      const injected = await createApp({ config: testConfig(env), logger: shared.logger, store: apps[0]!.store });
      apps.push(injected);
      await new Promise((r) => setTimeout(r, 200));
      expect(await instances()).toBe(2);

      await apps[1]!.close();
      expect(await instances()).toBe(1);
    } finally {
      for (const app of apps) await app.close();
    }
  });
});
