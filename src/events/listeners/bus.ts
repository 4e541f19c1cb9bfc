import type { Store } from '../../store/port.js';
import type { EventListener } from '../dispatcher.js';
import type { EventBus } from '../types.js';

/**
 * Live updates: every event goes on the bus, where GraphQL subscriptions (on
 * any instance) read it, once the change it describes is durable
 * (Store.afterDurable). A held event whose commit failed is dropped: the
 * store has stopped and says so on every call.
 */
export function busListener(bus: EventBus, afterDurable: Store['afterDurable'] = (effect) => effect()): EventListener {
  return {
    name: 'bus',
    handle(event) {
      const held = afterDurable(() => bus.publish(event));
      if (held instanceof Promise) held.catch(() => undefined);
    },
  };
}
