// Every state change of the desk, one by one: each raises its event once, and
// the dispatcher's listeners turn it into exactly one reporting-log entry
// (none for message events, whose record is the messages collection), one
// publication on the bus and one plugin delivery (none for internal events).
import { createMemoryMediaStore } from '../src/media/memoryStore.js';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { testConfig } from '../src/config.js';
import { LOGGED_EVENT_TYPES, type DomainEvent, type DomainEventType } from '../src/domain/events.js';
import type { AgentDoc, ConversationDoc, ConversationEventDoc, CustomerDoc, MessageDoc } from '../src/domain/model.js';
import { createEventDispatcher } from '../src/events/dispatcher.js';
import { busListener } from '../src/events/listeners/bus.js';
import { eventLogListener } from '../src/events/listeners/eventLog.js';
import { pluginDeliveryListener } from '../src/events/listeners/pluginDeliveries.js';
import { isInternalEvent, type EventBus } from '../src/events/types.js';
import { createInProcessQueue } from '../src/jobs/inProcess.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { newId } from '../src/store/ids.js';
import { createRepositories } from '../src/store/repositories/index.js';
import type { WorkflowDeps } from '../src/workflow/deps.js';
import { deskMessage } from '../src/workflow/messageFactory.js';
import * as transitions from '../src/workflow/transitions.js';
import { createWorkflow } from '../src/workflow/index.js';
import { FOLLOW_UP_QUEUE } from '../src/workflow/inbound.js';

/** Compile-time complete: a new event type fails to compile here until it is listed. */
const EVERY_EVENT_TYPE: Record<DomainEventType, true> = {
  'message.received': true,
  'message.sent': true,
  'message.status': true,
  'conversation.opened': true,
  'conversation.assigned': true,
  'conversation.unassigned': true,
  'conversation.first_response': true,
  'conversation.resolved': true,
  'conversation.reopened': true,
  'conversation.updated': true,
  'feedback.received': true,
  'feedback.commented': true,
  'agent.status': true,
  'agent.updated': true,
  'agent.revoked': true,
};

/** A bus that only remembers what was published to it. */
function recordingBus(into: DomainEvent[]): EventBus {
  return {
    publish: (event) => void into.push(event),
    subscribe: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true as const, value: undefined }) }) }),
    listen: () => () => undefined,
    close: async () => undefined,
  };
}

function world() {
  const config = testConfig();
  const store = createEmbeddedStore();
  const repos = createRepositories(store);
  const onBus: DomainEvent[] = [];
  const toPlugins: DomainEvent[] = [];
  const bus = recordingBus(onBus);
  const host = { publish: async (event: DomainEvent) => void toPlugins.push(event) };
  const dispatcher = createEventDispatcher([eventLogListener(repos.eventLog), busListener(bus), pluginDeliveryListener(() => host)]);
  const logger = pino({ level: 'silent' });
  let clock = Date.parse('2026-03-02T10:00:00Z');
  const deps: WorkflowDeps = {
    repos,
    config: config.workflow,
    whatsapp: config.whatsapp,
    sender: null,
    queue: createInProcessQueue({ logger }),
    media: { store: createMemoryMediaStore(), config: config.media },
    clock: { now: () => new Date((clock += 1000)) },
    logger,
    dispatch: dispatcher.dispatch,
    batch: store.batch,
    meters: { messageIn: () => undefined, messageOut: () => undefined, sendFailed: () => undefined },
    instanceId: 'transitions-test',
    outbox: config.outbox,
    dependencyFailed: () => undefined,
  };
  const log = () => store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents).find({});
  const now = () => deps.clock.now();

  async function customer(): Promise<CustomerDoc> {
    return repos.customers.upsert(`1555${Math.floor(Math.random() * 1e7)}`, 'Ana', now());
  }
  async function conversation(status: 'QUEUED' | 'ASSIGNED' | 'RESOLVED' = 'QUEUED'): Promise<{ conversation: ConversationDoc; customer: CustomerDoc; agent: AgentDoc }> {
    const who = await customer();
    let { conversation: c } = await repos.conversations.openFor(who, now());
    const held = await agent();
    if (status !== 'QUEUED') c = (await repos.conversations.assign(c._id, held._id, now()))!;
    if (status === 'RESOLVED') c = (await repos.conversations.resolve(c._id, now()))!;
    return { conversation: c, customer: who, agent: held };
  }
  async function agent(): Promise<AgentDoc> {
    return repos.agents.create({ name: 'Sam', email: `sam-${newId()}@example.com`, role: 'AGENT', capacity: 5, tokenHash: newId(), passwordHash: null }, now());
  }
  async function outbound(): Promise<MessageDoc> {
    const { conversation: c } = await conversation('ASSIGNED');
    return repos.messages.insert(deskMessage({ conversation: c, author: 'AGENT', type: 'TEXT', text: 'hello', now: now() }));
  }
  async function pendingMedia(): Promise<MessageDoc> {
    const { conversation: c } = await conversation('ASSIGNED');
    const draft = deskMessage({ conversation: c, author: 'AGENT', type: 'IMAGE', now: now() });
    draft.media = { id: '1003383421387256', mimeType: 'image/png', sha256: null, caption: null, filename: null, voice: null, status: 'PENDING', size: null, failureReason: null };
    return repos.messages.insert(draft);
  }
  return { deps, repos, onBus, toPlugins, log, now, customer, conversation, agent, outbound, pendingMedia };
}

