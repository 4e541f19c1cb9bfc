// Every state change of the desk, each one call: the atomic update (its
// precondition in the update's filter), then its domain event(s) through the
// dispatcher, whose listeners write the reporting log, feed the bus and record
// plugin deliveries. Nothing else in the desk appends to the log or publishes:
// a new state change is a function here plus its event type in
// src/domain/events.ts. Each returns the new document (null when the
// precondition did not hold, and then nothing is raised).
import { agentView, type AssignedBy, type UnassignedReason } from '../domain/events.js';
import type { AgentDoc, AgentStatus, ConversationDoc, CustomerDoc, Feedback, MessageDoc, MessageError, DeliveryStatus } from '../domain/model.js';
import { newId } from '../store/ids.js';
import type { AgentChanges, NewAgent } from '../store/repositories/agents.js';
import type { WorkflowDeps } from './deps.js';

const stamp = (at: Date) => ({ id: newId(), at });

/** The customer an event about `conversation` carries: the caller's copy when it holds the right one. */
async function customerOf(deps: WorkflowDeps, conversation: ConversationDoc, known?: CustomerDoc | null): Promise<CustomerDoc> {
  if (known && known._id === conversation.customerId) return known;
  const customer = await deps.repos.customers.byId(conversation.customerId);
  if (!customer) throw new Error(`customer ${conversation.customerId} of conversation ${conversation._id} not found`);
  return customer;
}

// ---- conversations ----

/**
 * The message that opens (or reopens) a conversation: stored and recorded
 * before the opening is announced, so the announcement already carries it as
 * the conversation's last customer message.
 */
export type OpeningMessage = (conversation: ConversationDoc) => MessageDoc;

/** What an opening message became: null when Meta redelivered one we already have. */
export type Received = { message: MessageDoc; conversation: ConversationDoc } | null;

async function storeOpening(deps: WorkflowDeps, conversation: ConversationDoc, opening: OpeningMessage | undefined): Promise<Received> {
  if (!opening) return null;
  const stored = await deps.repos.messages.insertUnlessDuplicate(opening(conversation));
  if (!stored) return null;
  const updated = (await deps.repos.conversations.recordCustomerMessage(conversation._id, stored._id, stored.sentAt, stored.createdAt)) ?? conversation;
  return { message: stored, conversation: updated };
}

/** Opens a conversation for the customer, or finds the one already open (`created: false`, nothing raised or stored). */
export async function openConversation(
  deps: WorkflowDeps,
  customer: CustomerDoc,
  at: Date,
  opening?: OpeningMessage,
): Promise<{ conversation: ConversationDoc; created: boolean; received: Received }> {
  const opened = await deps.repos.conversations.openFor(customer, at);
  if (!opened.created) return { ...opened, received: null };
  const received = await storeOpening(deps, opened.conversation, opening);
  const conversation = received?.conversation ?? opened.conversation;
  await deps.dispatch([
    { ...stamp(at), type: 'conversation.opened', conversation, customer },
    ...(received ? [{ ...stamp(received.message.createdAt), type: 'message.received' as const, conversation, customer, message: received.message }] : []),
  ]);
  return { conversation, created: true, received };
}

/**
 * RESOLVED → QUEUED as a new cycle. Throws DuplicateKeyError when the customer already has another open conversation.
 * `by`: the agent id, 'customer' or `plugin:<name>`.
 */
export async function reopenConversation(
  deps: WorkflowDeps,
  conversation: ConversationDoc,
  at: Date,
  options: { customer?: CustomerDoc; by?: string | null; opening?: OpeningMessage } = {},
): Promise<{ conversation: ConversationDoc; received: Received } | null> {
  const reopened = await deps.repos.conversations.reopen(conversation, at);
  if (!reopened) return null;
  const customer = await customerOf(deps, reopened, options.customer);
  const received = await storeOpening(deps, reopened, options.opening);
  const current = received?.conversation ?? reopened;
  await deps.dispatch([
    { ...stamp(at), type: 'conversation.reopened', conversation: current, customer, by: options.by ?? null },
    ...(received ? [{ ...stamp(received.message.createdAt), type: 'message.received' as const, conversation: current, customer, message: received.message }] : []),
  ]);
  return { conversation: current, received };
}

