// One conversation: header with actions, the history (scroll back for
// earlier pages), live messages and ticks, the composer (or the template
// picker once the 24-hour window has closed), and the customer panel.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useClient, useMutation, type CombinedError } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import type { ConversationDetailFieldsFragment, MessageViewFragment, TimelineEventFragment } from '../gql/graphql';
import { useViewer } from '../shell/viewer';
import { Labels } from './Labels';
import { TimelineLine } from './Timeline';
import { customerLabel } from '../inbox/tabs';
import { useLiveEpoch, useLiveEvent } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { useNow } from '../useNow';
import { windowLeftMs } from '../time';
import { ConversationActions } from './ConversationActions';
import { Composer } from './Composer';
import { CustomerPanel } from './CustomerPanel';
import { MessageBubble } from './MessageBubble';
import { ShortcutsHelp } from './ShortcutsHelp';
import { TemplatePicker } from './TemplatePicker';

graphql(`
  fragment ConversationDetailFields on Conversation {
    ...ConversationRowFields
    cycle
    firstResponseAt
    feedback {
      score
      comment
    }
    survey {
      sentAt
      skippedReason
    }
  }
`);

const ConversationEvents = graphql(`
  query ConversationEvents($id: ID!) {
    conversation(id: $id) {
      id
      events(last: 200) {
        edges {
          node {
            ...TimelineEvent
          }
        }
      }
    }
  }
`);

const MarkRead = graphql(`
  mutation MarkConversationRead($conversationId: ID!) {
    markConversationRead(conversationId: $conversationId) {
      id
      unreadCount
    }
  }
`);

const ConversationQuery = graphql(`
  query Conversation($id: ID!) {
    conversation(id: $id) {
      ...ConversationDetailFields
      messages(last: 50) {
        ...MessagePage
      }
    }
  }
`);

const EarlierMessages = graphql(`
  query EarlierMessages($id: ID!, $before: String) {
    conversation(id: $id) {
      id
      messages(last: 50, before: $before) {
        ...MessagePage
      }
    }
  }
`);

const STATUS_ORDER: Record<NonNullable<MessageViewFragment['status']>, number> = { RECEIVED: 0, QUEUED: 1, SENT: 2, DELIVERED: 3, READ: 4, FAILED: 5 };

/** Statuses only move forward: a mutation's answer may arrive after the status event it caused. */
function newer(known: MessageViewFragment | undefined, incoming: MessageViewFragment): MessageViewFragment {
  if (!known) return incoming;
  // Subscription events carry no media URL (one execution serves many viewers): keep the one a query gave.
  const media = incoming.media && !incoming.media.url && known.media?.url && known.media.status === incoming.media.status ? { ...incoming.media, url: known.media.url } : incoming.media;
  // Meta's status times have whole seconds and may precede the send's own time, so order by status, as the desk does.
  // Notes have no status (null) and never change.
  if (!known.status || !incoming.status) return { ...incoming, media };
  return STATUS_ORDER[known.status] > STATUS_ORDER[incoming.status] ? { ...incoming, media, status: known.status, statusAt: known.statusAt, error: known.error } : { ...incoming, media };
}

/** A live event for a file the desk now holds, without the URL to show it: the latest page is asked for again. */
function needsUrl(message: MessageViewFragment): boolean {
  return message.media?.status === 'READY' && !message.media.url;
}

type Earlier = { hasPreviousPage: boolean; startCursor: string | null | undefined };

function byTime(a: MessageViewFragment, b: MessageViewFragment): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1;
}

