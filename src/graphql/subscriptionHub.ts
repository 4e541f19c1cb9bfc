// One fan-out for every live subscription on this instance. graphql-js runs a
// subscription per subscriber: its own bus listener, its own execution of
// every event, its own JSON. With thousands of helpdesk tabs open that is
// thousands of identical executions per webhook, and the instance falls
// behind (bench/README.md, "Subscriptions"). The hub instead holds one bus
// listener, asks each subscriber's source stream whether it accepts an event
// (type and visibility: a synchronous check), executes the event once per
// group of subscribers that share an operation, serializes and encodes that
// result once, and hands the same bytes to every accepting subscriber. The execution runs
// with a context that has no viewer (src/graphql/live.ts), so what one
// subscriber receives cannot depend on who another one is.
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { AgentRole } from '../domain/model.js';
import type { DomainEvent, DomainEventType, EventBus } from '../events/types.js';
import type { LiveEvents } from './live.js';

/** The part of a pino logger the hub uses. */
export interface HubLogger {
  error(obj: object, msg?: string): void;
}

export interface HubSubscriber {
  /**
   * Subscribers with equal keys receive byte-identical payloads: the operation
   * text, its variables, and the role (or, for an operation that selects a
   * PER_VIEWER field, the viewer). Visibility is not part of it; that is the
   * source stream's `accepts`.
   */
  shareKey: string;
  /** Executes the operation with the event as its root value, in a SharedContext unless the key names the viewer. */
  execute(event: DomainEvent): Promise<ExecutionResult> | ExecutionResult;
  /** What a client may read of an error the execution threw. */
  mask(error: unknown): GraphQLError;
  /** Sends one ExecutionResult, serialized and UTF-8 encoded once for every subscriber it goes to (the same bytes: never modify them). */
  write(payload: Buffer): void;
}

/** What the socket layer needs to hand subscriptions to the hub: the hub, and the viewer-less context its executions run with. */
export interface SharedSubscriptions {
  hub: SubscriptionHub;
  /** A SharedContext (src/graphql/live.ts) for subscribers of this role. */
  contextFor(role: AgentRole): object;
}

export interface SubscriptionHub {
  /**
   * Takes over a subscription whose source stream states its filter
   * (`eventsFor`), leaving that stream unread; returns the iterator the
   * transport holds for the operation: it yields nothing (the hub writes) and
   * ends when the transport returns it or the bus closes. Any other source is
   * the transport's to read per subscriber.
   */
  serve(source: LiveEvents<DomainEvent>, subscriber: HubSubscriber): AsyncIterableIterator<never>;
  /** Subscribers the hub is serving. */
  size(): number;
}

interface Member {
  accepts(event: DomainEvent): boolean;
  /** The filter alone, for events of the group's types: set when the source passes exactly those (as every source of one operation does). */
  keeps: ((event: DomainEvent) => boolean) | null;
  write(payload: Buffer): void;
  active: boolean;
  end(): void;
}

interface Group {
  key: string;
  types: ReadonlySet<DomainEventType>;
  /** The first subscriber's: it runs without a viewer, so any member's gives the same payload. */
  execute: HubSubscriber['execute'];
  mask: HubSubscriber['mask'];
  members: Set<Member>;
  /** Deliveries run in event order even when an execution awaits (a loader). */
  tail: Promise<void>;
}

