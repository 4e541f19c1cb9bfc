import { memo } from 'react';
import type { ConversationRowFieldsFragment } from '../gql/graphql';
import { durationWords, relativeTime, windowLeftMs } from '../time';
import { customerLabel, lastActivity } from './tabs';

const HOUR = 3_600_000;

function preview(c: ConversationRowFieldsFragment): string {
  const last = c.lastCustomerMessage;
  if (!last) return '';
  return last.text || `[${last.type.toLowerCase()}]`;
}

export const ConversationRow = memo(function ConversationRow({
  conversation: c,
  selected,
  now,
}: {
  conversation: ConversationRowFieldsFragment;
  selected: boolean;
  now: number;
}) {
  const left = c.status === 'RESOLVED' ? 0 : windowLeftMs(c.serviceWindowExpiresAt, now);
  return (
    <a href={`#/c/${c.id}`} className="row" aria-current={selected ? 'true' : undefined}>
      <span className="row-top">
        <span className="name">{customerLabel(c.customer)}</span>
        <time dateTime={lastActivity(c)}>{relativeTime(lastActivity(c), now)}</time>
      </span>
      <span className="row-middle">
        <span className="preview">{preview(c)}</span>
        {c.unreadCount > 0 && (
          <span className="badge" aria-label={`${c.unreadCount} unread`}>
            {c.unreadCount}
          </span>
        )}
      </span>
      <span className="row-meta">
        {c.status === 'QUEUED' && <span className="chip chip-queued">Queued</span>}
        {c.assignee && c.status === 'ASSIGNED' && <span className="chip">{c.assignee.name}</span>}
        {c.labels.map((label) => (
          <span key={label} className="chip chip-label">
            {label}
          </span>
        ))}
        {left > 0 && left < HOUR && <span className="window-soon">{durationWords(left)} left</span>}
      </span>
    </a>
  );
});
