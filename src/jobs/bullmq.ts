// The BullMQ runner of the outbox: chosen when REDIS_URL is set, so jobs
// survive restarts and every instance shares one set of queues, one rate
// limit per queue and one list of dead letters. Semantics match inProcess.ts.
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { validateQueueOptions, type DeadLetter, type EnqueueOptions, type JobHandler, type JobQueue, type QueueLogger, type QueueOptions, type QueueStats } from './port.js';
import { classifyFailure, retryDelay, toError } from './retryClassification.js';
import type { DependencyReporter } from '../health/dependencyMonitor.js';

export interface BullmqQueueOptions {
  redisUrl: string;
  /** Redis key prefix (BullMQ's default is "bull"); tests use a random one to isolate themselves. */
  prefix?: string;
  logger: QueueLogger;
  /** Watches the connections, so an outage is logged once and seen by /readyz. */
  dependencies?: DependencyReporter;
}

/** Our backoff (equal jitter + Retry-After), installed on every Worker as BullMQ's custom strategy. */
const BACKOFF_TYPE = 'desk-jitter';
/** Attempts written on a job enqueued before this instance registered its queue; the worker's own `attempts` still decides. */
const UNREGISTERED_ATTEMPTS = 1000;
/** BullMQ refuses custom job ids that parse as integers; every id we hand it carries this mark. */
const ID_MARK = 'j_';

// BullMQ forbids ':' in queue names and custom job ids (it is its key
// separator). A reversible escape keeps callers' names and ids intact.
function escapeColons(value: string): string {
  return value.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}
function unescapeColons(value: string): string {
  return value.replace(/%(25|3A)/g, (m) => (m === '%25' ? '%' : ':'));
}
function toBullId(id: string): string {
  return ID_MARK + escapeColons(id);
}
function fromBullId(id: string | undefined): string {
  if (id === undefined) return '';
  return id.startsWith(ID_MARK) ? unescapeColons(id.slice(ID_MARK.length)) : id;
}

/** QUIT when connected; during an outage QUIT would wait for a reconnection, so just drop the socket. */
async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}

interface Registration {
  handler: JobHandler<unknown>;
  options: QueueOptions;
  onDeadLetter?: (payload: unknown, error: Error) => Promise<void>;
}

const PENDING_STATES = ['waiting', 'delayed', 'prioritized', 'waiting-children'] as const;

