// Issue 12, finding 4 (lifecycle half) and finding 7's agentUpdated: admins
// manage agents through GraphQL, and revocation takes effect at once on HTTP
// and on open graphql-ws sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentUpdatedDocument,
  AgentsDocument,
  ConversationDocument,
  DeactivateAgentDocument,
  ReactivateAgentDocument,
  ResolveConversationDocument,
  RotateAgentTokenDocument,
  SetAgentStatusDocument,
  SignInDocument,
  UpdateAgentDocument,
  ViewerDocument,
} from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { gql } from './support/gqlClient.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'least_loaded' } });
});
afterAll(async () => {
  await desk.close();
});

const conversations = () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);

/** Waits for the next agentUpdated about `agentId` matching `check`, skipping others. */
async function nextUpdateOf(feed: Awaited<ReturnType<Desk['admin']['subscribe']>>, agentId: string, check: (a: Record<string, unknown>) => boolean) {
  for (;;) {
    const event = await feed.next(5_000);
    const agent = (event.data as { agentUpdated: Record<string, unknown> }).agentUpdated;
    if (agent['id'] === agentId && check(agent)) return agent;
  }
}

describe('updateAgent', () => {
  // Setting a password and signing in cost real scrypt hashes: slow on a loaded machine.
  it('changes name, capacity, role and password; agents may not', { timeout: 90_000 }, async () => {
    const agent = await desk.agent('Up Date', { online: false });
    const updated = await desk.admin.run(UpdateAgentDocument, { id: agent.id, input: { name: 'Updated Name', capacity: 9, role: 'ADMIN', password: 'a password for updates' } });
    expect(updated.updateAgent).toMatchObject({ id: agent.id, name: 'Updated Name', capacity: 9, role: 'ADMIN' });
    const session = await gql(`${desk.url}/graphql`, SignInDocument, { email: 'up.date@example.test', password: 'a password for updates' });
    expect(session.data?.signIn.agent.id).toBe(agent.id);

    const other = await desk.agent('Not Admin', { online: false });
    const denied = await other.client.try(UpdateAgentDocument, { id: other.id, input: { capacity: 100 } });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const bad = await desk.admin.try(UpdateAgentDocument, { id: agent.id, input: { capacity: -3 } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'capacity' });
    const missing = await desk.admin.try(UpdateAgentDocument, { id: 'no-such-agent', input: { name: 'X' } });
    expect(missing.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});

describe('deactivateAgent', () => {
  it('refuses every token and session at once, closes open sockets, requeues conversations, and shows active: false', { timeout: 90_000 }, async () => {
    const leaving = await desk.agent('Leaving Soon', { capacity: 2 });
    await desk.admin.run(UpdateAgentDocument, { id: leaving.id, input: { password: 'leaving password 123' } });
    const session = (await gql(`${desk.url}/graphql`, SignInDocument, { email: 'leaving.soon@example.test', password: 'leaving password 123' })).data!.signIn.token;

    await desk.customerSays('please help', { from: '15553000001' });
    await desk.settle();
    const held = await eventually('the conversation assigned to the leaving agent', () => conversations().findOne({ waId: '15553000001', assigneeId: leaving.id }));

    const apiSocket = await leaving.client.subscribe(AgentUpdatedDocument);
    const sessionSocket = await desk.as(session).subscribe(AgentUpdatedDocument);
    const adminFeed = await desk.admin.subscribe(AgentUpdatedDocument);

    const result = await desk.admin.run(DeactivateAgentDocument, { id: leaving.id });
    expect(result.deactivateAgent).toMatchObject({ id: leaving.id, active: false, status: 'OFFLINE', activeConversations: 0 });

    for (const token of [leaving.token, session]) {
      const refused = await desk.as(token).try(ViewerDocument);
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    expect((await apiSocket.closed).code).toBe(4403);
    expect((await sessionSocket.closed).code).toBe(4403);
    // A new socket with the old token is refused too.
    await expect(desk.as(leaving.token).subscribe(AgentUpdatedDocument)).rejects.toThrow(/4403/);
    // Signing in again does not work either.
    const again = await gql(`${desk.url}/graphql`, SignInDocument, { email: 'leaving.soon@example.test', password: 'leaving password 123' });
    expect(again.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');

    const conversation = await desk.admin.run(ConversationDocument, { id: held._id });
    expect(conversation.conversation).toMatchObject({ status: 'QUEUED', assignee: null });
    expect(await nextUpdateOf(adminFeed, leaving.id, (a) => a['active'] === false && a['activeConversations'] === 0)).toMatchObject({ status: 'OFFLINE' });
    await adminFeed.close();

    // Idempotent; and the agent is listed, deactivated.
    expect((await desk.admin.run(DeactivateAgentDocument, { id: leaving.id })).deactivateAgent.active).toBe(false);
    expect((await desk.admin.run(AgentsDocument)).agents.find((a) => a.id === leaving.id)?.active).toBe(false);
    // Nobody assigns to a deactivated agent, and admins cannot put them back ONLINE.
    const online = await desk.admin.try(SetAgentStatusDocument, { status: 'ONLINE', agentId: leaving.id });
    expect(online.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
  });

  it('reactivateAgent brings the agent back without the old credentials; rotateAgentToken gives a new one', async () => {
    const returning = await desk.agent('Coming Back', { online: false });
    await desk.admin.run(DeactivateAgentDocument, { id: returning.id });
    const back = await desk.admin.run(ReactivateAgentDocument, { id: returning.id });
    expect(back.reactivateAgent.active).toBe(true);
    expect((await desk.as(returning.token).try(ViewerDocument)).status).toBe(401);
    const fresh = (await desk.admin.run(RotateAgentTokenDocument, { id: returning.id })).rotateAgentToken;
    expect((await desk.as(fresh).run(ViewerDocument)).viewer).toMatchObject({ id: returning.id, active: true });
  });

  it('is for admins, and not for oneself', async () => {
    const agent = await desk.agent('Plain Agent', { online: false });
    expect((await agent.client.try(DeactivateAgentDocument, { id: agent.id })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const self = await desk.admin.try(DeactivateAgentDocument, { id: (await desk.admin.run(ViewerDocument)).viewer.id });
    expect(self.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect((await desk.admin.try(DeactivateAgentDocument, { id: 'nobody' })).errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});

describe('rotateAgentToken', () => {
  it('agents rotate their own: the old token is refused at once, its socket closes, the new one works', async () => {
    const agent = await desk.agent('Rotator', { online: false });
    const socket = await agent.client.subscribe(AgentUpdatedDocument);
    const fresh = (await agent.client.run(RotateAgentTokenDocument, { id: agent.id })).rotateAgentToken;
    expect(fresh).toMatch(/^wsd_/);
    expect(fresh).not.toBe(agent.token);
    expect((await desk.as(agent.token).try(ViewerDocument)).status).toBe(401);
    expect((await socket.closed).code).toBe(4403);
    expect((await desk.as(fresh).run(ViewerDocument)).viewer.id).toBe(agent.id);
  });

  it("agents cannot rotate someone else's; admins can", async () => {
    const a = await desk.agent('Rot A', { online: false });
    const b = await desk.agent('Rot B', { online: false });
    expect((await a.client.try(RotateAgentTokenDocument, { id: b.id })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await desk.as(b.token).run(ViewerDocument)).viewer.id).toBe(b.id);
    const fresh = (await desk.admin.run(RotateAgentTokenDocument, { id: b.id })).rotateAgentToken;
    expect((await desk.as(b.token).try(ViewerDocument)).status).toBe(401);
    expect((await desk.as(fresh).run(ViewerDocument)).viewer.id).toBe(b.id);
  });
});

describe('setAgentStatus(status, agentId)', () => {
  it("admins set another agent's status; agents only their own", async () => {
    const a = await desk.agent('Stat A', { online: false });
    const b = await desk.agent('Stat B', { online: false });
    const set = await desk.admin.run(SetAgentStatusDocument, { status: 'AWAY', agentId: a.id });
    expect(set.setAgentStatus).toMatchObject({ id: a.id, status: 'AWAY' });
    const denied = await b.client.try(SetAgentStatusDocument, { status: 'OFFLINE', agentId: a.id });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await b.client.run(SetAgentStatusDocument, { status: 'ONLINE', agentId: b.id })).setAgentStatus.status).toBe('ONLINE');
    const missing = await desk.admin.try(SetAgentStatusDocument, { status: 'ONLINE', agentId: 'nobody' });
    expect(missing.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});

describe('agentUpdated', () => {
  it('fires when activeConversations changes: on assignment and on resolution', async () => {
    // Its own desk: one agent online, so the assignment is certain.
    const own = await startDesk({ env: { ASSIGNMENT_POLICY: 'least_loaded' } });
    try {
      const agent = await own.agent('Load Watcher', { online: false, capacity: 3 });
      const feed = await own.admin.subscribe(AgentUpdatedDocument);
      await agent.client.run(SetAgentStatusDocument, { status: 'ONLINE' });
      await own.customerSays('load me up', { from: '15553000009' });
      expect(await nextUpdateOf(feed, agent.id, (a) => a['activeConversations'] === 1)).toMatchObject({ status: 'ONLINE', activeConversations: 1 });
      const held = (await own.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15553000009' }))!;
      await agent.client.run(ResolveConversationDocument, { conversationId: held._id, sendSurvey: false });
      expect(await nextUpdateOf(feed, agent.id, (a) => a['activeConversations'] === 0)).toMatchObject({ activeConversations: 0 });
      await feed.close();
    } finally {
      await own.close();
    }
  });
});
