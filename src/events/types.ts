import type { DomainEvent } from '../domain/events.js';

// The vocabulary lives in src/domain/events.ts; re-exported here for the bus's
// consumers. Events cross Redis as JSON, so a consumer may see Date fields as
// ISO strings: read times through `toDate` below.
export type { AgentView, DomainEvent, DomainEventType, EventOf } from '../domain/events.js';

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
  /**
   * Calls `listener` with every event, as it is delivered, until the returned
   * function is called: for a consumer that acts on a rare event and needs no
   * queue of its own (a stream pays a promise per event, wanted or not).
   */
  listen(listener: (event: DomainEvent) => void): () => void;
  close(): Promise<void>;
}
