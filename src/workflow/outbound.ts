// The WhatsApp outbox. The store is the truth: every outbound message is
// stored QUEUED, a worker takes a lease on it (SENDING, owner + expiry),
// sends, and records SENT, FAILED (retrying cannot fix it) or DEAD (tries
// exhausted). The job runner only wakes workers; a sweep wakes whatever a
// crash, a restart or a Redis outage left behind.
import type { MessageDoc, MessageError } from '../domain/model.js';
import { PermanentJobError, type DeadLetter } from '../jobs/port.js';
import { classifyFailure, InputError, retryDelay } from '../jobs/retryClassification.js';
import { WhatsAppApiError } from '../whatsapp/cloudApi.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';
import { sendStoredMedia } from './media.js';

export const SEND_QUEUE = 'whatsapp.send';
export const READ_QUEUE = 'whatsapp.markRead';

/** The API failure behind an error, looking through the causes a queue runner wraps around it. */
function asApiFailure(error: unknown): WhatsAppApiError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof WhatsAppApiError) return current;
  }
  return null;
}

/** Wake-up job ids carry the attempt, so a retry's wake is never mistaken for (and deduplicated against) the last one. */
function wakeJobId(messageId: string, attempt: number, suffix = ''): string {
  return `send-${messageId}-a${attempt}${suffix}`;
}

/** A delayed wake may fire a moment before the time it was set for (timers, clocks of two instances). */
const WAKE_TOLERANCE_MS = 1_000;

/**
 * Sends in flight at once per process. WHATSAPP_SEND_RATE paces them; this
 * only bounds how many wait on Meta together (a slow Graph API ties up
 * sockets and memory, not CPU).
 */
const SEND_CONCURRENCY = 8;
/** The runner's own retries of a send wake: only a store error escapes the handler, which records Meta's outcomes itself. */
const SEND_WAKE_ATTEMPTS = 5;
/** Read receipts are cosmetic (blue ticks): fewer in flight and fewer retries than replies. */
const READ_CONCURRENCY = 4;
const READ_ATTEMPTS = 3;

/** Wakes a worker for a stored message; a failed wake is only logged: the sweep finds the message anyway. */
export async function wakeSender(deps: WorkflowDeps, messageId: string, attempt: number, options: { delayMs?: number; suffix?: string } = {}): Promise<boolean> {
  try {
    await deps.queue.enqueue(SEND_QUEUE, { messageId }, { jobId: wakeJobId(messageId, attempt, options.suffix), delayMs: options.delayMs });
    return true;
  } catch (error) {
    deps.dependencyFailed('job queue', error, { messageId, note: 'message stays QUEUED in the store; the outbox sweep sends it' });
    return false;
  }
}

