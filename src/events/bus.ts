// The pub/sub that carries domain events to live subscribers: graphql-yoga's
// createPubSub over an in-process event target, or over Redis pub/sub
// (@graphql-yoga/redis-event-target) so every instance sees every event.
// One topic carries every DomainEvent; consumers filter.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub, type PubSubEventTarget } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { DependencyReporter } from '../health/dependencyMonitor.js';
import type { DomainEvent, EventBus } from './types.js';

const TOPIC = 'domain-events';

type Topics = Record<string, [DomainEvent]>;
type Target = PubSubEventTarget<Topics>;
type Listener = (event: CustomEvent<DomainEvent>) => void;
type ListenerLike = Listener | { handleEvent: Listener };

/** The part of a pino logger the bus uses. */
export interface BusLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface LiveEventBus extends EventBus {
  /** Live subscriptions on this instance (a gauge for /metrics; tests check that ended ones are released). */
  subscriberCount(): number;
}

export interface RedisEventBus extends LiveEventBus {
  /** Resolves once Redis confirmed the channel subscription: events published after it reach this instance. */
  ready(): Promise<void>;
}

/**
 * Wraps every subscriber's listener so that one failing subscriber cannot hurt
 * the others. createPubSub's listener pushes into a Repeater, which holds up
 * to 1024 unread events and throws on the next push. Uncaught, that throw
 * would reach the publisher (the workflow) in process, or break the Redis
 * target's delivery loop for every later subscriber. The lagging subscriber
 * loses events beyond 1024 instead, and it is logged once.
 */
function guarded(inner: Target, logger: BusLogger | undefined, dispatch?: (event: CustomEvent<DomainEvent>) => void) {
  const wrappers = new Map<ListenerLike, Listener>();
  const target = {
    addEventListener(type: string, callback: ListenerLike | null) {
      if (!callback || wrappers.has(callback)) return;
      let dropped = 0;
      const listener: Listener = (event) => {
        try {
          if (typeof callback === 'function') callback(event);
          else callback.handleEvent(event);
        } catch (err) {
          // Once per subscriber: a stuck one would otherwise log every event.
          if (dropped++ === 0) {
            logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'event subscriber is not keeping up; dropping events for it');
          }
        }
      };
      wrappers.set(callback, listener);
      inner.addEventListener(type, listener as never);
    },
    removeEventListener(type: string, callback: ListenerLike | null) {
      const listener = callback ? wrappers.get(callback) : undefined;
      if (!callback || !listener) return;
      wrappers.delete(callback);
      inner.removeEventListener(type, listener as never);
    },
    dispatchEvent(event: CustomEvent<DomainEvent>) {
      if (dispatch) dispatch(event);
      else inner.dispatchEvent(event as never);
      return true;
    },
  };
  return { target: target as unknown as Target, listenerCount: () => wrappers.size };
}

/**
 * The bus over a PubSub. subscribe() hands out the Repeater's own next/return
 * (no extra async layer per event): its listener is added at the first next()
 * and removed when the consumer returns (a for-await break) or the bus closes.
 */
function busOver(pubSub: PubSub<Topics>, target: Target, topic: string, listenerCount: () => number, release: () => Promise<void>) {
  const live = new Set<AsyncIterableIterator<DomainEvent>>();
  const listeners = new Set<() => void>();
  let closed = false;
  return {
    publish(event: DomainEvent): void {
      if (!closed) pubSub.publish(topic, event);
    },
    subscribe(): AsyncIterableIterator<DomainEvent> {
      const source = pubSub.subscribe(topic);
      const stream: AsyncIterableIterator<DomainEvent> = {
        next: () => {
          if (!closed) live.add(stream);
          return source.next();
        },
        return: (value?: unknown) => {
          live.delete(stream);
          return source.return(value as never);
        },
        throw: (err?: unknown) => {
          live.delete(stream);
          return source.throw(err);
        },
        [Symbol.asyncIterator]: () => stream,
      };
      if (closed) void source.return();
      return stream;
    },
    listen(listener: (event: DomainEvent) => void): () => void {
      if (closed) return () => undefined;
      const callback: Listener = (event) => listener(event.detail);
      target.addEventListener(topic, callback as never);
      const remove = () => target.removeEventListener(topic, callback as never);
      listeners.add(remove);
      return () => {
        listeners.delete(remove);
        remove();
      };
    },
    subscriberCount: listenerCount,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Ends every open stream: pending next() calls resolve with done.
      await Promise.allSettled([...live].map((stream) => stream.return?.()));
      live.clear();
      for (const remove of listeners) remove();
      listeners.clear();
      await release();
    },
  };
}

