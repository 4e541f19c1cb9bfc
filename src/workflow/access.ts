// Who may see and do what: the desk's authorization, in one place. Resolvers
// call the workflow, and the workflow asks here; nothing else decides.
//
// - Admins see and act on every conversation.
// - Agents see their own conversations, the queue (QUEUED), and the ones they
//   handled before (read only: a transfer does not take away the history
//   they worked on; the store's form of this rule is `visibleToAgent` in
//   src/store/repositories/conversations.ts). They act
//   (reply, template, note, resolve) only on conversations assigned to them:
//   a QUEUED conversation is claimed first (assignConversation without an
//   agentId), which any ONLINE agent below capacity may do. Notes included:
//   who writes on a conversation is the one answering for it.
// - A conversation an agent may not see is answered exactly as one that does
//   not exist (NOT_FOUND with the same message), for every operation.
// - Metrics: agents their own, over at most METRICS_AGENT_MAX_DAYS; admins
//   anyone's, over at most METRICS_MAX_DAYS.
// - Colleagues: agents see names and status; emails are for admins (Agent.email).
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { badInput, forbidden, notFound } from '../domain/errors.js';
import type { WorkflowDeps } from './deps.js';

/** Who is asking: an authenticated agent (the token hash is never needed to decide). */
export type Viewer = Pick<AgentDoc, '_id' | 'role'>;

/** Agents see their own conversations, the queue, and the ones they handled; admins see everything. */
export function canSee(viewer: Viewer, conversation: Pick<ConversationDoc, 'status' | 'assigneeId' | 'handlerIds'>): boolean {
  return (
    viewer.role === 'ADMIN' ||
    conversation.assigneeId === viewer._id ||
    conversation.status === 'QUEUED' ||
    (conversation.handlerIds ?? []).includes(viewer._id)
  );
}

/** Speaking for the desk on a conversation: its assignee, or an admin. */
export function canAct(viewer: Viewer, conversation: ConversationDoc): boolean {
  return viewer.role === 'ADMIN' || conversation.assigneeId === viewer._id;
}

/**
 * Agents' emails are for admins. By role, not by person: live subscriptions
 * share one execution among viewers of a role, so a rule that depended on
 * who is asking could show one agent's answer to another.
 */
export function canReadEmails(asking: { readonly role: Viewer['role'] | null } | null): boolean {
  return asking?.role === 'ADMIN';
}

/** The conversation, or null when it does not exist or the viewer may not see it: the two are one answer. */
export async function findVisible(deps: WorkflowDeps, viewer: Viewer, conversationId: string): Promise<ConversationDoc | null> {
  const conversation = await deps.repos.conversations.byId(conversationId);
  return conversation && canSee(viewer, conversation) ? conversation : null;
}

export async function loadVisible(deps: WorkflowDeps, viewer: Viewer, conversationId: string): Promise<ConversationDoc> {
  const conversation = await findVisible(deps, viewer, conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  return conversation;
}

/**
 * A conversation the viewer may act on. Hidden ones are NOT_FOUND like
 * missing ones; a visible one they may not act on (the queue) is FORBIDDEN,
 * which tells them nothing they could not already see.
 */
export async function loadActionable(deps: WorkflowDeps, viewer: Viewer, conversationId: string): Promise<ConversationDoc> {
  const conversation = await loadVisible(deps, viewer, conversationId);
  if (!canAct(viewer, conversation)) throw forbidden('only the assigned agent or an admin can do this; claim the conversation first');
  return conversation;
}

/** Longest metrics range anyone may ask for in one query. */
export const METRICS_MAX_DAYS = 366;
/** Longest range for agents: wider ranges cost the store more and are an admin's report. */
export const METRICS_AGENT_MAX_DAYS = 93;
const DAY_MS = 24 * 3600 * 1000;

export interface MetricsQuery {
  from: Date;
  to: Date;
  agentId: string | null;
}

/** The metrics query the viewer may run: agents only their own, within METRICS_AGENT_MAX_DAYS. */
export function authorizeMetrics(viewer: Viewer, query: MetricsQuery): MetricsQuery {
  if (query.to <= query.from) throw badInput('"to" must be after "from"', 'to');
  const span = query.to.getTime() - query.from.getTime();
  if (span > METRICS_MAX_DAYS * DAY_MS) throw badInput(`the range may span at most ${METRICS_MAX_DAYS} days`, 'to');
  if (viewer.role === 'ADMIN') return query;
  if (query.agentId && query.agentId !== viewer._id) throw forbidden('agents can only see their own metrics');
  if (span > METRICS_AGENT_MAX_DAYS * DAY_MS) throw forbidden(`ranges over ${METRICS_AGENT_MAX_DAYS} days need the ADMIN role`);
  return { ...query, agentId: viewer._id };
}
