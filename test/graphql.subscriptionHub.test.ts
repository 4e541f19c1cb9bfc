// The subscription fan-out: one bus listener, one execution and one JSON per
// event for every group of subscribers sharing an operation, each subscriber's
// own filter applied, order kept, and nothing held once they leave.
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInProcessEventBus, type LiveEventBus } from '../src/events/bus.js';
import type { DomainEvent } from '../src/events/types.js';
import { eventsFor } from '../src/graphql/schema/events.js';
import { LiveEvents } from '../src/graphql/live.js';
import { createSubscriptionHub, type HubSubscriber, type SubscriptionHub } from '../src/graphql/subscriptionHub.js';
import { buildConversation, buildCustomer, buildMessage, testId } from './support/eventFactory.js';

const buses: LiveEventBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

function setup() {
  const bus = createInProcessEventBus();
  buses.push(bus);
  const errors: unknown[] = [];
  const hub = createSubscriptionHub({ bus, logger: { error: (obj) => errors.push(obj) } });
  return { bus, hub, errors };
}

/** A message event on a conversation that is QUEUED or assigned to `assigneeId`. */
function messageEvent(text: string, assigneeId: string | null = null): DomainEvent {
  const customer = buildCustomer();
  const conversation = buildConversation(customer, assigneeId ? { status: 'ASSIGNED', assigneeId } : { status: 'QUEUED', assigneeId: null });
  return { id: testId(), at: new Date(), type: 'message.received', conversation, customer, message: buildMessage(conversation, { text }) };
}

interface Probe {
  stream: AsyncIterableIterator<never>;
  /** What the hub wrote, as it wrote it: one encoding shared by a group. */
  payloads: Buffer[];
}

/** A subscriber to message.received events whose conversation is in `sees` (all when null). */
function join(
  hub: SubscriptionHub,
  bus: LiveEventBus,
  options: { key?: string; sees?: (event: DomainEvent) => boolean; execute?: HubSubscriber['execute']; write?: (payload: Buffer) => void } = {},
): Probe {
  const payloads: Buffer[] = [];
  const source = eventsFor(bus, ['message.received'], (e) => options.sees?.(e) ?? true);
  const stream = hub.serve(source, {
    shareKey: options.key ?? 'same operation',
    execute: options.execute ?? ((event) => ({ data: { text: 'message' in event ? event.message.text : null } })),
    mask: () => new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    write: options.write ?? ((payload) => payloads.push(payload)),
  });
  if (!stream) throw new Error('the hub refused an eventsFor source');
  return { stream, payloads };
}

const texts = (probe: Probe) => probe.payloads.map((p) => (JSON.parse(String(p)) as { data: { text: string } }).data.text);

