// Issue 12, finding 9 ("errors a client cannot act on") and the notes half of
// finding 10: every refusal a client can act on carries extensions.code, input
// errors name their `field` (paging arguments included), and repeating resolve
// or reopen is harmless.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddNoteDocument,
  ConversationEventsDocument,
  ConversationScreenDocument,
  InboxDocument,
  MetricsDocument,
  ReopenConversationDocument,
  ResolveConversationDocument,
  RetryIntegrationDocument,
} from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { gql } from './support/gqlClient.js';
import { ADMIN_TOKEN, eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
let conversationId: string;
beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' } });
  await desk.customerSays('my order is late', { from: '15550009001' });
  await desk.settle();
  const conversation = await eventually('the conversation', () =>
    desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15550009001' }),
  );
  conversationId = conversation._id;
});
afterAll(async () => {
  await desk.close();
});

type Answer = { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> | undefined };
const firstError = (answer: Answer) => answer.errors?.[0];

describe('paging arguments', () => {
  it('a negative or oversized page and a cursor the list never gave are BAD_USER_INPUT naming the argument', async () => {
    const cases: Array<[string, Promise<Answer>, string, RegExp]> = [
      ['messages last: -1', desk.admin.try(ConversationScreenDocument, { id: conversationId, messages: -1 }), 'last', /last must be 0 or more/],
      ['messages last: 201', desk.admin.try(ConversationScreenDocument, { id: conversationId, messages: 201 }), 'last', /at most 200/],
      ['messages before: garbage', desk.admin.try(ConversationScreenDocument, { id: conversationId, before: 'garbage' }), 'before', /not a cursor/],
      ['events first: -1', desk.admin.try(ConversationEventsDocument, { id: conversationId, first: -1 }), 'first', /first must be 0 or more/],
      ['events after: garbage', desk.admin.try(ConversationEventsDocument, { id: conversationId, after: 'garbage' }), 'after', /not a cursor/],
      ['conversations first: 101', desk.admin.try(InboxDocument, { first: 101, messages: 1 }), 'first', /at most 100/],
      ['conversations first: -1', desk.admin.try(InboxDocument, { first: -1 }), 'first', /first must be 0 or more/],
      ['conversations after: garbage', desk.admin.try(InboxDocument, { after: 'garbage' }), 'after', /not a cursor/],
    ];
    for (const [what, answer, field, message] of cases) {
      const error = firstError(await answer);
      expect(error?.extensions, what).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error?.message, what).toMatch(message);
    }
    // messages(after: "garbage") used to answer an empty page.
    const raw = await gql(desk.url, 'query ($id: ID!) { conversation(id: $id) { messages(after: "garbage") { edges { cursor } } } }', { id: conversationId }, ADMIN_TOKEN);
    expect(raw.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    // A cursor the list gave still works.
    const page = await desk.admin.run(ConversationScreenDocument, { id: conversationId, messages: 1 });
    const cursor = page.conversation!.messages.pageInfo.startCursor!;
    const earlier = await desk.admin.run(ConversationScreenDocument, { id: conversationId, messages: 5, before: cursor });
    expect(earlier.conversation!.messages.edges.every((e) => e.cursor < cursor)).toBe(true);
  });

  it('the schema states each list\'s default and maximum page size and its order', async () => {
    const answer = await gql<{ __type: { fields: Array<{ name: string; description: string | null }> } }>(
      desk.url,
      '{ __type(name: "Conversation") { fields { name description } } }',
      {},
      ADMIN_TOKEN,
    );
    const describe = (name: string) => answer.data!.__type.fields.find((f) => f.name === name)?.description ?? '';
    expect(describe('messages')).toMatch(/Oldest first.*50 per page.*at most 200/);
    expect(describe('events')).toMatch(/Oldest first.*50 per page.*at most 200/);
    const query = await gql<{ __type: { fields: Array<{ name: string; description: string | null }> } }>(desk.url, '{ __type(name: "Query") { fields { name description } } }', {}, ADMIN_TOKEN);
    expect(query.data!.__type.fields.find((f) => f.name === 'conversations')?.description).toMatch(/newest activity first.*25 per page.*at most 100/);
  });
});

