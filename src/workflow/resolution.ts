import { conflict, notFound } from '../domain/errors.js';
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { DuplicateKeyError } from '../store/port.js';
import { loadActionable, loadVisible } from './access.js';
import { assignByPolicy, drainQueue } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import { emitConversation } from './emit.js';
import { sendSurvey } from './survey.js';

/** Resolves, frees the agent's capacity, optionally surveys the customer, and lets the queue move. */
export async function resolveConversation(deps: WorkflowDeps, conversation: ConversationDoc, options: { sendSurvey: boolean; by: string }): Promise<ConversationDoc> {
  const now = deps.clock.now();
  const before = await deps.repos.conversations.resolve(conversation._id, now);
  if (!before) {
    const current = await deps.repos.conversations.byId(conversation._id);
    if (current?.status === 'RESOLVED') return current; // resolving twice is harmless (CRMs echo it)
    throw conflict(`conversation is ${current?.status ?? 'gone'}`);
  }
  if (before.status === 'ASSIGNED' && before.assigneeId) await deps.repos.agents.releaseCapacity(before.assigneeId, now);
  await deps.repos.eventLog.append({
    type: 'resolved',
    conversationId: before._id,
    agentId: before.assigneeId,
    cycle: before.cycle,
    at: now,
    data: { cycleStartedAt: before.cycleStartedAt, by: options.by },
  });
  let resolved = (await deps.repos.conversations.byId(before._id))!;
  await emitConversation(deps, 'conversation.resolved', resolved);
  if (options.sendSurvey && deps.config.survey.enabled) resolved = (await sendSurvey(deps, resolved)) ?? resolved;
  if (before.assigneeId) await drainQueue(deps);
  return resolved;
}

export async function resolveAsAgent(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, sendSurveyToo: boolean): Promise<ConversationDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  return resolveConversation(deps, conversation, { sendSurvey: sendSurveyToo, by: viewer._id });
}

/** RESOLVED → QUEUED as a new cycle, then back to the previous agent when they can take it. */
export async function reopenConversation(deps: WorkflowDeps, conversation: ConversationDoc): Promise<ConversationDoc> {
  if (conversation.status !== 'RESOLVED') return conversation;
  const now = deps.clock.now();
  let reopened: ConversationDoc | null;
  try {
    reopened = await deps.repos.conversations.reopen(conversation, now);
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw conflict('the customer already has another open conversation');
    throw error;
  }
  if (!reopened) throw conflict('conversation changed while reopening: try again');
  await deps.repos.eventLog.append({ type: 'reopened', conversationId: reopened._id, cycle: reopened.cycle, at: now });
  await emitConversation(deps, 'conversation.reopened', reopened);
  return (await assignByPolicy(deps, reopened, { preferredAgentId: reopened.previousAssigneeId })) ?? reopened;
}

export async function reopenAsAgent(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await loadVisible(deps, viewer, conversationId).catch(async (error) => {
    // Resolved conversations are outside an agent's usual view; the one who handled it may reopen it.
    const found = await deps.repos.conversations.byId(conversationId);
    if (found && (viewer.role === 'ADMIN' || found.assigneeId === viewer._id || found.previousAssigneeId === viewer._id)) return found;
    throw error;
  });
  if (conversation.status !== 'RESOLVED') throw conflict(`conversation is ${conversation.status}, not RESOLVED`);
  return reopenConversation(deps, conversation);
}

export async function requireConversation(deps: WorkflowDeps, id: string): Promise<ConversationDoc> {
  const conversation = await deps.repos.conversations.byId(id);
  if (!conversation) throw notFound('conversation', id);
  return conversation;
}
