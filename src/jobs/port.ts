// The durable outbox. Every outbound WhatsApp message and every plugin
// delivery is a job. Two runners implement this port with the same
// semantics: in-process (default) and BullMQ on Redis (REDIS_URL).

export interface BackoffPolicy {
  /** First retry delay before jitter. */
  baseMs: number;
  /** Cap on any single delay. */
  maxMs: number;
}

export interface QueueOptions {
  /** Total tries including the first. */
  attempts: number;
  backoff: BackoffPolicy;
  /** At most `max` job starts per `durationMs` for this queue (e.g. 80/s per WhatsApp number). */
  rateLimit?: { max: number; durationMs: number };
  /** Jobs run at once on one instance. */
  concurrency: number;
}

export interface EnqueueOptions {
  /** A job with an id already waiting, delayed or active is not added twice. */
  jobId?: string;
  delayMs?: number;
}

export interface JobContext {
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
}

/** Throw from a handler to retry. `retryAfterMs` (a Retry-After, a per-user pause) overrides the backoff for this retry. */
export class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

/** Throw from a handler to stop retrying at once: the job becomes a dead letter. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<void>;

export interface DeadLetter {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  error: string;
  failedAt: Date;
}

export interface QueueStats {
  queue: string;
  /** Waiting or delayed. */
  pending: number;
  active: number;
  dead: number;
}

export interface JobQueue {
  readonly kind: 'in-process' | 'bullmq';
  /**
   * Declares a queue and its handler. `onDeadLetter` runs once when a job
   * exhausts its attempts or fails permanently (e.g. mark the message FAILED).
   */
  register<P>(name: string, handler: JobHandler<P>, options: QueueOptions, onDeadLetter?: (payload: P, error: Error) => Promise<void>): void;
  enqueue<P>(name: string, payload: P, options?: EnqueueOptions): Promise<string>;
  deadLetters(queue?: string): Promise<DeadLetter[]>;
  /** Moves a dead letter back to waiting with fresh attempts. False when no such dead letter. */
  retryDeadLetter(queue: string, id: string): Promise<boolean>;
  stats(queue?: string): Promise<QueueStats[]>;
  /** Resolves when nothing is waiting, delayed or active (tests and shutdown). */
  drained(timeoutMs?: number): Promise<void>;
  /** Stops taking new jobs, waits for active ones, closes connections. */
  close(): Promise<void>;
}

/** Exponential backoff with "equal jitter" (AWS architecture blog): half the ceiling fixed, half random, ceiling = min(max, base·2^(attempt-1)). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The part of a pino logger the runners use. */
export interface QueueLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export function validateQueueOptions(name: string, options: QueueOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.attempts) || options.attempts < 1) problems.push('attempts must be an integer >= 1');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) problems.push('concurrency must be an integer >= 1');
  if (!(options.backoff.baseMs >= 0) || !(options.backoff.maxMs >= options.backoff.baseMs)) problems.push('backoff needs 0 <= baseMs <= maxMs');
  if (options.rateLimit && (!(options.rateLimit.max >= 1) || !(options.rateLimit.durationMs > 0))) problems.push('rateLimit needs max >= 1 and durationMs > 0');
  if (problems.length > 0) throw new Error(`Invalid options for queue "${name}": ${problems.join('; ')}`);
}
