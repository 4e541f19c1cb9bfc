import type { AgentDoc } from '../../domain/model.js';
import { placementBefore } from '../../domain/events.js';
import type { DomainEvent, DomainEventType, EventBus } from '../../events/types.js';
import { canSee } from '../../workflow/access.js';

const LIVE_EVENTS = Symbol('live events');

/**
 * A subscription's source stream that also states its filter, so a fan-out
 * (src/graphql/subscriptionHub.ts) can serve thousands of subscribers from one
 * bus listener by asking `accepts` instead of iterating each stream.
 * Iterated, it behaves as any source stream (yoga over SSE does that).
 */
export interface LiveEvents<E extends DomainEvent> extends AsyncIterableIterator<E> {
  readonly [LIVE_EVENTS]: true;
  /** The event types it may pass: a fan-out indexes subscribers by them. */
  readonly types: ReadonlySet<DomainEventType>;
  /** Whether this subscriber receives the event: its type is wanted and the filter keeps it. */
  accepts(event: DomainEvent): event is E;
}

export function isLiveEvents(value: unknown): value is LiveEvents<DomainEvent> {
  return typeof value === 'object' && value !== null && LIVE_EVENTS in value;
}

/**
 * One subscriber's view of the bus: only the event types asked for, and only
 * what the viewer may see. A plain iterator rather than an async generator on
 * purpose: a generator's return() waits for its pending `await`, i.e. for the
 * next event that passes the filter, so a closed subscription would keep its
 * bus listener (and receive every event) until then. Here return() ends the
 * bus subscription at once. The bus is only subscribed at the first next(), so
 * a stream that is never iterated holds nothing.
 */
export function eventsFor<K extends DomainEventType>(
  bus: EventBus,
  types: readonly K[],
  keep: (event: Extract<DomainEvent, { type: K }>) => boolean,
): LiveEvents<Extract<DomainEvent, { type: K }>> {
  type Kept = Extract<DomainEvent, { type: K }>;
  const wanted = new Set<DomainEventType>(types);
  const accepts = (event: DomainEvent): event is Kept => wanted.has(event.type) && keep(event as Kept);
  let source: AsyncIterator<DomainEvent> | null = null;
  let ended = false;
  const done = (): IteratorResult<Kept> => ({ done: true, value: undefined });
  const end = async () => {
    ended = true;
    await source?.return?.();
  };
  return {
    [LIVE_EVENTS]: true,
    types: wanted,
    accepts,
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<Kept>> {
      if (ended) return done();
      source ??= bus.subscribe()[Symbol.asyncIterator]();
      for (;;) {
        const result = await source.next();
        if (result.done) return done();
        if (accepts(result.value)) return { done: false, value: result.value };
      }
    },
    async return(): Promise<IteratorResult<Kept>> {
      await end();
      return done();
    },
    async throw(error?: unknown): Promise<IteratorResult<Kept>> {
      await end();
      throw error;
    },
  };
}

export function visibleTo(viewer: AgentDoc | null, conversation: Parameters<typeof canSee>[1]): boolean {
  if (!viewer) return false;
  return canSee(viewer, conversation);
}

/**
 * Whether a subscriber hears of a change: they could see the conversation
 * (in the statuses they asked for) before it or after it. So a conversation
 * that leaves a view is announced to that view once, as it now is, and the
 * client drops it.
 */
export function seesChange(viewer: AgentDoc | null, event: DomainEvent, statuses?: readonly string[] | null): boolean {
  if (!('conversation' in event)) return false;
  const after = event.conversation;
  const within = (c: Parameters<typeof canSee>[1]) => (!statuses?.length || statuses.includes(c.status)) && visibleTo(viewer, c);
  if (within(after)) return true;
  const previous = placementBefore(event);
  // handlerIds only grow, so the current list is right for the earlier placement too.
  return previous ? within({ ...after, ...previous }) : false;
}
