// Assignment: a unit of agent capacity is claimed atomically first, then the
// conversation is moved QUEUED → ASSIGNED with its own precondition; if the
// conversation was taken meanwhile, the capacity is given back. Neither step
// reads then writes, so any number of instances can run this at once.
import type { AssignedBy } from '../domain/events.js';
import type { AgentDoc, ConversationDoc } from '../domain/model.js';
import { conflict, notFound } from '../domain/errors.js';
import { optionalText } from '../domain/text.js';
import { loadActionable } from './access.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';

async function commit(deps: WorkflowDeps, conversation: ConversationDoc, agent: AgentDoc, by: AssignedBy): Promise<ConversationDoc | null> {
  const now = deps.clock.now();
  const assigned = await transitions.assignConversation(deps, conversation._id, agent, by, now);
  if (!assigned) await deps.repos.agents.releaseCapacity(agent._id, now);
  return assigned;
}

/** By policy (or to `preferredAgentId` when they are eligible; never to `exceptAgentId`). Null: stays QUEUED. */
export async function assignByPolicy(
  deps: WorkflowDeps,
  conversation: ConversationDoc,
  options: { preferredAgentId?: string | null; exceptAgentId?: string | null } = {},
): Promise<ConversationDoc | null> {
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
  const agent = await deps.repos.agents.claimCapacity(policy, now, null, options.exceptAgentId);
  return agent ? commit(deps, conversation, agent, 'policy') : null;
}

/**
 * Oldest first, until no agent has room or the queue is empty. `released`:
 * a conversation an agent just let go of is not handed straight back to them.
 */
export async function drainQueue(deps: WorkflowDeps, released?: { conversationId: string; agentId: string }): Promise<number> {
  if (deps.config.assignmentPolicy === 'manual') return 0;
  let assigned = 0;
  // Bounded: each turn assigns one conversation or stops.
  for (let turn = 0; turn < 10_000; turn++) {
    const next = await deps.repos.conversations.oldestQueued();
    if (!next) break;
    const except = released && next._id === released.conversationId ? released.agentId : null;
    const agent = await deps.repos.agents.claimCapacity(deps.config.assignmentPolicy, deps.clock.now(), null, except);
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
export async function assignTo(deps: WorkflowDeps, conversationId: string, agentId: string, actorId: string | null = null): Promise<ConversationDoc> {
  const now = deps.clock.now();
  const conversation = await deps.repos.conversations.byId(conversationId);
  if (!conversation) throw notFound('conversation', conversationId);
  if (conversation.status === 'RESOLVED') throw conflict('conversation is RESOLVED: reopen it first');
  if (conversation.assigneeId === agentId) return conversation;
  const agent = await deps.repos.agents.forceClaim(agentId, now);
  if (!agent) throw notFound('agent', agentId);
  return handOver(deps, conversation, agent, now, 'admin', { actorId });
}

/**
 * Moves a conversation to `agent`, whose unit of capacity the caller already
 * took (given back if the conversation changed meanwhile); the previous
 * assignee's is freed and the queue drains into it.
 */
async function handOver(
  deps: WorkflowDeps,
  conversation: ConversationDoc,
  agent: AgentDoc,
  now: Date,
  by: AssignedBy,
  context: { actorId?: string | null; note?: string | null },
): Promise<ConversationDoc> {
  const from = conversation.assigneeId;
  const moved = await transitions.assignConversation(deps, conversation._id, agent, by, now, from, context);
  if (!moved) {
    await deps.repos.agents.releaseCapacity(agent._id, now);
    throw conflict('conversation changed meanwhile: try again');
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

export const MAX_TRANSFER_NOTE = 1000;

/** Why an agent cannot take a transfer, in words the person transferring can act on. */
async function refusal(deps: WorkflowDeps, agentId: string): Promise<Error> {
  const agent = await deps.repos.agents.byId(agentId);
  if (!agent) return notFound('agent', agentId);
  if ((agent as AgentDoc & { active?: boolean }).active === false) return conflict(`${agent.name} is deactivated and cannot take conversations`);
  return conflict(`${agent.name} is at capacity (${agent.activeConversations} of ${agent.capacity}) and cannot take another conversation`);
}

/**
 * The assignee (or an admin) hands the conversation to a colleague who is
 * active and has room. The previous agent keeps read access (handlerIds).
 */
export async function transfer(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, agentId: string, note: string | null): Promise<ConversationDoc> {
  const text = optionalText(note, MAX_TRANSFER_NOTE, 'note');
  const conversation = await loadActionable(deps, viewer, conversationId);
  if (conversation.status === 'RESOLVED') throw conflict('conversation is RESOLVED: reopen it first');
  if (conversation.assigneeId === agentId) return conversation;
  const now = deps.clock.now();
  const agent = await deps.repos.agents.claimForTransfer(agentId, now);
  if (!agent) throw await refusal(deps, agentId);
  return handOver(deps, conversation, agent, now, conversation.assigneeId ? 'transfer' : 'admin', { actorId: viewer._id, note: text });
}

/** The assignee (or an admin) puts the conversation back in the queue; the policy finds it someone else. */
export async function release(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  if (conversation.status === 'QUEUED') return conversation; // already there: releasing twice is harmless
  if (conversation.status !== 'ASSIGNED' || !conversation.assigneeId) throw conflict(`conversation is ${conversation.status}: only an ASSIGNED conversation can be released`);
  const from = conversation.assigneeId;
  const now = deps.clock.now();
  const requeued = await transitions.requeueConversation(deps, conversationId, from, now, 'release', viewer._id);
  if (!requeued) throw conflict('conversation changed while releasing: try again');
  await deps.repos.agents.releaseCapacity(from, now);
  const reassigned = await assignByPolicy(deps, requeued, { exceptAgentId: from });
  await drainQueue(deps, { conversationId, agentId: from });
  return reassigned ?? (await deps.repos.conversations.byId(conversationId)) ?? requeued;
}
