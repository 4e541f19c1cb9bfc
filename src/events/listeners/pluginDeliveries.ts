import type { DomainEvent } from '../../domain/events.js';
import type { EventListener } from '../dispatcher.js';
import { isInternalEvent } from '../types.js';

/** Integrations: the plugin host records a delivery per interested plugin (internal events excepted). Its publish never throws. */
export function pluginDeliveryListener(host: () => { publish(event: DomainEvent): Promise<void> } | null): EventListener {
  return {
    name: 'plugin deliveries',
    handle(event) {
      if (isInternalEvent(event)) return;
      // Not awaited: the host chains recordings per conversation, in dispatch order.
      void host()?.publish(event);
    },
  };
}
