// The typed hand-off between the schema, the subscription hub and the socket
// layer. The schema's subscriptions return a `LiveEvents` (built by
// `eventsFor`): a source stream that states its filter. The socket layer hands
// such a stream to the hub with a `HubSubscriber`; the hub executes each event
// once per group of subscribers that share an operation, with a
// `SharedContext`: a context that has no viewer, so one agent's data cannot
// reach another. A field whose value depends on who is asking is marked
// `PER_VIEWER`; an operation that selects one is executed per subscriber.
import { Kind, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { AgentRole } from '../domain/model.js';
import type { DomainEvent, DomainEventType, EventBus } from '../events/types.js';
import type { GraphQLContext } from './context.js';

/**
 * A subscription's source stream that also states its filter, so the hub can
 * serve thousands of subscribers from one bus listener by asking `accepts`
 * instead of iterating each stream. Iterated, it behaves as any source stream
 * (yoga over SSE does that).
 *
 * A plain iterator rather than an async generator on purpose: a generator's
 * return() waits for its pending `await`, i.e. for the next event that passes
 * the filter, so a closed subscription would keep its bus listener (and receive
 * every event) until then. Here return() ends the bus subscription at once. The
 * bus is only subscribed at the first next(), so a stream that is never
 * iterated holds nothing.
 */
export class LiveEvents<E extends DomainEvent> implements AsyncIterableIterator<E> {
  private source: AsyncIterator<DomainEvent> | null = null;
  private ended = false;

  constructor(
    private readonly bus: EventBus,
    /** The event types it may pass: the hub indexes subscribers by them. */
    readonly types: ReadonlySet<DomainEventType>,
    keep: (event: E) => boolean,
  ) {
    this.keeps = keep as (event: DomainEvent) => boolean;
  }

  /**
   * Whether this subscriber receives an event known to be of one of `types`
   * (what the viewer may see, the arguments): the hub, which indexes by type,
   * asks it per event for every subscriber. Anything else asks `accepts`.
   */
  readonly keeps: (event: DomainEvent) => boolean;

  /** Whether this subscriber receives the event: its type is wanted and the filter keeps it. */
  readonly accepts = (event: DomainEvent): event is E => this.types.has(event.type) && this.keeps(event);

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<E>> {
    if (this.ended) return { done: true, value: undefined };
    this.source ??= this.bus.subscribe()[Symbol.asyncIterator]();
    for (;;) {
      const result = await this.source.next();
      if (result.done) return { done: true, value: undefined };
      if (this.accepts(result.value)) return { done: false, value: result.value };
    }
  }

  async return(): Promise<IteratorResult<E>> {
    await this.end();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<E>> {
    await this.end();
    throw error;
  }

  private async end(): Promise<void> {
    this.ended = true;
    await this.source?.return?.();
  }
}

/** One subscriber's view of the bus: only the event types asked for, and only what `keep` lets through (what the viewer may see). */
export function eventsFor<K extends DomainEventType>(
  bus: EventBus,
  types: readonly K[],
  keep: (event: Extract<DomainEvent, { type: K }>) => boolean,
): LiveEvents<Extract<DomainEvent, { type: K }>> {
  return new LiveEvents<Extract<DomainEvent, { type: K }>>(bus, new Set<DomainEventType>(types), keep);
}

/**
 * What a shared execution runs with: the services and the subscribers' common
 * role, and no viewer. Reading `viewer` from it throws (see sharedContext), so
 * a payload field that depends on who is asking fails every test that
 * executes it instead of showing one agent's data to another.
 */
export type SharedContext = Omit<GraphQLContext, 'viewer' | 'credentials' | 'role'> & {
  readonly shared: true;
  readonly role: AgentRole;
};

export class ViewerInSharedExecutionError extends Error {
  constructor() {
    super('a field under a shared subscription read the viewer: mark it PER_VIEWER (src/graphql/live.ts) or make it depend on the role only');
    this.name = 'ViewerInSharedExecutionError';
  }
}

export function sharedContext(parts: Omit<SharedContext, 'shared'>): SharedContext {
  const context = { ...parts, shared: true as const };
  Object.defineProperty(context, 'viewer', {
    enumerable: false,
    get() {
      throw new ViewerInSharedExecutionError();
    },
  });
  return context;
}

export function isSharedContext(context: object): context is SharedContext {
  return 'shared' in context && context.shared === true;
}

/** Field extension: the value depends on who is asking (not only on the role). */
export const PER_VIEWER = { perViewer: true } as const;

/** Whether the operation selects a PER_VIEWER field anywhere (fragments included). */
export function selectsPerViewerField(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      [Kind.FIELD]() {
        if (typeInfo.getFieldDef()?.extensions?.['perViewer'] === true) found = true;
      },
    }),
  );
  return found;
}
