// One contract for both outbox runners: the in-process one always, BullMQ
// whenever REDIS_URL points at a reachable Redis (CI exports it).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, redisUnavailable } from './support/redis.js';
import { createBullmqQueue } from '../src/jobs/bullmq.js';
import { createInProcessQueue } from '../src/jobs/inProcess.js';
import { WhatsAppInputError } from '../src/whatsapp/cloudApi.js';
import { PermanentJobError, RetryableError, type JobContext, type JobQueue, type QueueOptions } from '../src/jobs/port.js';

const logger = pino({ level: 'silent' });


const redisUrl = process.env.REDIS_URL;
const bullmqSkipReason = await redisUnavailable(redisUrl);
if (bullmqSkipReason) console.warn(`!!! The BullMQ job runner was NOT tested: ${bullmqSkipReason}. Set REDIS_URL to a reachable Redis to run it.`);


interface Runner {
  name: string;
  skipReason: string | null;
  /** A fresh, isolated queue and how to clean up after it. */
  make(): { queue: JobQueue; cleanup(): Promise<void> };
}

const runners: Runner[] = [
  {
    name: 'in-process',
    skipReason: null,
    make: () => ({ queue: createInProcessQueue({ logger }), cleanup: async () => {} }),
  },
  {
    name: 'bullmq',
    skipReason: bullmqSkipReason,
    make: () => {
      const prefix = `test-jobs-${randomUUID()}`;
      return {
        queue: createBullmqQueue({ redisUrl: redisUrl as string, prefix, logger }),
        cleanup: () => deleteKeys(redisUrl as string, `${prefix}:*`),
      };
    },
  },
];

const fast: QueueOptions = { attempts: 3, backoff: { baseMs: 10, maxMs: 40 }, concurrency: 1 };

