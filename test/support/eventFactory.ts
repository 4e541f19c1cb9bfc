// Builds domain events with complete, plausible documents so a test only states
// what its story is about. `conversationStory` keeps one customer and one
// conversation and hands out the events a real conversation would publish.
import { randomBytes } from 'node:crypto';
import type { AgentView, DomainEvent, EventOf } from '../../src/events/types.js';
import type { AgentDoc, ConversationDoc, CustomerDoc, Feedback, MessageDoc } from '../../src/domain/model.js';

let sequence = 0;

/** 24 hex characters like the store's ids; later ids sort later. */
export function testId(): string {
  sequence = (sequence + 1) & 0xffff;
  return Date.now().toString(16).padStart(12, '0') + sequence.toString(16).padStart(4, '0') + randomBytes(4).toString('hex');
}

export function buildCustomer(overrides: Partial<CustomerDoc> = {}): CustomerDoc {
  const now = new Date();
  return {
    _id: testId(),
    waId: '15551234567',
    name: 'Ana Pérez',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function buildConversation(customer: CustomerDoc, overrides: Partial<ConversationDoc> = {}): ConversationDoc {
  const now = new Date();
  return {
    _id: testId(),
    customerId: customer._id,
    waId: customer.waId,
    status: 'QUEUED',
    activeKey: customer._id,
    assigneeId: null,
    previousAssigneeId: null,
    cycle: 1,
    openedAt: now,
    cycleStartedAt: now,
    firstResponseAt: null,
    resolvedAt: null,
    assignedAt: null,
    lastCustomerMessageAt: now,
    lastMessageAt: now,
    lastMessageId: null,
    lastActivityAt: now,
    lastCustomerMessageId: null,
    unreadCount: 0,
    labels: [],
    handlerIds: [],
    greetingSentAt: null,
    survey: null,
    feedback: null,
    externalLinks: [],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function buildMessage(conversation: ConversationDoc, overrides: Partial<MessageDoc> = {}): MessageDoc {
  const now = new Date();
  const inbound = (overrides.direction ?? 'INBOUND') === 'INBOUND';
  return {
    _id: testId(),
    conversationId: conversation._id,
    customerId: conversation.customerId,
    direction: 'INBOUND',
    author: inbound ? 'CUSTOMER' : 'AGENT',
    agentId: null,
    origin: null,
    type: 'TEXT',
    text: 'Hello',
    media: null,
    payload: null,
    status: inbound ? 'RECEIVED' : 'QUEUED',
    statusAt: now,
    error: null,
    whatsappId: inbound ? `wamid.${randomBytes(8).toString('hex')}` : null,
    replyToWhatsappId: null,
    sentAt: now,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function buildAgent(overrides: Partial<AgentView> = {}): AgentView {
  const now = new Date();
  return {
    _id: testId(),
    name: 'Sam Agent',
    email: 'sam@example.com',
    role: 'AGENT',
    status: 'ONLINE',
    capacity: 5,
    activeConversations: 0,
    active: true,
    lastAssignedAt: null,
    statusChangedAt: now,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** An agent as stored: the event view plus a token hash (`hash-<id>` unless given). */
export function buildAgentDoc(overrides: Partial<AgentDoc> = {}): AgentDoc {
  const { tokenHash, passwordHash, ...view } = overrides;
  const agent = buildAgent(view);
  return { ...agent, tokenHash: tokenHash ?? `hash-${agent._id}`, passwordHash: passwordHash ?? null };
}

export function agentStatusEvent(overrides: Partial<AgentView> = {}): EventOf<'agent.status'> {
  return { id: testId(), at: new Date(), type: 'agent.status', agent: buildAgent(overrides), previousStatus: 'OFFLINE' };
}

/** What a consumer on another instance sees: the event after a JSON round trip through Redis (dates become strings). */
export function viaJson<E extends DomainEvent>(event: E): E {
  return JSON.parse(JSON.stringify(event)) as E;
}

export interface StoryOptions {
  customer?: Partial<CustomerDoc>;
  conversation?: Partial<ConversationDoc>;
}

/**
 * One customer's conversation as a sequence of events. The conversation
 * document inside each event is a snapshot of the story's current state, as
 * the workflow would publish it.
 */
export function conversationStory(options: StoryOptions = {}) {
  const customer = buildCustomer(options.customer);
  let conversation = buildConversation(customer, options.conversation);

  const snapshot = (): ConversationDoc => structuredClone(conversation);
  const base = () => ({ id: testId(), at: new Date() });

  function messageEvent<K extends 'message.received' | 'message.sent'>(type: K, message: MessageDoc): EventOf<K> {
    conversation = { ...conversation, lastMessageAt: message.createdAt, lastMessageId: message._id, updatedAt: new Date() };
    if (message.author === 'CUSTOMER') conversation.lastCustomerMessageAt = message.sentAt;
    return { ...base(), type, conversation: snapshot(), customer, message } as EventOf<K>;
  }

  return {
    customer,
    get conversation(): ConversationDoc {
      return snapshot();
    },

    opened(): EventOf<'conversation.opened'> {
      return { ...base(), type: 'conversation.opened', conversation: snapshot(), customer };
    },

    customerMessage(text: string | null, overrides: Partial<MessageDoc> = {}): EventOf<'message.received'> {
      return messageEvent('message.received', buildMessage(conversation, { text, ...overrides }));
    },

    agentReply(text: string, overrides: Partial<MessageDoc> = {}): EventOf<'message.sent'> {
      const agentId = overrides.agentId ?? conversation.assigneeId ?? testId();
      return messageEvent('message.sent', buildMessage(conversation, { direction: 'OUTBOUND', author: 'AGENT', agentId, text, ...overrides }));
    },

    systemMessage(text: string, overrides: Partial<MessageDoc> = {}): EventOf<'message.sent'> {
      return messageEvent('message.sent', buildMessage(conversation, { direction: 'OUTBOUND', author: 'SYSTEM', text, ...overrides }));
    },

    /** A reply that came from a plugin (`origin` names it). */
    integrationReply(text: string, origin: string, overrides: Partial<MessageDoc> = {}): EventOf<'message.sent'> {
      return messageEvent('message.sent', buildMessage(conversation, { direction: 'OUTBOUND', author: 'INTEGRATION', origin, text, ...overrides }));
    },

    /** An internal note: never sent to the customer. */
    note(text: string, overrides: Partial<MessageDoc> = {}): EventOf<'message.sent'> {
      const agentId = overrides.agentId ?? conversation.assigneeId ?? testId();
      return messageEvent(
        'message.sent',
        buildMessage(conversation, { direction: 'OUTBOUND', author: 'AGENT', agentId, type: 'NOTE', text, status: 'SENT', whatsappId: null, ...overrides }),
      );
    },

    assigned(agent: AgentView = buildAgent()): EventOf<'conversation.assigned'> {
      conversation = { ...conversation, status: 'ASSIGNED', assigneeId: agent._id, assignedAt: new Date() };
      return { ...base(), type: 'conversation.assigned', conversation: snapshot(), customer, agent, by: 'policy', fromAgentId: null };
    },

    resolved(): EventOf<'conversation.resolved'> {
      const now = new Date();
      conversation = { ...conversation, status: 'RESOLVED', activeKey: null, resolvedAt: now, previousAssigneeId: conversation.assigneeId, assigneeId: null, updatedAt: now };
      return { ...base(), type: 'conversation.resolved', conversation: snapshot(), customer, by: conversation.previousAssigneeId ?? 'plugin:test' };
    },

    reopened(): EventOf<'conversation.reopened'> {
      const now = new Date();
      conversation = { ...conversation, status: 'QUEUED', activeKey: conversation.customerId, resolvedAt: null, cycle: conversation.cycle + 1, cycleStartedAt: now, updatedAt: now };
      return { ...base(), type: 'conversation.reopened', conversation: snapshot(), customer };
    },

    feedback(score: number, comment: string | null = null): EventOf<'feedback.received'> {
      const feedback: Feedback = { score, comment, receivedAt: new Date() };
      conversation = { ...conversation, feedback };
      return { ...base(), type: 'feedback.received', conversation: snapshot(), customer, feedback };
    },
  };
}

export type ConversationStory = ReturnType<typeof conversationStory>;
