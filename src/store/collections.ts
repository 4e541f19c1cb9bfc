import type { IndexSpec } from './port.js';

// Every collection the desk keeps and the indexes both engines enforce.
// The mongo engine also declares mongoose schemas for these names (validation);
// the embedded engine enforces the unique ones in memory.
export const COLLECTIONS = {
  agents: 'agents',
  customers: 'customers',
  conversations: 'conversations',
  messages: 'messages',
  conversationEvents: 'conversation_events',
  /** Statuses that arrived before the message they name was known. */
  pendingStatuses: 'pending_statuses',
  /** Durable per-plugin delivery log and small plugin state. */
  pluginDeliveries: 'plugin_deliveries',
  pluginState: 'plugin_state',
  /** Signed-in browsers (signIn); API tokens live on the agent. */
  sessions: 'sessions',
  cannedResponses: 'canned_responses',
  /** The WhatsApp template catalog, synced from Meta (one record per name and language). */
  templates: 'message_templates',
} as const;

export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

export const INDEXES: Record<CollectionName, IndexSpec[]> = {
  agents: [{ key: { email: 1 }, unique: true }, { key: { tokenHash: 1 }, unique: true }, { key: { status: 1, activeConversations: 1 } }],
  customers: [{ key: { waId: 1 }, unique: true }],
  conversations: [
    { key: { activeKey: 1 }, unique: true, sparse: true },
    { key: { status: 1, cycleStartedAt: 1 } },
    { key: { assigneeId: 1, status: 1 } },
    // The inbox: newest activity first (LAST_ACTIVITY), overall, per status and per agent, `_id` breaking ties.
    { key: { lastActivityAt: -1, _id: -1 } },
    { key: { status: 1, lastActivityAt: -1, _id: -1 } },
    { key: { assigneeId: 1, lastActivityAt: -1, _id: -1 } },
    { key: { handlerIds: 1, lastActivityAt: -1 } },
    { key: { labels: 1 } },
    { key: { customerId: 1, createdAt: -1 } },
    { key: { 'externalLinks.system': 1, 'externalLinks.externalId': 1 } },
  ],
  messages: [
    { key: { whatsappId: 1 }, unique: true, sparse: true },
    { key: { conversationId: 1, createdAt: 1 } },
    { key: { createdAt: 1 } },
    // The inbound-volume metric filters on direction and author over a time range.
    { key: { direction: 1, author: 1, createdAt: 1 } },
    // The outbox sweep looks for due QUEUED and lease-expired SENDING messages.
    { key: { 'outbox.state': 1, 'outbox.nextAttemptAt': 1 } },
  ],
  conversation_events: [{ key: { type: 1, at: 1 } }, { key: { conversationId: 1, at: 1 } }, { key: { agentId: 1, at: 1 } }],
  pending_statuses: [{ key: { whatsappId: 1, status: 1 }, unique: true }, { key: { receivedAt: 1 } }],
  plugin_deliveries: [{ key: { plugin: 1, orderingKey: 1, seq: 1 } }, { key: { plugin: 1, state: 1 } }],
  sessions: [{ key: { tokenHash: 1 }, unique: true }, { key: { agentId: 1, expiresAt: 1 } }],
  canned_responses: [{ key: { shortcut: 1 }, unique: true }],
  plugin_state: [{ key: { plugin: 1, key: 1 }, unique: true }, { key: { expiresAt: 1 } }],
  message_templates: [{ key: { name: 1, language: 1 }, unique: true }, { key: { status: 1 } }],
};
