import { conflict, notFound } from '../domain/errors.js';
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { DuplicateKeyError } from '../store/port.js';
import { loadActionable, loadVisible } from './access.js';
import { assignByPolicy, drainQueue } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import { sendSurvey } from './survey.js';
import * as transitions from './transitions.js';

/** Resolves, frees the agent's capacity, optionally surveys the customer, and lets the queue move. */
export async function resolveConversation(deps: WorkflowDeps, conversation: ConversationDoc, options: { sendSurvey: boolean; by: string }): Promise<ConversationDoc> {
  const now = deps.clock.now();
  const surveyOwed = options.sendSurvey && deps.config.survey.enabled;
  let resolved = await transitions.resolveConversation(deps, conversation._id, options.by, now, surveyOwed);
  if (!resolved) {
    const current = await deps.repos.conversations.byId(conversation._id);
    if (current?.status === 'RESOLVED') return current; // resolving twice is harmless (CRMs echo it)
    throw conflict(`conversation is ${current?.status ?? 'gone'}`);
  }
  const heldBy = resolved.assigneeId;
  if (heldBy) await transitions.releaseCapacity(deps, heldBy, now);
  if (surveyOwed) resolved = (await sendSurvey(deps, resolved)) ?? resolved;
  if (heldBy) await drainQueue(deps);
  return resolved;
}

export async function resolveAsAgent(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, sendSurveyToo: boolean): Promise<ConversationDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  return resolveConversation(deps, conversation, { sendSurvey: sendSurveyToo, by: viewer._id });
}

/** RESOLVED → QUEUED as a new cycle, then back to the previous agent when they can take it. */
export async function reopenConversation(deps: WorkflowDeps, conversation: ConversationDoc, by: string | null = null): Promise<ConversationDoc> {
  if (conversation.status !== 'RESOLVED') return conversation;
  const now = deps.clock.now();
  let reopened: ConversationDoc | null;
  try {
    reopened = (await transitions.reopenConversation(deps, conversation, now, { by }))?.conversation ?? null;
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw conflict('the customer already has another open conversation');
    throw error;
  }
  if (!reopened) {
    // Someone reopened it first: reopening twice is harmless, like resolving twice.
    const current = await deps.repos.conversations.byId(conversation._id);
    if (current && current.status !== 'RESOLVED') return current;
    throw conflict('conversation changed while reopening: try again');
  }
  return (await assignByPolicy(deps, reopened, { preferredAgentId: reopened.previousAssigneeId })) ?? reopened;
}

export async function reopenAsAgent(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await loadVisible(deps, viewer, conversationId).catch(async (error) => {
    // Resolved conversations are outside an agent's usual view; the one who handled it may reopen it.
    const found = await deps.repos.conversations.byId(conversationId);
    if (found && (viewer.role === 'ADMIN' || found.assigneeId === viewer._id || found.previousAssigneeId === viewer._id)) return found;
    throw error;
  });
  // Already open (reopened by someone else, or by a retried request): the current state, no second REOPENED event.
  if (conversation.status !== 'RESOLVED') return conversation;
  return reopenConversation(deps, conversation, viewer._id);
}

export async function requireConversation(deps: WorkflowDeps, id: string): Promise<ConversationDoc> {
  const conversation = await deps.repos.conversations.byId(id);
  if (!conversation) throw notFound('conversation', id);
  return conversation;
}
