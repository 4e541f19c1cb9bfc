import type { EventListener } from '../dispatcher.js';
import type { EventBus } from '../types.js';

/** Live updates: every event goes on the bus, where GraphQL subscriptions (on any instance) read it. */
export function busListener(bus: EventBus): EventListener {
  return { name: 'bus', handle: (event) => bus.publish(event) };
}
