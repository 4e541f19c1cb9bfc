import type { AgentDoc, ConversationDoc, CustomerDoc, Feedback, MessageDoc } from '../domain/model.js';

// Domain events, published once from workflow/. GraphQL subscriptions and
// plugins consume them. They cross Redis as JSON, so a consumer may see Date
// fields as ISO strings: read times through `toDate` below.

/** An agent as it may travel in events: never the token hash. */
export type AgentView = Omit<AgentDoc, 'tokenHash'>;

interface EventBase {
  /** Unique per event; plugins use it as the delivery id. */
  id: string;
  at: Date;
}

export type DomainEvent =
  | (EventBase & { type: 'message.received'; conversation: ConversationDoc; customer: CustomerDoc; message: MessageDoc })
  /** An outbound message or a note was created by the desk (agent, system or integration). */
  | (EventBase & { type: 'message.sent'; conversation: ConversationDoc; customer: CustomerDoc; message: MessageDoc })
  /** A message's delivery status changed (QUEUED→SENT→DELIVERED→READ, or FAILED). */
  | (EventBase & { type: 'message.status'; conversation: ConversationDoc; customer: CustomerDoc; message: MessageDoc })
  | (EventBase & { type: 'conversation.opened'; conversation: ConversationDoc; customer: CustomerDoc })
  | (EventBase & { type: 'conversation.assigned'; conversation: ConversationDoc; customer: CustomerDoc; agent: AgentView | null })
  | (EventBase & { type: 'conversation.resolved'; conversation: ConversationDoc; customer: CustomerDoc })
  | (EventBase & { type: 'conversation.reopened'; conversation: ConversationDoc; customer: CustomerDoc })
  | (EventBase & { type: 'feedback.received'; conversation: ConversationDoc; customer: CustomerDoc; feedback: Feedback })
  | (EventBase & { type: 'agent.status'; agent: AgentView })
  /**
   * An agent's credentials changed (deactivated, token rotated, session
   * ended): every instance re-checks that agent's open graphql-ws sockets and
   * closes those that no longer authenticate. Internal: never delivered to plugins.
   */
  | (EventBase & { type: 'agent.revoked'; agentId: string });

export type DomainEventType = DomainEvent['type'];
export type EventOf<K extends DomainEventType> = Extract<DomainEvent, { type: K }>;

export const DOMAIN_EVENT_TYPES: readonly DomainEventType[] = [
  'message.received',
  'message.sent',
  'message.status',
  'conversation.opened',
  'conversation.assigned',
  'conversation.resolved',
  'conversation.reopened',
  'feedback.received',
  'agent.status',
  'agent.revoked',
];

/** Events that exist for the desk's own instances (socket revocation), not for integrations. */
export function isInternalEvent(event: DomainEvent): boolean {
  return event.type === 'agent.revoked';
}

/** Dates survive the in-process bus as Date and Redis as strings. */
export function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}

/** The id of the conversation an event is about, for ordering and filtering. */
export function eventConversationId(event: DomainEvent): string | null {
  return 'conversation' in event ? event.conversation._id : null;
}

/** Distributes events: to live subscribers (possibly on other instances) only. */
export interface EventBus {
  publish(event: DomainEvent): void;
  /** An async stream of every event published on any instance sharing the bus. */
  subscribe(): AsyncIterable<DomainEvent>;
  close(): Promise<void>;
}
