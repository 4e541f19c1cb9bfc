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

function sizeWords(bytes: number | null | undefined): string {
  if (!bytes) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The file itself once the desk holds it: images inline (a click opens them
 * full size), audio and video with the browser's player, anything else as a
 * download link. The URL is signed for this viewer, so <img src> needs no
 * header; subscription events carry none, and the conversation refetches
 * one when a file turns READY.
 */
function MediaContent({ message }: { message: MessageViewFragment }) {
  const media = message.media;
  if (!media) return null;
  const kind = message.type.toLowerCase();
  const name = media.filename ?? (kind === 'document' ? 'Document' : kind);
  if (media.status === 'PENDING') return <span className="media muted">Receiving the {kind}…</span>;
  if (media.status === 'FAILED') {
    return (
      <span className="media error" role="note">
        The {kind} could not be fetched{media.failureReason ? `: ${media.failureReason}` : ''}.
      </span>
    );
  }
  if (!media.url) return <span className="media muted">{name}</span>;
  const mime = media.mimeType ?? '';
  if (message.type === 'IMAGE' || message.type === 'STICKER' || mime.startsWith('image/')) {
    return (
      <a className="media" href={media.url} target="_blank" rel="noreferrer">
        <img src={media.url} alt={media.caption ?? media.filename ?? (message.direction === 'INBOUND' ? 'Image from the customer' : 'Image sent')} loading="lazy" />
      </a>
    );
  }
  if (message.type === 'VIDEO' || mime.startsWith('video/')) return <video className="media" controls preload="metadata" src={media.url} aria-label={name} />;
  if (message.type === 'AUDIO' || mime.startsWith('audio/')) return <audio className="media" controls preload="metadata" src={media.url} aria-label={media.voice ? 'Voice message' : name} />;
  return (
    <a className="media document" href={media.url} download={media.filename ?? undefined}>
      <span className="file-kind" aria-hidden="true">
        {(media.filename?.split('.').pop() ?? kind).slice(0, 4).toUpperCase()}
      </span>{' '}
      {name}
      <span className="muted"> {[media.mimeType, sizeWords(media.size)].filter(Boolean).join(', ')}</span>
    </a>
  );
}

export const MessageBubble = memo(function MessageBubble({ message }: { message: MessageViewFragment }) {
  const isNote = message.type === 'NOTE';
  const side = isNote ? 'note' : message.author === 'SYSTEM' ? 'system' : message.direction === 'INBOUND' ? 'in' : 'out';
  return (
    <li className={`bubble bubble-${side}`}>
      {isNote && <span className="note-tag">Note</span>}
      {message.agent && side !== 'in' && <span className="author">{message.agent.name}</span>}
      <MediaContent message={message} />
      {message.text && <span className="text">{message.text}</span>}
      {!message.text && !message.media && <span className="text muted">[{message.type.toLowerCase()}]</span>}
      <span className="meta">
        <time dateTime={message.createdAt}>{clockTime(message.createdAt)}</time>
        {side === 'out' && <DeliveryTicks message={message} />}
      </span>
    </li>
  );
});
