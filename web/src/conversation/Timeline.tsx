// Timeline lines between the bubbles: "Assigned to Ana", "Transferred to
// Bob: over to you", "Resolved by Ana", "Rated 5".
import type { TimelineEventFragment } from '../gql/graphql';
import { clockTime } from '../time';

function by(e: TimelineEventFragment): string {
  if (e.actor) return ` by ${e.actor.name}`;
  if (e.actorType === 'INTEGRATION' && e.integration) return ` by ${e.integration}`;
  if (e.actorType === 'CUSTOMER') return ' by the customer';
  return '';
}

export function timelineText(e: TimelineEventFragment): string {
  switch (e.kind) {
    case 'OPENED':
      return 'Conversation opened';
    case 'ASSIGNED':
      return e.agent ? `Assigned to ${e.agent.name}` : 'Assigned';
    case 'TRANSFERRED':
      return `Transferred to ${e.agent?.name ?? 'another agent'}${e.note ? `: ${e.note}` : ''}`;
    case 'RELEASED':
      return `Released to the queue${by(e)}`;
    case 'RESOLVED':
      return `Resolved${by(e)}`;
    case 'REOPENED':
      return `Reopened${by(e)}`;
    case 'RATED':
      return `Rated ${e.score ?? '?'}`;
    case 'COMMENTED':
      return `Comment: ${e.comment ?? ''}`;
  }
}

export function TimelineLine({ event }: { event: TimelineEventFragment }) {
  return (
    <li className="timeline">
      {timelineText(event)} · <time dateTime={event.at}>{clockTime(event.at)}</time>
    </li>
  );
}
