// Issue 4: the support workflow as a team runs it, through signed webhooks,
// GraphQL and graphql-ws, against the WhatsApp emulator.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddNoteDocument,
  AssignConversationDocument,
  ConversationDocument,
  ConversationUpdatedDocument,
  MessageAddedDocument,
  MessageUpdatedDocument,
  ReopenConversationDocument,
  ResolveConversationDocument,
  SendReplyDocument,
  SetAgentStatusDocument,
} from '../src/generated/graphql.js';
import type { AgentDoc, ConversationDoc, ConversationEventDoc, MessageDoc } from '../src/domain/model.js';
import type { LiveEventBus } from '../src/events/bus.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

const desks: Desk[] = [];
async function desk(env: Record<string, string> = {}, clock?: { now(): Date }): Promise<Desk> {
  const started = await startDesk({ env, clock });
  desks.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(desks.splice(0).map((d) => d.close()));
});

const bodyText = (sent: { body: Record<string, unknown> }) =>
  (sent.body['text'] as { body?: string } | undefined)?.body ?? (sent.body['interactive'] as { body?: { text?: string } } | undefined)?.body?.text;

function conversationsOf(d: Desk) {
  return d.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);
}

describe('the six steps, end to end', () => {
  it('message → greeting → assigned → live to the agent → reply → statuses → resolve → survey → rating → reopen', async () => {
    const d = await desk({ GREETING_TEXT: 'Hi! An agent will be with you shortly.', ASSIGNMENT_POLICY: 'least_loaded' });
    const ana = await d.agent('Ana', { capacity: 2 });

    const added = await ana.client.subscribe(MessageAddedDocument, {});
    const updated = await ana.client.subscribe(MessageUpdatedDocument, {});
    const conversationUpdates = await ana.client.subscribe(ConversationUpdatedDocument, {});

    // 1. The customer writes.
    await d.customerSays('Hi, my order #1234 never arrived', { from: '16505551234', name: 'Sheena Nelson' });

    // The agent sees it live.
    const first = await added.next(5_000);
    expect(first.data?.messageAdded).toMatchObject({ direction: 'INBOUND', author: 'CUSTOMER', text: 'Hi, my order #1234 never arrived' });
    const conversationId = first.data!.messageAdded.conversationId;

    // 2. The greeting goes out, once.
    const [greeting] = await d.emulator.waitForSent(1);
    expect(bodyText(greeting!)).toBe('Hi! An agent will be with you shortly.');

    // 3. Assigned to the only eligible agent.
    const assigned = await eventually('assignment', async () => {
      const c = await ana.client.run(ConversationDocument, { id: conversationId });
      return c.conversation?.status === 'ASSIGNED' ? c.conversation : null;
    });
    expect(assigned.assignee?.id).toBe(ana.id);
    const seen: string[] = [];
    for (;;) {
      const update = await conversationUpdates.next(5_000);
      seen.push(update.data!.conversationUpdated.status);
      if (update.data!.conversationUpdated.status === 'ASSIGNED') break;
    }
    expect(seen).toContain('ASSIGNED');

    // 4. The agent replies; it reaches WhatsApp; statuses flow back live.
    const reply = await ana.client.run(SendReplyDocument, { conversationId, text: 'Sorry about that! Checking now.' });
    const sent = await eventually('reply at the emulator', () => d.emulator.sent.find((s) => bodyText(s) === 'Sorry about that! Checking now.'));
    const statuses: string[] = [];
    const collect = async (until: string) => {
      for (;;) {
        const update = await updated.next(5_000);
        if (update.data!.messageUpdated.id !== reply.sendReply.id) continue;
        statuses.push(String(update.data!.messageUpdated.status));
        if (update.data!.messageUpdated.status === until) return;
      }
    };
    await collect('SENT');
    await d.postStatus({ whatsappId: sent.whatsappId, status: 'delivered' });
    await collect('DELIVERED');
    await d.postStatus({ whatsappId: sent.whatsappId, status: 'read' });
    await collect('READ');
    expect(statuses).toEqual(['SENT', 'DELIVERED', 'READ']);

    const afterReply = await ana.client.run(ConversationDocument, { id: conversationId });
    expect(afterReply.conversation?.firstResponseAt).not.toBeNull();

    // 5. Resolved: the agent's capacity is freed.
    const resolved = await ana.client.run(ResolveConversationDocument, { conversationId });
    expect(resolved.resolveConversation.status).toBe('RESOLVED');
    const anaAfter = await d.app.repos.agents.byId(ana.id);
    expect(anaAfter?.activeConversations).toBe(0);

    // 6. The survey goes out as an interactive list rated 1–5; the customer answers.
    const survey = await eventually('survey list', () => d.emulator.sent.find((s) => s.type === 'interactive'));
    const rows = ((survey.body['interactive'] as { action: { sections: Array<{ rows: Array<{ id: string }> }> } }).action.sections[0]!.rows).map((r) => r.id);
    expect(rows).toEqual(['rating-5', 'rating-4', 'rating-3', 'rating-2', 'rating-1']);
    await d.sendInbound({ type: 'list_reply', from: '16505551234', replyId: 'rating-4', title: '4 - Good', replyTo: survey.whatsappId });
    await d.customerSays('Quick and friendly, thanks', { from: '16505551234' });

    const rated = await eventually('feedback', async () => {
      const c = await d.admin.run(ConversationDocument, { id: conversationId });
      return c.conversation?.feedback?.comment ? c.conversation : null;
    });
    expect(rated.status).toBe('RESOLVED'); // a survey answer never reopens
    expect(rated.feedback).toEqual({ score: 4, comment: 'Quick and friendly, thanks' });
    const thanks = await eventually('thanks', () => d.emulator.sent.filter((s) => bodyText(s)?.startsWith('Thank you for your feedback!')));
    expect(thanks).toHaveLength(1);

    // Later the customer writes again within REOPEN_WINDOW: the same conversation reopens, back to Ana.
    await d.customerSays('Actually, one more thing', { from: '16505551234' });
    const reopened = await eventually('reopen', async () => {
      const c = await d.admin.run(ConversationDocument, { id: conversationId });
      return c.conversation?.cycle === 2 && c.conversation.status === 'ASSIGNED' ? c.conversation : null;
    });
    expect(reopened.assignee?.id).toBe(ana.id);
    expect(reopened.firstResponseAt).toBeNull();
    // No second greeting for a reopened conversation.
    expect(d.emulator.sent.filter((s) => bodyText(s) === 'Hi! An agent will be with you shortly.')).toHaveLength(1);

    const log = await d.app.store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents).find({ conversationId }, { sort: { _id: 1 } });
    expect(log.map((e) => e.type)).toEqual([
      'conversation.opened',
      'conversation.assigned',
      'conversation.first_response',
      'conversation.resolved',
      'feedback.received',
      'feedback.commented',
      'conversation.reopened',
      'conversation.assigned',
    ]);

    await Promise.all([added.close(), updated.close(), conversationUpdates.close()]);
  });
});

