// The conversation list: tabs, pages fetched as the list scrolls, live
// events merged in (a row moves up on new activity; a row that leaves the
// tab fades out), rendered through a virtualised list so thousands of rows
// cost what a screenful does. `j` / `k` move the selection.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { useLocation } from 'wouter';
import { graphql } from '../gql';
import type { ConversationRowFieldsFragment } from '../gql/graphql';
import { useLiveEpoch, useLiveEvent } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { useViewer } from '../shell/viewer';
import { useNow } from '../useNow';
import { ConversationRow } from './ConversationRow';
import { lastActivity, TABS, type TabId } from './tabs';

const ConversationsPage = graphql(`
  query ConversationsPage($filter: ConversationFilter, $first: Int, $after: String) {
    conversations(filter: $filter, first: $first, after: $after) {
      edges {
        node {
          ...ConversationRowFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const PAGE_SIZE = 100;
const ROW_HEIGHT = 76;
const FADE_MS = 400;

type Row = ConversationRowFieldsFragment & { leaving?: boolean };

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function ConversationList({ selectedId }: { selectedId: string | null }) {
  const viewer = useViewer();
  const client = useClient();
  const epoch = useLiveEpoch();
  const now = useNow();
  const [, navigate] = useLocation();
  const tabs = TABS.filter((t) => !t.adminOnly || viewer.role === 'ADMIN');
  const [tabId, setTabId] = useState<TabId>(viewer.role === 'ADMIN' ? 'all' : 'mine');
  const tab = tabs.find((t) => t.id === tabId) ?? tabs[0]!;

  const [rows, setRows] = useState<Map<string, Row>>(() => new Map());
  const [next, setNext] = useState<{ hasNextPage: boolean; endCursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (after: string | null, gen: number) => {
      setLoading(true);
      const result = await client.query(ConversationsPage, { filter: tab.filter(viewer.id), first: PAGE_SIZE, after }, { requestPolicy: 'network-only' }).toPromise();
      if (gen !== generation.current) return;
      setLoading(false);
      if (result.error || !result.data) {
        setError(result.error ?? null);
        return;
      }
      setError(null);
      const page = result.data.conversations;
      setRows((current) => {
        const merged = new Map(after ? current : []);
        for (const edge of page.edges) merged.set(edge.node.id, edge.node);
        return merged;
      });
      setNext(page.pageInfo);
    },
    [client, tab, viewer.id],
  );

  useEffect(() => {
    const gen = ++generation.current;
    setNext(null);
    void load(null, gen);
  }, [load, epoch]);

  // Live: a conversation event decides membership by the tab's rule.
  useLiveEvent('conversation', (conversation) => {
    setRows((current) => {
      const known = current.get(conversation.id);
      if (tab.includes(conversation, viewer.id)) {
        const merged = new Map(current);
        merged.set(conversation.id, conversation);
        return merged;
      }
      if (!known || known.leaving) return current;
      const merged = new Map(current);
      merged.set(conversation.id, { ...conversation, leaving: true });
      setTimeout(() => {
        setRows((later) => {
          if (!later.get(conversation.id)?.leaving) return later;
          const pruned = new Map(later);
          pruned.delete(conversation.id);
          return pruned;
        });
      }, FADE_MS);
      return merged;
    });
  });

  useLiveEvent('message', (message) => {
    if (message.type === 'NOTE') return;
    setRows((current) => {
      const known = current.get(message.conversationId);
      if (!known) return current;
      const merged = new Map(current);
      merged.set(known.id, {
        ...known,
        lastMessage: { id: message.id, text: message.text, type: message.type, author: message.author, createdAt: message.createdAt },
        lastCustomerMessageAt: message.author === 'CUSTOMER' ? message.createdAt : known.lastCustomerMessageAt,
      });
      return merged;
    });
  });

  // While the pointer is over the list, rows keep their places (new ones go on top).
  const [frozen, setFrozen] = useState<string[] | null>(null);
  const ordered = useMemo(() => {
    const byActivity = [...rows.values()].sort((a, b) => (lastActivity(b) > lastActivity(a) ? 1 : lastActivity(b) < lastActivity(a) ? -1 : 0));
    if (!frozen) return byActivity;
    const position = new Map(frozen.map((id, i) => [id, i]));
    const fresh = byActivity.filter((r) => !position.has(r.id));
    const kept = byActivity.filter((r) => position.has(r.id)).sort((a, b) => position.get(a.id)! - position.get(b.id)!);
    return [...fresh, ...kept];
  }, [rows, frozen]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: ordered.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const items = virtualizer.getVirtualItems();
  const lastVisible = items.length ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (!loading && next?.hasNextPage && lastVisible >= ordered.length - 20) void load(next.endCursor, generation.current);
  }, [lastVisible, ordered.length, next, loading, load]);

  // j / k: next and previous conversation.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (isTyping(event.target) || event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key !== 'j' && event.key !== 'k') return;
      const index = ordered.findIndex((r) => r.id === selectedId);
      const target = ordered[event.key === 'j' ? index + 1 : Math.max(0, index - 1)];
      if (target) {
        event.preventDefault();
        navigate(`/c/${target.id}`);
        virtualizer.scrollToIndex(ordered.indexOf(target));
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [ordered, selectedId, navigate, virtualizer]);

  const count = next?.hasNextPage ? `${rows.size}+` : String(rows.size);
  return (
    <section className="list-pane" aria-label="Inbox">
      <div role="tablist" aria-label="Views" className="tabs">
        {tabs.map((t) => (
          <button
            key={t.id}
            role="tab"
            type="button"
            aria-selected={t.id === tab.id}
            onClick={() => {
              setTabId(t.id);
              setRows(new Map());
              scrollRef.current?.scrollTo({ top: 0 });
            }}
          >
            {t.label}
            {t.id === tab.id && <span className="count">{count}</span>}
          </button>
        ))}
      </div>
      <ErrorMessage error={error} />
      <div className="list-scroll" ref={scrollRef} onPointerEnter={() => setFrozen(ordered.map((r) => r.id))} onPointerLeave={() => setFrozen(null)}>
        {ordered.length === 0 && !loading && <p className="empty">{tab.empty}</p>}
        <ul aria-label="Conversations" className="conversations" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = ordered[item.index]!;
            return (
              <li
                key={row.id}
                className={row.leaving ? 'leaving' : undefined}
                aria-setsize={ordered.length}
                aria-posinset={item.index + 1}
                style={{ height: item.size, transform: `translateY(${item.start}px)` }}
              >
                <ConversationRow conversation={row} selected={row.id === selectedId} now={now} />
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
