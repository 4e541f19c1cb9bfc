// Labels: free-form tags on a conversation ("billing", "vip"). Kept as the
// agent typed them, trimmed, compared exactly.
import { badInput } from '../domain/errors.js';
import { characterCount, isBlank } from '../domain/text.js';
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { loadActionable } from './access.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';

export const MAX_LABEL_LENGTH = 50;
export const MAX_LABELS = 20;

export function normaliseLabels(labels: readonly string[], field = 'labels'): string[] {
  const cleaned = [...new Set(labels.map((label) => label.trim().replace(/\s+/g, ' ')))];
  if (cleaned.length === 0) throw badInput('give at least one label', field);
  if (cleaned.length > MAX_LABELS) throw badInput(`at most ${MAX_LABELS} labels at once`, field);
  for (const label of cleaned) {
    // Invisible labels (zero-width characters only) would show as empty chips.
    if (isBlank(label)) throw badInput('a label must not be empty or blank', field);
    const n = characterCount(label);
    if (n > MAX_LABEL_LENGTH) throw badInput(`label "${[...label].slice(0, 20).join('')}…" is ${n} characters; at most ${MAX_LABEL_LENGTH}`, field);
  }
  return cleaned;
}

/** Assignee or admin; a conversation keeps at most MAX_LABELS labels. */
export async function addLabels(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, labels: string[]): Promise<ConversationDoc> {
  const wanted = normaliseLabels(labels);
  const conversation = await loadActionable(deps, viewer, conversationId);
  const total = new Set([...(conversation.labels ?? []), ...wanted]).size;
  if (total > MAX_LABELS) throw badInput(`a conversation carries at most ${MAX_LABELS} labels; this would make ${total}`, 'labels');
  return (await transitions.addLabels(deps, conversationId, wanted, deps.clock.now())) ?? conversation;
}

export async function removeLabels(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, labels: string[]): Promise<ConversationDoc> {
  const unwanted = normaliseLabels(labels);
  const conversation = await loadActionable(deps, viewer, conversationId);
  return (await transitions.removeLabels(deps, conversationId, unwanted, deps.clock.now())) ?? conversation;
}
