// The inbox: which conversations a viewer's list holds, in which order, and
// how a client pages through it. Filters are resolved here into one store
// query, so the list, its totalCount and its label counts always agree.
import { badInput } from '../domain/errors.js';
import { characterCount, searchTerm } from '../domain/text.js';
import type { AgentDoc, ConversationDoc, ConversationStatus } from '../domain/model.js';
import { ORDER_FIELD, type ConversationOrder, type ConversationQuery } from '../store/repositories/conversations.js';
import type { CursorPage } from '../store/repositories/paging.js';
import type { WorkflowDeps } from './deps.js';
import { normaliseLabels } from './labels.js';

export interface InboxFilter {
  status?: ConversationStatus[] | null;
  assigneeId?: string | null;
  customerWaId?: string | null;
  customerId?: string | null;
  search?: string | null;
  labels?: string[] | null;
  unread?: boolean | null;
}

export { MAX_SEARCH_LENGTH } from '../domain/text.js';
/** A phone number however written ("+1 (555) 123-4567 ext"): room to spare over E.164's 15 digits. */
export const MAX_WA_ID_INPUT = 50;
/** How many matching customers and messages a search considers; enough for a person typing into a box. */
const SEARCH_MATCHES = 1000;

/** WhatsApp ids are digits: "+1 (555) 123-4567" and "15551234567" name the same customer. */
export function normaliseWaId(input: string, field = 'filter.customerWaId'): string {
  if (characterCount(input) > MAX_WA_ID_INPUT) throw badInput(`${field} is a phone number: at most ${MAX_WA_ID_INPUT} characters`, field);
  const digits = input.replace(/\D/g, '');
  if (!digits) throw badInput(`${field} must contain the phone number's digits`, field);
  return digits;
}

/** The store query for what `viewer` may see, narrowed by `filter`. */
export async function inboxQuery(deps: WorkflowDeps, viewer: AgentDoc, filter: InboxFilter | null | undefined): Promise<ConversationQuery> {
  const query: ConversationQuery = {
    status: filter?.status ?? null,
    assigneeId: filter?.assigneeId ?? null,
    customerWaId: filter?.customerWaId != null ? normaliseWaId(filter.customerWaId) : null,
    customerId: filter?.customerId ?? null,
    visibleToAgentId: viewer.role === 'ADMIN' ? null : viewer._id,
    labels: filter?.labels?.length ? normaliseLabels(filter.labels, 'filter.labels') : null,
    unread: filter?.unread ?? null,
  };
  const search = searchTerm(filter?.search, 'filter.search');
  if (search) {
    const digits = search.replace(/[\s()+\-.]/g, '');
    const [customerIds, conversationIds] = await Promise.all([
      deps.repos.customers.idsNamed(search, SEARCH_MATCHES),
      deps.repos.messages.conversationIdsMentioning(search, SEARCH_MATCHES),
    ]);
    // Only something that looks like a number searches numbers: "order 12" should not match every 12 in a phone number.
    query.search = { customerIds, conversationIds, waIdDigits: /^\d{3,}$/.test(digits) ? digits : null };
  }
  return query;
}

/** Cursors name a row's place in its order: the order's time and the id. Opaque to clients. */
export function conversationCursor(conversation: ConversationDoc, order: ConversationOrder): string {
  const value = conversation[ORDER_FIELD[order]] ?? conversation.openedAt;
  return Buffer.from(JSON.stringify([new Date(value).getTime(), conversation._id])).toString('base64url');
}

/** The position a cursor names, or null when it is not one this list gave. */
function positionOf(cursor: string): { value: Date; id: string } | null {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof time === 'number' && Number.isFinite(time) && typeof id === 'string' && id) return { value: new Date(time), id };
  } catch {
    // not base64url JSON: not ours
  }
  return null;
}

export const isConversationCursor = (cursor: string): boolean => positionOf(cursor) !== null;

function decodeCursor(cursor: string, field: 'after' | 'before'): { value: Date; id: string } {
  const position = positionOf(cursor);
  if (!position) throw badInput(`${field} is not a cursor from this list`, field);
  return position;
}

export async function listConversations(deps: WorkflowDeps, query: ConversationQuery, order: ConversationOrder, page: CursorPage): Promise<ConversationDoc[]> {
  return deps.repos.conversations.page(query, order, {
    after: page.after ? decodeCursor(page.after, 'after') : null,
    before: page.before ? decodeCursor(page.before, 'before') : null,
    limit: page.limit,
    inverted: page.inverted,
  });
}