export function ConversationView({ id }: { id: string }) {
  const client = useClient();
  const epoch = useLiveEpoch();
  const now = useNow(15_000);
  const [conversation, setConversation] = useState<ConversationDetailFieldsFragment | null>(null);
  const [messages, setMessages] = useState<Map<string, MessageViewFragment>>(() => new Map());
  const [events, setEvents] = useState<TimelineEventFragment[]>([]);
  const viewer = useViewer();
  const [, markRead] = useMutation(MarkRead);
  const [earlier, setEarlier] = useState<Earlier | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [missing, setMissing] = useState(false);
  const [showHelp, setShowHelp] = useState(false);
  const [noteMode, setNoteMode] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);

  const upsert = useCallback((list: MessageViewFragment[]) => {
    setMessages((current) => {
      const merged = new Map(current);
      for (const m of list) merged.set(m.id, newer(merged.get(m.id), m));
      return merged;
    });
  }, []);

  // Grows when a file turns READY: the latest page is fetched again for its signed URL.
  const [mediaReady, setMediaReady] = useState(0);
  useEffect(() => {
    let cancelled = false;
    void client
      .query(ConversationQuery, { id }, { requestPolicy: 'network-only' })
      .toPromise()
      .then((result) => {
        if (cancelled) return;
        setError(result.error ?? null);
        const found = result.data?.conversation;
        if (result.data && !found) setMissing(true);
        if (!found) return;
        setConversation(found);
        upsert(found.messages.edges.map((e) => e.node));
        setEarlier((prior) => prior ?? found.messages.pageInfo);
      });
    return () => {
      cancelled = true;
    };
  }, [client, id, epoch, mediaReady, upsert]);

  const loadEvents = useCallback(async () => {
    const result = await client.query(ConversationEvents, { id }, { requestPolicy: 'network-only' }).toPromise();
    const edges = result.data?.conversation?.events.edges;
    if (edges) setEvents(edges.map((e) => e.node));
  }, [client, id]);
  useEffect(() => void loadEvents(), [loadEvents, epoch]);

  useLiveEvent('conversation', (event) => {
    if (event.id !== id) return;
    setConversation((current) => (current ? { ...current, ...event } : current));
    void loadEvents();
  });

  // Reading it here marks it read (and WhatsApp shows the customer the blue ticks).
  const mayMarkRead = conversation !== null && (conversation.assignee?.id === viewer.id || viewer.role === 'ADMIN') && conversation.status !== 'RESOLVED';
  const unread = conversation?.unreadCount ?? 0;
  useEffect(() => {
    if (mayMarkRead && unread > 0 && document.visibilityState === 'visible') void markRead({ conversationId: id });
  }, [mayMarkRead, unread, id, markRead]);
  const onLiveMessage = (message: MessageViewFragment) => {
    if (message.conversationId !== id) return;
    upsert([message]);
    if (needsUrl(message)) setMediaReady((n) => n + 1);
  };
  useLiveEvent('message', onLiveMessage);
  useLiveEvent('messageStatus', onLiveMessage);

  const ordered = useMemo(() => [...messages.values()].sort(byTime), [messages]);
  // Timeline lines in among the bubbles, from the oldest message shown on.
  const items = useMemo(() => {
    const oldest = ordered[0]?.createdAt ?? '';
    const lines = events.filter((e) => e.kind !== 'OPENED' && (!earlier?.hasPreviousPage || e.at >= oldest));
    const merged: ({ kind: 'message'; at: string; message: MessageViewFragment } | { kind: 'event'; at: string; event: TimelineEventFragment })[] = [
      ...ordered.map((message) => ({ kind: 'message' as const, at: message.createdAt, message })),
      ...lines.map((event) => ({ kind: 'event' as const, at: event.at, event })),
    ];
    return merged.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }, [ordered, events, earlier?.hasPreviousPage]);

  const loadEarlier = useCallback(async () => {
    if (!earlier?.hasPreviousPage || !listRef.current) return;
    const list = listRef.current;
    const fromBottom = list.scrollHeight - list.scrollTop;
    const result = await client.query(EarlierMessages, { id, before: earlier.startCursor ?? null }, { requestPolicy: 'network-only' }).toPromise();
    const page = result.data?.conversation?.messages;
    if (result.error) setError(result.error);
    if (!page) return;
    stickToBottom.current = false;
    upsert(page.edges.map((e) => e.node));
    setEarlier(page.pageInfo);
    // Keep the message under the reader's eyes where it was.
    requestAnimationFrame(() => {
      list.scrollTop = list.scrollHeight - fromBottom;
    });
  }, [client, earlier, id, upsert]);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [items]);

  // An image or video that finishes loading grows its bubble: stay at the bottom if the reader was there.
  // (load does not bubble; a capturing listener on the list still hears it.)
  const hasList = conversation !== null;
  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const onLoad = () => {
      if (stickToBottom.current) list.scrollTop = list.scrollHeight;
    };
    list.addEventListener('load', onLoad, true);
    list.addEventListener('loadedmetadata', onLoad, true);
    return () => {
      list.removeEventListener('load', onLoad, true);
      list.removeEventListener('loadedmetadata', onLoad, true);
    };
  }, [hasList]);

  // r reply, n note, ? shortcuts (e resolve lives with the actions).
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === 'r' || event.key === 'n') {
        event.preventDefault();
        setNoteMode(event.key === 'n');
        replyRef.current?.focus();
      } else if (event.key === '?') {
        setShowHelp((shown) => !shown);
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  if (missing) {
    return (
      <section className="conversation-pane">
        <p className="empty">This conversation does not exist, or you cannot see it.</p>
      </section>
    );
  }
  if (!conversation) {
    return <section className="conversation-pane">{error ? <ErrorMessage error={error} /> : <p className="loading">Loading…</p>}</section>;
  }

  const windowOpen = windowLeftMs(conversation.serviceWindowExpiresAt, now) > 0;
  return (
    <>
      <section className="conversation-pane" aria-label={`Conversation with ${customerLabel(conversation.customer)}`}>
        <header className="conversation-header">
          <Link href="/" className="back">
            <span aria-hidden="true">←</span> <span className="visually-hidden">Back to conversations</span>
          </Link>
          <div className="title">
            <h2>{customerLabel(conversation.customer)}</h2>
            <span className="subtitle">
              {conversation.status === 'ASSIGNED' && conversation.assignee ? `Assigned to ${conversation.assignee.name}` : conversation.status === 'QUEUED' ? 'Waiting in the queue' : 'Resolved'}
              {conversation.feedback ? ` · Rated ${conversation.feedback.score}` : ''}
            </span>
            <Labels
              conversationId={conversation.id}
              labels={conversation.labels}
              editable={conversation.assignee?.id === viewer.id || viewer.role === 'ADMIN'}
              onChange={(labels) => setConversation((current) => (current ? { ...current, labels } : current))}
            />
          </div>
          <ConversationActions conversation={conversation} onChange={(next) => setConversation((current) => (current ? { ...current, ...next } : current))} />
        </header>
        <ErrorMessage error={error} />
        <ol
          className="messages"
          aria-label="Messages"
          ref={listRef}
          onScroll={(e) => {
            const list = e.currentTarget;
            stickToBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
            if (list.scrollTop < 60) void loadEarlier();
          }}
        >
          {earlier?.hasPreviousPage && (
            <li className="earlier">
              <button type="button" className="quiet" onClick={() => void loadEarlier()}>
                Load earlier messages
              </button>
            </li>
          )}
          {items.map((item) => (item.kind === 'message' ? <MessageBubble key={item.message.id} message={item.message} /> : <TimelineLine key={item.event.id} event={item.event} />))}
        </ol>
        {windowOpen || noteMode ? (
          <Composer
            conversation={conversation}
            now={now}
            replyRef={replyRef}
            noteMode={noteMode}
            onNoteMode={setNoteMode}
            onSent={(message) => {
              stickToBottom.current = true;
              upsert([message]);
            }}
          />
        ) : (
          <TemplatePicker
            conversationId={conversation.id}
            onWriteNote={() => setNoteMode(true)}
            onSent={(message) => {
              stickToBottom.current = true;
              upsert([message]);
            }}
          />
        )}
      </section>
      <CustomerPanel conversation={conversation} />
      {showHelp && <ShortcutsHelp onClose={() => setShowHelp(false)} />}
    </>
  );
}
