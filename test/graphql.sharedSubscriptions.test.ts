// Live subscriptions are executed once per group of subscribers and the result
// is written to all of them, so nothing in a shared execution may depend on
// who one subscriber is. The shared execution has no viewer at all
// (src/graphql/live.ts): these tests execute every field a subscription can
// return under it, and show two agents of one role each receiving their own
// answer to a field that does depend on the viewer.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { execute, getNamedType, isLeafType, isObjectType, isNonNullType, parse, type GraphQLField, type GraphQLOutputType } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationDoc } from '../src/domain/model.js';
import type { DomainEvent } from '../src/events/types.js';
import { ResolveConversationDocument, SendReplyDocument, SetAgentStatusDocument } from '../src/generated/graphql.js';
import { LiveEvents, ViewerInSharedExecutionError } from '../src/graphql/live.js';
import { schema } from '../src/graphql/schema/index.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

const desks: Desk[] = [];
afterEach(async () => {
  await Promise.all(desks.splice(0).map((d) => d.close()));
});

async function desk(env: Record<string, string> = {}): Promise<Desk> {
  const d = await startDesk({ env: { ASSIGNMENT_POLICY: 'least_loaded', ...env } });
  desks.push(d);
  return d;
}

const perViewer = (field: GraphQLField<unknown, unknown>) => field.extensions?.['perViewer'] === true;
const takesRequiredArgs = (field: GraphQLField<unknown, unknown>) => field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);

/** Every field below `type` a client could select without arguments, to `depth` levels, leaving out PER_VIEWER ones. */
function everything(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) || depth === 0) return '{ __typename }';
  const fields = Object.values(named.getFields())
    .filter((field) => !perViewer(field) && !takesRequiredArgs(field))
    .map((field) => {
      const inner = getNamedType(field.type);
      if (isLeafType(inner)) return field.name;
      return `${field.name} ${everything(field.type, depth - 1)}`;
    });
  return `{ __typename ${fields.join(' ')} }`;
}

async function conversationOf(d: Desk, waId: string): Promise<ConversationDoc> {
  return eventually(`a conversation for ${waId}`, () => d.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId, status: { $ne: 'RESOLVED' } }));
}

describe('shared subscription executions', () => {
  it('run every field a subscription can return without a viewer, for agents and admins alike', async () => {
    const d = await desk();
    const events: DomainEvent[] = [];
    const feed = d.app.bus.subscribe()[Symbol.asyncIterator]();
    const collecting = (async () => {
      for (;;) {
        const next = await feed.next();
        if (next.done) return;
        events.push(next.value);
      }
    })();

    const ana = await d.agent('Ana');
    await d.customerSays('hello', { from: '15557000001' });
    await d.settle();
    const c = await conversationOf(d, '15557000001');
    await ana.client.run(SendReplyDocument, { conversationId: c._id, text: 'Hi, Ana here' });
    await ana.client.run(ResolveConversationDocument, { conversationId: c._id, sendSurvey: false });
    await d.settle();
    await feed.return?.();
    await collecting;

    const roots = Object.values(schema.getSubscriptionType()!.getFields());
    const viewer = await d.app.repos.agents.byId(ana.id);
    let executions = 0;
    for (const root of roots) {
      const document = parse(`subscription { ${root.name} ${everything(root.type, 4)} }`);
      // The event types this root's source stream passes (its LiveEvents says).
      const source: unknown = await root.subscribe?.(undefined, {}, { viewer, role: 'AGENT', services: d.app.sharedSubscriptionContext('AGENT').services }, undefined as never);
      if (!(source instanceof LiveEvents)) throw new Error(`${root.name} is not served by the hub`);
      await source.return();
      for (const event of events.filter((e) => source.types.has(e.type))) {
        for (const role of ['AGENT', 'ADMIN'] as const) {
          const result = await execute({ schema, document, rootValue: event, contextValue: d.app.sharedSubscriptionContext(role) });
          expect(result.errors, `${root.name} on ${event.type} for ${role}`).toBeUndefined();
          executions += 1;
        }
      }
    }
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['agent.status', 'conversation.opened', 'message.received', 'message.sent', 'conversation.resolved']));
    expect(executions).toBeGreaterThan(0);
  });

  it('refuses a field that reads the viewer: the execution fails instead of answering for someone', async () => {
    const d = await desk();
    await d.customerSays('hello', { from: '15557000002' });
    await d.settle();
    const c = await conversationOf(d, '15557000002');
    const customer = await d.app.repos.customers.byId(c.customerId);
    const event = { type: 'conversation.opened', conversation: c, customer };
    const document = parse('subscription { conversationUpdated { id customer { conversationCount } } }');
    const result = await execute({ schema, document, rootValue: event, contextValue: d.app.sharedSubscriptionContext('AGENT') });
    expect(result.errors?.[0]?.originalError).toBeInstanceOf(ViewerInSharedExecutionError);
  });

  it('give two agents of one role each their own answer to a field that depends on the viewer', async () => {
    // Every message after a resolution starts a new conversation.
    const d = await desk({ REOPEN_WINDOW: '1ms' });
    const ana = await d.agent('Ana');
    await d.customerSays('first question', { from: '15557000003' });
    await d.settle();
    const first = await conversationOf(d, '15557000003');
    expect(first.assigneeId).toBe(ana.id);
    await ana.client.run(ResolveConversationDocument, { conversationId: first._id, sendSurvey: false });
    await ana.client.run(SetAgentStatusDocument, { status: 'OFFLINE' });
    const bob = await d.agent('Bob', { online: false });
    await d.settle();

    // The same operation, text and variables: before, one execution (the first subscriber's) answered both.
    type Row = { conversationUpdated: { id: string; status: string; customer: { conversationCount: number } } };
    const operation = parse('subscription Rows { conversationUpdated(status: [QUEUED]) { id status customer { conversationCount } } }') as TypedDocumentNode<Row, Record<string, never>>;
    const anaFeed = await ana.client.subscribe(operation, {});
    const bobFeed = await bob.client.subscribe(operation, {});

    await d.customerSays('second question', { from: '15557000003', timestamp: Date.now() + 1_000 });
    const second = await conversationOf(d, '15557000003');
    expect(second._id).not.toBe(first._id);
    const anaRow = (await anaFeed.next(5_000)).data!.conversationUpdated;
    const bobRow = (await bobFeed.next(5_000)).data!.conversationUpdated;
    expect([anaRow.id, bobRow.id]).toEqual([second._id, second._id]);
    // Ana handled the first conversation and sees both; Bob sees only the queued one.
    expect(anaRow.customer.conversationCount).toBe(2);
    expect(bobRow.customer.conversationCount).toBe(1);
    await Promise.all([anaFeed.close(), bobFeed.close()]);
  });
});
