// The reproducible support history the benches build: 100,000 conversations
// and 1,000,000 messages at scale 1 (plus their event log: opened, assigned,
// first response, resolved, feedback, 10 % reopens, 5 % transfers, 50 agents
// on 8-hour shifts with a break) spread over 90 days (2025-01-01 →
// 2025-04-01 UTC), stored in time order. Used by bench/metrics.ts and
// bench/durable-startup.ts.
import type { AgentDoc, AgentStatus, ConversationDoc, ConversationEventDoc, MessageDoc } from '../../src/domain/model.js';
import { COLLECTIONS } from '../../src/store/collections.js';
import type { Collection, Doc, Store } from '../../src/store/port.js';
import { mulberry32 } from '../../test/support/random.js';

const AGENTS = 50;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const HISTORY_START = Date.UTC(2025, 0, 1);
const DAYS = 90;
export const HISTORY_END = HISTORY_START + DAYS * DAY;
const START = HISTORY_START;
const END = HISTORY_END;

export interface HistorySize {
  conversations: number;
  messages: number;
  events: number;
}

/** Builds the history into the store (scale 1: 100,000 conversations, 1,000,000 messages); the same seed gives the same documents. */
export async function populateHistory(store: Store, options: { scale: number; seed: number }): Promise<HistorySize> {
  const CONVERSATIONS = Math.round(100_000 * options.scale);
  const MESSAGES = Math.round(1_000_000 * options.scale);
  const random = mulberry32(options.seed);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min));

  let idSequence = 0;
  const id = (prefix: string) => `${prefix}${(idSequence++).toString(36).padStart(8, '0')}`;

  function agentDoc(i: number): AgentDoc {
    const created = new Date(START - 30 * DAY);
    return {
      _id: `agent${i}`,
      name: `Agent ${String(i).padStart(2, '0')}`,
      email: `agent${i}@desk.example`,
      role: 'AGENT',
      status: 'OFFLINE',
      capacity: 5,
      activeConversations: 0,
      tokenHash: `hash${i}`,
      passwordHash: null,
      active: true,
      lastAssignedAt: null,
      statusChangedAt: created,
      createdAt: created,
      updatedAt: created,
    };
  }

  function messageDoc(conversationId: string, customerId: string, at: number, inbound: boolean, author: MessageDoc['author'], agentId: string | null): MessageDoc {
    const when = new Date(at);
    return {
      _id: id('m'),
      conversationId,
      customerId,
      direction: inbound ? 'INBOUND' : 'OUTBOUND',
      author,
      agentId,
      origin: null,
      type: 'TEXT',
      text: inbound ? 'Hi, my order has not arrived yet' : 'Thanks, let me check that for you',
      media: null,
      payload: null,
      status: inbound ? 'RECEIVED' : 'READ',
      statusAt: when,
      error: null,
      whatsappId: `wamid.${idSequence}`,
      replyToWhatsappId: null,
      sentAt: when,
      createdAt: when,
      updatedAt: when,
    };
  }

  function event(type: ConversationEventDoc['type'], conversationId: string | null, cycle: number | null, agentId: string | null, at: number, data: Record<string, unknown> = {}): ConversationEventDoc {
    return { _id: id('e'), type, conversationId, cycle, agentId, at: new Date(at), data };
  }

  /** Inserts and lets go of the generated documents as it goes. */
  async function insertInChunks<T extends Doc>(collection: Collection<T>, docs: T[]) {
    const CHUNK = 50_000;
    for (let first = 0; first < docs.length; first += CHUNK) await collection.insertMany(docs.slice(first, first + CHUNK));
    docs.length = 0;
  }

  async function populate(store: Store) {
    const agents = Array.from({ length: AGENTS }, (_, i) => agentDoc(i));
    await store.collection<AgentDoc>(COLLECTIONS.agents).insertMany(agents);
    const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
    const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
    const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);

    // Shifts: each agent works 8 hours a day from a staggered start, with a one-hour AWAY break.
    const statusEvents: ConversationEventDoc[] = [];
    for (const agent of agents) {
      const shiftStart = between(0, 16) * HOUR;
      let status: AgentStatus = 'OFFLINE';
      const to = (at: number, next: AgentStatus) => {
        statusEvents.push(event('agent.status', null, null, agent._id, at, { from: status, to: next }));
        status = next;
      };
      for (let day = 0; day < DAYS; day++) {
        const begin = START + day * DAY + shiftStart + between(-15, 15) * MINUTE;
        to(begin, 'ONLINE');
        to(begin + 4 * HOUR, 'AWAY');
        to(begin + 5 * HOUR, 'ONLINE');
        to(begin + 9 * HOUR, 'OFFLINE');
      }
    }

    // Messages per conversation average MESSAGES / CONVERSATIONS (10): greeting,
    // customer and agent turns, and a survey.
    const perConversation = MESSAGES / CONVERSATIONS;
    let messagesLeft = MESSAGES;
    const eventBatch: ConversationEventDoc[] = statusEvents;
    const messageBatch: MessageDoc[] = [];
    const conversationBatch: ConversationDoc[] = [];
    for (let n = 0; n < CONVERSATIONS; n++) {
      const conversationId = `c${n}`;
      const customerId = `cu${n}`;
      const opened = START + Math.floor(random() * (END - START - 2 * DAY));
      const cycles = random() < 0.1 ? 2 : 1;
      // Spread this conversation's share of messages over its cycles.
      const remainingConversations = CONVERSATIONS - n;
      let budget = n === CONVERSATIONS - 1 ? messagesLeft : Math.max(3, Math.min(messagesLeft - 3 * (remainingConversations - 1), Math.round(perConversation + between(-3, 4))));
      messagesLeft -= budget;
      let cycleStart = opened;
      let agent = `agent${between(0, AGENTS)}`;
      let lastAt = opened;
      for (let cycle = 1; cycle <= cycles; cycle++) {
        eventBatch.push(event(cycle === 1 ? 'conversation.opened' : 'conversation.reopened', conversationId, cycle, null, cycleStart));
        messageBatch.push(messageDoc(conversationId, customerId, cycleStart, true, 'CUSTOMER', null));
        budget--;
        if (cycle === 1) {
          messageBatch.push(messageDoc(conversationId, customerId, cycleStart + 1000, false, 'SYSTEM', null));
          budget--;
        }
        const assignedAt = cycleStart + between(0, 10 * MINUTE);
        eventBatch.push(event('conversation.assigned', conversationId, cycle, agent, assignedAt, { by: cycle === 1 ? 'policy' : 'reopen', fromAgentId: null }));
        const firstResponse = assignedAt + between(MINUTE, 60 * MINUTE);
        eventBatch.push(event('conversation.first_response', conversationId, cycle, agent, firstResponse, { cycleStartedAt: new Date(cycleStart) }));
        const resolvedAt = firstResponse + between(5 * MINUTE, 6 * HOUR);
        if (random() < 0.05) {
          const next = `agent${between(0, AGENTS)}`;
          eventBatch.push(event('conversation.assigned', conversationId, cycle, next, between(firstResponse, resolvedAt), { by: 'admin', fromAgentId: agent }));
          agent = next;
        }
        // This cycle's share of the remaining turns, alternating agent and customer, between first response and resolution.
        const turns = cycle === cycles ? Math.max(0, budget - 1) : Math.floor(budget / 2);
        for (let t = 0; t < turns; t++) {
          const at = firstResponse + Math.floor(((t + 1) / (turns + 1)) * (resolvedAt - firstResponse));
          const fromCustomer = t % 2 === 1;
          messageBatch.push(messageDoc(conversationId, customerId, at, fromCustomer, fromCustomer ? 'CUSTOMER' : 'AGENT', fromCustomer ? null : agent));
        }
        budget -= turns;
        eventBatch.push(event('conversation.resolved', conversationId, cycle, agent, resolvedAt, { cycleStartedAt: new Date(cycleStart) }));
        if (cycle === cycles && budget > 0) {
          messageBatch.push(messageDoc(conversationId, customerId, resolvedAt + 1000, false, 'SYSTEM', null));
          budget--;
        }
        if (random() < 0.5) eventBatch.push(event('feedback.received', conversationId, cycle, agent, resolvedAt + between(MINUTE, 30 * MINUTE), { score: between(1, 6) }));
        lastAt = resolvedAt;
        cycleStart = resolvedAt + between(30 * MINUTE, 20 * HOUR);
      }
      const openedAt = new Date(opened);
      conversationBatch.push({
        _id: conversationId,
        customerId,
        waId: `1555${String(n).padStart(7, '0')}`,
        status: 'RESOLVED',
        activeKey: null,
        assigneeId: null,
        previousAssigneeId: agent,
        cycle: cycles,
        openedAt,
        cycleStartedAt: openedAt,
        firstResponseAt: null,
        resolvedAt: new Date(lastAt),
        assignedAt: null,
        lastCustomerMessageAt: openedAt,
        lastMessageAt: new Date(lastAt),
        lastMessageId: null,
        lastActivityAt: new Date(lastAt),
        lastCustomerMessageId: null,
        unreadCount: 0,
        labels: [],
        handlerIds: [agent],
        greetingSentAt: openedAt,
        survey: null,
        feedback: null,
        externalLinks: [],
        createdAt: openedAt,
        updatedAt: new Date(lastAt),
      });
    }
    // Stored in time order, as a live desk appends them (an engine may rely on it, as MongoDB's natural order roughly does).
    eventBatch.sort((a, b) => +a.at - +b.at);
    messageBatch.sort((a, b) => +a.createdAt - +b.createdAt);
    conversationBatch.sort((a, b) => +a.openedAt - +b.openedAt);
    await insertInChunks(events, eventBatch);
    await insertInChunks(messages, messageBatch);
    await insertInChunks(conversations, conversationBatch);
    return {
      conversations: await conversations.countDocuments(),
      messages: await messages.countDocuments(),
      events: await events.countDocuments(),
    };
  }

  return populate(store);
}
