import type { ConversationDoc, MessageAuthor, MessageDoc, MessageType } from '../domain/model.js';
import { newId } from '../store/ids.js';

export interface DeskMessageInput {
  conversation: ConversationDoc;
  author: MessageAuthor;
  agentId?: string | null;
  origin?: string | null;
  authorName?: string | null;
  type: MessageType;
  text?: string | null;
  payload?: Record<string, unknown> | null;
  replyToWhatsappId?: string | null;
  now: Date;
}

/** A message the desk writes: QUEUED for WhatsApp, or RECEIVED-free internal NOTE that never leaves. */
export function deskMessage(input: DeskMessageInput): MessageDoc {
  const isNote = input.type === 'NOTE';
  return {
    _id: newId(input.now.getTime()),
    conversationId: input.conversation._id,
    customerId: input.conversation.customerId,
    direction: isNote ? 'INTERNAL' : 'OUTBOUND',
    author: input.author,
    agentId: input.agentId ?? null,
    origin: input.origin ?? null,
    authorName: input.authorName ?? null,
    type: input.type,
    text: input.text ?? null,
    media: null,
    payload: input.payload ?? null,
    // Notes never travel, so they have no delivery to track: READ marks them as seen by the desk.
    status: isNote ? 'READ' : 'QUEUED',
    statusAt: input.now,
    error: null,
    whatsappId: null,
    replyToWhatsappId: input.replyToWhatsappId ?? null,
    sentAt: input.now,
    ...(isNote ? {} : { outbox: { state: 'QUEUED' as const, attempts: 0, nextAttemptAt: input.now, leaseOwner: null, leaseUntil: null, lastError: null } }),
    createdAt: input.now,
    updatedAt: input.now,
  };
}
