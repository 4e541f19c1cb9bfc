// The in-process runner of the outbox: the default when REDIS_URL is unset.
// Same semantics as the BullMQ runner (see bullmq.ts), held in memory: its
// jobs only wake workers, the work itself is recorded in the store, so a
// restart loses no work, only wake-ups, and the start-up sweep redoes those.
import { randomUUID } from 'node:crypto';
import {
  validateQueueOptions,
  type DeadLetter,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type QueueOptions,
  type QueueLogger,
  type QueueStats,
} from './port.js';
import { classifyFailure, retryDelay, toError } from './retryClassification.js';

export interface InProcessQueueOptions {
  logger: QueueLogger;
  /** Jitter source for backoff (tests pin it). */
  random?: () => number;
  /** Clock for rate-limit windows and dead-letter times. */
  now?: () => number;
}

interface Job {
  id: string;
  payload: unknown;
  /** Tries finished so far. */
  attemptsMade: number;
}

interface DeadJob extends Job {
  error: string;
  failedAt: Date;
}

interface Registration {
  handler: JobHandler<unknown>;
  options: QueueOptions;
  onDeadLetter?: (payload: unknown, error: Error) => Promise<void>;
}

/** One named queue. */
interface Lane {
  name: string;
  registration?: Registration;
  waiting: Job[];
  delayed: Map<string, { job: Job; timer: NodeJS.Timeout }>;
  active: Map<string, Promise<void>>;
  dead: Map<string, DeadJob>;
  /** Ids waiting, delayed, active or dead: an enqueue with one of these is a duplicate (as in BullMQ, which keeps failed jobs). */
  present: Set<string>;
  /** Start times inside the current rate window, oldest first (a sliding log). */
  starts: number[];
  rateTimer?: NodeJS.Timeout;
}