type World = ReturnType<typeof world>;

interface Case {
  /** In order; a transition that also changes an agent's load raises that too. */
  raises: DomainEventType | DomainEventType[];
  /** Sets the stage (its own events are not counted) and returns the transition to run. */
  given(w: World): Promise<() => Promise<unknown>>;
}

const CASES: Record<keyof typeof transitions, Case> = {
  openConversation: {
    raises: 'conversation.opened',
    async given(w) {
      const who = await w.customer();
      return () => transitions.openConversation(w.deps, who, w.now());
    },
  },
  reopenConversation: {
    raises: 'conversation.reopened',
    async given(w) {
      const { conversation } = await w.conversation('RESOLVED');
      return () => transitions.reopenConversation(w.deps, conversation, w.now());
    },
  },
  assignConversation: {
    raises: ['conversation.assigned', 'agent.updated'],
    async given(w) {
      const { conversation } = await w.conversation('QUEUED');
      const agent = await w.agent();
      return () => transitions.assignConversation(w.deps, conversation._id, agent, 'policy', w.now());
    },
  },
  requeueConversation: {
    raises: 'conversation.unassigned',
    async given(w) {
      const { conversation, agent } = await w.conversation('ASSIGNED');
      return () => transitions.requeueConversation(w.deps, conversation._id, agent._id, w.now());
    },
  },
  resolveConversation: {
    raises: 'conversation.resolved',
    async given(w) {
      const { conversation, agent } = await w.conversation('ASSIGNED');
      return () => transitions.resolveConversation(w.deps, conversation._id, agent._id, w.now());
    },
  },
  markConversationRead: {
    raises: 'conversation.updated',
    async given(w) {
      const { conversation } = await w.conversation('ASSIGNED');
      await w.repos.conversations.recordCustomerMessage(conversation._id, newId(), w.now(), w.now());
      return () => transitions.markConversationRead(w.deps, conversation._id, w.now());
    },
  },
  addLabels: {
    raises: 'conversation.updated',
    async given(w) {
      const { conversation } = await w.conversation('ASSIGNED');
      return () => transitions.addLabels(w.deps, conversation._id, ['vip'], w.now());
    },
  },
  removeLabels: {
    raises: 'conversation.updated',
    async given(w) {
      const { conversation } = await w.conversation('ASSIGNED');
      await w.repos.conversations.addLabels(conversation._id, ['vip'], w.now());
      return () => transitions.removeLabels(w.deps, conversation._id, ['vip'], w.now());
    },
  },
  markFirstResponse: {
    raises: 'conversation.first_response',
    async given(w) {
      const { conversation, agent } = await w.conversation('ASSIGNED');
      return () => transitions.markFirstResponse(w.deps, conversation._id, agent._id, w.now());
    },
  },
  recordRating: {
    raises: 'feedback.received',
    async given(w) {
      const { conversation } = await w.conversation('RESOLVED');
      await w.repos.conversations.setSurvey(conversation._id, { sentAt: w.now(), messageId: null, skippedReason: null, ratedAt: null, thankedAt: null }, w.now());
      return () => transitions.recordRating(w.deps, conversation._id, { score: 4, comment: null, receivedAt: w.now() }, w.now());
    },
  },
  recordComment: {
    raises: 'feedback.commented',
    async given(w) {
      const { conversation } = await w.conversation('RESOLVED');
      await w.repos.conversations.setSurvey(conversation._id, { sentAt: w.now(), messageId: null, skippedReason: null, ratedAt: null, thankedAt: null }, w.now());
      await w.repos.conversations.recordRating(conversation._id, { score: 5, comment: null, receivedAt: w.now() }, w.now());
      return () => transitions.recordComment(w.deps, conversation._id, 'thanks!', w.now());
    },
  },
  createAgent: {
    raises: 'agent.status',
    async given(w) {
      return () => transitions.createAgent(w.deps, { name: 'New', email: `new-${newId()}@example.com`, role: 'AGENT', capacity: 3, tokenHash: newId(), passwordHash: null }, w.now());
    },
  },
  updateAgent: {
    raises: 'agent.updated',
    async given(w) {
      const agent = await w.agent();
      return () => transitions.updateAgent(w.deps, agent._id, { capacity: 7 }, w.now());
    },
  },
  setAgentActive: {
    raises: 'agent.updated',
    async given(w) {
      const agent = await w.agent();
      return () => transitions.setAgentActive(w.deps, agent._id, false, w.now());
    },
  },
  releaseCapacity: {
    raises: 'agent.updated',
    async given(w) {
      const agent = await w.agent();
      await w.repos.agents.forceClaim(agent._id, w.now());
      return () => transitions.releaseCapacity(w.deps, agent._id, w.now());
    },
  },
  changeAgentStatus: {
    raises: 'agent.status',
    async given(w) {
      const agent = await w.agent();
      return () => transitions.changeAgentStatus(w.deps, agent._id, 'ONLINE', w.now());
    },
  },
  announceRevocation: {
    raises: 'agent.revoked',
    async given(w) {
      const agent = await w.agent();
      return () => transitions.announceRevocation(w.deps, agent._id, w.now());
    },
  },
  receiveMessage: {
    raises: 'message.received',
    async given(w) {
      const { conversation, customer } = await w.conversation('QUEUED');
      const at = w.now();
      const message: MessageDoc = {
        ...deskMessage({ conversation, author: 'CUSTOMER', type: 'TEXT', text: 'hi', now: at }),
        direction: 'INBOUND',
        status: 'RECEIVED',
        whatsappId: `wamid.${newId()}`,
      };
      return () => transitions.receiveMessage(w.deps, message, conversation, customer);
    },
  },
  addOutboundMessage: {
    raises: 'message.sent',
    async given(w) {
      const { conversation } = await w.conversation('ASSIGNED');
      return () => transitions.addOutboundMessage(w.deps, deskMessage({ conversation, author: 'AGENT', type: 'TEXT', text: 'hello', now: w.now() }));
    },
  },
  addNote: {
    raises: 'message.sent',
    async given(w) {
      const { conversation } = await w.conversation('ASSIGNED');
      return () => transitions.addNote(w.deps, deskMessage({ conversation, author: 'AGENT', type: 'NOTE', text: 'internal', now: w.now() }), conversation);
    },
  },
  advanceMessageStatus: {
    raises: 'message.status',
    async given(w) {
      const message = await w.outbound();
      const wamid = `wamid.${newId()}`;
      await w.repos.messages.markSent(message._id, wamid, w.now());
      return () => transitions.advanceMessageStatus(w.deps, wamid, 'DELIVERED', w.now(), null);
    },
  },
  markMessageSent: {
    raises: 'message.status',
    async given(w) {
      const message = await w.outbound();
      return () => transitions.markMessageSent(w.deps, message._id, `wamid.${newId()}`, w.now());
    },
  },
  markMessageFailed: {
    raises: 'message.status',
    async given(w) {
      const message = await w.outbound();
      return () => transitions.markMessageFailed(w.deps, message._id, { code: 131047, title: 'Re-engagement message', details: null }, w.now());
    },
  },
  requeueFailedMessage: {
    raises: 'message.status',
    async given(w) {
      const message = await w.outbound();
      await w.repos.messages.markFailed(message._id, { code: 131000, title: 'Something went wrong', details: null }, w.now(), true);
      return () => transitions.requeueFailedMessage(w.deps, message._id, w.now());
    },
  },
  markMediaReady: {
    raises: 'message.status',
    async given(w) {
      const message = await w.pendingMedia();
      return () => transitions.markMediaReady(w.deps, message._id, { size: 3, sha256: 'ab'.repeat(32), mimeType: 'image/png' }, w.now());
    },
  },
  markMediaFailed: {
    raises: 'message.status',
    async given(w) {
      const message = await w.pendingMedia();
      return () => transitions.markMediaFailed(w.deps, message._id, 'checksum mismatch', w.now());
    },
  },
};

