import type { AgentDoc } from '../../domain/model.js';
import type { DomainEvent, DomainEventType, EventBus } from '../../events/types.js';
import { canSee } from '../../workflow/access.js';

/**
 * One subscriber's view of the bus: only the event types asked for, and only
 * what the viewer may see. Returning from the consumer ends the underlying
 * bus subscription, so nothing is left listening.
 */
export async function* eventsFor<K extends DomainEventType>(
  bus: EventBus,
  types: readonly K[],
  keep: (event: Extract<DomainEvent, { type: K }>) => boolean,
): AsyncGenerator<Extract<DomainEvent, { type: K }>> {
  for await (const event of bus.subscribe()) {
    if ((types as readonly string[]).includes(event.type) && keep(event as Extract<DomainEvent, { type: K }>)) {
      yield event as Extract<DomainEvent, { type: K }>;
    }
  }
}

export function visibleTo(viewer: AgentDoc | null, conversation: { assigneeId: string | null; status: string }): boolean {
  if (!viewer) return false;
  return canSee(viewer, conversation as Parameters<typeof canSee>[1]);
}