describe('assignment', () => {
  it('50 conversations opening at once with 3 agents of capacity 5: 15 assigned, none over capacity, none twice; the rest wait', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const agents = await Promise.all(['A', 'B', 'C'].map((n) => d.agent(`Agent ${n}`, { capacity: 5 })));
    await Promise.all(Array.from({ length: 50 }, (_, i) => d.customerSays(`help ${i}`, { from: `1555100${String(i).padStart(4, '0')}` })));
    await d.settle();

    const all = await conversationsOf(d).find({});
    expect(all).toHaveLength(50);
    const assigned = all.filter((c) => c.status === 'ASSIGNED');
    expect(assigned).toHaveLength(15);
    expect(all.filter((c) => c.status === 'QUEUED')).toHaveLength(35);
    for (const agent of agents) {
      const mine = assigned.filter((c) => c.assigneeId === agent.id);
      expect(mine).toHaveLength(5);
      expect((await d.app.repos.agents.byId(agent.id))?.activeConversations).toBe(5);
    }
    const events = await d.app.store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents).find({ type: 'conversation.assigned' });
    expect(new Set(events.map((e) => e.conversationId)).size).toBe(events.length);
  });

  it('round_robin rotates; least_loaded picks the fewest active; manual leaves the queue alone', async () => {
    const rr = await desk({ ASSIGNMENT_POLICY: 'round_robin' });
    const [a, b] = [await rr.agent('RR A', { capacity: 10 }), await rr.agent('RR B', { capacity: 10 })];
    for (let i = 0; i < 4; i++) {
      await rr.customerSays(`rr ${i}`, { from: `1555200000${i}` });
      await rr.settle();
    }
    const order = (await conversationsOf(rr).find({}, { sort: { _id: 1 } })).map((c) => c.assigneeId);
    expect(order).toEqual([a.id, b.id, a.id, b.id]);

    const ll = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const busy = await ll.agent('Busy', { capacity: 10 });
    await ll.customerSays('first', { from: '15553000001' });
    await ll.settle();
    const free = await ll.agent('Free', { capacity: 10 });
    await ll.customerSays('second', { from: '15553000002' });
    await ll.customerSays('third', { from: '15553000003' });
    await ll.settle();
    const counts = new Map<string, number>();
    for (const c of await conversationsOf(ll).find({})) counts.set(c.assigneeId!, (counts.get(c.assigneeId!) ?? 0) + 1);
    // Busy took the first while alone; with one each after "second", "third" goes to whoever was assigned longest ago: Busy.
    expect(counts.get(busy.id)).toBe(2);
    expect(counts.get(free.id)).toBe(1);

    const manual = await desk({ ASSIGNMENT_POLICY: 'manual' });
    const claimer = await manual.agent('Claimer');
    await manual.customerSays('anyone?', { from: '15554000001' });
    await manual.settle();
    const waiting = (await conversationsOf(manual).findOne({ waId: '15554000001' }))!;
    expect(waiting.status).toBe('QUEUED');
    const claimed = await claimer.client.run(AssignConversationDocument, { conversationId: waiting._id });
    expect(claimed.assignConversation.assignee?.id).toBe(claimer.id);
  });

  it('the queue drains oldest first when an agent comes online or frees capacity', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const solo = await d.agent('Solo', { capacity: 1, online: false });
    for (let i = 0; i < 3; i++) {
      await d.customerSays(`waiting ${i}`, { from: `1555500000${i}` });
      await d.settle();
    }
    expect(await conversationsOf(d).countDocuments({ status: 'QUEUED' })).toBe(3);
    await solo.client.run(SetAgentStatusDocument, { status: 'ONLINE' });
    const firstAssigned = (await conversationsOf(d).findOne({ status: 'ASSIGNED' }))!;
    expect(firstAssigned.waId).toBe('15555000000');
    await solo.client.run(ResolveConversationDocument, { conversationId: firstAssigned._id, sendSurvey: false });
    const next = (await conversationsOf(d).findOne({ status: 'ASSIGNED' }))!;
    expect(next.waId).toBe('15555000001');
  });

  it('an agent going OFFLINE keeps their conversations, unless REQUEUE_ON_OFFLINE', async () => {
    for (const requeue of ['false', 'true']) {
      const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded', REQUEUE_ON_OFFLINE: requeue });
      const agent = await d.agent('Leaver');
      await d.customerSays('hello', { from: '15556000001' });
      await d.settle();
      await agent.client.run(SetAgentStatusDocument, { status: 'OFFLINE' });
      const conversation = (await conversationsOf(d).findOne({ waId: '15556000001' }))!;
      expect(conversation.status).toBe(requeue === 'true' ? 'QUEUED' : 'ASSIGNED');
      expect((await d.app.repos.agents.byId(agent.id))?.activeConversations).toBe(requeue === 'true' ? 0 : 1);
    }
  });

  it('admins transfer; agents cannot assign to others', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const first = await d.agent('First');
    const second = await d.agent('Second', { online: false });
    await d.customerSays('transfer me', { from: '15557000001' });
    await d.settle();
    const conversation = (await conversationsOf(d).findOne({ waId: '15557000001' }))!;
    const denied = await first.client.try(AssignConversationDocument, { conversationId: conversation._id, agentId: second.id });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const moved = await d.admin.run(AssignConversationDocument, { conversationId: conversation._id, agentId: second.id });
    expect(moved.assignConversation.assignee?.id).toBe(second.id);
    expect((await d.app.repos.agents.byId(first.id))?.activeConversations).toBe(0);
    expect((await d.app.repos.agents.byId(second.id))?.activeConversations).toBe(1);
  });
});