export function createInProcessQueue(options: InProcessQueueOptions): JobQueue {
  const { logger } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const lanes = new Map<string, Lane>();
  const hooks = new Set<Promise<void>>();
  const drainWaiters = new Set<() => void>();
  let closing: Promise<void> | undefined;

  function lane(name: string): Lane {
    let found = lanes.get(name);
    if (!found) {
      found = { name, waiting: [], delayed: new Map(), active: new Map(), dead: new Map(), present: new Set(), starts: [] };
      lanes.set(name, found);
    }
    return found;
  }

  function idle(): boolean {
    if (hooks.size > 0) return false;
    for (const l of lanes.values()) {
      if (l.waiting.length > 0 || l.delayed.size > 0 || l.active.size > 0) return false;
    }
    return true;
  }

  function settle(): void {
    if (drainWaiters.size === 0 || !idle()) return;
    for (const resolve of [...drainWaiters]) resolve();
  }

  /** Milliseconds until the rate limit allows another start; 0 when it does now. */
  function rateWait(l: Lane, limit: QueueOptions['rateLimit']): number {
    if (!limit) return 0;
    const t = now();
    while (l.starts.length > 0 && (l.starts[0] as number) <= t - limit.durationMs) l.starts.shift();
    if (l.starts.length < limit.max) return 0;
    return Math.max(1, (l.starts[0] as number) + limit.durationMs - t);
  }

  function pump(l: Lane): void {
    const registration = l.registration;
    if (!registration || closing) return;
    const { concurrency, rateLimit } = registration.options;
    while (l.waiting.length > 0 && l.active.size < concurrency) {
      const wait = rateWait(l, rateLimit);
      if (wait > 0) {
        if (!l.rateTimer) {
          l.rateTimer = setTimeout(() => {
            l.rateTimer = undefined;
            pump(l);
          }, wait).unref();
        }
        return;
      }
      const job = l.waiting.shift() as Job;
      if (rateLimit) l.starts.push(now());
      start(l, registration, job);
    }
  }

  function start(l: Lane, registration: Registration, job: Job): void {
    const attempt = job.attemptsMade + 1;
    const run = (async () => {
      try {
        await registration.handler(job.payload, { jobId: job.id, attempt, maxAttempts: registration.options.attempts });
        l.present.delete(job.id);
      } catch (thrown) {
        job.attemptsMade = attempt;
        fail(l, registration, job, toError(thrown));
      } finally {
        l.active.delete(job.id);
        pump(l);
        settle();
      }
    })();
    l.active.set(job.id, run);
  }

  function fail(l: Lane, registration: Registration, job: Job, error: Error): void {
    const verdict = classifyFailure(error);
    if (!verdict.retryable || job.attemptsMade >= registration.options.attempts) {
      deadLetter(l, registration, job, error, verdict.reason);
      return;
    }
    const delay = retryDelay(verdict, registration.options.backoff, job.attemptsMade, random);
    logger.debug({ queue: l.name, jobId: job.id, attempt: job.attemptsMade, delayMs: delay, reason: verdict.reason }, 'job failed; retrying');
    schedule(l, job, delay);
  }

  function deadLetter(l: Lane, registration: Registration, job: Job, error: Error, reason: string): void {
    l.dead.set(job.id, { ...job, error: error.message, failedAt: new Date(now()) });
    logger.warn({ queue: l.name, jobId: job.id, attempts: job.attemptsMade, reason }, 'job dead-lettered');
    const onDeadLetter = registration.onDeadLetter;
    if (!onDeadLetter) return;
    const hook: Promise<void> = Promise.resolve()
      .then(() => onDeadLetter(job.payload, error))
      .catch((err: unknown) => logger.error({ queue: l.name, jobId: job.id, err: toError(err).message }, 'onDeadLetter hook failed'))
      .finally(() => {
        hooks.delete(hook);
        settle();
      });
    hooks.add(hook);
  }

  function schedule(l: Lane, job: Job, delayMs: number): void {
    // While closing nothing starts, so no timer either.
    if (delayMs <= 0 || closing) {
      l.waiting.push(job);
      pump(l);
      return;
    }
    const timer = setTimeout(() => {
      l.delayed.delete(job.id);
      l.waiting.push(job);
      pump(l);
    }, delayMs).unref();
    l.delayed.set(job.id, { job, timer });
  }

  function deadLetterView(l: Lane, job: DeadJob): DeadLetter {
    return { id: job.id, queue: l.name, payload: job.payload, attempts: job.attemptsMade, error: job.error, failedAt: job.failedAt };
  }

  function laneStats(l: Lane): QueueStats {
    return { queue: l.name, pending: l.waiting.length + l.delayed.size, active: l.active.size, dead: l.dead.size };
  }

  return {
    kind: 'in-process',

    register<P>(name: string, handler: JobHandler<P>, queueOptions: QueueOptions, onDeadLetter?: (payload: P, error: Error) => Promise<void>): void {
      validateQueueOptions(name, queueOptions);
      const l = lane(name);
      if (l.registration) throw new Error(`Queue "${name}" already has a handler`);
      l.registration = {
        handler: handler as JobHandler<unknown>,
        options: queueOptions,
        onDeadLetter: onDeadLetter as Registration['onDeadLetter'],
      };
      // Jobs enqueued before the handler existed start now.
      pump(l);
    },

    async enqueue<P>(name: string, payload: P, enqueueOptions: EnqueueOptions = {}): Promise<string> {
      if (closing) throw new Error(`Job queue is closed; cannot enqueue on "${name}"`);
      const l = lane(name);
      const id = enqueueOptions.jobId ?? randomUUID();
      if (l.present.has(id)) return id;
      l.present.add(id);
      schedule(l, { id, payload, attemptsMade: 0 }, enqueueOptions.delayMs ?? 0);
      return id;
    },

    async deadLetters(queue?: string): Promise<DeadLetter[]> {
      const selected = queue === undefined ? [...lanes.values()] : [lanes.get(queue)].filter((l): l is Lane => l !== undefined);
      return selected
        .flatMap((l) => [...l.dead.values()].map((job) => deadLetterView(l, job)))
        .sort((a, b) => a.failedAt.getTime() - b.failedAt.getTime());
    },

    async retryDeadLetter(queue: string, id: string): Promise<boolean> {
      const l = lanes.get(queue);
      const job = l?.dead.get(id);
      if (!l || !job || closing) return false;
      l.dead.delete(id);
      // Still in `present`: it moves from dead to waiting under the same id.
      l.waiting.push({ id, payload: job.payload, attemptsMade: 0 });
      pump(l);
      return true;
    },

    async stats(queue?: string): Promise<QueueStats[]> {
      if (queue !== undefined) {
        const l = lanes.get(queue);
        return [l ? laneStats(l) : { queue, pending: 0, active: 0, dead: 0 }];
      }
      return [...lanes.values()].map(laneStats);
    },

    drained(timeoutMs = 30_000): Promise<void> {
      if (idle()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          drainWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          drainWaiters.delete(done);
          const busy = [...lanes.values()].map(laneStats).filter((s) => s.pending + s.active > 0);
          reject(new Error(`Jobs not drained within ${timeoutMs} ms: ${JSON.stringify(busy)}`));
        }, timeoutMs).unref();
        drainWaiters.add(done);
      });
    },

    close(): Promise<void> {
      closing ??= (async () => {
        const notStarted: Record<string, number> = {};
        for (const l of lanes.values()) {
          if (l.rateTimer) clearTimeout(l.rateTimer);
          for (const { timer } of l.delayed.values()) clearTimeout(timer);
          const count = l.waiting.length + l.delayed.size;
          if (count > 0) notStarted[l.name] = count;
        }
        // Nothing is lost: what these jobs would do is recorded in the store
        // (QUEUED messages, pending deliveries, owed follow-ups), and the next
        // start's sweep picks it up.
        if (Object.keys(notStarted).length > 0) logger.warn({ notStarted }, 'job queue closed: jobs not started are left QUEUED in the store for the next start');
        const active = [...lanes.values()].flatMap((l) => [...l.active.values()]);
        await Promise.allSettled(active);
        await Promise.allSettled([...hooks]);
      })();
      return closing;
    },
  };
}