/** A promise to resolve from outside: lets a test hold a handler in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe.each(runners)('job queue contract: $name runner', (runner) => {
  describe.skipIf(runner.skipReason !== null)(runner.skipReason ? `skipped: ${runner.skipReason}` : 'semantics', () => {
    let current: { queue: JobQueue; cleanup(): Promise<void> } | undefined;

    function fresh(): JobQueue {
      current = runner.make();
      return current.queue;
    }

    afterEach(async () => {
      if (!current) return;
      await current.queue.close();
      await current.cleanup();
      current = undefined;
    });

    it('runs a job once with its payload and context', async () => {
      const queue = fresh();
      const seen: { payload: unknown; ctx: JobContext }[] = [];
      queue.register<{ to: string }>('send', async (payload, ctx) => void seen.push({ payload, ctx }), fast);
      const id = await queue.enqueue('send', { to: '15551234567' });
      await queue.drained(5_000);
      expect(seen).toEqual([{ payload: { to: '15551234567' }, ctx: { jobId: id, attempt: 1, maxAttempts: 3 } }]);
      expect(await queue.stats('send')).toEqual([{ queue: 'send', pending: 0, active: 0, dead: 0 }]);
    });

    it('is not drained while a job handed over without awaiting is still on its way', async () => {
      const queue = fresh();
      const seen: string[] = [];
      queue.register<{ n: number }>('wake', async (payload) => void seen.push(`ran ${payload.n}`), fast);
      // The webhook hands over its follow-up's wake this way (workflow/index.ts).
      for (let n = 0; n < 5; n++) void queue.enqueue('wake', { n });
      await queue.drained(5_000);
      expect(seen.sort()).toEqual(['ran 0', 'ran 1', 'ran 2', 'ran 3', 'ran 4']);
    });

    it('retries a failing job and counts its attempts until it succeeds', async () => {
      const queue = fresh();
      const attempts: number[] = [];
      queue.register('flaky', async (_payload, ctx) => {
        attempts.push(ctx.attempt);
        // A plain Error (neither Retryable nor Permanent) counts as retryable.
        if (ctx.attempt === 1) throw new Error('socket hang up');
        if (ctx.attempt === 2) throw new RetryableError('HTTP 503');
      }, fast);
      await queue.enqueue('flaky', {});
      await queue.drained(5_000);
      expect(attempts).toEqual([1, 2, 3]);
      expect(await queue.deadLetters()).toEqual([]);
    });

    it('dead-letters a job that exhausts its attempts, lists it, and retries it with fresh attempts', async () => {
      const queue = fresh();
      let healthy = false;
      const attempts: number[] = [];
      const deadHook: { payload: unknown; error: string }[] = [];
      queue.register<{ n: number }>(
        'crm:sync',
        async (_payload, ctx) => {
          attempts.push(ctx.attempt);
          if (!healthy) throw new RetryableError('CRM is down');
        },
        fast,
        async (payload, error) => void deadHook.push({ payload, error: error.message }),
      );
      const id = await queue.enqueue('crm:sync', { n: 7 }, { jobId: 'event:42' });
      expect(id).toBe('event:42');
      await queue.drained(5_000);
      await until(() => deadHook.length > 0);

      expect(attempts).toEqual([1, 2, 3]);
      expect(deadHook).toEqual([{ payload: { n: 7 }, error: 'CRM is down' }]);
      const dead = await queue.deadLetters('crm:sync');
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ id: 'event:42', queue: 'crm:sync', payload: { n: 7 }, attempts: 3, error: 'CRM is down' });
      expect(dead[0]?.failedAt).toBeInstanceOf(Date);
      expect(await queue.stats('crm:sync')).toEqual([{ queue: 'crm:sync', pending: 0, active: 0, dead: 1 }]);

      expect(await queue.retryDeadLetter('crm:sync', 'no-such-job')).toBe(false);
      healthy = true;
      expect(await queue.retryDeadLetter('crm:sync', 'event:42')).toBe(true);
      await queue.drained(5_000);
      // Fresh attempts: the retried job starts over at attempt 1.
      expect(attempts).toEqual([1, 2, 3, 1]);
      expect(await queue.deadLetters()).toEqual([]);
      expect(deadHook).toHaveLength(1);
      expect(await queue.retryDeadLetter('crm:sync', 'event:42')).toBe(false);
    });

    it.each([
      ['PermanentJobError', () => new PermanentJobError('131026: message undeliverable')],
      // Input errors (e.g. from the message builders) are permanent too: the same input fails the same way.
      ['an input error', () => new WhatsAppInputError('buttons[0].title is 31 characters; the limit is 20', 'buttons[0].title')],
    ])('dead-letters at once on %s', async (_label, makeError) => {
      const queue = fresh();
      let calls = 0;
      const deadHook: string[] = [];
      const message = makeError().message;
      queue.register(
        'send',
        async () => {
          calls += 1;
          throw makeError();
        },
        { ...fast, attempts: 5 },
        async (_payload, error) => void deadHook.push(error.message),
      );
      await queue.enqueue('send', { to: 'x' });
      await queue.drained(5_000);
      await until(() => deadHook.length > 0);
      expect(calls).toBe(1);
      expect(deadHook).toEqual([message]);
      const dead = await queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ queue: 'send', attempts: 1, error: message });
    });

    it('waits at least retryAfterMs before the retry, overriding the backoff', async () => {
      const queue = fresh();
      const startedAt: number[] = [];
      let failedAt = 0;
      queue.register('send', async (_payload, ctx) => {
        startedAt.push(Date.now());
        if (ctx.attempt === 1) {
          failedAt = Date.now();
          throw new RetryableError('HTTP 429', 300);
        }
      }, fast);
      await queue.enqueue('send', {});
      await queue.drained(5_000);
      expect(startedAt).toHaveLength(2);
      // The backoff alone would retry after 5-10 ms.
      expect((startedAt[1] as number) - failedAt).toBeGreaterThanOrEqual(290);
    });

    it('does not start a delayed job before its delay', async () => {
      const queue = fresh();
      const startedAt: number[] = [];
      queue.register('survey', async () => void startedAt.push(Date.now()), fast);
      const enqueuedAt = Date.now();
      await queue.enqueue('survey', {}, { delayMs: 200 });
      await queue.drained(5_000);
      expect(startedAt).toHaveLength(1);
      expect((startedAt[0] as number) - enqueuedAt).toBeGreaterThanOrEqual(190);
    });

    it('starts at most max jobs per rate-limit window', async () => {
      const queue = fresh();
      const starts: number[] = [];
      queue.register('send:number-1', async () => void starts.push(Date.now()), {
        ...fast,
        concurrency: 20,
        rateLimit: { max: 5, durationMs: 200 },
      });
      await Promise.all(Array.from({ length: 20 }, (_, i) => queue.enqueue('send:number-1', { i })));
      await queue.drained(10_000);
      expect(starts).toHaveLength(20);
      starts.sort((a, b) => a - b);
      // 20 jobs at 5 per 200 ms need at least three more windows after the first.
      expect((starts[19] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(540);
      // Any six consecutive starts span at least half a window (unlimited, all 20 start within a few ms). Not a
      // whole window: the limiter counts when a job is fetched, and a handler starts a scheduling delay later,
      // tens of milliseconds on a loaded machine (140 ms spans were seen at load average 14).
      for (let i = 0; i + 5 < starts.length; i++) {
        expect((starts[i + 5] as number) - (starts[i] as number)).toBeGreaterThanOrEqual(100);
      }
    });

    it('runs no more jobs at once than the concurrency, and does reach it', async () => {
      const queue = fresh();
      let running = 0;
      let peak = 0;
      queue.register('deliver', async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(60);
        running -= 1;
      }, { ...fast, concurrency: 3 });
      await Promise.all(Array.from({ length: 9 }, (_, i) => queue.enqueue('deliver', { i })));
      await queue.drained(10_000);
      expect(peak).toBe(3);
    });

    it('adds a job id once while it is waiting or active, and again after it completed', async () => {
      const queue = fresh();
      // Enqueued before any handler exists: they wait, and run once it is registered.
      expect(await queue.enqueue('send', { copy: 1 }, { jobId: 'wamid:abc' })).toBe('wamid:abc');
      expect(await queue.enqueue('send', { copy: 2 }, { jobId: 'wamid:abc' })).toBe('wamid:abc');
      expect((await queue.stats('send'))[0]?.pending).toBe(1);

      const release = gate();
      const payloads: unknown[] = [];
      queue.register('send', async (payload) => {
        payloads.push(payload);
        await release.opened;
      }, fast);
      await until(() => payloads.length === 1);
      await queue.enqueue('send', { copy: 3 }, { jobId: 'wamid:abc' }); // active: ignored
      release.open();
      await queue.drained(5_000);
      expect(payloads).toEqual([{ copy: 1 }]);

      await queue.enqueue('send', { copy: 4 }, { jobId: 'wamid:abc' }); // completed: a new job
      await queue.drained(5_000);
      expect(payloads).toEqual([{ copy: 1 }, { copy: 4 }]);

      // Integer-like ids are fine too (BullMQ refuses them raw).
      await queue.enqueue('send', { copy: 5 }, { jobId: '12345', delayMs: 50 });
      await queue.enqueue('send', { copy: 6 }, { jobId: '12345' }); // delayed: ignored
      await queue.drained(5_000);
      expect(payloads).toEqual([{ copy: 1 }, { copy: 4 }, { copy: 5 }]);
    });

    it('close() waits for the job in flight and starts no other', async () => {
      const queue = fresh();
      const release = gate();
      const started: number[] = [];
      let finished = 0;
      queue.register<{ i: number }>('send', async ({ i }) => {
        started.push(i);
        await release.opened;
        await sleep(30);
        finished += 1;
      }, fast);
      await queue.enqueue('send', { i: 1 });
      await until(() => started.length === 1);
      await queue.enqueue('send', { i: 2 });

      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await sleep(100);
      expect(closed).toBe(false);
      release.open();
      await closing;
      expect(finished).toBe(1);
      await sleep(50);
      expect(started).toEqual([1]);
      await expect(queue.enqueue('send', { i: 3 })).rejects.toThrow(/closed/);
    });
  });
});
