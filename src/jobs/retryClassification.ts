// One answer to "try again or give up?" for everything the outbox runs: both
// job runners (in-process and BullMQ) and the WhatsApp send handler ask here,
// so a failure is judged the same way whichever runner carries the job.
//
// Errors are recognised by `name` (and `kind`/`code` fields), not by class:
// an error may come from another copy of a module (a third-party plugin, a
// BullMQ UnrecoverableError wrapping ours), where instanceof says no.
import { backoffDelay, type BackoffPolicy } from './port.js';

export type RetryVerdict =
  | { retryable: true; reason: string; /** A Retry-After or a pause the failure asked for; overrides the backoff. */ retryAfterMs?: number }
  | { retryable: false; reason: string };

/** Thrown where a job's own input cannot work (a message type we cannot send): permanent at once. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Errors that say the input itself is wrong: the same input fails the same way, so no retry. */
const INPUT_ERROR_NAMES = new Set(['WhatsAppInputError', 'ZodError', 'InputError']);
/** Error codes with the same meaning (DeskError's `code`). */
const INPUT_ERROR_CODES = new Set(['BAD_USER_INPUT']);
/** WhatsAppApiError kinds worth another try (src/whatsapp/cloudApi.ts classifies Meta's codes into these). */
const RETRYABLE_API_KINDS = new Set(['rate_limited', 'pair_rate_limited', 'transient']);

interface Inspectable {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  kind?: unknown;
  retryAfterMs?: unknown;
  cause?: unknown;
}

function finiteDelay(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function describe(error: Inspectable): string {
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : String(error);
  return `${name}: ${message}`;
}

/** The verdict on one error, not looking at its causes; null when it says nothing either way. */
function judge(error: Inspectable): RetryVerdict | null {
  const name = error.name;
  if (name === 'PermanentJobError' || name === 'PermanentDeliveryError') return { retryable: false, reason: describe(error) };
  if (name === 'RetryableError' || name === 'RetryLaterError') {
    const retryAfterMs = finiteDelay(error.retryAfterMs);
    return retryAfterMs === undefined ? { retryable: true, reason: describe(error) } : { retryable: true, reason: describe(error), retryAfterMs };
  }
  if ((typeof name === 'string' && INPUT_ERROR_NAMES.has(name)) || (typeof error.code === 'string' && INPUT_ERROR_CODES.has(error.code))) {
    return { retryable: false, reason: `invalid input: ${describe(error)}` };
  }
  if (name === 'WhatsAppApiError' && typeof error.kind === 'string') {
    if (!RETRYABLE_API_KINDS.has(error.kind)) return { retryable: false, reason: `${error.kind}: ${describe(error)}` };
    const retryAfterMs = finiteDelay(error.retryAfterMs);
    const reason = `${error.kind}: ${describe(error)}`;
    return retryAfterMs === undefined ? { retryable: true, reason } : { retryable: true, reason, retryAfterMs };
  }
  return null;
}

/**
 * Retryable or permanent, with the reason. The outermost error that says
 * something decides (a RetryableError wrapping a Meta failure keeps its own
 * delay); an error nobody classified (a network hiccup, a store timeout) is
 * retryable, since giving up on it would lose work a second try could do.
 */
export function classifyFailure(thrown: unknown): RetryVerdict {
  let current: unknown = thrown;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const verdict = judge(current as Inspectable);
    if (verdict) return verdict;
    current = (current as Inspectable).cause;
  }
  const error = toError(thrown);
  return { retryable: true, reason: `unclassified, retried: ${describe(error)}` };
}

/** The wait before the next try: the failure's own Retry-After wins over the backoff. */
export function retryDelay(verdict: RetryVerdict, backoff: BackoffPolicy, attemptsMade: number, random: () => number = Math.random): number {
  if (verdict.retryable && verdict.retryAfterMs !== undefined) return verdict.retryAfterMs;
  return backoffDelay(backoff, attemptsMade, random);
}

/** Anything thrown, as an Error (a runner records its message). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown) ?? String(thrown));
  } catch {
    return new Error(String(thrown));
  }
}