/**
 * QUEUED → ASSIGNED to `agent`, or a transfer when `fromAgentId` is given.
 * The caller has claimed a unit of the agent's capacity (and gives it back on null).
 */
export async function assignConversation(
  deps: WorkflowDeps,
  conversationId: string,
  agent: AgentDoc,
  by: AssignedBy,
  at: Date,
  fromAgentId: string | null = null,
  context: { actorId?: string | null; note?: string | null } = {},
): Promise<ConversationDoc | null> {
  const assigned = await deps.repos.conversations.assign(conversationId, agent._id, at, fromAgentId);
  if (assigned) {
    await deps.dispatch([
      {
        ...stamp(at),
        type: 'conversation.assigned',
        conversation: assigned,
        customer: await customerOf(deps, assigned),
        agent: agentView(agent),
        by,
        fromAgentId,
        actorId: context.actorId ?? null,
        note: context.note ?? null,
      },
      // The capacity the caller claimed is now in use: the agent's activeConversations changed.
      { ...stamp(at), type: 'agent.updated', agent: agentView(agent) },
    ]);
  }
  return assigned;
}

/** ASSIGNED → QUEUED, taken from `fromAgentId` (REQUEUE_ON_OFFLINE, deactivation, or released by `actorId`). The caller frees the agent's capacity. */
export async function requeueConversation(
  deps: WorkflowDeps,
  conversationId: string,
  fromAgentId: string,
  at: Date,
  reason: UnassignedReason = 'requeue_offline',
  actorId: string | null = null,
): Promise<ConversationDoc | null> {
  const requeued = await deps.repos.conversations.requeue(conversationId, fromAgentId, at);
  if (requeued) {
    await deps.dispatch([
      { ...stamp(at), type: 'conversation.unassigned', conversation: requeued, customer: await customerOf(deps, requeued), fromAgentId, reason, actorId },
    ]);
  }
  return requeued;
}

/** Nothing unread any more; null when nothing was unread (nothing raised). */
export async function markConversationRead(deps: WorkflowDeps, conversationId: string, at: Date): Promise<ConversationDoc | null> {
  const read = await deps.repos.conversations.markRead(conversationId, at);
  if (read) await deps.dispatch([{ ...stamp(at), type: 'conversation.updated', conversation: read, customer: await customerOf(deps, read), change: 'read' }]);
  return read;
}

export async function addLabels(deps: WorkflowDeps, conversationId: string, labels: string[], at: Date): Promise<ConversationDoc | null> {
  const labelled = await deps.repos.conversations.addLabels(conversationId, labels, at);
  if (labelled) await deps.dispatch([{ ...stamp(at), type: 'conversation.updated', conversation: labelled, customer: await customerOf(deps, labelled), change: 'labels' }]);
  return labelled;
}

export async function removeLabels(deps: WorkflowDeps, conversationId: string, labels: string[], at: Date): Promise<ConversationDoc | null> {
  const unlabelled = await deps.repos.conversations.removeLabels(conversationId, labels, at);
  if (unlabelled) await deps.dispatch([{ ...stamp(at), type: 'conversation.updated', conversation: unlabelled, customer: await customerOf(deps, unlabelled), change: 'labels' }]);
  return unlabelled;
}

/** → RESOLVED. The assignee stays on the document (whose resolution it was); the caller frees their capacity. */
export async function resolveConversation(deps: WorkflowDeps, conversationId: string, by: string, at: Date, surveyOwed = false): Promise<ConversationDoc | null> {
  const resolved = await deps.repos.conversations.resolve(conversationId, at, surveyOwed);
  if (resolved) await deps.dispatch([{ ...stamp(at), type: 'conversation.resolved', conversation: resolved, customer: await customerOf(deps, resolved), by }]);
  return resolved;
}