describe('live updates respect visibility', () => {
  it("an agent's subscription shows their conversations and the queue, not a colleague's; admins see all", async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const mine = await d.agent('Mine', { capacity: 1 });
    const other = await d.agent('Other', { online: false });
    const otherFeed = await other.client.subscribe(MessageAddedDocument, {});
    const adminFeed = await d.admin.subscribe(MessageAddedDocument, {});
    // Both are served by the app's one fan-out, from one bus listener (beside the socket-revocation listener); the filters below are each subscriber's own.
    expect(d.app.subscriptions.size()).toBe(2);
    expect((d.app.bus as LiveEventBus).subscriberCount()).toBe(2);

    // The first conversation is assigned to Mine at once (the message arrives while it is still QUEUED, though).
    await d.customerSays('first customer', { from: '15550400001' });
    await d.settle();
    expect((await conversationsOf(d).findOne({ waId: '15550400001' }))?.assigneeId).toBe(mine.id);
    await d.customerSays('first customer again', { from: '15550400001' });
    // Mine is at capacity: the second customer's conversation waits in the queue, visible to everyone.
    await d.customerSays('second customer', { from: '15550400002' });
    await d.settle();

    const adminTexts: string[] = [];
    while (adminTexts.length < 3) {
      const next = await adminFeed.next(5_000);
      if (next.data?.messageAdded.direction === 'INBOUND') adminTexts.push(next.data.messageAdded.text ?? '');
    }
    expect(adminTexts).toEqual(['first customer', 'first customer again', 'second customer']);

    const otherTexts: string[] = [];
    for (;;) {
      const next = await otherFeed.next(5_000);
      if (next.data?.messageAdded.direction !== 'INBOUND') continue;
      otherTexts.push(next.data.messageAdded.text ?? '');
      if (next.data.messageAdded.text === 'second customer') break;
    }
    // "first customer again" belonged to Mine's assigned conversation: never shown to Other.
    expect(otherTexts).toEqual(['first customer', 'second customer']);
    await Promise.all([otherFeed.close(), adminFeed.close()]);
  });

  it('a feed asked for one conversation carries only that conversation', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual' });
    await d.customerSays('hello from A', { from: '15550400011' });
    await d.settle();
    const a = (await conversationsOf(d).findOne({ waId: '15550400011' }))!;
    const feed = await d.admin.subscribe(MessageAddedDocument, { conversationId: a._id });

    await d.customerSays('hello from B', { from: '15550400012' });
    await d.customerSays('A again', { from: '15550400011' });
    const texts: string[] = [];
    while (!texts.includes('A again')) {
      const next = (await feed.next(5_000)).data!.messageAdded;
      expect(next.conversationId).toBe(a._id);
      texts.push(next.text ?? '');
    }
    expect(texts).not.toContain('hello from B');
    await feed.close();
  });
});

