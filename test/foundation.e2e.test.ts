// Issue 2's "must show", through the public edges: GraphQL over HTTP and graphql-ws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentUpdatedDocument,
  AgentsDocument,
  ConversationsDocument,
  CreateAgentDocument,
  SetAgentStatusDocument,
  ViewerDocument,
} from '../src/generated/graphql.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { hashToken } from '../src/workflow/tokens.js';
import { gql } from './support/gqlClient.js';
import { startDesk, type Desk } from './support/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual' } });
});
afterAll(async () => {
  await desk.close();
});

describe('agents and auth', () => {
  it('createAgent returns a token once, and the agent can use it as viewer', async () => {
    const created = await desk.admin.run(CreateAgentDocument, { input: { name: 'Ana Lima', email: 'Ana@Example.test', capacity: 3 } });
    expect(created.createAgent.agent).toMatchObject({ name: 'Ana Lima', email: 'ana@example.test', role: 'AGENT', status: 'OFFLINE', capacity: 3, activeConversations: 0 });
    expect(created.createAgent.token).toMatch(/^wsd_/);

    const viewer = await desk.as(created.createAgent.token).run(ViewerDocument);
    expect(viewer.viewer.id).toBe(created.createAgent.agent.id);

    // Only the hash is stored: the token itself appears nowhere in the agent record.
    const stored = await desk.app.store.collection(COLLECTIONS.agents).findOne({ _id: created.createAgent.agent.id });
    expect(JSON.stringify(stored)).not.toContain(created.createAgent.token);
    expect((stored as unknown as { tokenHash: string }).tokenHash).toBe(hashToken(created.createAgent.token));
  });

  it('defaults role AGENT and capacity 5, and lists agents', async () => {
    const created = await desk.admin.run(CreateAgentDocument, { input: { name: 'Bo Chen', email: 'bo@example.test' } });
    expect(created.createAgent.agent).toMatchObject({ role: 'AGENT', capacity: 5 });
    // Agents see colleagues' names and status, not their emails; admins see the emails.
    const list = await desk.as(created.createAgent.token).run(AgentsDocument);
    expect(list.agents.map((a) => a.name)).toEqual(expect.arrayContaining(['Ana Lima', 'Bo Chen']));
    expect(list.agents.every((a) => a.email === null)).toBe(true);
    const asAdmin = await desk.admin.run(AgentsDocument);
    expect(asAdmin.agents.map((a) => a.email)).toEqual(expect.arrayContaining(['ana@example.test', 'bo@example.test']));
  });

  it('no token → UNAUTHENTICATED; unknown token → UNAUTHENTICATED', async () => {
    const anonymous = await gql(`${desk.url}/graphql`, ViewerDocument);
    expect(anonymous.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const forged = await desk.as('wsd_not-a-real-token').try(ViewerDocument);
    expect(forged.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('an agent calling createAgent → FORBIDDEN, and nothing is created', async () => {
    const agent = await desk.agent('Cy Agent', { online: false });
    const result = await agent.client.try(CreateAgentDocument, { input: { name: 'Sneaky', email: 'sneaky@example.test' } });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const all = await desk.admin.run(AgentsDocument);
    expect(all.agents.some((a) => a.email === 'sneaky@example.test')).toBe(false);
  });

  it('malformed input → BAD_USER_INPUT, and the server keeps serving', async () => {
    const badEmail = await desk.admin.try(CreateAgentDocument, { input: { name: 'X', email: 'not-an-email' } });
    expect(badEmail.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const badCapacity = await desk.admin.try(CreateAgentDocument, { input: { name: 'X', email: 'x@example.test', capacity: -1 } });
    expect(badCapacity.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    // A variable of the wrong type never reaches a resolver.
    const wrongType = await desk.admin.try(SetAgentStatusDocument, { status: 'SLEEPING' as never });
    expect(wrongType.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect((await desk.admin.run(ViewerDocument)).viewer.role).toBe('ADMIN');
  });

  it('a second agent with the same email → CONFLICT', async () => {
    const result = await desk.admin.try(CreateAgentDocument, { input: { name: 'Ana Again', email: 'ana@example.test' } });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
  });
});

describe('live updates', () => {
  it('a graphql-ws client with an agent token receives agentUpdated after setAgentStatus', async () => {
    const watcher = await desk.agent('Watcher', { online: false });
    const mover = await desk.agent('Mover', { online: false });
    const subscription = await watcher.client.subscribe(AgentUpdatedDocument);
    try {
      const changed = await mover.client.run(SetAgentStatusDocument, { status: 'ONLINE' });
      expect(changed.setAgentStatus.status).toBe('ONLINE');
      const update = await subscription.next(5_000);
      expect(update.data?.agentUpdated).toMatchObject({ id: mover.id, status: 'ONLINE' });
    } finally {
      await subscription.close();
    }
  });

  it('refuses a graphql-ws connection with a bad token', async () => {
    const subscription = desk.as('wsd_nope').subscribe(AgentUpdatedDocument);
    await expect(subscription.then((s) => s.next(2_000))).rejects.toThrow();
  });
});

describe('conversations connection', () => {
  it('pages newest first with cursors and filters by status', async () => {
    for (const [i, from] of ['15550000001', '15550000002', '15550000003'].entries()) {
      await desk.customerSays(`hello ${i}`, { from, name: `Customer ${i}` });
    }
    await desk.settle();
    const first = await desk.admin.run(ConversationsDocument, { first: 2, filter: { status: ['QUEUED'] } });
    expect(first.conversations.edges).toHaveLength(2);
    expect(first.conversations.pageInfo.hasNextPage).toBe(true);
    const rest = await desk.admin.run(ConversationsDocument, { first: 2, after: first.conversations.pageInfo.endCursor, filter: { status: ['QUEUED'] } });
    const waIds = [...first.conversations.edges, ...rest.conversations.edges].map((e) => e.node.customer.waId);
    expect(waIds).toEqual(['15550000003', '15550000002', '15550000001']);
    const resolved = await desk.admin.run(ConversationsDocument, { filter: { status: ['RESOLVED'] } });
    expect(resolved.conversations.edges).toHaveLength(0);
  });
});
