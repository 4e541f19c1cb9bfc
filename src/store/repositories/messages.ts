import { statusesBefore } from '../../domain/deliveryStatus.js';
import type { DeliveryStatus, MessageDoc, MessageError } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import { DuplicateKeyError, type Store } from '../port.js';
import { cursorQuery, type CursorPage } from './paging.js';
import { escapeRegex } from './regex.js';

export interface HeldStatus {
  _id: string;
  whatsappId: string;
  status: DeliveryStatus;
  at: Date;
  error: MessageError | null;
  receivedAt: Date;
}

const HELD_STATUS_TTL_MS = 24 * 3600_000;

export function messageRepository(store: Store) {
  const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
  const held = store.collection<HeldStatus>(COLLECTIONS.pendingStatuses);

  return {
    byId: (id: string) => messages.findOne({ _id: id }),
    byIds: (ids: string[]) => messages.find({ _id: { $in: ids } }),
    byWhatsappId: (whatsappId: string) => messages.findOne({ whatsappId }),
    page(conversationId: string, page: CursorPage) {
      const { filter, options } = cursorQuery({ conversationId }, page, 1);
      return messages.find(filter, options);
    },
    /** Conversations with a message whose text contains `text`, ignoring case; the newest messages first. */
    async conversationIdsMentioning(text: string, limit: number): Promise<string[]> {
      const found = await messages.find({ text: { $regex: escapeRegex(text), $options: 'i' } }, { sort: { _id: -1 }, limit, projection: { conversationId: 1 } });
      return [...new Set(found.map((m) => m.conversationId))];
    },
    lastInbound: (conversationId: string) =>
      messages.findOne({ conversationId, direction: 'INBOUND', whatsappId: { $ne: null } }, { sort: { _id: -1 } }),

    /** Inserts; null when a message with the same WhatsApp id exists (Meta redelivered it). */
    async insertUnlessDuplicate(doc: MessageDoc): Promise<MessageDoc | null> {
      try {
        return await messages.insertOne(doc);
      } catch (error) {
        if (error instanceof DuplicateKeyError) return null;
        throw error;
      }
    },

    insert: (doc: MessageDoc) => messages.insertOne(doc),

    /** Moves a status forward only; null when it would not move (duplicate, late, or unknown message). */
    advanceStatus: (whatsappId: string, status: DeliveryStatus, at: Date, error: MessageError | null) =>
      messages.findOneAndUpdate(
        { whatsappId, status: { $in: statusesBefore(status) } },
        { $set: { status, statusAt: at, updatedAt: new Date(), ...(error ? { error } : {}) } },
        { returnDocument: 'after' },
      ),

    /**
     * Takes the send lease: a QUEUED message that is due (within `toleranceMs`,
     * a timer may fire a moment early), or a SENDING one whose lease ran out
     * (its sender died). Atomic, so of two workers only one sends.
     */
    claimSend: (id: string, owner: string, leaseMs: number, now: Date, toleranceMs = 0) =>
      messages.findOneAndUpdate(
        {
          _id: id,
          $or: [
            { 'outbox.state': 'QUEUED', 'outbox.nextAttemptAt': { $lte: new Date(now.getTime() + toleranceMs) } },
            { 'outbox.state': 'SENDING', 'outbox.leaseUntil': { $lte: now } },
          ],
        },
        {
          $set: { 'outbox.state': 'SENDING', 'outbox.leaseOwner': owner, 'outbox.leaseUntil': new Date(now.getTime() + leaseMs), updatedAt: now },
          $inc: { 'outbox.attempts': 1 },
        },
        { returnDocument: 'after' },
      ),

    /** Sent, with the wamid the Cloud API returned (whoever held the lease: a second copy already went out). */
    async markSent(id: string, whatsappId: string, at: Date): Promise<MessageDoc | null> {
      const sent = await messages.findOneAndUpdate(
        { _id: id, status: 'QUEUED' },
        { $set: { whatsappId, status: 'SENT', statusAt: at, updatedAt: at, 'outbox.state': 'SENT', 'outbox.leaseOwner': null, 'outbox.leaseUntil': null } },
        { returnDocument: 'after' },
      );
      if (sent) return sent;
      // Already moved on (a retry after an answer we never saw): still remember the wamid.
      await messages.updateOne({ _id: id, whatsappId: null }, { $set: { whatsappId, updatedAt: at } });
      return null;
    },

    /** A try failed and another is due at `next`: SENDING (this claim) → QUEUED. */
    retryLater: (id: string, attempt: number, next: Date, lastError: string, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, 'outbox.state': 'SENDING', 'outbox.attempts': attempt },
        { $set: { 'outbox.state': 'QUEUED', 'outbox.nextAttemptAt': next, 'outbox.leaseOwner': null, 'outbox.leaseUntil': null, 'outbox.lastError': lastError, updatedAt: at } },
        { returnDocument: 'after' },
      ),

    /** FAILED for good; `dead` when retries ran out (the outbox state DEAD: an admin may retry it). */
    markFailed: (id: string, error: MessageError, at: Date, dead = false) =>
      messages.findOneAndUpdate(
        { _id: id, status: { $in: statusesBefore('FAILED') } },
        {
          $set: {
            status: 'FAILED',
            statusAt: at,
            error: dead ? { ...error, exhausted: true } : error,
            updatedAt: at,
            'outbox.state': dead ? 'DEAD' : 'FAILED',
            'outbox.leaseOwner': null,
            'outbox.leaseUntil': null,
            'outbox.lastError': error.details ?? error.title,
          },
        },
        { returnDocument: 'after' },
      ),

    /** An admin retries a dead letter: DEAD back to QUEUED with fresh attempts. */
    requeueDead: (id: string, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, 'outbox.state': 'DEAD' },
        {
          $set: {
            status: 'QUEUED',
            statusAt: at,
            error: null,
            updatedAt: at,
            outbox: { state: 'QUEUED', attempts: 0, nextAttemptAt: at, leaseOwner: null, leaseUntil: null, lastError: null },
          },
        },
        { returnDocument: 'after' },
      ),

    /** What the sweep wakes: QUEUED and due since `dueBefore`, or SENDING past its lease; oldest first. */
    async outboxDue(dueBefore: Date, now: Date, limit: number) {
      // Two queries on the indexed outbox.state, not one $or: the embedded engine answers a top-level $or by
      // reading every message, which at a million stored messages made the sweep the desk's largest cost.
      const options = { sort: { _id: 1 as const }, limit, projection: { _id: 1 as const, outbox: 1 as const } };
      const [queued, sending] = await Promise.all([
        messages.find({ 'outbox.state': 'QUEUED', 'outbox.nextAttemptAt': { $lte: dueBefore } }, options),
        messages.find({ 'outbox.state': 'SENDING', 'outbox.leaseUntil': { $lte: now } }, options),
      ]);
      return [...queued, ...sending].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)).slice(0, limit);
    },

    /** Dead letters of the send outbox, oldest first. */
    outboxDead: (limit: number) => messages.find({ 'outbox.state': 'DEAD' }, { sort: { updatedAt: 1 }, limit }),

    /** Messages per outbox state that still need work (QUEUED, SENDING) or attention (DEAD). */
    async outboxCounts(): Promise<{ queued: number; sending: number; dead: number }> {
      const [queued, sending, dead] = await Promise.all(
        (['QUEUED', 'SENDING', 'DEAD'] as const).map((state) => messages.countDocuments({ 'outbox.state': state })),
      );
      return { queued: queued ?? 0, sending: sending ?? 0, dead: dead ?? 0 };
    },

    /** Media the desk does not hold yet (start-up picks their downloads up again). */
    pendingMedia: (limit = 1000) =>
      messages.find({ direction: 'INBOUND', 'media.id': { $ne: null }, 'media.status': 'PENDING' }, { sort: { _id: 1 }, limit }),

    /** PENDING → READY once the bytes are stored and verified. */
    markMediaReady: (id: string, found: { size: number; sha256: string; mimeType: string | null }, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, 'media.status': { $ne: 'READY' } },
        {
          $set: {
            'media.status': 'READY',
            'media.size': found.size,
            'media.sha256': found.sha256,
            ...(found.mimeType ? { 'media.mimeType': found.mimeType } : {}),
            'media.failureReason': null,
            updatedAt: at,
          },
        },
        { returnDocument: 'after' },
      ),

    markMediaFailed: (id: string, reason: string, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, 'media.status': 'PENDING' },
        { $set: { 'media.status': 'FAILED', 'media.failureReason': reason, updatedAt: at } },
        { returnDocument: 'after' },
      ),

    /** An outbound file uploaded to Meta: the media id it is sent by. */
    setMediaId: (id: string, mediaId: string, at: Date) =>
      messages.findOneAndUpdate({ _id: id }, { $set: { 'media.id': mediaId, updatedAt: at } }, { returnDocument: 'after' }),

    /**
     * Keeps a status whose message we don't know yet (it can beat the send
     * call's answer). Receipts for messages we never sent (another app on the
     * same number) would pile up, so holds older than a day are dropped.
     */
    async holdStatus(whatsappId: string, status: DeliveryStatus, at: Date, error: MessageError | null): Promise<void> {
      const now = new Date();
      await held.deleteMany({ receivedAt: { $lt: new Date(now.getTime() - HELD_STATUS_TTL_MS) } });
      try {
        await held.insertOne({ _id: newId(), whatsappId, status, at, error, receivedAt: now });
      } catch (e) {
        if (!(e instanceof DuplicateKeyError)) throw e;
      }
    },

    async takeHeldStatuses(whatsappId: string): Promise<HeldStatus[]> {
      const found = await held.find({ whatsappId }, { sort: { at: 1, _id: 1 } });
      if (found.length) await held.deleteMany({ whatsappId });
      return found;
    },
  };
}

export type MessageRepository = ReturnType<typeof messageRepository>;