const LOGGED = new Set<DomainEventType>(LOGGED_EVENT_TYPES);

describe('every transition raises its event once', () => {
  test('the table covers every transition and every event type', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(transitions).sort());
    expect(new Set(Object.values(CASES).flatMap((c) => c.raises))).toEqual(new Set(Object.keys(EVERY_EVENT_TYPE)));
  });

  test.each(Object.entries(CASES))('%s', async (_name, { raises, given }) => {
    const w = world();
    const run = await given(w);
    const logBefore = (await w.log()).length;
    const busBefore = w.onBus.length;
    const pluginsBefore = w.toPlugins.length;

    const result = await run();
    expect(result).not.toBeNull();

    const expected = [raises].flat();
    const onBus = w.onBus.slice(busBefore);
    expect(onBus.map((e) => e.type)).toEqual(expected);
    expect(w.toPlugins.slice(pluginsBefore).map((e) => e.id)).toEqual(onBus.filter((e) => !isInternalEvent(e)).map((e) => e.id));
    const logged = (await w.log()).slice(logBefore).map((e) => e.type);
    expect(logged).toEqual(expected.filter((type) => LOGGED.has(type)));
  });

  test('a transition whose precondition no longer holds raises nothing', async () => {
    const w = world();
    const { conversation, agent } = await w.conversation('ASSIGNED');
    await transitions.resolveConversation(w.deps, conversation._id, agent._id, w.now());
    await transitions.markFirstResponse(w.deps, conversation._id, agent._id, w.now());
    const logCount = (await w.log()).length;
    const busCount = w.onBus.length;

    expect(await transitions.resolveConversation(w.deps, conversation._id, agent._id, w.now())).toBeNull();
    expect(await transitions.markFirstResponse(w.deps, conversation._id, agent._id, w.now())).toBeNull();
    expect(await transitions.changeAgentStatus(w.deps, agent._id, agent.status, w.now())).toBeNull();
    expect(await transitions.recordRating(w.deps, conversation._id, { score: 3, comment: null, receivedAt: w.now() }, w.now())).toBeNull();

    expect((await w.log()).length).toBe(logCount);
    expect(w.onBus.length).toBe(busCount);
  });

  test('a log that cannot be written fails the change before anyone hears of it', async () => {
    const w = world();
    const onBus: DomainEvent[] = [];
    const failing = createEventDispatcher([
      eventLogListener({ append: async () => Promise.reject(new Error('disk full')) }),
      busListener(recordingBus(onBus)),
    ]);
    const who = await w.customer();
    await expect(transitions.openConversation({ ...w.deps, dispatch: failing.dispatch }, who, w.now())).rejects.toThrow('disk full');
    expect(onBus).toEqual([]);
  });
});

