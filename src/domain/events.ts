// The desk's one event vocabulary. A state change raises one of these
// (src/workflow/transitions.ts); the dispatcher hands it to the listeners that
// write the reporting log, feed live subscribers and deliver to plugins. The
// reporting log stores the same type names.
import type { AgentDoc, AgentStatus, ConversationDoc, ConversationStatus, CustomerDoc, Feedback, MessageDoc } from './model.js';

/** An agent as it may travel in events: never a credential hash. */
export type AgentView = Omit<AgentDoc, 'tokenHash' | 'passwordHash'>;

export function agentView(agent: AgentDoc): AgentView {
  const { tokenHash: _token, passwordHash: _password, ...view } = agent;
  // Agents stored before deactivation existed have no `active`: they are active.
  return { ...view, active: view.active !== false };
}

/** Who moved a conversation to an agent. */
export type AssignedBy = 'policy' | 'admin' | 'claim' | 'reopen' | 'transfer';

/** Why a conversation went back to the queue. */
export type UnassignedReason = 'requeue_offline' | 'deactivated' | 'release';

/** What changed in a `conversation.updated`. */
export type ConversationChange = 'labels' | 'read';

interface EventBase {
  /** Unique per event; plugins use it as the delivery id. */
  id: string;
  at: Date;
}

interface AboutConversation extends EventBase {
  conversation: ConversationDoc;
  customer: CustomerDoc;
}

export type DomainEvent =
  | (AboutConversation & { type: 'message.received'; message: MessageDoc })
  /** An outbound message or a note was created by the desk (agent, system or integration). */
  | (AboutConversation & { type: 'message.sent'; message: MessageDoc })
  /** A message's delivery status changed (QUEUED→SENT→DELIVERED→READ, or FAILED). */
  | (AboutConversation & { type: 'message.status'; message: MessageDoc })
  | (AboutConversation & { type: 'conversation.opened' })
  /** To an agent; `fromAgentId` is set on a transfer. `actorId`: the agent who did it, when one did; `note`: a transfer's note. */
  | (AboutConversation & { type: 'conversation.assigned'; agent: AgentView; by: AssignedBy; fromAgentId: string | null; actorId?: string | null; note?: string | null })
  /** Back to the queue from `fromAgentId` (REQUEUE_ON_OFFLINE, or released by `actorId`). */
  | (AboutConversation & { type: 'conversation.unassigned'; fromAgentId: string; reason: UnassignedReason; actorId?: string | null })
  /** The first human reply of the cycle (greetings, surveys and notes never are). */
  | (AboutConversation & { type: 'conversation.first_response'; agentId: string | null })
  /** `by`: the agent id, or `plugin:<name>`. */
  | (AboutConversation & { type: 'conversation.resolved'; by: string })
  /** `by`: the agent id, 'customer', or `plugin:<name>`. */
  | (AboutConversation & { type: 'conversation.reopened'; by?: string | null })
  /** Labels or unread state changed: what an inbox row shows, not where the conversation is. Not logged. */
  | (AboutConversation & { type: 'conversation.updated'; change: ConversationChange })
  /** The survey's rating. */
  | (AboutConversation & { type: 'feedback.received'; feedback: Feedback })
  /** The free-text comment that may follow a rating. */
  | (AboutConversation & { type: 'feedback.commented'; feedback: Feedback })
  /** A new agent (`previousStatus` null) or a status change. */
  | (EventBase & { type: 'agent.status'; agent: AgentView; previousStatus: AgentStatus | null })
  /** Anything else about an agent changed: name, capacity, role, password, `active`, `activeConversations`. */
  | (EventBase & { type: 'agent.updated'; agent: AgentView })
  /**
   * An agent's credentials changed (deactivated, token rotated, session
   * ended): every instance re-checks that agent's open graphql-ws sockets and
   * closes those that no longer authenticate. Internal: never delivered to plugins, never logged.
   */
  | (EventBase & { type: 'agent.revoked'; agentId: string });

export type DomainEventType = DomainEvent['type'];
export type EventOf<K extends DomainEventType> = Extract<DomainEvent, { type: K }>;

/** The events that change a conversation itself (not one of its messages). */
export const CONVERSATION_CHANGE_TYPES = [
  'conversation.opened',
  'conversation.assigned',
  'conversation.unassigned',
  'conversation.first_response',
  'conversation.resolved',
  'conversation.reopened',
  'feedback.received',
  'feedback.commented',
] as const satisfies readonly DomainEventType[];

/**
 * The events the reporting log keeps (metrics and timelines read them). Message
 * events are not logged: the messages collection is their record.
 */
export const LOGGED_EVENT_TYPES = [...CONVERSATION_CHANGE_TYPES, 'agent.status'] as const satisfies readonly DomainEventType[];
export type LoggedEventType = (typeof LOGGED_EVENT_TYPES)[number];

/** The names the log used before it shared this vocabulary; the event log repository renames stored entries once. */
export const LEGACY_LOG_TYPES: Readonly<Record<string, LoggedEventType>> = {
  opened: 'conversation.opened',
  reopened: 'conversation.reopened',
  assigned: 'conversation.assigned',
  unassigned: 'conversation.unassigned',
  first_response: 'conversation.first_response',
  resolved: 'conversation.resolved',
  feedback: 'feedback.received',
  agent_status: 'agent.status',
};

/** Where a conversation stood: its status and assignee decide who sees it. */
export interface Placement {
  status: ConversationStatus;
  assigneeId: string | null;
}

/**
 * Where the conversation stood before the change an event reports, for the
 * changes that move it between views; null for the others. Read from the
 * event itself: an ASSIGNED conversation always has an assignee, so a resolved
 * one without an assignee was QUEUED, and a reopen keeps the last assignee as
 * `previousAssigneeId`.
 */
export function placementBefore(event: DomainEvent): Placement | null {
  switch (event.type) {
    case 'conversation.assigned':
      return event.fromAgentId ? { status: 'ASSIGNED', assigneeId: event.fromAgentId } : { status: 'QUEUED', assigneeId: null };
    case 'conversation.unassigned':
      return { status: 'ASSIGNED', assigneeId: event.fromAgentId };
    case 'conversation.resolved':
      return { status: event.conversation.assigneeId ? 'ASSIGNED' : 'QUEUED', assigneeId: event.conversation.assigneeId };
    case 'conversation.reopened':
      return { status: 'RESOLVED', assigneeId: event.conversation.previousAssigneeId };
    default:
      return null;
  }
}