export function createBullmqQueue(options: BullmqQueueOptions): JobQueue {
  const { logger } = options;
  const prefix = options.prefix ?? 'bull';
  // One connection for producers and queries, one shared by the workers
  // (BullMQ gives each Worker its own blocking connection on top). Workers
  // must never give up on a command: maxRetriesPerRequest null.
  // Producers fail fast while Redis is away (no offline queue): the store
  // already holds what the job would wake, and the sweep wakes it later; a
  // caller waiting seconds on a reconnecting client helps no one.
  const queueConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const { dependencies } = options;
  const reportError = (context: Record<string, unknown>, msg: string) => (err: Error) => {
    if (dependencies) dependencies.failed('redis', err, context);
    else logger.error({ ...context, err: err.message }, msg);
  };
  for (const [role, connection] of [['queue', queueConnection], ['worker', workerConnection]] as const) {
    if (dependencies) dependencies.watchRedis('redis', connection, `job ${role}`);
    else connection.on('error', reportError({ role }, 'redis connection error (job queue)'));
  }

  const queues = new Map<string, Queue>();
  const registrations = new Map<string, Registration & { worker: Worker }>();
  const hooks = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  function queue(name: string): Queue {
    let found = queues.get(name);
    if (!found) {
      found = new Queue(escapeColons(name), { connection: queueConnection, prefix });
      found.on('error', reportError({ queue: name }, 'job queue error'));
      queues.set(name, found);
    }
    return found;
  }

  function runDeadLetterHook(name: string, registration: Registration, job: Job, error: Error): void {
    const onDeadLetter = registration.onDeadLetter;
    if (!onDeadLetter) return;
    const hook: Promise<void> = Promise.resolve()
      .then(() => onDeadLetter(job.data, error))
      .catch((err: unknown) => logger.error({ queue: name, jobId: fromBullId(job.id), err: toError(err).message }, 'onDeadLetter hook failed'))
      .finally(() => hooks.delete(hook));
    hooks.add(hook);
  }

  function createWorker(name: string, registration: Registration): Worker {
    const { handler, options: queueOptions } = registration;
    const worker = new Worker(
      escapeColons(name),
      async (job: Job) => {
        const attempt = job.attemptsMade + 1;
        try {
          await handler(job.data, { jobId: fromBullId(job.id), attempt, maxAttempts: queueOptions.attempts });
        } catch (thrown) {
          const error = toError(thrown);
          if (!classifyFailure(error).retryable || attempt >= queueOptions.attempts) {
            // BullMQ's way to fail a job without further retries; the handler's error rides along as the cause.
            const final = new UnrecoverableError(error.message);
            final.cause = error;
            throw final;
          }
          throw error;
        }
      },
      {
        connection: workerConnection,
        prefix,
        concurrency: queueOptions.concurrency,
        ...(queueOptions.rateLimit ? { limiter: { max: queueOptions.rateLimit.max, duration: queueOptions.rateLimit.durationMs } } : {}),
        settings: {
          // BullMQ hands the strategy the error the processor threw, so a Retry-After carried by a RetryableError reaches it.
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            retryDelay(classifyFailure(err ?? new Error('unknown failure')), queueOptions.backoff, attemptsMade),
        },
      },
    );
    worker.on('error', reportError({ queue: name }, 'job worker error'));
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      // 'failed' fires on every failed try; only a job that left for the failed set has finishedOn.
      if (!job.finishedOn) {
        logger.debug({ queue: name, jobId: fromBullId(job.id), attempt: job.attemptsMade, err: err.message }, 'job failed; retrying');
        return;
      }
      const original = err.cause instanceof Error ? err.cause : err;
      logger.warn({ queue: name, jobId: fromBullId(job.id), attempts: job.attemptsMade, reason: classifyFailure(original).reason }, 'job dead-lettered');
      runDeadLetterHook(name, registration, job, original);
    });
    return worker;
  }

  function selected(name?: string): [string, Queue][] {
    if (name === undefined) return [...queues.entries()];
    return [[name, queue(name)]];
  }

  async function countsOf(name: string, q: Queue): Promise<QueueStats> {
    const counts = await q.getJobCounts(...PENDING_STATES, 'active', 'failed');
    const pending = PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    return { queue: name, pending, active: counts.active ?? 0, dead: counts.failed ?? 0 };
  }

  function deadLetterView(name: string, job: Job): DeadLetter {
    return {
      id: fromBullId(job.id),
      queue: name,
      payload: job.data,
      attempts: job.attemptsMade,
      error: job.failedReason ?? '',
      failedAt: new Date(job.finishedOn ?? job.timestamp),
    };
  }

  return {
    kind: 'bullmq',

    register<P>(name: string, handler: JobHandler<P>, queueOptions: QueueOptions, onDeadLetter?: (payload: P, error: Error) => Promise<void>): void {
      validateQueueOptions(name, queueOptions);
      if (closing) throw new Error(`Job queue is closed; cannot register "${name}"`);
      if (registrations.has(name)) throw new Error(`Queue "${name}" already has a handler`);
      queue(name);
      const registration: Registration = {
        handler: handler as JobHandler<unknown>,
        options: queueOptions,
        onDeadLetter: onDeadLetter as Registration['onDeadLetter'],
      };
      registrations.set(name, { ...registration, worker: createWorker(name, registration) });
    },

    async enqueue<P>(name: string, payload: P, enqueueOptions: EnqueueOptions = {}): Promise<string> {
      if (closing) throw new Error(`Job queue is closed; cannot enqueue on "${name}"`);
      const id = enqueueOptions.jobId ?? randomUUID();
      const jobOptions: JobsOptions = {
        // A job id already present (waiting, delayed, active or failed) makes BullMQ ignore the add: that is the dedupe.
        jobId: toBullId(id),
        attempts: registrations.get(name)?.options.attempts ?? UNREGISTERED_ATTEMPTS,
        backoff: { type: BACKOFF_TYPE },
        // Completed jobs go (so their id may be enqueued again); failed ones stay: they are the dead letters.
        removeOnComplete: true,
        removeOnFail: false,
        ...(enqueueOptions.delayMs && enqueueOptions.delayMs > 0 ? { delay: enqueueOptions.delayMs } : {}),
      };
      await queue(name).add(name, payload, jobOptions);
      return id;
    },

    async deadLetters(name?: string): Promise<DeadLetter[]> {
      const lists = await Promise.all(
        selected(name).map(async ([queueName, q]) => (await q.getFailed(0, -1)).map((job) => deadLetterView(queueName, job as Job))),
      );
      return lists.flat().sort((a, b) => a.failedAt.getTime() - b.failedAt.getTime());
    },

    async retryDeadLetter(name: string, id: string): Promise<boolean> {
      if (closing) return false;
      const job = (await queue(name).getJob(toBullId(id))) as Job | undefined;
      if (!job) return false;
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      } catch (err) {
        // Not in the failed set (already retried, or never dead): nothing to retry.
        logger.debug({ queue: name, jobId: id, err: toError(err).message }, 'dead letter not retried');
        return false;
      }
    },

    async stats(name?: string): Promise<QueueStats[]> {
      return Promise.all(selected(name).map(([queueName, q]) => countsOf(queueName, q)));
    },

    async drained(timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      // Two idle readings in a row: the counts come over the queue connection,
      // while the 'failed' event that starts an onDeadLetter hook follows the
      // worker connection's reply, which may arrive a moment later.
      let idleReadings = 0;
      for (;;) {
        const stats = await Promise.all([...queues.entries()].map(([name, q]) => countsOf(name, q)));
        const busy = stats.filter((s) => s.pending + s.active > 0);
        if (busy.length === 0 && hooks.size === 0) {
          idleReadings += 1;
          if (idleReadings >= 2) return;
        } else {
          idleReadings = 0;
        }
        if (Date.now() >= deadline) throw new Error(`Jobs not drained within ${timeoutMs} ms: ${JSON.stringify(busy)}`);
        if (busy.length === 0 && hooks.size > 0) await Promise.allSettled([...hooks]);
        else await new Promise((resolve) => setTimeout(resolve, 20).unref());
      }
    },

    close(): Promise<void> {
      closing ??= (async () => {
        // Worker.close() stops fetching and waits for the jobs it holds. While
        // Redis is away it would wait for a reconnection that may never come
        // (a desk started with Redis down could not stop): then it is forced.
        // A job held meanwhile cannot be marked done anyway; Redis redelivers
        // it as stalled, and what it works on is in the store.
        const force = workerConnection.status !== 'ready';
        await Promise.allSettled([...registrations.values()].map(({ worker }) => worker.close(force)));
        await Promise.allSettled([...hooks]);
        await Promise.allSettled([...queues.values()].map((q) => q.close()));
        await Promise.allSettled([closeConnection(queueConnection), closeConnection(workerConnection)]);
      })();
      return closing;
    },
  };
}
