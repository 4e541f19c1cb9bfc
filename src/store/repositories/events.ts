import type { ConversationEventDoc, ConversationEventType } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import type { Store } from '../port.js';

/** The append-only reporting log metrics are computed from. */
export function conversationEventLog(store: Store) {
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  return {
    async append(entry: {
      type: ConversationEventType;
      at: Date;
      conversationId?: string | null;
      agentId?: string | null;
      cycle?: number | null;
      data?: Record<string, unknown>;
    }): Promise<ConversationEventDoc> {
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
  };
}

export type ConversationEventLog = ReturnType<typeof conversationEventLog>;
