// A subscription that ends must let go of the bus at once, even when no event
// ever arrives for it (a feed filtered to a quiet conversation).
import { describe, expect, it } from 'vitest';
import { createInProcessEventBus } from '../src/events/bus.js';
import { eventsFor } from '../src/graphql/schema/events.js';
import { agentStatusEvent } from './support/eventFactory.js';

describe('eventsFor', () => {
  it('return() while waiting releases the bus listener immediately', async () => {
    const bus = createInProcessEventBus();
    const feeds = Array.from({ length: 50 }, () => eventsFor(bus, ['agent.status'], () => false));
    const pending = feeds.map((feed) => feed.next());
    await new Promise((r) => setTimeout(r, 10));
    expect(bus.subscriberCount()).toBe(50);

    const closed = await Promise.race([
      Promise.all(feeds.map((feed) => feed.return!())).then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still waiting'), 1_000)),
    ]);
    expect(closed).toBe('closed');
    expect(bus.subscriberCount()).toBe(0);
    expect((await Promise.all(pending)).every((r) => r.done)).toBe(true);
    await bus.close();
  });

  it('passes only the wanted types that the filter keeps', async () => {
    const bus = createInProcessEventBus();
    const feed = eventsFor(bus, ['agent.status'], (e) => e.agent.name === 'Keep');
    const first = feed.next();
    await new Promise((r) => setTimeout(r, 10));
    bus.publish({ ...agentStatusEvent({ name: 'Drop' }), id: '1' });
    bus.publish({ ...agentStatusEvent({ name: 'Keep' }), id: '2' });
    const result = await first;
    expect(result.done).toBe(false);
    expect(result.value?.id).toBe('2');
    await feed.return!();
    await bus.close();
  });
});
