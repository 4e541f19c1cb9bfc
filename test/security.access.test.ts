// Issue 14 "one answer for not yours and not there", and issue 10's
// authorization in one place: every query and mutation that takes a
// conversation id answers for a conversation the viewer may not see exactly
// as for an id that does not exist. The table below must name every such
// operation in the schema (the first test fails for one it does not know).
import { getNullableType, isObjectType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationDoc } from '../src/domain/model.js';
import { schema } from '../src/graphql/schema/index.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { AddNoteDocument, AgentsDocument, AssignConversationDocument, MetricsDocument } from '../src/generated/graphql.js';
import { gql, gqlUpload, type UploadFile } from './support/gqlClient.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

/** Each operation taking a conversation id, as an agent would call it. `$id` is the conversation id. */
const OPERATIONS: Record<string, { query: string; variables?: Record<string, unknown>; file?: UploadFile }> = {
  conversation: { query: 'query ($id: ID!) { conversation(id: $id) { id status } }' },
  assignConversation: { query: 'mutation ($id: ID!) { assignConversation(conversationId: $id) { id } }' },
  sendReply: { query: 'mutation ($id: ID!) { sendReply(conversationId: $id, text: "hello") { id } }' },
  sendTemplate: { query: 'mutation ($id: ID!) { sendTemplate(conversationId: $id, name: "order_update", language: "en_US") { id } }' },
  addNote: { query: 'mutation ($id: ID!) { addNote(conversationId: $id, text: "note") { id } }' },
  resolveConversation: { query: 'mutation ($id: ID!) { resolveConversation(conversationId: $id) { id } }' },
  reopenConversation: { query: 'mutation ($id: ID!) { reopenConversation(conversationId: $id) { id } }' },
  transferConversation: { query: 'mutation ($id: ID!) { transferConversation(conversationId: $id, agentId: "someone", note: "over to you") { id } }' },
  releaseConversation: { query: 'mutation ($id: ID!) { releaseConversation(conversationId: $id) { id } }' },
  markConversationRead: { query: 'mutation ($id: ID!) { markConversationRead(conversationId: $id) { id } }' },
  addLabels: { query: 'mutation ($id: ID!) { addLabels(conversationId: $id, labels: ["vip"]) { id } }' },
  removeLabels: { query: 'mutation ($id: ID!) { removeLabels(conversationId: $id, labels: ["vip"]) { id } }' },
  sendMedia: {
    query: 'mutation ($id: ID!, $file: File!) { sendMedia(conversationId: $id, file: $file) { id } }',
    file: { bytes: new TextEncoder().encode('%PDF-1.4 a tiny invoice'), type: 'application/pdf', name: 'invoice.pdf' },
  },
};

/** Root fields of Query and Mutation that take a conversation's id. */
function operationsTakingAConversationId(): string[] {
  const names: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {}) as GraphQLField<unknown, unknown>[]) {
      const returnsConversation = (() => {
        const type = getNullableType(field.type);
        return isObjectType(type) && type.name === 'Conversation';
      })();
      if (field.args.some((a) => a.name === 'conversationId') || (returnsConversation && field.args.some((a) => a.name === 'id'))) names.push(field.name);
    }
  }
  return names.sort();
}

let desk: Desk;
let owner: Awaited<ReturnType<Desk['agent']>>;
let outsider: Awaited<ReturnType<Desk['agent']>>;
let hiddenId: string;
let queuedId: string;

beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' } });
  owner = await desk.agent('Owner Agent');
  outsider = await desk.agent('Outsider Agent');
  const conversations = desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);
  await desk.customerSays('mine, not yours', { from: '15550880001' });
  await desk.customerSays('waiting in the queue', { from: '15550880002' });
  hiddenId = (await eventually('conversation', () => conversations.findOne({ waId: '15550880001' })))._id;
  queuedId = (await eventually('conversation', () => conversations.findOne({ waId: '15550880002' })))._id;
  await owner.client.run(AssignConversationDocument, { conversationId: hiddenId });
});
afterAll(async () => desk?.close());

describe('one answer for "not yours" and "not there"', () => {
  it('the table covers every query and mutation that takes a conversation id', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(operationsTakingAConversationId());
  });

  it.each(Object.entries(OPERATIONS))('%s answers a colleague\'s conversation exactly as a missing one', async (_name, operation) => {
    const missingId = 'c_does_not_exist_000000';
    const call = (id: string) =>
      operation.file
        ? gqlUpload(`${desk.url}/graphql`, operation.query, { ...operation.variables, id }, { file: operation.file }, outsider.token)
        : gql(`${desk.url}/graphql`, operation.query, { ...operation.variables, id }, outsider.token);
    const [hidden, missing] = [await call(hiddenId), await call(missingId)];
    // The same status, data and errors, with the id given being the only difference.
    const normalise = (answer: Awaited<ReturnType<typeof call>>, id: string) => JSON.parse(JSON.stringify({ status: answer.status, data: answer.data, errors: answer.errors }).replaceAll(id, '<id>'));
    expect(normalise(hidden, hiddenId)).toEqual(normalise(missing, missingId));
    // And the owner's conversation is untouched by the attempt.
    const stored = await desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ _id: hiddenId });
    expect(stored).toMatchObject({ status: 'ASSIGNED', assigneeId: owner.id });
  });

  it('a QUEUED conversation is visible to every agent, but only the one who claims it (or an admin) writes notes on it', async () => {
    const note = await outsider.client.try(AddNoteDocument, { conversationId: queuedId, text: 'drive-by note' });
    expect(note.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(await desk.app.store.collection(COLLECTIONS.messages).countDocuments({ text: 'drive-by note' })).toBe(0);
    const byAdmin = await desk.admin.run(AddNoteDocument, { conversationId: queuedId, text: 'admin note on the queue' });
    expect(byAdmin.addNote.type).toBe('NOTE');
  });
});

describe('metrics rules live in the workflow', () => {
  const days = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();
  it('agents may ask for at most 93 days; admins up to 366', async () => {
    const agent = await outsider.client.try(MetricsDocument, { from: days(0), to: days(94) });
    expect(agent.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(agent.errors?.[0]?.message).toBe('ranges over 93 days need the ADMIN role');
    expect((await outsider.client.try(MetricsDocument, { from: days(0), to: days(93) })).errors).toBeUndefined();
    expect((await desk.admin.try(MetricsDocument, { from: days(0), to: days(366) })).errors).toBeUndefined();
    expect((await desk.admin.try(MetricsDocument, { from: days(0), to: days(367) })).errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('has its own, smaller budget per viewer: past it RATE_LIMITED, while other queries still run', async () => {
    const budgeted = await startDesk({ env: { METRICS_QUERIES_PER_MINUTE: '2' } });
    try {
      const ask = () => budgeted.admin.try(MetricsDocument, { from: days(0), to: days(7) });
      expect((await ask()).errors).toBeUndefined();
      expect((await ask()).errors).toBeUndefined();
      const third = await ask();
      expect(third.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(third.errors?.[0]?.extensions?.['retryAfter'])).toBeGreaterThan(0);
      expect((await budgeted.admin.try(AgentsDocument)).errors).toBeUndefined();
    } finally {
      await budgeted.close();
    }
  });
});
