// A conversation's timeline, read from the event log: the lines an agent sees
// between the bubbles ("Assigned to Ana", "Transferred to Bob: over to you",
// "Resolved by Ana", "Rated 5").
import type { ConversationEventDoc, ConversationEventType } from '../domain/model.js';

export const TIMELINE_KINDS = ['OPENED', 'ASSIGNED', 'TRANSFERRED', 'RELEASED', 'RESOLVED', 'REOPENED', 'RATED', 'COMMENTED'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const ACTOR_TYPES = ['CUSTOMER', 'AGENT', 'SYSTEM', 'INTEGRATION'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** The log entries a timeline shows (first responses and agent statuses are metrics, not timeline). */
export const TIMELINE_EVENT_TYPES: readonly ConversationEventType[] = [
  'conversation.opened',
  'conversation.reopened',
  'conversation.assigned',
  'conversation.unassigned',
  'conversation.resolved',
  'feedback.received',
  'feedback.commented',
];

export interface TimelineEntry {
  id: string;
  kind: TimelineKind;
  at: Date;
  cycle: number | null;
  actorType: ActorType;
  /** The agent who did it, when an agent did. */
  actorId: string | null;
  /** The integration (plugin) that did it, when one did. */
  integration: string | null;
  /** Who the conversation went to (assigned, transferred) or came from (released). */
  agentId: string | null;
  fromAgentId: string | null;
  note: string | null;
  score: number | null;
  comment: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/** `by` as the log records it: an agent id, 'customer', 'policy', 'plugin:<name>'. */
function actor(by: string | null): Pick<TimelineEntry, 'actorType' | 'actorId' | 'integration'> {
  if (!by || by === 'policy' || by === 'reopen' || by === 'system') return { actorType: 'SYSTEM', actorId: null, integration: null };
  if (by === 'customer') return { actorType: 'CUSTOMER', actorId: null, integration: null };
  if (by.startsWith('plugin:')) return { actorType: 'INTEGRATION', actorId: null, integration: by.slice('plugin:'.length) };
  return { actorType: 'AGENT', actorId: by, integration: null };
}

export function toTimelineEntry(event: ConversationEventDoc): TimelineEntry | null {
  const data = event.data ?? {};
  const base = { id: event._id, at: event.at, cycle: event.cycle, agentId: null, fromAgentId: null, note: null, score: null, comment: null };
  switch (event.type) {
    case 'conversation.opened':
      return { ...base, kind: 'OPENED', ...actor('customer') };
    case 'conversation.reopened':
      return { ...base, kind: 'REOPENED', ...actor(text(data['by']) ?? 'customer') };
    case 'conversation.assigned': {
      const from = text(data['fromAgentId']);
      const by = text(data['by']);
      const who = text(data['actorId']) ?? (by === 'claim' ? event.agentId : by === 'admin' ? null : 'policy');
      return { ...base, kind: from ? 'TRANSFERRED' : 'ASSIGNED', ...actor(who), agentId: event.agentId, fromAgentId: from, note: text(data['note']) };
    }
    case 'conversation.unassigned':
      return { ...base, kind: 'RELEASED', ...actor(text(data['actorId'])), fromAgentId: event.agentId };
    case 'conversation.resolved':
      return { ...base, kind: 'RESOLVED', ...actor(text(data['by'])) };
    case 'feedback.received':
      return { ...base, kind: 'RATED', ...actor('customer'), score: typeof data['score'] === 'number' ? data['score'] : null };
    case 'feedback.commented':
      return { ...base, kind: 'COMMENTED', ...actor('customer'), comment: text(data['comment']) };
    default:
      return null;
  }
}
