// One message: customer left, agent right, system messages centred and
// muted, notes tinted with a "Note" tag; outbound messages carry delivery
// ticks (one: sent, two: delivered, two coloured: read, a red mark with
// Meta's error title: failed).
import { memo } from 'react';
import type { MessageViewFragment } from '../gql/graphql';
import { clockTime } from '../time';

const TICKS: Partial<Record<NonNullable<MessageViewFragment['status']>, { mark: string; label: string }>> = {
  QUEUED: { mark: '🕓', label: 'Queued' },
  SENT: { mark: '✓', label: 'Sent' },
  DELIVERED: { mark: '✓✓', label: 'Delivered' },
  READ: { mark: '✓✓', label: 'Read' },
};

export function DeliveryTicks({ message }: { message: MessageViewFragment }) {
  if (message.status === 'FAILED') {
    const title = message.error?.title ?? 'Not delivered';
    return (
      <span className="tick tick-failed" role="img" aria-label={`Failed: ${title}`} title={message.error ? `${message.error.code}: ${title}` : title}>
        ⚠ {title}
      </span>
    );
  }
  const tick = message.status ? TICKS[message.status] : undefined;
  if (!tick || !message.status) return null;
  return (
    <span className={`tick tick-${message.status.toLowerCase()}`} role="img" aria-label={tick.label} title={tick.label}>
      {tick.mark}
    </span>
  );
}

function MediaLine({ message }: { message: MessageViewFragment }) {
  const media = message.media;
  if (!media) return null;
  const kind = message.type.toLowerCase();
  return (
    <span className="media">
      📎 {media.filename ?? kind}
      {media.mimeType ? ` (${media.mimeType})` : ''}
      {media.caption ? <span className="caption">{media.caption}</span> : null}
    </span>
  );
}

export const MessageBubble = memo(function MessageBubble({ message }: { message: MessageViewFragment }) {
  const isNote = message.type === 'NOTE';
  const side = isNote ? 'note' : message.author === 'SYSTEM' ? 'system' : message.direction === 'INBOUND' ? 'in' : 'out';
  return (
    <li className={`bubble bubble-${side}`}>
      {isNote && <span className="note-tag">Note</span>}
      {message.agent && side !== 'in' && <span className="author">{message.agent.name}</span>}
      <MediaLine message={message} />
      {message.text && <span className="text">{message.text}</span>}
      {!message.text && !message.media && <span className="text muted">[{message.type.toLowerCase()}]</span>}
      <span className="meta">
        <time dateTime={message.createdAt}>{clockTime(message.createdAt)}</time>
        {side === 'out' && <DeliveryTicks message={message} />}
      </span>
    </li>
  );
});