export function createSubscriptionHub(options: { bus: EventBus; logger: HubLogger }): SubscriptionHub {
  const { bus, logger } = options;
  const groups = new Map<string, Group>();
  const groupsByType = new Map<DomainEventType, Set<Group>>();
  let members = 0;
  let feed: AsyncIterator<DomainEvent> | null = null;

  /** Subscribes to the bus; synchronously, so no event published after serve() returns is missed. */
  function listen(): void {
    if (feed) return;
    const current = bus.subscribe()[Symbol.asyncIterator]();
    feed = current;
    void (async () => {
      try {
        for (;;) {
          const result = await current.next();
          if (result.done) break;
          dispatch(result.value);
        }
      } catch (error) {
        logger.error({ err: error }, 'subscription hub lost the event bus');
      }
      // Still ours: the bus ended, not the last subscriber leaving.
      if (feed === current) {
        feed = null;
        endAll();
      }
    })();
  }

  function stopListening(): void {
    const current = feed;
    feed = null;
    void current?.return?.();
  }

  function dispatch(event: DomainEvent): void {
    const interested = groupsByType.get(event.type);
    if (!interested) return;
    for (const group of interested) {
      let recipients: Member[] | null = null;
      for (const member of group.members) if (accepts(member, event)) (recipients ??= []).push(member);
      if (recipients) {
        const to = recipients;
        group.tail = group.tail.then(() => deliver(group, event, to));
      }
    }
  }

  /** A filter that throws costs its own subscriber the event, not everyone their subscriptions. */
  function accepts(member: Member, event: DomainEvent): boolean {
    try {
      // Dispatch only hands a group events of its types, so the type check is the group's, done once.
      return member.keeps ? member.keeps(event) : member.accepts(event);
    } catch (error) {
      logger.error({ err: error, event: event.type }, 'a subscription filter failed; the event is not sent to that subscriber');
      return false;
    }
  }

  async function deliver(group: Group, event: DomainEvent, recipients: Member[]): Promise<void> {
    let payload: Buffer;
    try {
      payload = Buffer.from(JSON.stringify(await group.execute(event)));
    } catch (error) {
      payload = Buffer.from(JSON.stringify({ errors: [group.mask(error)] }));
    }
    for (const member of recipients) {
      if (!member.active) continue;
      try {
        member.write(payload);
      } catch (error) {
        logger.error({ err: error }, 'subscription write failed');
      }
    }
  }

  function join(source: LiveEvents<DomainEvent>, subscriber: HubSubscriber, member: Member): Group {
    let group = groups.get(subscriber.shareKey);
    if (!group) {
      group = { key: subscriber.shareKey, types: source.types, execute: subscriber.execute, mask: subscriber.mask, members: new Set(), tail: Promise.resolve() };
      groups.set(group.key, group);
      for (const type of group.types) {
        let forType = groupsByType.get(type);
        if (!forType) groupsByType.set(type, (forType = new Set()));
        forType.add(group);
      }
    }
    const types = group.types;
    if (source.types.size === types.size && [...source.types].every((type) => types.has(type))) member.keeps = source.keeps;
    group.members.add(member);
    members += 1;
    listen();
    return group;
  }

  function leave(group: Group, member: Member): void {
    if (!member.active) return;
    member.active = false;
    members -= 1;
    if (group.members.delete(member) && group.members.size === 0) {
      groups.delete(group.key);
      for (const type of group.types) {
        const forType = groupsByType.get(type);
        forType?.delete(group);
        if (forType?.size === 0) groupsByType.delete(type);
      }
    }
    member.end();
    if (members === 0) stopListening();
  }

  function endAll(): void {
    for (const group of [...groups.values()]) for (const member of [...group.members]) leave(group, member);
  }

  return {
    serve(source, subscriber) {
      let end!: () => void;
      const ended = new Promise<IteratorResult<never>>((resolve) => {
        end = () => resolve({ done: true, value: undefined });
      });
      const member: Member = { accepts: source.accepts, keeps: null, write: subscriber.write, active: true, end };
      const group = join(source, subscriber, member);
      const release = () => leave(group, member);
      const stream: AsyncIterableIterator<never> = {
        [Symbol.asyncIterator]: () => stream,
        next: () => ended,
        return: async () => {
          release();
          return { done: true, value: undefined };
        },
        throw: async (error?: unknown) => {
          release();
          throw error;
        },
      };
      return stream;
    },
    size: () => members,
  };
}
