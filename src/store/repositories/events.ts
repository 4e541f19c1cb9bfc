import { LEGACY_LOG_TYPES } from '../../domain/events.js';
import type { ConversationEventDoc, ConversationEventType } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import type { Store } from '../port.js';
import { cursorQuery, type CursorPage } from './paging.js';

export interface LogEntry {
  type: ConversationEventType;
  at: Date;
  conversationId?: string | null;
  agentId?: string | null;
  cycle?: number | null;
  data?: Record<string, unknown>;
}

/** The append-only reporting log metrics are computed from. Only the event log listener appends. */
export function conversationEventLog(store: Store) {
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  return {
    async append(entry: LogEntry): Promise<ConversationEventDoc> {
      return events.insertOne({
        _id: newId(),
        type: entry.type,
        conversationId: entry.conversationId ?? null,
        agentId: entry.agentId ?? null,
        cycle: entry.cycle ?? null,
        at: entry.at,
        data: entry.data ?? {},
      });
    },
    forConversation: (conversationId: string) => events.find({ conversationId }, { sort: { at: 1, _id: 1 } }),
    /** A conversation's entries of the given types, oldest first, paged by id (ids are time-ordered). */
    page(conversationId: string, types: readonly ConversationEventType[], page: CursorPage) {
      const { filter, options } = cursorQuery({ conversationId, type: { $in: [...types] } }, page, 1);
      return events.find(filter, options);
    },
    /** Entries written before the log shared the events' vocabulary get its names; returns how many. */
    async renameLegacyTypes(): Promise<number> {
      let renamed = 0;
      for (const [legacy, current] of Object.entries(LEGACY_LOG_TYPES)) {
        const result = await events.updateMany({ type: legacy }, { $set: { type: current } });
        renamed += result.modifiedCount;
      }
      return renamed;
    },
  };
}

export type ConversationEventLog = ReturnType<typeof conversationEventLog>;
