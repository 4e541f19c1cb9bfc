// Issue 12, finding 8: the screens a helpdesk frontend needs run at the default
// limits, over HTTP, with data behind them; a query over the limit is refused
// before it runs, with QUERY_TOO_COMPLEX, its cost and the limit, over HTTP and
// graphql-ws alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationScreenDocument, InboxDocument } from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { gql, subscribe, SubscriptionEnded } from './support/gqlClient.js';
import { ADMIN_TOKEN, eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
let busyId: string;
const BUSY = '15550007000';
beforeAll(async () => {
  // Default GRAPHQL_MAX_COST and page sizes: nothing here raises a limit.
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' } });
  for (let i = 1; i <= 26; i++) await desk.customerSays(`question ${i}`, { from: `1555000${String(7000 + i)}` });
  // One customer with a long history: 210 messages in batches, as Meta batches them.
  for (let batch = 0; batch < 7; batch++) {
    await desk.sendInbound(Array.from({ length: 30 }, (_, i) => ({ type: 'text' as const, text: `line ${batch * 30 + i + 1}`, from: BUSY })));
  }
  await desk.settle();
  const busy = await eventually('the busy conversation', () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: BUSY }));
  busyId = busy._id;
}, 60_000);
afterAll(async () => {
  await desk.close();
});

describe('at the default limits', () => {
  it('the inbox screen: 25 conversations with customer, last message, labels and 30 messages each', async () => {
    const answer = await desk.admin.try(InboxDocument, { first: 25, messages: 30 });
    expect(answer.errors).toBeUndefined();
    const rows = answer.data!.conversations.edges;
    expect(rows).toHaveLength(25);
    expect(answer.data!.conversations.totalCount).toBe(27);
    const busy = rows.find((r) => r.node.customer.waId === BUSY)!.node;
    expect(busy.messages.edges).toHaveLength(30);
    expect(busy.messages.edges.at(-1)?.node.text).toBe(busy.lastMessage?.text);
    expect(rows.every((r) => Array.isArray(r.node.labels) && r.node.customer.id)).toBe(true);
  });

  it("the conversation screen: the latest 200 messages and the timeline", async () => {
    const answer = await desk.admin.try(ConversationScreenDocument, { id: busyId });
    expect(answer.errors).toBeUndefined();
    const messages = answer.data!.conversation!.messages;
    expect(messages.edges).toHaveLength(200);
    expect(messages.pageInfo.hasPreviousPage).toBe(true);
    expect(messages.edges.at(-1)?.node.text).toMatch(/^(line 210|Thanks for reaching out)/);
  });

  it("finding 8's query, as a client wrote it", async () => {
    const query = '{ conversations(first: 25) { edges { node { id customer { name } lastMessage { text } messages(last: 30) { edges { node { id text status agent { id name } } } } } } } }';
    const answer = await gql(desk.url, query, undefined, ADMIN_TOKEN);
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
  });
});

describe('over the limit', () => {
  const greedy = 'query ($n: Int!) { conversations(first: $n) { edges { node { messages(last: 200) { edges { node { id text } } } } } } }';

  it('is refused before running: HTTP 400, QUERY_TOO_COMPLEX with its cost and the limit, whether the page size is a literal or a variable', async () => {
    for (const [query, variables] of [
      [greedy, { n: 100 }],
      [greedy.replace('query ($n: Int!) ', '').replace('$n', '100'), undefined],
    ] as const) {
      const answer = await gql(desk.url, query, variables, ADMIN_TOKEN);
      expect(answer.status).toBe(400);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 1 + 100 * (2 + 1 + 200 * 2), maxCost: 10_000 });
      expect(answer.errors?.[0]?.message).toMatch(/more than the limit of 10000/);
    }
    // The same document with other variables is counted again (not answered from a cache).
    const half = await gql(desk.url, greedy, { n: 50 }, ADMIN_TOKEN);
    expect(half.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: 1 + 50 * (2 + 1 + 200 * 2), maxCost: 10_000 });
    // And with a page that fits, it runs.
    const fits = await gql(desk.url, greedy, { n: 10 }, ADMIN_TOKEN);
    expect(fits.errors, JSON.stringify(fits.errors)).toBeUndefined();
  });

  it('is refused on graphql-ws too', async () => {
    const wsUrl = `${desk.url.replace(/^http/, 'ws')}/graphql`;
    const probe = subscribe(wsUrl, 'subscription { conversationUpdated { customer { conversations(first: 100) { edges { node { messages(last: 200) { edges { node { id } } } } } } } } }', {}, ADMIN_TOKEN);
    const ended = await probe.next(5_000).then(
      () => null,
      (error: unknown) => error,
    );
    await probe.close();
    expect(ended).toBeInstanceOf(SubscriptionEnded);
    expect((ended as SubscriptionEnded).errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: 10_000 });
  });
});