export function registerOutbound(deps: WorkflowDeps): void {
  const { queue, whatsapp } = deps;
  const backoff = { baseMs: whatsapp.retryBaseMs, maxMs: whatsapp.retryMaxMs };

  queue.register<{ messageId: string }>(
    SEND_QUEUE,
    async ({ messageId }) => {
      const now = deps.clock.now();
      const claimed = await deps.repos.messages.claimSend(messageId, deps.instanceId, deps.outbox.leaseMs, now, WAKE_TOLERANCE_MS);
      if (!claimed) {
        const current = await deps.repos.messages.byId(messageId);
        // Never consumed silently: a wake for a message the store does not have is a dead letter, with a log line.
        if (!current) {
          deps.logger.error({ messageId }, 'send job for a message that is not in the store: dead-lettered');
          throw new PermanentJobError(`message ${messageId} not found in the store`);
        }
        // Sent, failed, held by another worker, or not due yet (its own wake or the sweep comes back for it).
        deps.logger.debug({ messageId, state: current.outbox?.state }, 'send wake: nothing to do now');
        return;
      }
      const attempt = claimed.outbox?.attempts ?? 1;
      if (!deps.sender) {
        await fail(deps, claimed, { code: -1, title: 'WhatsApp sending is not configured', details: 'set WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN' });
        return;
      }
      let whatsappId: string;
      try {
        ({ whatsappId } = await send(deps, claimed));
      } catch (error) {
        await failedTry(deps, claimed, attempt, error, backoff);
        return;
      }
      // From here the send happened: if this process dies before the next line, the lease runs out and the message is sent again (README: at-least-once).
      await transitions.markMessageSent(deps, claimed._id, whatsappId, deps.clock.now());
      deps.meters.messageOut();
      await applyHeldStatuses(deps, whatsappId);
    },
    // The handler records every send outcome in the store itself; the runner retries only what escaped it (a store hiccup).
    { attempts: SEND_WAKE_ATTEMPTS, backoff, concurrency: SEND_CONCURRENCY, rateLimit: { max: whatsapp.sendRatePerSecond, durationMs: 1000 } },
  );

  queue.register<{ whatsappId: string }>(
    READ_QUEUE,
    async ({ whatsappId }) => {
      if (!deps.sender) return;
      try {
        await deps.sender.markRead(whatsappId);
      } catch (error) {
        const verdict = classifyFailure(error);
        if (verdict.retryable) throw error;
        // A read receipt that cannot be sent is not worth a dead letter.
        deps.logger.info({ whatsappId, reason: verdict.reason }, 'mark-as-read not sent');
      }
    },
    { attempts: READ_ATTEMPTS, backoff, concurrency: READ_CONCURRENCY, rateLimit: { max: whatsapp.sendRatePerSecond, durationMs: 1000 } },
  );
}

/** One try failed: FAILED when retrying cannot help, DEAD when the tries ran out, else QUEUED again with its next time. */
async function failedTry(deps: WorkflowDeps, message: MessageDoc, attempt: number, error: unknown, backoff: { baseMs: number; maxMs: number }): Promise<void> {
  const verdict = classifyFailure(error);
  const failure = asApiFailure(error);
  const reason = failure ? failure.toMessageError() : { code: -1, title: verdict.retryable ? 'send retries exhausted' : 'cannot be sent', details: verdict.reason };
  deps.logger.warn({ messageId: message._id, attempt, code: failure?.code, retryable: verdict.retryable, reason: verdict.reason }, 'whatsapp send failed');
  if (!verdict.retryable) {
    if (failure?.kind === 'auth') deps.logger.error({ code: failure.code }, 'WhatsApp rejected our credentials or account: check WHATSAPP_ACCESS_TOKEN');
    await fail(deps, message, reason);
    return;
  }
  if (attempt >= deps.whatsapp.sendAttempts) {
    await fail(deps, message, reason, true);
    return;
  }
  let delayMs = retryDelay(verdict, backoff, attempt);
  // Only this recipient waits on a pair rate limit: other recipients' messages keep flowing.
  if (failure?.kind === 'pair_rate_limited') delayMs = Math.max(delayMs, deps.whatsapp.pairPauseMs);
  const now = deps.clock.now();
  const queued = await deps.repos.messages.retryLater(message._id, attempt, new Date(now.getTime() + delayMs), verdict.reason, now);
  if (queued) await wakeSender(deps, message._id, attempt, { delayMs });
}

async function send(deps: WorkflowDeps, message: MessageDoc): Promise<{ whatsappId: string }> {
  const sender = deps.sender!;
  const to = (await deps.repos.customers.byId(message.customerId))?.waId;
  if (!to) throw new InputError(`customer ${message.customerId} not found`);
  const payload = message.payload ?? {};
  switch (message.type) {
    case 'TEXT':
      return sender.sendText(to, message.text ?? '', { replyTo: message.replyToWhatsappId ?? undefined });
    case 'INTERACTIVE': {
      const list = payload as { body: string; button: string; sections: Parameters<typeof sender.sendList>[3] };
      return sender.sendList(to, list.body, list.button, list.sections);
    }
    case 'TEMPLATE': {
      const template = payload as { name: string; language: string; components?: unknown[] };
      return sender.sendTemplate(to, template.name, template.language, template.components);
    }
    case 'IMAGE':
    case 'VIDEO':
    case 'AUDIO':
    case 'DOCUMENT':
    case 'STICKER':
      return sendStoredMedia(deps, message, to);
    default:
      throw new InputError(`cannot send a ${message.type} message`);
  }
}

