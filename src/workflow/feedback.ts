// Survey answers per cycle. A conversation keeps one `feedback` document (the
// latest rating); the event log keeps every rating and comment with its cycle,
// so a reopened conversation shows no stale rating for its new cycle and still
// has the earlier ones.
import type { ConversationDoc } from '../domain/model.js';
import type { WorkflowDeps } from './deps.js';

export interface CycleFeedback {
  cycle: number;
  score: number;
  comment: string | null;
  receivedAt: Date;
}

/** Most ratings a conversation's history shows: one per cycle, and no conversation is reopened this often. */
const MAX_HISTORY = 1000;

/** The current cycle's rating and comment, or null while this cycle has none. */
export function currentFeedback(conversation: ConversationDoc): CycleFeedback | null {
  const feedback = conversation.feedback;
  if (!feedback) return null;
  // Reopening starts a cycle and leaves the stored feedback alone: one received before this cycle began is an earlier cycle's.
  if (new Date(feedback.receivedAt).getTime() < new Date(conversation.cycleStartedAt).getTime()) return null;
  return { cycle: conversation.cycle, score: feedback.score, comment: feedback.comment, receivedAt: feedback.receivedAt };
}

/** Every cycle's rating with its comment, oldest first, from the event log. */
export async function feedbackHistory(deps: WorkflowDeps, conversationId: string): Promise<CycleFeedback[]> {
  const entries = await deps.repos.eventLog.page(conversationId, ['feedback.received', 'feedback.commented'], { limit: MAX_HISTORY, inverted: false });
  const byCycle = new Map<number, CycleFeedback>();
  for (const entry of entries) {
    const cycle = entry.cycle ?? 1;
    const { score, comment } = entry.data ?? {};
    if (entry.type === 'feedback.received' && typeof score === 'number') byCycle.set(cycle, { cycle, score, comment: null, receivedAt: entry.at });
    const rated = byCycle.get(cycle);
    if (entry.type === 'feedback.commented' && rated && typeof comment === 'string') rated.comment = comment;
  }
  return [...byCycle.values()];
}
