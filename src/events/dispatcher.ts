// One dispatcher for every domain event (the shape of Chatwoot's dispatcher
// and listeners): a state change raises its events here, and everything that
// reacts is a listener. Adding a reaction means adding a listener; adding a
// state change means raising its event, and nothing else.
import type { DomainEvent } from '../domain/events.js';

export interface EventListener {
  /** For logs and tests. */
  readonly name: string;
  /**
   * Reacts to one event. Listeners run in order and are awaited: a throw stops
   * the later listeners and reaches the caller of the state change (the event
   * log listener throws when the log cannot be written; the bus and plugin
   * listeners never throw).
   */
  handle(event: DomainEvent): void | Promise<void>;
}

export interface EventDispatcher {
  dispatch(events: readonly DomainEvent[]): Promise<void>;
}

export function createEventDispatcher(listeners: readonly EventListener[]): EventDispatcher {
  return {
    async dispatch(events) {
      for (const event of events) {
        for (const listener of listeners) await listener.handle(event);
      }
    },
  };
}
