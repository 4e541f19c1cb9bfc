// The inbox's tabs: the filter each asks the server for, and the same rule
// applied to live events, so a conversation enters and leaves a tab as it
// changes without a refetch.
import type { ConversationFilter, ConversationRowFieldsFragment } from '../gql/graphql';

export type TabId = 'mine' | 'queue' | 'all' | 'resolved';

export interface Tab {
  id: TabId;
  label: string;
  adminOnly: boolean;
  empty: string;
  filter(viewerId: string): ConversationFilter;
  includes(conversation: ConversationRowFieldsFragment, viewerId: string): boolean;
}

export const TABS: Tab[] = [
  {
    id: 'mine',
    label: 'Mine',
    adminOnly: false,
    empty: 'Nothing assigned to you. Go Online to receive conversations, or claim one from the Queue.',
    filter: (viewerId) => ({ status: ['ASSIGNED'], assigneeId: viewerId }),
    includes: (c, viewerId) => c.status === 'ASSIGNED' && c.assignee?.id === viewerId,
  },
  {
    id: 'queue',
    label: 'Queue',
    adminOnly: false,
    empty: 'No conversations waiting. New messages appear here as they arrive.',
    filter: () => ({ status: ['QUEUED'] }),
    includes: (c) => c.status === 'QUEUED',
  },
  {
    id: 'all',
    label: 'All',
    adminOnly: true,
    empty: 'No open conversations.',
    filter: () => ({ status: ['QUEUED', 'ASSIGNED'] }),
    includes: (c) => c.status !== 'RESOLVED',
  },
  {
    id: 'resolved',
    label: 'Resolved',
    adminOnly: false,
    empty: 'No resolved conversations yet.',
    filter: () => ({ status: ['RESOLVED'] }),
    includes: (c) => c.status === 'RESOLVED',
  },
];

/** When the conversation last moved: what the list is ordered by (the desk's LAST_ACTIVITY). */
export function lastActivity(c: ConversationRowFieldsFragment): string {
  return c.lastActivityAt;
}

export function customerLabel(customer: { name?: string | null; waId: string }): string {
  return customer.name?.trim() || `+${customer.waId}`;
}
