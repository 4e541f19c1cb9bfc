// Assignment: a unit of agent capacity is claimed atomically first, then the
// conversation is moved QUEUED → ASSIGNED with its own precondition; if the
// conversation was taken meanwhile, the capacity is given back. Neither step
// reads then writes, so any number of instances can run this at once.
import type { AssignedBy } from '../domain/events.js';
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { conflict, notFound } from '../domain/errors.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';

async function commit(deps: WorkflowDeps, conversation: ConversationDoc, agent: AgentDoc, by: AssignedBy): Promise<ConversationDoc | null> {
  const now = deps.clock.now();
  const assigned = await transitions.assignConversation(deps, conversation._id, agent, by, now);
  if (!assigned) await deps.repos.agents.releaseCapacity(agent._id, now);
  return assigned;
}

/** By policy (or to `preferredAgentId` when they are eligible). Null: stays QUEUED. */
export async function assignByPolicy(deps: WorkflowDeps, conversation: ConversationDoc, options: { preferredAgentId?: string | null } = {}): Promise<ConversationDoc | null> {
  if (conversation.status !== 'QUEUED') return null;
  const now = deps.clock.now();
  if (options.preferredAgentId) {
    const preferred = await deps.repos.agents.claimCapacity('least_loaded', now, options.preferredAgentId);
    if (preferred) {
      const done = await commit(deps, conversation, preferred, 'reopen');
      if (done) return done;
    }
  }
  const policy = deps.config.assignmentPolicy;
  if (policy === 'manual') return null;
  const agent = await deps.repos.agents.claimCapacity(policy, now);
  return agent ? commit(deps, conversation, agent, 'policy') : null;
}

/** Oldest first, until no agent has room or the queue is empty. */
export async function drainQueue(deps: WorkflowDeps): Promise<number> {
  if (deps.config.assignmentPolicy === 'manual') return 0;
  let assigned = 0;
  // Bounded: each turn assigns one conversation or stops.
  for (let turn = 0; turn < 10_000; turn++) {
    const next = await deps.repos.conversations.oldestQueued();
    if (!next) break;
    const agent = await deps.repos.agents.claimCapacity(deps.config.assignmentPolicy, deps.clock.now());
    if (!agent) break;
    if (await commit(deps, next, agent, 'policy')) assigned++;
  }
  return assigned;
}

/** An agent claims a QUEUED conversation for themselves (within their capacity). */
export async function claim(deps: WorkflowDeps, conversationId: string, agentId: string): Promise<ConversationDoc> {
  const conversation = await deps.repos.conversations.byId(conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  if (conversation.status !== 'QUEUED') throw conflict(`conversation is ${conversation.status}, only QUEUED conversations can be claimed`);
  const agent = await deps.repos.agents.claimCapacity('least_loaded', deps.clock.now(), agentId);
  if (!agent) throw conflict('you must be ONLINE and below your capacity to claim a conversation');
  const done = await commit(deps, conversation, agent, 'claim');
  if (!done) throw conflict('conversation was taken by someone else');
  return done;
}

/** Admin assignment or transfer to a named agent; may exceed capacity on purpose. */
export async function assignTo(deps: WorkflowDeps, conversationId: string, agentId: string): Promise<ConversationDoc> {
  const now = deps.clock.now();
  const conversation = await deps.repos.conversations.byId(conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  if (conversation.status === 'RESOLVED') throw conflict('conversation is RESOLVED: reopen it first');
  if (conversation.assigneeId === agentId) return conversation;
  const agent = await deps.repos.agents.forceClaim(agentId, now);
  if (!agent) throw notFound('agent', agentId);

  const from = conversation.assigneeId;
  const moved = await transitions.assignConversation(deps, conversationId, agent, 'admin', now, from);
  if (!moved) {
    await deps.repos.agents.releaseCapacity(agentId, now);
    throw conflict('conversation changed while assigning: try again');
  }
  if (from) await transitions.releaseCapacity(deps, from, now);
  // The previous agent has room again.
  if (from) await drainQueue(deps);
  return moved;
}

/** REQUEUE_ON_OFFLINE (an agent going offline) and deactivation hand the agent's conversations back to the queue. */
export async function requeueAgent(deps: WorkflowDeps, agentId: string, reason: 'requeue_offline' | 'deactivated' = 'requeue_offline'): Promise<number> {
  let count = 0;
  for (const conversation of await deps.repos.conversations.assignedTo(agentId)) {
    const now = deps.clock.now();
    const requeued = await transitions.requeueConversation(deps, conversation._id, agentId, now, reason);
    if (!requeued) continue;
    await transitions.releaseCapacity(deps, agentId, now);
    count++;
  }
  return count;
}
