// The event bus: in-process always; over Redis whenever REDIS_URL points at a
// reachable Redis (CI exports it), with two buses standing for two instances.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { agentStatusEvent } from './support/eventFactory.js';
import { redisUnavailable } from './support/redis.js';
import { createInProcessEventBus, createRedisEventBus, type LiveEventBus, type RedisEventBus } from '../src/events/bus.js';
import { toDate, type DomainEvent } from '../src/events/types.js';

const logger = pino({ level: 'silent' });


const redisUrl = process.env.REDIS_URL;
const redisSkipReason = await redisUnavailable(redisUrl);
if (redisSkipReason) console.warn(`!!! The Redis event bus was NOT tested: ${redisSkipReason}. Set REDIS_URL to a reachable Redis to run it.`);

const agentStatus = (name: string): DomainEvent => agentStatusEvent({ name });

/** Consumes a subscription in the background, as a GraphQL subscription would; stops after `limit` events. */
function consume(bus: LiveEventBus, limit = Number.POSITIVE_INFINITY) {
  const received: DomainEvent[] = [];
  const done = (async () => {
    for await (const event of bus.subscribe()) {
      received.push(event);
      if (received.length >= limit) break;
    }
  })();
  return { received, done };
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const opened: LiveEventBus[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((bus) => bus.close()));
});

