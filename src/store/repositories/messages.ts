import { statusesBefore } from '../../domain/deliveryStatus.js';
import type { DeliveryStatus, MessageDoc, MessageError } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import { DuplicateKeyError, type Store } from '../port.js';
import { cursorQuery, type CursorPage } from './paging.js';

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

    /** QUEUED → SENT with the wamid the Cloud API returned. */
    async markSent(id: string, whatsappId: string, at: Date): Promise<MessageDoc | null> {
      const sent = await messages.findOneAndUpdate(
        { _id: id, status: 'QUEUED' },
        { $set: { whatsappId, status: 'SENT', statusAt: at, updatedAt: at } },
        { returnDocument: 'after' },
      );
      if (sent) return sent;
      // Already moved on (a retry after an answer we never saw): still remember the wamid.
      await messages.updateOne({ _id: id, whatsappId: null }, { $set: { whatsappId, updatedAt: at } });
      return null;
    },

    markFailed: (id: string, error: MessageError, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, status: { $in: statusesBefore('FAILED') } },
        { $set: { status: 'FAILED', statusAt: at, error, updatedAt: at } },
        { returnDocument: 'after' },
      ),

    /** A dead letter retried by an admin: FAILED (after exhausted retries only) back to QUEUED. */
    requeueExhausted: (id: string, at: Date) =>
      messages.findOneAndUpdate(
        { _id: id, status: 'FAILED', 'error.exhausted': true },
        { $set: { status: 'QUEUED', statusAt: at, error: null, updatedAt: at } },
        { returnDocument: 'after' },
      ),

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