describe('subscription hub', () => {
  it('executes, serializes and encodes an event once per group, writing the same bytes to every subscriber in it', async () => {
    const { bus, hub } = setup();
    const executions: string[] = [];
    const execute = (key: string) => (event: DomainEvent): ExecutionResult => {
      executions.push(key);
      return { data: { text: 'message' in event ? `${event.message.text} (${key})` : null } };
    };
    const admins = Array.from({ length: 100 }, () => join(hub, bus, { key: 'admin', execute: execute('admin') }));
    const agents = Array.from({ length: 50 }, () => join(hub, bus, { key: 'agent', execute: execute('agent') }));
    expect(hub.size()).toBe(150);
    expect(bus.subscriberCount()).toBe(1);

    bus.publish(messageEvent('hello'));
    await vi.waitFor(() => expect(agents.every((p) => p.payloads.length === 1)).toBe(true));
    expect(executions.sort()).toEqual(['admin', 'agent']);
    expect(new Set(admins.map((p) => p.payloads[0])).size).toBe(1);
    expect(texts(admins[0]!)).toEqual(['hello (admin)']);
    expect(texts(agents[0]!)).toEqual(['hello (agent)']);
  });

  it('applies each subscriber its own filter, and executes nothing nobody accepts', async () => {
    const { bus, hub } = setup();
    const execute = vi.fn((event: DomainEvent): ExecutionResult => ({ data: { text: 'message' in event ? event.message.text : null } }));
    const sees = (agentId: string) => (e: DomainEvent) => 'conversation' in e && (e.conversation.assigneeId === agentId || e.conversation.status === 'QUEUED');
    const ann = join(hub, bus, { execute, sees: sees('ann') });
    const bob = join(hub, bus, { execute, sees: sees('bob') });
    const statuses = hub.serve(eventsFor(bus, ['agent.status'], () => true), { shareKey: 'agents', execute, mask: (e) => e as GraphQLError, write: () => undefined });
    expect(statuses).not.toBeNull();

    bus.publish(messageEvent('for ann', 'ann'));
    bus.publish(messageEvent('for carol', 'carol'));
    bus.publish(messageEvent('queued'));
    bus.publish(messageEvent('for bob', 'bob'));
    await vi.waitFor(() => expect(bob.payloads).toHaveLength(2));
    await sleep(20);
    expect(texts(ann)).toEqual(['for ann', 'queued']);
    expect(texts(bob)).toEqual(['queued', 'for bob']);
    // "for carol" reached nobody and was never executed; the agent.status group never saw a message event.
    expect(execute).toHaveBeenCalledTimes(3);
  });

  it('keeps event order when an execution waits (a loader) longer than the next one', async () => {
    const { bus, hub } = setup();
    const probe = join(hub, bus, {
      execute: async (event) => {
        const text = 'message' in event ? event.message.text : '';
        await sleep(text === 'slow' ? 50 : 0);
        return { data: { text } };
      },
    });
    bus.publish(messageEvent('slow'));
    bus.publish(messageEvent('fast'));
    bus.publish(messageEvent('last'));
    await vi.waitFor(() => expect(probe.payloads).toHaveLength(3));
    expect(texts(probe)).toEqual(['slow', 'fast', 'last']);
  });

  it('sends a masked error for an execution that throws, and carries on with the next event', async () => {
    const { bus, hub } = setup();
    const probe = join(hub, bus, {
      execute: (event) => {
        const text = 'message' in event ? event.message.text : '';
        if (text === 'boom') throw new Error('store password is hunter2');
        return { data: { text } };
      },
    });
    bus.publish(messageEvent('boom'));
    bus.publish(messageEvent('after'));
    await vi.waitFor(() => expect(probe.payloads).toHaveLength(2));
    expect(JSON.parse(String(probe.payloads[0]))).toEqual({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect(String(probe.payloads[0])).not.toContain('hunter2');
    expect(texts({ ...probe, payloads: probe.payloads.slice(1) })).toEqual(['after']);
  });

  it('does not let one failing write keep the event from the others', async () => {
    const { bus, hub, errors } = setup();
    join(hub, bus, {
      write: () => {
        throw new Error('socket gone');
      },
    });
    const healthy = join(hub, bus);
    bus.publish(messageEvent('still delivered'));
    await vi.waitFor(() => expect(texts(healthy)).toEqual(['still delivered']));
    expect(errors).toHaveLength(1);
  });

  it('keeps serving everyone when one subscriber\'s filter throws', async () => {
    const { bus, hub, errors } = setup();
    join(hub, bus, {
      sees: () => {
        throw new Error('filter bug');
      },
    });
    const healthy = join(hub, bus);
    bus.publish(messageEvent('one'));
    bus.publish(messageEvent('two'));
    await vi.waitFor(() => expect(texts(healthy)).toEqual(['one', 'two']));
    expect(errors).toHaveLength(2);
    expect(hub.size()).toBe(2);
  });

  it('lets go at once: a returned subscriber gets nothing more, and the last one releases the bus', async () => {
    const { bus, hub } = setup();
    const staying = join(hub, bus);
    const leaving = join(hub, bus);
    const pending = leaving.stream.next();
    await leaving.stream.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(hub.size()).toBe(1);

    bus.publish(messageEvent('after one left'));
    await vi.waitFor(() => expect(staying.payloads).toHaveLength(1));
    expect(leaving.payloads).toEqual([]);

    await staying.stream.return!();
    expect(hub.size()).toBe(0);
    await vi.waitFor(() => expect(bus.subscriberCount()).toBe(0));

    // A newcomer subscribes the bus again, before serve() returns.
    const newcomer = join(hub, bus);
    bus.publish(messageEvent('welcome'));
    await vi.waitFor(() => expect(texts(newcomer)).toEqual(['welcome']));
    expect(bus.subscriberCount()).toBe(1);
  });

  it('ends every subscriber when the bus closes', async () => {
    const { bus, hub } = setup();
    const probes = [join(hub, bus), join(hub, bus, { key: 'other' })];
    const pending = probes.map((p) => p.stream.next());
    await bus.close();
    expect(await Promise.all(pending)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
    expect(hub.size()).toBe(0);
  });

  it('takes only sources that state their filter: another source does not compile (the socket layer reads it per subscriber)', () => {
    async function* plain() {
      yield 1;
    }
    // @ts-expect-error a plain async iterable is not LiveEvents
    const source: Parameters<SubscriptionHub['serve']>[0] = plain();
    expect(source).not.toBeInstanceOf(LiveEvents);
    expect(eventsFor(createInProcessEventBus(), ['agent.status'], () => true)).toBeInstanceOf(LiveEvents);
  });
});