/** QUIT when connected; during an outage QUIT would wait for a reconnection, so just drop the socket. */
async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}

/**
 * An in-process event target with constant-time add and remove. Node's
 * EventTarget scans its listener list on every add (a duplicate check), which
 * turns thousands of subscribers into seconds of work, and warns past ten.
 */
function localTarget(): Target {
  const listeners = new Map<string, Set<ListenerLike>>();
  const target = {
    addEventListener(type: string, callback: ListenerLike | null) {
      if (!callback) return;
      let forType = listeners.get(type);
      if (!forType) listeners.set(type, (forType = new Set()));
      forType.add(callback);
    },
    removeEventListener(type: string, callback: ListenerLike | null) {
      const forType = listeners.get(type);
      if (!callback || !forType) return;
      forType.delete(callback);
      if (forType.size === 0) listeners.delete(type);
    },
    dispatchEvent(event: CustomEvent<DomainEvent>) {
      for (const callback of listeners.get(event.type) ?? []) {
        if (typeof callback === 'function') callback(event);
        else callback.handleEvent(event);
      }
      return true;
    },
  };
  return target as unknown as Target;
}

export function createInProcessEventBus(options: { logger?: BusLogger } = {}): LiveEventBus {
  const { target, listenerCount } = guarded(localTarget(), options.logger);
  return busOver(createPubSub<Topics>({ eventTarget: target }), target, TOPIC, listenerCount, async () => {});
}

export function createRedisEventBus(options: { redisUrl: string; channelPrefix?: string; logger: BusLogger; dependencies?: DependencyReporter }): RedisEventBus {
  const { logger, dependencies } = options;
  const channel = `${options.channelPrefix ?? 'desk:'}${TOPIC}`;
  // A connection in subscriber mode can only subscribe, hence two. The
  // subscriber waits out an outage rather than failing its SUBSCRIBE (the
  // library does not catch that promise); ioredis resubscribes on reconnect.
  // Auto-pipelining: the events a group commit releases together leave in one write, not one each.
  const publishClient = new Redis(options.redisUrl, { enableAutoPipelining: true });
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  for (const [role, client] of [['publish', publishClient], ['subscribe', subscribeClient]] as const) {
    // With a monitor, an outage is one log line, not one per reconnection attempt.
    if (dependencies) dependencies.watchRedis('redis', client, `event bus ${role}`);
    else client.on('error', (err: Error) => logger.error({ role, err: err.message }, 'redis connection error (event bus)'));
  }
  const redisTarget = createRedisEventTarget<CustomEvent<DomainEvent>>({ publishClient, subscribeClient }) as unknown as Target;

  // The library's dispatch leaves the PUBLISH promise unhandled, and an
  // unhandled rejection ends a Node process; this one logs a failed publish
  // instead (live updates are best effort: the store holds the truth).
  const dispatch = (event: CustomEvent<DomainEvent>) => {
    publishClient.publish(event.type, JSON.stringify(event.detail)).catch((err: Error) => {
      if (dependencies) dependencies.failed('redis', err, { during: 'event publish', channel: event.type });
      else logger.error({ channel: event.type, err: err.message }, 'event publish failed');
    });
  };
  const { target, listenerCount } = guarded(redisTarget, logger, dispatch);

  // A listener held for the bus's lifetime keeps the channel subscribed, so
  // subscribers coming and going never make Redis SUBSCRIBE/UNSUBSCRIBE.
  const keepSubscribed = () => {};
  redisTarget.addEventListener(channel, keepSubscribed);
  // Redis ignores a repeated SUBSCRIBE; this one's reply tells us the channel is live.
  const subscribed = subscribeClient.subscribe(channel).then(() => undefined);
  subscribed.catch((err: Error) => logger.error({ channel, err: err.message }, 'event bus could not subscribe'));

  const bus = busOver(createPubSub<Topics>({ eventTarget: target }), target, channel, listenerCount, async () => {
    await Promise.allSettled([closeConnection(publishClient), closeConnection(subscribeClient)]);
  });
  return { ...bus, ready: () => subscribed };
}