describe('in-process event bus', () => {
  function bus(): LiveEventBus {
    const created = createInProcessEventBus({ logger });
    opened.push(created);
    return created;
  }

  it('delivers every published event to every subscriber, in order', async () => {
    const events = bus();
    const subscribers = [consume(events), consume(events), consume(events)];
    expect(events.subscriberCount()).toBe(3);
    const first = agentStatus('Ana');
    const second = agentStatus('Ben');
    events.publish(first);
    events.publish(second);
    await until(() => subscribers.every((s) => s.received.length === 2));
    for (const s of subscribers) expect(s.received).toEqual([first, second]);
    // In process, Dates stay Dates.
    expect(subscribers[0]?.received[0]?.at).toBeInstanceOf(Date);
  });

  it('releases an ended subscription: it receives nothing more and holds no listener', async () => {
    const events = bus();
    const quitter = consume(events, 1);
    const stayer = consume(events);
    expect(events.subscriberCount()).toBe(2);

    events.publish(agentStatus('Ana'));
    await quitter.done;
    await until(() => events.subscriberCount() === 1);
    events.publish(agentStatus('Ben'));
    await until(() => stayer.received.length === 2);
    expect(quitter.received.map((e) => e.type === 'agent.status' && e.agent.name)).toEqual(['Ana']);
    expect(stayer.received.map((e) => e.type === 'agent.status' && e.agent.name)).toEqual(['Ana', 'Ben']);
  });

  it('holds thousands of subscribers without a listener warning and releases them all', async () => {
    const events = bus();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const subscribers = Array.from({ length: 2_000 }, () => consume(events, 1));
      expect(events.subscriberCount()).toBe(2_000);
      events.publish(agentStatus('Ana'));
      await Promise.all(subscribers.map((s) => s.done));
      await until(() => events.subscriberCount() === 0);
      expect(subscribers.every((s) => s.received.length === 1)).toBe(true);
      // A subscription never iterated registers nothing.
      const idle = events.subscribe()[Symbol.asyncIterator]();
      expect(events.subscriberCount()).toBe(0);
      await idle.return?.();
      await sleep(10);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('drops events for a subscriber that stopped reading, without hurting the others', async () => {
    const warnings: string[] = [];
    const events = createInProcessEventBus({ logger: { warn: (_obj, msg) => void warnings.push(msg ?? ''), error: () => {} } });
    opened.push(events);
    const stuck = events.subscribe()[Symbol.asyncIterator]();
    const firstRead = stuck.next(); // reads once, then never again
    const healthy = consume(events);
    // Past 1024 unread events the subscription's Repeater throws on every push.
    // Published in slices, as events arrive in real life, so a reader keeps up.
    const published = Array.from({ length: 1_100 }, (_, i) => agentStatus(`Agent ${i}`));
    for (const [i, event] of published.entries()) {
      events.publish(event);
      if (i % 100 === 99) await sleep(1);
    }
    await until(() => healthy.received.length === published.length);
    expect(healthy.received.map((e) => e.id)).toEqual(published.map((e) => e.id));
    expect(warnings).toEqual(['event subscriber is not keeping up; dropping events for it']);
    expect((await firstRead).value?.id).toBe(published[0]?.id);
    await stuck.return?.();
  });

  it('calls a listener with every event in order until it stops listening, and stops all listeners when closed', async () => {
    const events = bus();
    const heard: string[] = [];
    const heardLater: string[] = [];
    const stop = events.listen((event) => void heard.push(event.type === 'agent.status' ? event.agent.name : event.type));
    events.listen((event) => void heardLater.push(event.type === 'agent.status' ? event.agent.name : event.type));
    expect(events.subscriberCount()).toBe(2);
    // Synchronously, as the event is delivered: no queue in between.
    events.publish(agentStatus('Ana'));
    events.publish(agentStatus('Ben'));
    expect(heard).toEqual(['Ana', 'Ben']);
    stop();
    expect(events.subscriberCount()).toBe(1);
    events.publish(agentStatus('Cid'));
    expect(heard).toEqual(['Ana', 'Ben']);
    expect(heardLater).toEqual(['Ana', 'Ben', 'Cid']);
    await events.close();
    expect(events.subscriberCount()).toBe(0);
    events.publish(agentStatus('Dee'));
    expect(heardLater).toEqual(['Ana', 'Ben', 'Cid']);
  });

  it('ends open subscriptions when closed', async () => {
    const events = bus();
    const subscriber = consume(events);
    expect(events.subscriberCount()).toBe(1);
    await events.close();
    await subscriber.done; // would hang if the stream did not end
    await until(() => events.subscriberCount() === 0);
    events.publish(agentStatus('Ana'));
    expect(subscriber.received).toEqual([]);
  });
});

describe.skipIf(redisSkipReason !== null)('Redis event bus', () => {
  function bus(channelPrefix: string): RedisEventBus {
    const created = createRedisEventBus({ redisUrl: redisUrl as string, channelPrefix, logger });
    opened.push(created);
    return created;
  }

  it('carries an event from one instance to subscribers on another, and not across prefixes', async () => {
    const prefix = `test-bus-${randomUUID()}:`;
    const instanceA = bus(prefix);
    const instanceB = bus(prefix);
    const elsewhere = bus(`test-bus-${randomUUID()}:`);
    await Promise.all([instanceA.ready(), instanceB.ready(), elsewhere.ready()]);

    const onB = consume(instanceB);
    const onA = consume(instanceA);
    const onElsewhere = consume(elsewhere);
    const event = agentStatus('Ana');
    instanceA.publish(event);
    await until(() => onB.received.length === 1 && onA.received.length === 1);

    const received = onB.received[0];
    expect(received).toMatchObject({ id: event.id, type: 'agent.status', agent: { name: 'Ana' } });
    // JSON over Redis: Dates arrive as ISO strings, which toDate reads back.
    expect(typeof received?.at).toBe('string');
    expect(toDate(received?.at)?.getTime()).toBe(event.at.getTime());

    // The other prefix's bus works (its own event arrives) but never saw A's.
    const own = agentStatus('Ben');
    elsewhere.publish(own);
    await until(() => onElsewhere.received.length === 1);
    expect(onElsewhere.received[0]?.id).toBe(own.id);
    await sleep(50);
    expect(onB.received).toHaveLength(1);
  });

  it('calls a listener on another instance with each event, until it stops listening', async () => {
    const prefix = `test-bus-${randomUUID()}:`;
    const publisher = bus(prefix);
    const receiver = bus(prefix);
    await Promise.all([publisher.ready(), receiver.ready()]);
    const heard: string[] = [];
    const stop = receiver.listen((event) => void heard.push(event.type === 'agent.status' ? event.agent.name : event.type));
    publisher.publish(agentStatus('Ana'));
    publisher.publish(agentStatus('Ben'));
    await until(() => heard.length === 2);
    expect(heard).toEqual(['Ana', 'Ben']);
    stop();
    publisher.publish(agentStatus('Cid'));
    // A later subscriber on the same instance sees Cid, so it has arrived; the stopped listener did not hear it.
    const after = consume(receiver, 1);
    publisher.publish(agentStatus('Dee'));
    await after.done;
    expect(heard).toEqual(['Ana', 'Ben']);
  });

  it('releases ended subscriptions and keeps delivering to the rest', async () => {
    const prefix = `test-bus-${randomUUID()}:`;
    const publisher = bus(prefix);
    const receiver = bus(prefix);
    await Promise.all([publisher.ready(), receiver.ready()]);

    const quitter = consume(receiver, 1);
    const stayer = consume(receiver);
    expect(receiver.subscriberCount()).toBe(2);
    publisher.publish(agentStatus('Ana'));
    await quitter.done;
    await until(() => receiver.subscriberCount() === 1);
    publisher.publish(agentStatus('Ben'));
    await until(() => stayer.received.length === 2);
    expect(quitter.received).toHaveLength(1);
  });
});
