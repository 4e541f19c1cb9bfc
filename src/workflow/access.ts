import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { forbidden, notFound } from '../domain/errors.js';
import type { WorkflowDeps } from './deps.js';

/** Agents see their own conversations and the queue; admins see everything. */
export function canSee(viewer: AgentDoc, conversation: ConversationDoc): boolean {
  return viewer.role === 'ADMIN' || conversation.assigneeId === viewer._id || conversation.status === 'QUEUED';
}

/** Speaking for the desk on a conversation: its assignee, or an admin. */
export function canAct(viewer: AgentDoc, conversation: ConversationDoc): boolean {
  return viewer.role === 'ADMIN' || conversation.assigneeId === viewer._id;
}

export async function loadVisible(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await deps.repos.conversations.byId(conversationId);
  // Hidden conversations are reported as missing: their existence is not the agent's business.
  if (!conversation || !canSee(viewer, conversation)) throw notFound('conversation', conversationId);
  return conversation;
}

/** For replies and resolution the conversation's existence is no secret: the answer says who may act. */
export async function loadActionable(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await deps.repos.conversations.byId(conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  if (!canAct(viewer, conversation)) throw forbidden('only the assigned agent or an admin can do this; claim the conversation first');
  return conversation;
}
