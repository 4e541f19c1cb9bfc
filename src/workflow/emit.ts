import type { AgentDoc, ConversationDoc, MessageDoc } from '../domain/model.js';
import type { AgentView } from '../events/types.js';
import type { WorkflowDeps } from './deps.js';

export function agentView(agent: AgentDoc): AgentView {
  const { tokenHash: _hidden, ...view } = agent;
  return view;
}

type ConversationEventType = 'conversation.opened' | 'conversation.resolved' | 'conversation.reopened';
type MessageEventType = 'message.received' | 'message.sent' | 'message.status';

/** Publishes with the customer attached, as subscribers and plugins both need it. */
export async function emitConversation(deps: WorkflowDeps, type: ConversationEventType, conversation: ConversationDoc): Promise<void> {
  const customer = await deps.repos.customers.byId(conversation.customerId);
  if (customer) deps.publish({ type, conversation, customer });
}

export async function emitAssigned(deps: WorkflowDeps, conversation: ConversationDoc, agent: AgentDoc | null): Promise<void> {
  const customer = await deps.repos.customers.byId(conversation.customerId);
  if (customer) deps.publish({ type: 'conversation.assigned', conversation, customer, agent: agent ? agentView(agent) : null });
}

export async function emitMessage(deps: WorkflowDeps, type: MessageEventType, message: MessageDoc, conversation?: ConversationDoc | null): Promise<void> {
  const conv = conversation ?? (await deps.repos.conversations.byId(message.conversationId));
  if (!conv) return;
  const customer = await deps.repos.customers.byId(conv.customerId);
  if (customer) deps.publish({ type, conversation: conv, customer, message });
}
