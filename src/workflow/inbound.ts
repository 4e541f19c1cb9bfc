// A customer's message entering the desk. Everything here is stored before
// the webhook is acknowledged; greeting and assignment run afterwards as a
// follow-up job, from stored state.
import { decideOnCustomerReturn } from '../domain/lifecycle.js';
import { customerSentAt } from '../domain/serviceWindow.js';
import { sha256Hex } from '../domain/media.js';
import type { ConversationDoc, CustomerDoc, MediaRef, MessageDoc, MessageType } from '../domain/model.js';
import { DuplicateKeyError } from '../store/port.js';
import { newId } from '../store/ids.js';
import type { WorkflowDeps } from './deps.js';
import { deskMessage } from './messageFactory.js';
import { queueOutbound } from './outbound.js';
import { ratingFromReplyId } from './survey.js';
import * as transitions from './transitions.js';

export const FOLLOW_UP_QUEUE = 'workflow.followUp';

/** What the webhook parser (src/whatsapp/webhook.ts) hands over for each message. */
export interface InboundInput {
  whatsappId: string;
  from: string;
  profileName: string | null;
  timestamp: Date;
  type: MessageType;
  text: string | null;
  media: MediaRef | null;
  payload: Record<string, unknown> | null;
  replyToWhatsappId: string | null;
  interactiveReplyId: string | null;
}

export interface FollowUp {
  conversationId: string;
  reason: 'opened' | 'reopened';
}

export interface IngestResult {
  /** False when Meta redelivered a message we already have. */
  stored: boolean;
  message: MessageDoc | null;
  conversation: ConversationDoc | null;
  followUp: FollowUp | null;
}

type Placement =
  | { kind: 'existing'; conversation: ConversationDoc; role: 'message' | 'rating' | 'comment' }
  | { kind: 'opened' | 'reopened'; conversation: ConversationDoc; received: transitions.Received };

export async function ingestInbound(deps: WorkflowDeps, asSent: InboundInput): Promise<IngestResult> {
  const { repos } = deps;
  const now = deps.clock.now();
  const sentAt = customerSentAt(asSent.timestamp, now);
  if (sentAt !== asSent.timestamp) {
    deps.logger.warn({ whatsappId: asSent.whatsappId, timestamp: asSent.timestamp.toISOString() }, 'inbound message dated more than 5 minutes ahead: its arrival time is used instead');
  }
  const input: InboundInput = { ...asSent, timestamp: sentAt };

  // Cheap exit for Meta's redeliveries; the unique index below is what really guarantees one copy.
  if (await repos.messages.byWhatsappId(input.whatsappId)) return { stored: false, message: null, conversation: null, followUp: null };

  const customer = await repos.customers.upsert(input.from, input.profileName, now);
  const messageIn = (conversation: ConversationDoc): MessageDoc => ({
    _id: newId(now.getTime()),
    conversationId: conversation._id,
    customerId: customer._id,
    direction: 'INBOUND',
    author: 'CUSTOMER',
    agentId: null,
    origin: null,
    type: input.type,
    text: input.text,
    media: input.media ? pendingMedia(input.media) : null,
    payload: input.payload,
    status: 'RECEIVED',
    statusAt: now,
    error: null,
    whatsappId: input.whatsappId,
    replyToWhatsappId: input.replyToWhatsappId,
    sentAt: input.timestamp,
    createdAt: now,
    updatedAt: now,
  });
  const placement = await place(deps, customer, input, now, messageIn);
  const conversation = placement.conversation;
  // A message that opens or reopens a conversation is stored by that transition, so its announcement carries it.
  const received = placement.kind === 'existing' ? await transitions.receiveMessage(deps, messageIn(conversation), conversation, customer) : placement.received;

  const followUp: FollowUp | null = placement.kind === 'existing' ? null : { conversationId: conversation._id, reason: placement.kind };
  if (!received) return { stored: false, message: null, conversation, followUp };
  deps.meters.messageIn();
  const updated = received.conversation;

  if (placement.kind === 'existing' && placement.role === 'rating') await answerSurvey(deps, updated, input);
  if (placement.kind === 'existing' && placement.role === 'comment') await commentOnSurvey(deps, updated, input.text ?? '');
  return { stored: true, message: received.message, conversation: updated, followUp };
}

/** A customer's file as the webhook describes it, before the desk holds it (workflow/media.ts fetches it). */
function pendingMedia(media: MediaRef): MediaRef {
  return {
    ...media,
    sha256: sha256Hex(media.sha256),
    status: media.id ? 'PENDING' : 'FAILED',
    size: null,
    failureReason: media.id ? null : 'the webhook carried no media id',
  };
}

/** Which conversation a customer's message belongs to, opening or reopening one (with the message) when the rules say so. */
async function place(deps: WorkflowDeps, customer: CustomerDoc, input: InboundInput, now: Date, opening: transitions.OpeningMessage): Promise<Placement> {
  const { conversations } = deps.repos;
  const customerId = customer._id;
  const open = await conversations.open(customerId);
  if (open) return { kind: 'existing', conversation: open, role: 'message' };

  const latest = await conversations.latestFor(customerId);
  if (latest && latest.status === 'RESOLVED') {
    // A survey answer never reopens, whenever it arrives.
    if (ratingFromReplyId(input.interactiveReplyId) !== null) return { kind: 'existing', conversation: latest, role: 'rating' };
    const ratedAt = latest.survey?.ratedAt ?? null;
    const commentWindowOpen = ratedAt !== null && now.getTime() - new Date(ratedAt).getTime() <= deps.config.survey.commentWindowMs;
    if (commentWindowOpen && latest.feedback && latest.feedback.comment === null && input.type === 'TEXT') {
      return { kind: 'existing', conversation: latest, role: 'comment' };
    }
    if (latest.resolvedAt && decideOnCustomerReturn(latest.resolvedAt, input.timestamp, deps.config.reopenWindowMs) === 'reopen') {
      try {
        const reopened = await transitions.reopenConversation(deps, latest, now, { customer, by: 'customer', opening });
        if (reopened) return { kind: 'reopened', ...reopened };
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
      }
      // Someone else reopened or opened it meanwhile: join whatever is open now.
      const nowOpen = await conversations.open(customerId);
      if (nowOpen) return { kind: 'existing', conversation: nowOpen, role: 'message' };
    }
  }
  const { conversation, created, received } = await transitions.openConversation(deps, customer, now, opening);
  return created ? { kind: 'opened', conversation, received } : { kind: 'existing', conversation, role: 'message' };
}

async function answerSurvey(deps: WorkflowDeps, conversation: ConversationDoc, input: InboundInput): Promise<void> {
  const score = ratingFromReplyId(input.interactiveReplyId);
  if (score === null) return;
  const now = deps.clock.now();
  const rated = await transitions.recordRating(deps, conversation._id, { score, comment: null, receivedAt: now }, now);
  if (!rated) return; // no survey pending: a stray or repeated answer is kept as a message only
  const thanked = await deps.repos.conversations.claimThanks(rated._id, now);
  if (thanked && deps.sender) {
    await queueOutbound(deps, deskMessage({ conversation: thanked, author: 'SYSTEM', type: 'TEXT', text: deps.config.survey.thanksText, payload: { purpose: 'survey_thanks' }, now }));
  }
}

async function commentOnSurvey(deps: WorkflowDeps, conversation: ConversationDoc, comment: string): Promise<void> {
  const now = deps.clock.now();
  await transitions.recordComment(deps, conversation._id, comment, now);
}