describe('the webhook path and the follow-up wake', () => {
  test("a new customer's message is stored and answered while its follow-up's wake is still on its way, and the sweep does the follow-up's work", async () => {
    const w = world();
    const wakes: unknown[] = [];
    // A queue that never confirms the follow-up's add: Redis slow, or gone.
    const enqueue: typeof w.deps.queue.enqueue = async (name, payload, options) => {
      if (name !== FOLLOW_UP_QUEUE) return w.deps.queue.enqueue(name, payload, options);
      wakes.push(payload);
      return new Promise<string>(() => undefined);
    };
    const workflow = createWorkflow({ ...w.deps, queue: { ...w.deps.queue, enqueue } });
    const answered = workflow.receiveMessage({
      whatsappId: `wamid.${newId()}`,
      from: '15550001111',
      profileName: 'Ana',
      timestamp: w.now(),
      type: 'TEXT',
      text: 'hello',
      media: null,
      payload: null,
      replyToWhatsappId: null,
      interactiveReplyId: null,
    });
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<'held'>((resolve) => (timer = setTimeout(() => resolve('held'), 2_000)));
    const result = await Promise.race([answered, held]);
    clearTimeout(timer);
    expect(result).not.toBe('held');
    expect(result).toMatchObject({ stored: true, followUp: { reason: 'opened' } });
    expect(wakes).toHaveLength(1);
    await w.agent().then((agent) => w.repos.agents.setStatus(agent._id, 'ONLINE', w.now()));
    await workflow.sweepNow(0);
    workflow.stopSweeping();
    const conversation = await w.repos.conversations.byId((result as { conversation: ConversationDoc }).conversation._id);
    expect(conversation?.status).toBe('ASSIGNED');
  });
});
