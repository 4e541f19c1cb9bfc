// The WhatsApp outbox: every outbound message is stored QUEUED first, then
// sent by a job that retries what Meta calls transient and fails at once on
// what retrying cannot fix (the error table in shared/whatsapp/README.md).
import type { MessageDoc, MessageError } from '../domain/model.js';
import { RetryableError } from '../jobs/port.js';
import { classifyFailure, InputError } from '../jobs/retryClassification.js';
import { WhatsAppApiError } from '../whatsapp/cloudApi.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';

export const SEND_QUEUE = 'whatsapp.send';
export const READ_QUEUE = 'whatsapp.markRead';

/** The API failure behind an error, looking through the causes a queue runner wraps around it. */
function asApiFailure(error: unknown): WhatsAppApiError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof WhatsAppApiError) return current;
  }
  return null;
}

function retryFor(failure: WhatsAppApiError, delayMs?: number): RetryableError {
  const retry = new RetryableError(failure.message, delayMs);
  retry.cause = failure; // so the dead letter still knows Meta's code
  return retry;
}

export function registerOutbound(deps: WorkflowDeps): void {
  const { queue, whatsapp } = deps;
  const retry = { attempts: whatsapp.sendAttempts, backoff: { baseMs: whatsapp.retryBaseMs, maxMs: whatsapp.retryMaxMs } };

  queue.register<{ messageId: string }>(
    SEND_QUEUE,
    async ({ messageId }, ctx) => {
      let message = await deps.repos.messages.byId(messageId);
      if (message?.status === 'FAILED' && message.error?.exhausted && ctx.attempt === 1) {
        // An admin retried the dead letter: the message goes back to the queue, visibly.
        message = await transitions.requeueFailedMessage(deps, messageId, deps.clock.now());
      }
      if (!message || message.status !== 'QUEUED') return; // already sent or failed: a retried job must not send twice
      if (!deps.sender) {
        await fail(deps, message, { code: -1, title: 'WhatsApp sending is not configured', details: 'set WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN' });
        return;
      }
      try {
        const { whatsappId } = await send(deps, message);
        await transitions.markMessageSent(deps, message._id, whatsappId, deps.clock.now());
        deps.meters.messageOut();
        await applyHeldStatuses(deps, whatsappId);
      } catch (error) {
        const verdict = classifyFailure(error);
        const failure = asApiFailure(error);
        deps.logger.warn({ messageId, attempt: ctx.attempt, code: failure?.code, retryable: verdict.retryable, reason: verdict.reason }, 'whatsapp send failed');
        if (!verdict.retryable) {
          if (failure?.kind === 'auth') deps.logger.error({ code: failure.code }, 'WhatsApp rejected our credentials or account: check WHATSAPP_ACCESS_TOKEN');
          await fail(deps, message, failure ? failure.toMessageError() : { code: -1, title: 'cannot be sent', details: verdict.reason });
          return;
        }
        if (!failure) throw error; // unexpected (network, store): the runner retries it
        // Only this recipient waits on a pair rate limit: other recipients' messages keep flowing.
        const pause = failure.kind === 'pair_rate_limited' ? Math.max(failure.retryAfterMs ?? 0, whatsapp.pairPauseMs) : (failure.retryAfterMs ?? undefined);
        throw retryFor(failure, pause);
      }
    },
    { ...retry, concurrency: 8, rateLimit: { max: whatsapp.sendRatePerSecond, durationMs: 1000 } },
    async ({ messageId }, error) => {
      const message = await deps.repos.messages.byId(messageId);
      const failure = asApiFailure(error);
      const reason = failure ? failure.toMessageError() : { code: -1, title: 'send retries exhausted', details: error.message };
      if (message) await fail(deps, message, { ...reason, exhausted: true });
    },
  );

  queue.register<{ whatsappId: string }>(
    READ_QUEUE,
    async ({ whatsappId }) => {
      if (!deps.sender) return;
      try {
        await deps.sender.markRead(whatsappId);
      } catch (error) {
        const failure = asApiFailure(error);
        if (failure && (failure.kind === 'transient' || failure.kind === 'rate_limited')) throw new RetryableError(failure.message, failure.retryAfterMs ?? undefined);
        // A read receipt that cannot be sent is not worth a dead letter.
        deps.logger.info({ whatsappId, error: (error as Error).message }, 'mark-as-read not sent');
      }
    },
    { attempts: 3, backoff: retry.backoff, concurrency: 4, rateLimit: { max: whatsapp.sendRatePerSecond, durationMs: 1000 } },
  );
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
    default:
      throw new InputError(`cannot send a ${message.type} message`);
  }
}

async function fail(deps: WorkflowDeps, message: MessageDoc, error: MessageError): Promise<void> {
  deps.meters.sendFailed(error.code);
  await transitions.markMessageFailed(deps, message._id, error, deps.clock.now());
}

/** Applies statuses that beat the send call's answer (Meta may post `sent` before we hear the wamid). */
export async function applyHeldStatuses(deps: WorkflowDeps, whatsappId: string): Promise<void> {
  for (const held of await deps.repos.messages.takeHeldStatuses(whatsappId)) {
    const moved = await transitions.advanceMessageStatus(deps, whatsappId, held.status, held.at, held.error);
    if (moved?.status === 'FAILED' && held.error) deps.meters.sendFailed(held.error.code);
  }
}

/** Stores an outbound message as QUEUED and hands it to the outbox. */
export async function queueOutbound(deps: WorkflowDeps, message: MessageDoc): Promise<MessageDoc> {
  const stored = await transitions.addOutboundMessage(deps, message);
  await deps.queue.enqueue(SEND_QUEUE, { messageId: stored._id }, { jobId: `send-${stored._id}` });
  return stored;
}
