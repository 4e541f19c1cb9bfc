import { assignByPolicy, drainQueue } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import { greet } from './greeting.js';
import { FOLLOW_UP_QUEUE, type FollowUp } from './inbound.js';

/** Greeting and assignment after the webhook was acknowledged, read back from the store. */
export async function runFollowUp(deps: WorkflowDeps, followUp: FollowUp): Promise<void> {
  const conversation = await deps.repos.conversations.byId(followUp.conversationId);
  if (!conversation || conversation.status === 'RESOLVED') return;
  if (followUp.reason === 'opened' && !conversation.greetingSentAt) await greet(deps, conversation);
  const fresh = (await deps.repos.conversations.byId(conversation._id)) ?? conversation;
  if (fresh.status === 'QUEUED') {
    await assignByPolicy(deps, fresh, { preferredAgentId: followUp.reason === 'reopened' ? fresh.previousAssigneeId : null });
  }
}

export function registerFollowUp(deps: WorkflowDeps): void {
  deps.queue.register<FollowUp>(FOLLOW_UP_QUEUE, (followUp) => runFollowUp(deps, followUp), {
    attempts: 10,
    backoff: { baseMs: 500, maxMs: 60_000 },
    concurrency: 16,
  });
}

export async function enqueueFollowUp(deps: WorkflowDeps, followUp: FollowUp): Promise<void> {
  await deps.queue.enqueue(FOLLOW_UP_QUEUE, followUp, { jobId: `follow-${followUp.conversationId}-${followUp.reason}-${Date.now()}` });
}

/** At start-up: whatever waited while no instance ran gets its assignment now. */
export async function recover(deps: WorkflowDeps): Promise<number> {
  return drainQueue(deps);
}
