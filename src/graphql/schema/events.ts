import type { AgentDoc } from '../../domain/model.js';
import { placementBefore } from '../../domain/events.js';
import type { DomainEvent } from '../../events/types.js';
import { canSee } from '../../workflow/access.js';

// Source streams the subscription hub can serve (src/graphql/live.ts).
export { eventsFor } from '../live.js';

export function visibleTo(viewer: AgentDoc | null, conversation: Parameters<typeof canSee>[1]): boolean {
  if (!viewer) return false;
  return canSee(viewer, conversation);
}

/**
 * Whether a subscriber hears of a change: they could see the conversation
 * (in the statuses they asked for) before it or after it. So a conversation
 * that leaves a view is announced to that view once, as it now is, and the
 * client drops it.
 */
export function seesChange(viewer: AgentDoc | null, event: DomainEvent, statuses?: readonly string[] | null): boolean {
  if (!('conversation' in event)) return false;
  const after = event.conversation;
  const within = (c: Parameters<typeof canSee>[1]) => (!statuses?.length || statuses.includes(c.status)) && visibleTo(viewer, c);
  if (within(after)) return true;
  const previous = placementBefore(event);
  // handlerIds only grow, so the current list is right for the earlier placement too.
  return previous ? within({ ...after, ...previous }) : false;
}
