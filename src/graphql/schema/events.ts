import type { AgentDoc } from '../../domain/model.js';
import type { DomainEvent, DomainEventType, EventBus } from '../../events/types.js';
import { canSee } from '../../workflow/access.js';

/**
 * One subscriber's view of the bus: only the event types asked for, and only
 * what the viewer may see. A plain iterator rather than an async generator on
 * purpose: a generator's return() waits for its pending `await`, i.e. for the
 * next event that passes the filter, so a closed subscription would keep its
 * bus listener (and receive every event) until then. Here return() ends the
 * bus subscription at once.
 */
export function eventsFor<K extends DomainEventType>(
  bus: EventBus,
  types: readonly K[],
  keep: (event: Extract<DomainEvent, { type: K }>) => boolean,
): AsyncIterableIterator<Extract<DomainEvent, { type: K }>> {
  type Kept = Extract<DomainEvent, { type: K }>;
  const source = bus.subscribe()[Symbol.asyncIterator]();
  const wanted = new Set<string>(types);
  const done = (): IteratorResult<Kept> => ({ done: true, value: undefined });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<Kept>> {
      for (;;) {
        const result = await source.next();
        if (result.done) return done();
        const event = result.value;
        if (wanted.has(event.type) && keep(event as Kept)) return { done: false, value: event as Kept };
      }
    },
    async return(): Promise<IteratorResult<Kept>> {
      await source.return?.();
      return done();
    },
    async throw(error?: unknown): Promise<IteratorResult<Kept>> {
      await source.return?.();
      throw error;
    },
  };
}

export function visibleTo(viewer: AgentDoc | null, conversation: { assigneeId: string | null; status: string }): boolean {
  if (!viewer) return false;
  return canSee(viewer, conversation as Parameters<typeof canSee>[1]);
}
