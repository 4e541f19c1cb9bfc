// Greeting, assignment and survey, decided from stored state: a first cycle
// still owed its greeting, a QUEUED conversation while an agent has room, a
// resolution that owes its survey. The webhook wakes a follow-up job; when that wake is
// lost (a crash, Redis down) the sweep finds the same state and finishes it.
import { assignByPolicy, drainQueue } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import { greet } from './greeting.js';
import { sendSurvey } from './survey.js';
import { FOLLOW_UP_QUEUE, type FollowUp } from './inbound.js';

/** Greets if owed, then assigns if still QUEUED; safe to run any number of times. */
export async function runFollowUp(deps: WorkflowDeps, followUp: FollowUp): Promise<void> {
  const conversation = await deps.repos.conversations.byId(followUp.conversationId);
  if (!conversation || conversation.status === 'RESOLVED') return;
  if (conversation.cycle === 1 && !conversation.greetingSentAt && deps.sender) await greet(deps, conversation);
  const fresh = (await deps.repos.conversations.byId(conversation._id)) ?? conversation;
  if (fresh.status === 'QUEUED') {
    await assignByPolicy(deps, fresh, { preferredAgentId: fresh.cycle > 1 ? fresh.previousAssigneeId : null });
  }
}

/**
 * A follow-up only reads and writes the store (greeting sends go through the
 * outbox), so it fails only while the store does: ten tries backing off to a
 * minute ride out a restart of it, and past that the sweep finishes the work.
 */
const FOLLOW_UP_ATTEMPTS = 10;
const FOLLOW_UP_BACKOFF = { baseMs: 500, maxMs: 60_000 };
/**
 * Follow-ups are short, and spend their time waiting: on a group commit or two
 * (the greeting's send is held until its message is on disk), or on Redis.
 * 16 at a time fell behind a burst of 200 webhooks in flight, 1 in 10 from a
 * new customer (300-370 waiting after 8 s); 64 keep up (20 waiting).
 */
const FOLLOW_UP_CONCURRENCY = 64;

export function registerFollowUp(deps: WorkflowDeps): void {
  // One unit for the store, as a webhook is: its reads and writes answer from memory and the job completes once
  // all of it is durable, one commit wait instead of one per call (under a burst of new customers, follow-ups that
  // waited call by call fell seconds behind the webhooks). The greeting's send and the events leave after that commit.
  deps.queue.register<FollowUp>(FOLLOW_UP_QUEUE, (followUp) => deps.batch(() => runFollowUp(deps, followUp)), {
    attempts: FOLLOW_UP_ATTEMPTS,
    backoff: FOLLOW_UP_BACKOFF,
    concurrency: FOLLOW_UP_CONCURRENCY,
  });
}

/** Wakes the follow-up; never throws: the conversation is stored, and the sweep finishes it if this wake is lost. */
export async function enqueueFollowUp(deps: WorkflowDeps, followUp: FollowUp): Promise<void> {
  try {
    await deps.queue.enqueue(FOLLOW_UP_QUEUE, followUp, { jobId: `follow-${followUp.conversationId}-${followUp.reason}-${Date.now()}` });
  } catch (error) {
    deps.dependencyFailed('job queue', error, { conversationId: followUp.conversationId, note: 'the follow-up sweep greets and assigns it' });
  }
}

/**
 * Finishes follow-ups whose wake was lost: greets first cycles opened more
 * than `graceMs` ago and still owed their greeting, then assigns whatever
 * waits QUEUED while an agent has room.
 */
export async function sweepFollowUps(deps: WorkflowDeps, graceMs: number, limit = 500): Promise<{ greeted: number; assigned: number; surveyed: number }> {
  const before = new Date(deps.clock.now().getTime() - graceMs);
  let greeted = 0;
  if (deps.sender) {
    const owed = await deps.repos.conversations.owedGreeting(before, limit);
    for (const conversation of owed) if (await greet(deps, conversation)) greeted++;
  }
  const assigned = await drainQueue(deps);
  let surveyed = 0;
  for (const conversation of await deps.repos.conversations.owedSurvey(before, limit)) if (await sendSurvey(deps, conversation)) surveyed++;
  return { greeted, assigned, surveyed };
}