/** The cycle's first human reply; only the first caller per cycle gets the document. */
export async function markFirstResponse(deps: WorkflowDeps, conversationId: string, agentId: string | null, at: Date): Promise<ConversationDoc | null> {
  const first = await deps.repos.conversations.markFirstResponse(conversationId, at);
  if (first) await deps.dispatch([{ ...stamp(at), type: 'conversation.first_response', conversation: first, customer: await customerOf(deps, first), agentId }]);
  return first;
}

/** The survey's rating, taken once per survey; null when no survey waits for one. */
export async function recordRating(deps: WorkflowDeps, conversationId: string, feedback: Feedback, at: Date): Promise<ConversationDoc | null> {
  const rated = await deps.repos.conversations.recordRating(conversationId, feedback, at);
  if (!rated?.feedback) return null;
  await deps.dispatch([{ ...stamp(at), type: 'feedback.received', conversation: rated, customer: await customerOf(deps, rated), feedback: rated.feedback }]);
  return rated;
}

/** The comment after a rating, taken once. */
export async function recordComment(deps: WorkflowDeps, conversationId: string, comment: string, at: Date): Promise<ConversationDoc | null> {
  const commented = await deps.repos.conversations.recordComment(conversationId, comment, at);
  if (!commented?.feedback) return null;
  await deps.dispatch([
    { ...stamp(at), type: 'feedback.commented', conversation: commented, customer: await customerOf(deps, commented), feedback: commented.feedback },
  ]);
  return commented;
}

// ---- agents ----

/** A new agent, OFFLINE. Throws DuplicateKeyError for a taken email. */
export async function createAgent(deps: WorkflowDeps, input: NewAgent, at: Date): Promise<AgentDoc> {
  const agent = await deps.repos.agents.create(input, at);
  await deps.dispatch([{ ...stamp(at), type: 'agent.status', agent: agentView(agent), previousStatus: null }]);
  return agent;
}

/** Null when the agent already had that status (or does not exist): nothing changed. */
export async function changeAgentStatus(deps: WorkflowDeps, agentId: string, status: AgentStatus, at: Date): Promise<AgentDoc | null> {
  const before = await deps.repos.agents.setStatus(agentId, status, at);
  if (!before) return null;
  const after: AgentDoc = { ...before, status, statusChangedAt: at, updatedAt: at };
  await deps.dispatch([{ ...stamp(at), type: 'agent.status', agent: agentView(after), previousStatus: before.status }]);
  return after;
}

/** One unit of the agent's capacity back (their conversation was resolved, requeued or transferred away). */
export async function releaseCapacity(deps: WorkflowDeps, agentId: string, at: Date): Promise<AgentDoc | null> {
  const released = await deps.repos.agents.releaseCapacity(agentId, at);
  if (released) await deps.dispatch([{ ...stamp(at), type: 'agent.updated', agent: agentView(released) }]);
  return released;
}

/** Name, capacity, role or password (admins). Null for an unknown agent. */
export async function updateAgent(deps: WorkflowDeps, agentId: string, changes: AgentChanges, at: Date): Promise<AgentDoc | null> {
  const updated = await deps.repos.agents.update(agentId, changes, at);
  if (updated) await deps.dispatch([{ ...stamp(at), type: 'agent.updated', agent: agentView(updated) }]);
  return updated;
}

/** Deactivation (false) or reactivation (true). Null when the agent is unknown or already so. */
export async function setAgentActive(deps: WorkflowDeps, agentId: string, active: boolean, at: Date): Promise<AgentDoc | null> {
  const before = await deps.repos.agents.setActive(agentId, active, at);
  if (!before) return null;
  const after: AgentDoc = { ...before, active, updatedAt: at };
  await deps.dispatch([{ ...stamp(at), type: 'agent.updated', agent: agentView(after) }]);
  return after;
}

/**
 * Not a change of its own: it follows one that ended an agent's credentials
 * (deactivation, token rotation, sign-out), so every instance closes that
 * agent's sockets. Bus only.
 */
