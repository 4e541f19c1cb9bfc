// The conversation list: tabs, pages fetched as the list scrolls, live
// events merged in (a row moves up on new activity; a row that leaves the
// tab fades out), rendered through a virtualised list so thousands of rows
// cost what a screenful does. `j` / `k` move the selection.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, useQuery, type CombinedError } from 'urql';
import { useLocation } from 'wouter';
import { graphql } from '../gql';
import type { ConversationRowFieldsFragment } from '../gql/graphql';
import { useLiveEpoch, useLiveEvent, useRefetchOnReconnect } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { useViewer } from '../shell/viewer';
import { useNow } from '../useNow';
import { ConversationRow } from './ConversationRow';
import { lastActivity, TABS, type TabId } from './tabs';

const ConversationsPage = graphql(`
  query ConversationsPage($filter: ConversationFilter, $first: Int, $after: String) {
    conversations(filter: $filter, orderBy: LAST_ACTIVITY, first: $first, after: $after) {
      totalCount
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

const InboxCounts = graphql(`
  query InboxCounts($mine: ConversationFilter!, $queue: ConversationFilter!, $all: ConversationFilter!, $resolved: ConversationFilter!) {
    mine: conversations(filter: $mine, first: 1) {
      totalCount
    }
    queue: conversations(filter: $queue, first: 1) {
      totalCount
    }
    all: conversations(filter: $all, first: 1) {
      totalCount
    }
    resolved: conversations(filter: $resolved, first: 1) {
      totalCount
    }
    labels {
      label
      count
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

  const [search, setSearch] = useState('');
  const [label, setLabel] = useState('');
  const [rows, setRows] = useState<Map<string, Row>>(() => new Map());
  const [total, setTotal] = useState<number | null>(null);
  const [next, setNext] = useState<{ hasNextPage: boolean; endCursor: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (after: string | null, gen: number) => {
      setLoading(true);
      const filter = { ...tab.filter(viewer.id), ...(search.trim() ? { search: search.trim() } : {}), ...(label ? { labels: [label] } : {}) };
      const result = await client.query(ConversationsPage, { filter, first: PAGE_SIZE, after }, { requestPolicy: 'network-only' }).toPromise();
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
      setTotal(page.totalCount);
    },
    [client, tab, viewer.id, search, label],
  );

  useEffect(() => {
    const gen = ++generation.current;
    setNext(null);
    // Typing in the search box waits for a pause before asking.
    const timer = setTimeout(() => void load(null, gen), search ? 250 : 0);
    return () => clearTimeout(timer);
  }, [load, epoch, search]);

  const countFilters = useMemo(() => Object.fromEntries(TABS.map((t) => [t.id, t.filter(viewer.id)])) as Record<TabId, ReturnType<(typeof TABS)[number]['filter']>>, [viewer.id]);
  const [{ data: counts }, refetchCounts] = useQuery({ query: InboxCounts, variables: countFilters, requestPolicy: 'cache-and-network' });
  const countsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useRefetchOnReconnect(refetchCounts);

  // Live: a conversation event decides membership by the tab's rule.
  useLiveEvent('conversation', (conversation) => {
    // Tab counts follow, at most a few times a second.
    countsTimer.current ??= setTimeout(() => {
      countsTimer.current = null;
      refetchCounts({ requestPolicy: 'network-only' });
    }, 300);
    setRows((current) => {
      const known = current.get(conversation.id);
      // With a search on, only the desk can tell whether a new one matches: known rows update, others wait for a refetch.
      const matchesFilters = (!label || conversation.labels.includes(label)) && (!search.trim() || !!known);
      if (tab.includes(conversation, viewer.id) && matchesFilters) {
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

  const tabCount = (id: TabId): number | undefined => counts?.[id].totalCount;
  const filtered = !!(search.trim() || label);
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
              setTotal(null);
              scrollRef.current?.scrollTo({ top: 0 });
            }}
          >
            {t.label}
            {tabCount(t.id) !== undefined && (
              <span className="count" aria-label={`${tabCount(t.id)} conversations`}>
                {tabCount(t.id)}
              </span>
            )}
          </button>
        ))}
      </div>
      <div className="list-tools">
        <input type="search" aria-label="Search conversations" placeholder="Search name, number or text" value={search} onChange={(e) => setSearch(e.target.value)} />
        <select aria-label="Label" value={label} onChange={(e) => setLabel(e.target.value)}>
          <option value="">All labels</option>
          {(counts?.labels ?? []).map((l) => (
            <option key={l.label} value={l.label}>
              {l.label} ({l.count})
            </option>
          ))}
        </select>
      </div>
      {filtered && total !== null && <p className="muted list-note">{total} matching</p>}
      <ErrorMessage error={error} />
      <div className="list-scroll" ref={scrollRef} onPointerEnter={() => setFrozen(ordered.map((r) => r.id))} onPointerLeave={() => setFrozen(null)}>
        {ordered.length === 0 && !loading && <p className="empty">{filtered ? 'Nothing matches. Clear the search or the label to see the whole view.' : tab.empty}</p>}
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
