// Issue 12 part B: the inbox a helpdesk frontend builds on — order, counts,
// filters, unread, labels, the timeline, transfer and release — through
// GraphQL over HTTP, and its live truth over graphql-ws.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddLabelsDocument,
  AssignConversationDocument,
  ConversationDocument,
  ConversationEventsDocument,
  ConversationsDocument,
  InboxDocument,
  InboxUpdatedDocument,
  LabelsDocument,
  MarkConversationReadDocument,
  QueueDocument,
  QueueUpdatedDocument,
  ReleaseConversationDocument,
  RemoveLabelsDocument,
  ReopenConversationDocument,
  ResolveConversationDocument,
  SendReplyDocument,
  TransferConversationDocument,
  type InboxRowFragment,
} from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';
import type { SubscriptionProbe } from './support/gqlClient.js';

const desks: Desk[] = [];
async function desk(env: Record<string, string> = {}): Promise<Desk> {
  const started = await startDesk({ env });
  desks.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(desks.splice(0).map((d) => d.close()));
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function conversationOf(d: Desk, waId: string): Promise<ConversationDoc> {
  return eventually(`a conversation for ${waId}`, () => d.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId, status: { $ne: 'RESOLVED' } }));
}

/** Five customers write in turn, a few milliseconds apart so their activity times differ. */
async function fiveCustomers(d: Desk): Promise<string[]> {
  const numbers = ['15551230001', '15551230002', '15551230003', '15551230004', '15551230005'];
  for (const [i, from] of numbers.entries()) {
    await d.customerSays(`question ${i + 1}`, { from, name: `Customer ${i + 1}` });
    await pause(5);
  }
  await d.settle();
  return numbers;
}

const waIds = (page: { conversations: { edges: Array<{ node: { customer: { waId: string } } }> } }) => page.conversations.edges.map((e) => e.node.customer.waId);