describe('replies, notes and permissions', () => {
  it("a colleague's conversation answers NOT_FOUND as a missing one does; notes never reach WhatsApp and are not a first response", async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const owner = await d.agent('Owner');
    await d.customerSays('hello', { from: '15558000001' });
    await d.settle();
    const other = await d.agent('Other');
    const conversation = (await conversationsOf(d).findOne({ waId: '15558000001' }))!;
    expect(conversation.assigneeId).toBe(owner.id);

    const hidden = await other.client.try(SendReplyDocument, { conversationId: conversation._id, text: 'me too' });
    expect(hidden.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(hidden.errors?.[0]?.message).toBe(`conversation ${conversation._id} not found`);
    const admin = await d.admin.run(SendReplyDocument, { conversationId: conversation._id, text: 'admin here' });
    expect(admin.sendReply.author).toBe('AGENT');

    // The admin's reply is still in the outbox: count from a drained one.
    await d.settle();
    const sentBefore = d.emulator.sent.length;
    const note = await owner.client.run(AddNoteDocument, { conversationId: conversation._id, text: 'VIP customer' });
    expect(note.addNote.type).toBe('NOTE');
    await d.settle();
    expect(d.emulator.sent.length).toBe(sentBefore);
  });

  it('an agent acting on a QUEUED conversation they can see but do not hold gets FORBIDDEN', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual' });
    const agent = await d.agent('Looker');
    await d.customerSays('hello', { from: '15558000002' });
    await d.settle();
    const conversation = (await conversationsOf(d).findOne({ waId: '15558000002' }))!;
    const result = await agent.client.try(SendReplyDocument, { conversationId: conversation._id, text: 'hi' });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('business hours', () => {
  const hours = { BUSINESS_HOURS: 'mon-fri 09:00-17:00', BUSINESS_TIMEZONE: 'Europe/Madrid', OUT_OF_OFFICE_TEXT: 'We are closed', GREETING_TEXT: 'We are open' };
  // 2026-11-25 is a Wednesday; Madrid is UTC+1 in November.
  it.each([
    ['16:59 Madrid, open', '2026-11-25T15:59:00Z', 'We are open'],
    ['17:00 Madrid, closed', '2026-11-25T16:00:00Z', 'We are closed'],
    ['08:59 Madrid, closed', '2026-11-25T07:59:00Z', 'We are closed'],
    ['Saturday noon, closed', '2026-11-28T11:00:00Z', 'We are closed'],
  ])('%s', async (_label, at, expected) => {
    const fixed = new Date(at);
    const d = await desk({ ...hours, ASSIGNMENT_POLICY: 'manual' }, { now: () => fixed });
    await d.customerSays('hello', { from: '15559000001', timestamp: fixed });
    const [greeting] = await d.emulator.waitForSent(1);
    expect(bodyText(greeting!)).toBe(expected);
  });
});

describe('survey edge cases', () => {
  it('outside the window with no template: no survey, and the reason is recorded', async () => {
    let offset = 0;
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' }, { now: () => new Date(Date.now() + offset) });
    const agent = await d.agent('Late');
    await d.customerSays('hello', { from: '15550100001' });
    await d.settle();
    const conversation = (await conversationsOf(d).findOne({ waId: '15550100001' }))!;
    offset = 30 * 3600_000;
    const resolved = await agent.client.run(ResolveConversationDocument, { conversationId: conversation._id });
    expect(resolved.resolveConversation.survey?.sentAt).toBeNull();
    expect(resolved.resolveConversation.survey?.skippedReason).toMatch(/window/);
    await d.settle();
    expect(d.emulator.sent.some((s) => s.type === 'interactive' || s.type === 'template')).toBe(false);
  });

  it('a message after REOPEN_WINDOW opens a new conversation; reopenConversation works for the agent', async () => {
    let offset = 0;
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded', REOPEN_WINDOW: '1h', SURVEY_ENABLED: 'false' }, { now: () => new Date(Date.now() + offset) });
    const agent = await d.agent('Window');
    await d.customerSays('first', { from: '15550200001' });
    await d.settle();
    const first = (await conversationsOf(d).findOne({ waId: '15550200001' }))!;
    await agent.client.run(ResolveConversationDocument, { conversationId: first._id });
    offset = 2 * 3600_000;
    await d.customerSays('much later', { from: '15550200001', timestamp: new Date(Date.now() + offset) });
    await d.settle();
    expect(await conversationsOf(d).countDocuments({ waId: '15550200001' })).toBe(2);

    const second = (await conversationsOf(d).findOne({ waId: '15550200001', status: { $ne: 'RESOLVED' } }))!;
    await agent.client.run(ResolveConversationDocument, { conversationId: second._id });
    const reopened = await agent.client.run(ReopenConversationDocument, { conversationId: second._id });
    expect(reopened.reopenConversation.cycle).toBe(2);
    expect(reopened.reopenConversation.status).toBe('ASSIGNED');
  });
});

describe('storage sanity', () => {
  it('messages and agents stay consistent after the story', async () => {
    const d = await desk();
    await d.agent('Sanity');
    await d.customerSays('hi', { from: '15550300001' });
    await d.settle();
    const message = await d.app.store.collection<MessageDoc>(COLLECTIONS.messages).findOne({ direction: 'INBOUND' });
    expect(message?.status).toBe('RECEIVED');
    const agents = await d.app.store.collection<AgentDoc>(COLLECTIONS.agents).find({});
    expect(agents.every((a) => a.activeConversations >= 0 && a.activeConversations <= Math.max(a.capacity, 1))).toBe(true);
  });
});