async function fail(deps: WorkflowDeps, message: MessageDoc, error: MessageError, dead = false): Promise<void> {
  deps.meters.sendFailed(error.code);
  if (dead) deps.logger.error({ messageId: message._id, attempts: message.outbox?.attempts, error }, 'whatsapp send retries exhausted: dead letter (an admin can retry it)');
  await transitions.markMessageFailed(deps, message._id, error, deps.clock.now(), dead);
}

/** Applies statuses that beat the send call's answer (Meta may post `sent` before we hear the wamid). */
export async function applyHeldStatuses(deps: WorkflowDeps, whatsappId: string): Promise<void> {
  for (const held of await deps.repos.messages.takeHeldStatuses(whatsappId)) {
    const moved = await transitions.advanceMessageStatus(deps, whatsappId, held.status, held.at, held.error);
    if (moved?.status === 'FAILED' && held.error) deps.meters.sendFailed(held.error.code);
  }
}

/**
 * Stores an outbound message as QUEUED and wakes a sender. Stored is what
 * counts: when the wake cannot be queued (Redis down) the sweep sends it.
 */
export async function queueOutbound(deps: WorkflowDeps, message: MessageDoc): Promise<MessageDoc> {
  const stored = await transitions.addOutboundMessage(deps, message);
  await wakeSender(deps, stored._id, 0);
  return stored;
}

/** Dead letters of the send outbox, as the GraphQL dead-letter list shows them (id = message id). */
export async function sendDeadLetters(deps: WorkflowDeps): Promise<DeadLetter[]> {
  const dead = await deps.repos.messages.outboxDead(1_000);
  return dead.map((m) => ({
    id: m._id,
    queue: SEND_QUEUE,
    payload: { messageId: m._id },
    attempts: m.outbox?.attempts ?? 0,
    error: m.error ? `${m.error.title}${m.error.details ? ` - ${m.error.details}` : ''}` : (m.outbox?.lastError ?? ''),
    failedAt: new Date(m.statusAt),
  }));
}

/** An admin retries a dead send: QUEUED again with fresh attempts, and woken. False when it is not a dead letter. */
export async function retryDeadSend(deps: WorkflowDeps, messageId: string): Promise<boolean> {
  const requeued = await transitions.requeueFailedMessage(deps, messageId, deps.clock.now());
  if (!requeued) return false;
  await wakeSender(deps, messageId, 0, { suffix: `-r${Date.now()}` });
  return true;
}

/**
 * Wakes what the store says is owed: QUEUED messages due for longer than
 * `graceMs` (their wake was lost: a crash, a restart of the in-process
 * runner, Redis down) and SENDING ones whose lease ran out. A duplicate
 * wake is harmless: only one worker gets the lease.
 */
export async function sweepOutbox(deps: WorkflowDeps, graceMs: number, limit = 1_000): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.repos.messages.outboxDue(new Date(now.getTime() - graceMs), now, limit);
  // One wake per message per sweep window, so a wake stuck in a runner's failed set cannot block the next sweep's.
  const window = `-s${Math.floor(now.getTime() / Math.max(graceMs, 1_000))}`;
  let woken = 0;
  for (const message of due) {
    if (await wakeSender(deps, message._id, message.outbox?.attempts ?? 0, { suffix: window })) woken++;
    else break; // the queue is unreachable: the next sweep tries again
  }
  return woken;
}