describe('inbox order and paging', () => {
  it('LAST_ACTIVITY by default: whoever wrote last is first, a reopened conversation moves to the top; OPENED keeps opening order', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' });
    const numbers = await fiveCustomers(d);
    await d.customerSays('me again', { from: numbers[0] });
    await d.settle();

    const byActivity = await d.admin.run(ConversationsDocument, {});
    expect(waIds(byActivity)).toEqual([numbers[0], numbers[4], numbers[3], numbers[2], numbers[1]]);
    expect(byActivity.conversations.totalCount).toBe(5);
    expect(byActivity.conversations.edges[0]!.node.lastCustomerMessage?.text).toBe('me again');

    const byOpening = await d.admin.run(ConversationsDocument, { orderBy: 'OPENED' });
    expect(waIds(byOpening)).toEqual([...numbers].reverse());

    // Resolve the third customer's conversation, then reopen it: it is the latest activity now.
    const third = await conversationOf(d, numbers[2]!);
    await d.admin.run(ResolveConversationDocument, { conversationId: third._id, sendSurvey: false });
    await pause(5);
    await d.admin.run(ReopenConversationDocument, { conversationId: third._id });
    const afterReopen = await d.admin.run(ConversationsDocument, {});
    expect(waIds(afterReopen)[0]).toBe(numbers[2]);
  });

  it('pages forwards and backwards without gaps or repeats; totalCount counts every page; a bad cursor is BAD_USER_INPUT', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual' });
    const numbers = await fiveCustomers(d);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await d.admin.run(ConversationsDocument, { first: 2, after });
      expect(page.conversations.totalCount).toBe(5);
      seen.push(...waIds(page));
      if (!page.conversations.pageInfo.hasNextPage) break;
      after = page.conversations.pageInfo.endCursor ?? undefined;
    }
    expect(seen).toEqual([...numbers].reverse());

    const lastTwo = await d.admin.run(ConversationsDocument, { last: 2 });
    expect(waIds(lastTwo)).toEqual([numbers[1], numbers[0]]);
    const beforeThose = await d.admin.run(ConversationsDocument, { last: 2, before: lastTwo.conversations.pageInfo.startCursor! });
    expect(waIds(beforeThose)).toEqual([numbers[3], numbers[2]]);

    const bad = await d.admin.try(ConversationsDocument, { first: 2, after: 'garbage' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('inbox filters', () => {
  it('a number in any form finds its customer; search covers name, number and message text; labels and unread filter', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual' });
    await d.customerSays('my parcel is late', { from: '15551234567', name: 'Sheena Nelson' });
    await d.customerSays('refund please', { from: '447700900123', name: 'Tom Baker' });
    await d.customerSays('hello', { from: '5511987654321', name: 'Ana Souza' });
    await d.settle();

    const byNumber = await d.admin.run(ConversationsDocument, { filter: { customerWaId: '+1 (555) 123-4567' } });
    expect(waIds(byNumber)).toEqual(['15551234567']);
    const noDigits = await d.admin.try(ConversationsDocument, { filter: { customerWaId: 'abc' } });
    expect(noDigits.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.customerWaId' });

    const search = async (text: string) => waIds(await d.admin.run(ConversationsDocument, { filter: { search: text } })).sort();
    expect(await search('sheena')).toEqual(['15551234567']);
    expect(await search('PARCEL')).toEqual(['15551234567']);
    expect(await search('+44 7700')).toEqual(['447700900123']);
    expect(await search('refund')).toEqual(['447700900123']);
    expect(await search('a.*')).toEqual([]); // text, not a pattern
    expect(await search('nobody')).toEqual([]);

    const tom = await conversationOf(d, '447700900123');
    await d.admin.run(AddLabelsDocument, { conversationId: tom._id, labels: [' billing ', 'vip'] });
    const ana = await conversationOf(d, '5511987654321');
    await d.admin.run(AddLabelsDocument, { conversationId: ana._id, labels: ['billing'] });
    expect(waIds(await d.admin.run(ConversationsDocument, { filter: { labels: ['billing'] } })).sort()).toEqual(['447700900123', '5511987654321']);
    expect(waIds(await d.admin.run(ConversationsDocument, { filter: { labels: ['billing', 'vip'] } }))).toEqual(['447700900123']);
    const labels = await d.admin.run(LabelsDocument, {});
    expect(labels.labels).toEqual([
      { label: 'billing', count: 2 },
      { label: 'vip', count: 1 },
    ]);
    const removed = await d.admin.run(RemoveLabelsDocument, { conversationId: tom._id, labels: ['vip'] });
    expect(removed.removeLabels.labels).toEqual(['billing']);
    const tooLong = await d.admin.try(AddLabelsDocument, { conversationId: tom._id, labels: ['x'.repeat(51)] });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labels' });

    await d.admin.run(MarkConversationReadDocument, { conversationId: tom._id });
    const unread = await d.admin.run(ConversationsDocument, { filter: { unread: true } });
    expect(waIds(unread).sort()).toEqual(['15551234567', '5511987654321']);
    expect(unread.conversations.totalCount).toBe(2);
    expect(waIds(await d.admin.run(ConversationsDocument, { filter: { unread: false } }))).toEqual(['447700900123']);
  });
});

describe('unread', () => {
  it('counts customer messages; markConversationRead (assignee or admin) zeroes it and sends the read receipt for the latest one', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const ana = await d.agent('Ana');
    const bob = await d.agent('Bob', { capacity: 0 });
    await d.customerSays('one', { from: '15552000001' });
    await d.customerSays('two', { from: '15552000001' });
    const [latest] = await d.customerSays('three', { from: '15552000001' });
    await d.settle();
    const c = await conversationOf(d, '15552000001');
    const before = await ana.client.run(ConversationDocument, { id: c._id });
    expect(before.conversation?.unreadCount).toBe(3);
    expect(d.emulator.reads).toEqual([]);

    // Not Bob's to see: answered as a missing conversation.
    const denied = await bob.client.try(MarkConversationReadDocument, { conversationId: c._id });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');

    const read = await ana.client.run(MarkConversationReadDocument, { conversationId: c._id });
    expect(read.markConversationRead.unreadCount).toBe(0);
    await eventually('the read receipt', () => d.emulator.reads.some((r) => r.messageId === latest));
    await d.customerSays('four', { from: '15552000001' });
    expect((await ana.client.run(ConversationDocument, { id: c._id })).conversation?.unreadCount).toBe(1);
    // A reply means the agent read it.
    await ana.client.run(SendReplyDocument, { conversationId: c._id, text: 'on it' });
    expect((await ana.client.run(ConversationDocument, { id: c._id })).conversation?.unreadCount).toBe(0);
  });
});

describe('transfer and release', () => {
  it('the assignee transfers with a note; the target must be active and below capacity; the previous agent keeps read access only', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const ana = await d.agent('Ana');
    await d.customerSays('help me', { from: '15553000001' });
    await d.settle();
    const c = await conversationOf(d, '15553000001');
    expect(c.assigneeId).toBe(ana.id);
    const bob = await d.agent('Bob', { capacity: 1 });
    const full = await d.agent('Full', { capacity: 0 });

    const refused = await ana.client.try(TransferConversationDocument, { conversationId: c._id, agentId: full.id });
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(refused.errors?.[0]?.message).toMatch(/Full is at capacity/);

    const moved = await ana.client.run(TransferConversationDocument, { conversationId: c._id, agentId: bob.id, note: 'over to you' });
    expect(moved.transferConversation.assignee?.id).toBe(bob.id);
    expect((await d.app.repos.agents.byId(ana.id))?.activeConversations).toBe(0);
    expect((await d.app.repos.agents.byId(bob.id))?.activeConversations).toBe(1);

    // Ana still reads it (the history she worked on), but may no longer act on it.
    const anaView = await ana.client.run(ConversationDocument, { id: c._id });
    expect(anaView.conversation?.assignee?.id).toBe(bob.id);
    const anaList = await ana.client.run(ConversationsDocument, {});
    expect(anaList.conversations.edges.map((e) => e.node.id)).toContain(c._id);
    const reply = await ana.client.try(SendReplyDocument, { conversationId: c._id, text: 'still me' });
    expect(reply.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const again = await ana.client.try(TransferConversationDocument, { conversationId: c._id, agentId: ana.id });
    expect(again.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    // Bob is at capacity now: a transfer to him says so.
    await d.customerSays('another', { from: '15553000002' });
    await d.settle();
    const other = await conversationOf(d, '15553000002');
    const toFullBob = await d.admin.try(TransferConversationDocument, { conversationId: other._id, agentId: bob.id });
    expect(toFullBob.errors?.[0]?.message).toMatch(/Bob is at capacity \(1 of 1\)/);
    const unknown = await d.admin.try(TransferConversationDocument, { conversationId: other._id, agentId: 'nobody' });
    expect(unknown.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');

    const timeline = await bob.client.run(ConversationEventsDocument, { id: c._id });
    const lines = timeline.conversation!.events.edges.map((e) => e.node);
    expect(lines.map((l) => l.kind)).toEqual(['OPENED', 'ASSIGNED', 'TRANSFERRED']);
    expect(lines[0]).toMatchObject({ actorType: 'CUSTOMER', actor: null });
    expect(lines[1]).toMatchObject({ actorType: 'SYSTEM', agent: { id: ana.id } });
    expect(lines[2]).toMatchObject({ actorType: 'AGENT', actor: { id: ana.id }, fromAgent: { id: ana.id }, agent: { id: bob.id }, note: 'over to you' });
  });

  it('release puts it back in the queue and the policy gives it to someone else, never straight back', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const ana = await d.agent('Ana');
    await d.customerSays('hello', { from: '15553100001' });
    await d.settle();
    const c = await conversationOf(d, '15553100001');
    expect(c.assigneeId).toBe(ana.id);

    // Nobody else online: it waits in the queue rather than going back to Ana.
    const released = await ana.client.run(ReleaseConversationDocument, { conversationId: c._id });
    expect(released.releaseConversation.status).toBe('QUEUED');
    expect((await d.app.repos.agents.byId(ana.id))?.activeConversations).toBe(0);
    const queue = await ana.client.run(QueueDocument, {});
    expect(queue.queue).toMatchObject({ length: 1, agentsOnline: 1 });
    expect(queue.queue.oldestQueuedAt).not.toBeNull();

    const bob = await d.agent('Bob');
    await eventually('the queue to drain to Bob', async () => (await d.admin.run(ConversationDocument, { id: c._id })).conversation?.assignee?.id === bob.id);
    const events = await d.admin.run(ConversationEventsDocument, { id: c._id });
    expect(events.conversation!.events.edges.map((e) => e.node.kind)).toEqual(['OPENED', 'ASSIGNED', 'RELEASED', 'ASSIGNED']);
    expect(events.conversation!.events.edges[2]!.node).toMatchObject({ actorType: 'AGENT', actor: { id: ana.id }, fromAgent: { id: ana.id } });

    // Paging the timeline.
    const firstTwo = await d.admin.run(ConversationEventsDocument, { id: c._id, first: 2 });
    expect(firstTwo.conversation!.events.pageInfo.hasNextPage).toBe(true);
    const rest = await d.admin.run(ConversationEventsDocument, { id: c._id, first: 5, after: firstTwo.conversation!.events.pageInfo.endCursor });
    expect(rest.conversation!.events.edges.map((e) => e.node.kind)).toEqual(['RELEASED', 'ASSIGNED']);

    const notHers = await ana.client.try(ReleaseConversationDocument, { conversationId: c._id });
    expect(notHers.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

/** Collects events for `ms`, keyed by conversation id. */
async function drain<T extends { conversationUpdated: InboxRowFragment }>(probe: SubscriptionProbe<T>, ms: number): Promise<InboxRowFragment[]> {
  const seen: InboxRowFragment[] = [];
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) return seen;
    try {
      const next = await probe.next(left);
      if (next.data) seen.push(next.data.conversationUpdated);
    } catch {
      return seen;
    }
  }
}

async function nextFor(probe: SubscriptionProbe<{ conversationUpdated: InboxRowFragment }>, id: string, matches: (row: InboxRowFragment) => boolean): Promise<InboxRowFragment> {
  for (;;) {
    const row = (await probe.next(5_000)).data!.conversationUpdated;
    if (row.id === id && matches(row)) return row;
  }
}

describe('live truth', () => {
  it('an admin reassigning C from Ana to Bob tells Ana (once) as well as Bob', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const ana = await d.agent('Ana');
    await d.customerSays('hello', { from: '15554000001' });
    await d.settle();
    const c = await conversationOf(d, '15554000001');
    const bob = await d.agent('Bob');
    const anaFeed = await ana.client.subscribe(InboxUpdatedDocument, { status: ['ASSIGNED'] });
    const bobFeed = await bob.client.subscribe(InboxUpdatedDocument, {});

    await d.admin.run(AssignConversationDocument, { conversationId: c._id, agentId: bob.id });
    const toBob = await nextFor(bobFeed, c._id, (row) => row.assignee?.id === bob.id);
    expect(toBob.status).toBe('ASSIGNED');
    const anaSaw = await drain(anaFeed, 600);
    expect(anaSaw.filter((row) => row.id === c._id).map((row) => row.assignee?.id)).toEqual([bob.id]);
    await Promise.all([anaFeed.close(), bobFeed.close()]);
  });

  it('an offline agent watching the queue sees each conversation arrive and leave it, once each; the new one carries the customer message', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded', GREETING_TEXT: 'Hi! An agent will be with you shortly.' });
    const bob = await d.agent('Bob', { online: false });
    const queueFeed = await bob.client.subscribe(InboxUpdatedDocument, { status: ['QUEUED'] });
    const queueStats = await bob.client.subscribe(QueueUpdatedDocument, {});
    const numbers = ['15554100001', '15554100002', '15554100003', '15554100004', '15554100005'];
    for (const [i, from] of numbers.entries()) await d.customerSays(`waiting ${i + 1}`, { from });
    await d.settle();

    const arrivals = await drain(queueFeed, 800);
    const opened = new Map<string, InboxRowFragment>();
    for (const row of arrivals) if (!opened.has(row.id)) opened.set(row.id, row);
    expect(opened.size).toBe(5);
    for (const row of opened.values()) {
      expect(row.status).toBe('QUEUED');
      expect(row.lastCustomerMessage?.text).toMatch(/^waiting \d$/);
    }
    const queued = await bob.client.run(InboxDocument, { filter: { status: ['QUEUED'] } });
    expect(queued.conversations.totalCount).toBe(5);
    // The queue's preview is the customer's text, not the greeting.
    expect(queued.conversations.edges.every((e) => e.node.lastCustomerMessage?.text?.startsWith('waiting'))).toBe(true);
    let stats = (await queueStats.next(5_000)).data!.queueUpdated;
    expect(stats.length).toBeGreaterThanOrEqual(1);

    // Ana comes online with room for all five: each leaves the queue, and Bob hears it once per conversation.
    const ana = await d.agent('Ana', { capacity: 5 });
    const departures = (await drain(queueFeed, 1_000)).filter((row) => row.status === 'ASSIGNED');
    expect(departures.map((row) => row.id).sort()).toEqual([...opened.keys()].sort());
    expect(departures.every((row) => row.assignee?.id === ana.id)).toBe(true);
    for (;;) {
      stats = (await queueStats.next(5_000)).data!.queueUpdated;
      if (stats.length === 0) break;
    }
    expect(stats.agentsOnline).toBe(1);
    await Promise.all([queueFeed.close(), queueStats.close()]);
  });
});

describe('names and shapes', () => {
  it('connections are ConversationConnection/ConversationEdge and MessageConnection/MessageEdge', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'manual' });
    await d.customerSays('hi', { from: '15555000001' });
    await d.settle();
    const answer = await d.admin.run(
      `{ conversations(first: 1) { __typename edges { __typename node { messages(first: 1) { __typename edges { __typename } } } } } }` as never,
    ) as unknown as { conversations: { __typename: string; edges: Array<{ __typename: string; node: { messages: { __typename: string; edges: Array<{ __typename: string }> } } }> } };
    expect(answer.conversations.__typename).toBe('ConversationConnection');
    expect(answer.conversations.edges[0]!.__typename).toBe('ConversationEdge');
    expect(answer.conversations.edges[0]!.node.messages.__typename).toBe('MessageConnection');
    expect(answer.conversations.edges[0]!.node.messages.edges[0]!.__typename).toBe('MessageEdge');
  });
});