export async function announceRevocation(deps: WorkflowDeps, agentId: string, at: Date): Promise<string> {
  await deps.dispatch([{ ...stamp(at), type: 'agent.revoked', agentId }]);
  return agentId;
}

// ---- messages ----

/** A customer's message, stored once: null when Meta redelivered one we have. */
export async function receiveMessage(
  deps: WorkflowDeps,
  message: MessageDoc,
  conversation: ConversationDoc,
  customer: CustomerDoc,
): Promise<{ message: MessageDoc; conversation: ConversationDoc } | null> {
  const stored = await deps.repos.messages.insertUnlessDuplicate(message);
  if (!stored) return null;
  // $max in the update: a late-arriving older message never moves the 24-hour window backwards.
  const updated = (await deps.repos.conversations.recordCustomerMessage(conversation._id, stored._id, stored.sentAt, stored.createdAt)) ?? conversation;
  await deps.dispatch([{ ...stamp(stored.createdAt), type: 'message.received', conversation: updated, customer, message: stored }]);
  return { message: stored, conversation: updated };
}

/** An outbound message (agent, system or integration), stored QUEUED before the outbox sends it. */
export async function addOutboundMessage(deps: WorkflowDeps, message: MessageDoc): Promise<MessageDoc> {
  const stored = await deps.repos.messages.insert(message);
  const conversation = await deps.repos.conversations.recordDeskMessage(stored.conversationId, stored._id, stored.createdAt);
  if (conversation) {
    await deps.dispatch([{ ...stamp(stored.createdAt), type: 'message.sent', conversation, customer: await customerOf(deps, conversation), message: stored }]);
  }
  return stored;
}

/** An internal note: stored, never sent, and it does not count as the conversation's last message. */
export async function addNote(deps: WorkflowDeps, note: MessageDoc, conversation: ConversationDoc): Promise<MessageDoc> {
  const stored = await deps.repos.messages.insert(note);
  await deps.dispatch([{ ...stamp(stored.createdAt), type: 'message.sent', conversation, customer: await customerOf(deps, conversation), message: stored }]);
  return stored;
}

async function messageStatusChanged(deps: WorkflowDeps, moved: MessageDoc | null, at: Date): Promise<MessageDoc | null> {
  if (!moved) return null;
  const conversation = await deps.repos.conversations.byId(moved.conversationId);
  if (conversation) {
    await deps.dispatch([{ ...stamp(at), type: 'message.status', conversation, customer: await customerOf(deps, conversation), message: moved }]);
  }
  return moved;
}

/** A delivery receipt: forward only (a late `delivered` after `read` changes nothing). */
export async function advanceMessageStatus(deps: WorkflowDeps, whatsappId: string, status: DeliveryStatus, at: Date, error: MessageError | null): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.advanceStatus(whatsappId, status, at, error), at);
}

/** QUEUED → SENT with the wamid the Cloud API returned. */
export async function markMessageSent(deps: WorkflowDeps, messageId: string, whatsappId: string, at: Date): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.markSent(messageId, whatsappId, at), at);
}

export async function markMessageFailed(deps: WorkflowDeps, messageId: string, error: MessageError, at: Date, dead = false): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.markFailed(messageId, error, at, dead), at);
}

/** A dead letter retried by an admin: FAILED (after exhausted retries only) back to QUEUED. */
export async function requeueFailedMessage(deps: WorkflowDeps, messageId: string, at: Date): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.requeueDead(messageId, at), at);
}

/** An inbound file held and verified: media PENDING → READY (raised as a message.status change). */
export async function markMediaReady(deps: WorkflowDeps, messageId: string, found: { size: number; sha256: string; mimeType: string | null }, at: Date): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.markMediaReady(messageId, found, at), at);
}

/** An inbound file that cannot be fetched: media PENDING → FAILED with the reason. */
export async function markMediaFailed(deps: WorkflowDeps, messageId: string, reason: string, at: Date): Promise<MessageDoc | null> {
  return messageStatusChanged(deps, await deps.repos.messages.markMediaFailed(messageId, reason, at), at);
}