describe('every refusal carries a code a client can act on', () => {
  it('bad ids, bad input and wrong states: never "Unexpected error.", and input errors name their field', async () => {
    const id = conversationId;
    const cases: Array<[string, string, Record<string, unknown>, string, string?]> = [
      ['assign to an unknown agent', 'mutation ($id: ID!) { assignConversation(conversationId: $id, agentId: "nope") { id } }', { id }, 'NOT_FOUND'],
      ['transfer to an unknown agent', 'mutation ($id: ID!) { transferConversation(conversationId: $id, agentId: "nope") { id } }', { id }, 'NOT_FOUND'],
      ['update an unknown agent', 'mutation { updateAgent(id: "nope", input: { name: "x" }) { id } }', {}, 'NOT_FOUND'],
      ['status of an unknown agent', 'mutation { setAgentStatus(status: ONLINE, agentId: "nope") { id } }', {}, 'NOT_FOUND'],
      ['reply to an unknown conversation', 'mutation { sendReply(conversationId: "nope", text: "x") { id } }', {}, 'NOT_FOUND'],
      ['21 labels', `mutation ($id: ID!) { addLabels(conversationId: $id, labels: ${JSON.stringify(Array.from({ length: 21 }, (_, i) => `l${i}`))}) { id } }`, { id }, 'BAD_USER_INPUT', 'labels'],
      ['a blank label', 'mutation ($id: ID!) { addLabels(conversationId: $id, labels: [" "]) { id } }', { id }, 'BAD_USER_INPUT', 'labels'],
      ['metrics ending before they start', '{ metrics(from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z") { conversationsOpened } }', {}, 'BAD_USER_INPUT', 'to'],
      ['a search of 300 characters', `{ conversations(filter: { search: "${'x'.repeat(300)}" }) { totalCount } }`, {}, 'BAD_USER_INPUT', 'filter.search'],
      ['a number without digits', '{ conversations(filter: { customerWaId: "abc" }) { totalCount } }', {}, 'BAD_USER_INPUT', 'filter.customerWaId'],
      ['a template name with spaces', 'mutation ($id: ID!) { sendTemplate(conversationId: $id, name: "Bad Name", language: "en") { id } }', { id }, 'BAD_USER_INPUT', 'name'],
      ['a blank note', 'mutation ($id: ID!) { addNote(conversationId: $id, text: "  ") { id } }', { id }, 'BAD_USER_INPUT', 'text'],
      ['an unknown canned response', 'mutation { deleteCannedResponse(id: "nope") }', {}, 'NOT_FOUND'],
      ['a timeline page of 500', 'query ($id: ID!) { conversation(id: $id) { events(last: 500) { edges { cursor } } } }', { id }, 'BAD_USER_INPUT', 'last'],
      ['a variable that is not a date', 'query ($from: DateTime!) { metrics(from: $from, to: "2026-01-02T00:00:00Z") { conversationsOpened } }', { from: 'garbage' }, 'BAD_USER_INPUT', 'from'],
      ['a capacity that is not a number, inside an input variable', 'mutation ($input: UpdateAgentInput!) { updateAgent(id: "nope", input: $input) { id } }', { input: { capacity: 'ten' } }, 'BAD_USER_INPUT', 'input.capacity'],
      ['a required argument left out', '{ metrics(from: "2026-01-01T00:00:00Z") { conversationsOpened } }', {}, 'BAD_USER_INPUT', 'to'],
      ['a required variable left out', 'mutation ($id: ID!) { resolveConversation(conversationId: $id) { id } }', {}, 'BAD_USER_INPUT', 'id'],
    ];
    for (const [what, query, variables, code, field] of cases) {
      const answer = await gql(desk.url, query, variables, ADMIN_TOKEN);
      expect(answer.errors?.[0]?.extensions, what).toMatchObject(field ? { code, field } : { code });
    }
  });
});

describe('NOT_FOUND for names and ids that do not exist', () => {
  it('retryIntegration of a plugin that is not loaded', async () => {
    const answer = await desk.admin.try(RetryIntegrationDocument, { name: 'zendesk' });
    expect(firstError(answer)?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(firstError(answer)?.message).toBe('integration zendesk not found');
  });

  it('metrics for an agent that does not exist (not zeros)', async () => {
    const answer = await desk.admin.try(MetricsDocument, { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', agentId: 'nope' });
    expect(firstError(answer)?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(answer.data?.metrics ?? null).toBeNull();
  });
});

describe('resolve and reopen are idempotent', () => {
  it('a second resolve or reopen answers the current state, with no error and no second event', async () => {
    const first = await desk.admin.run(ResolveConversationDocument, { conversationId, sendSurvey: false });
    const second = await desk.admin.run(ResolveConversationDocument, { conversationId, sendSurvey: false });
    expect(first.resolveConversation.status).toBe('RESOLVED');
    expect(second.resolveConversation).toMatchObject({ status: 'RESOLVED', resolvedAt: first.resolveConversation.resolvedAt });

    const reopened = await desk.admin.run(ReopenConversationDocument, { conversationId });
    const again = await desk.admin.try(ReopenConversationDocument, { conversationId });
    expect(again.errors).toBeUndefined();
    expect(again.data?.reopenConversation).toMatchObject({ status: reopened.reopenConversation.status, cycle: 2 });

    const timeline = await desk.admin.run(ConversationEventsDocument, { id: conversationId, first: 50 });
    const kinds = timeline.conversation!.events.edges.map((e) => e.node.kind);
    expect(kinds.filter((k) => k === 'RESOLVED')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'REOPENED')).toHaveLength(1);
  });
});

describe('notes', () => {
  it('are NOTE, INTERNAL and without a delivery status', async () => {
    const note = (await desk.admin.run(AddNoteDocument, { conversationId, text: 'customer is a VIP' })).addNote;
    expect(note).toMatchObject({ type: 'NOTE', direction: 'INTERNAL', status: null });
    const screen = await desk.admin.run(ConversationScreenDocument, { id: conversationId });
    expect(screen.conversation!.messages.edges.find((e) => e.node.id === note.id)?.node).toMatchObject({ direction: 'INTERNAL', status: null });
  });

  it("have the desk's own length limit, not WhatsApp's", async () => {
    // Longer than WhatsApp's 4,096: a note never goes there.
    const long = await desk.admin.try(AddNoteDocument, { conversationId, text: 'n'.repeat(6_000) });
    expect(long.errors).toBeUndefined();
    const tooLong = await desk.admin.try(AddNoteDocument, { conversationId, text: 'n'.repeat(20_000) });
    expect(firstError(tooLong)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(firstError(tooLong)?.message).toBe('a note holds at most 10000 characters (notes stay in the desk); this one has 20000');
  });
});
