// Metrics as a team lead reads them: a short story on a controlled clock, then
// the `metrics` query and the Prometheus endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationDocument, MetricsDocument, ResolveConversationDocument, SendReplyDocument, AddNoteDocument, MessageAddedDocument } from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

// Wednesday 2026-11-25 10:00:00 UTC = 11:00 in Madrid (UTC+1).
const T0 = Date.parse('2026-11-25T10:00:00Z');
let now = T0 - 3600_000;
const clock = { now: () => new Date(now) };
const at = (seconds: number) => {
  now = T0 + seconds * 1000;
};

let desk: Desk;
let ana: Awaited<ReturnType<Desk['agent']>>;
let bo: Awaited<ReturnType<Desk['agent']>>;
let conversationId: string;

beforeAll(async () => {
  desk = await startDesk({ clock, env: { ASSIGNMENT_POLICY: 'least_loaded', BUSINESS_TIMEZONE: 'Europe/Madrid' } });
  // Ana is ONLINE from T0 − 1 h; Bo exists but never comes online.
  ana = await desk.agent('Ana');
  bo = await desk.agent('Bo', { online: false });

  at(0);
  await desk.customerSays('where is my order?', { from: '15559990001', timestamp: new Date(T0) });
  await desk.settle();
  const conversation = await eventually('assigned', () =>
    desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15559990001', status: 'ASSIGNED' }),
  );
  conversationId = conversation._id;

  at(30);
  await ana.client.run(AddNoteDocument, { conversationId, text: 'checking the carrier' }); // a note is not a response
  at(90);
  await ana.client.run(SendReplyDocument, { conversationId, text: 'It ships today' }); // first response: 90 s
  at(600);
  await ana.client.run(ResolveConversationDocument, { conversationId }); // resolution: 600 s
  await desk.settle();
  at(660);
  const survey = await eventually('survey', () => desk.emulator.sent.find((s) => s.type === 'interactive'));
  await desk.sendInbound({ type: 'list_reply', from: '15559990001', replyId: 'rating-4', title: '4 - Good', replyTo: survey.whatsappId, timestamp: new Date(now) });
  await eventually('feedback', async () => (await desk.admin.run(ConversationDocument, { id: conversationId })).conversation?.feedback?.score === 4);
});
afterAll(async () => {
  await desk?.close();
});

const range = { from: new Date(T0 - 3600_000).toISOString(), to: new Date(T0 + 3600_000).toISOString() };

describe('metrics query', () => {
  it('admins see the desk: one conversation, 90 s first response, 600 s resolution, CSAT 4 (satisfied)', async () => {
    const { metrics } = await desk.admin.run(MetricsDocument, range);
    expect(metrics.conversationsOpened).toBe(1);
    expect(metrics.conversationsResolved).toBe(1);
    expect(metrics.firstResponseTime).toEqual({ count: 1, average: 90, median: 90, p90: 90 });
    expect(metrics.resolutionTime).toEqual({ count: 1, average: 600, median: 600, p90: 600 });
    expect(metrics.csat).toEqual({ responses: 1, average: 4, satisfiedPercent: 100 });
    // The conversation opened at 11:00 Madrid time; the customer sent two messages (the question and the rating).
    expect(metrics.volumeByHour).toHaveLength(24);
    expect(metrics.volumeByHour[11]).toEqual({ hour: 11, conversations: 1, messages: 2 });

    // Ana was ONLINE for the whole two-hour range (7200 s) and held the conversation from 0 s to 600 s.
    const anaRow = metrics.agentUtilization.find((u) => u.agentId === ana.id)!;
    expect(anaRow.onlineSeconds).toBe(7200);
    expect(anaRow.occupancy).toBeCloseTo(600 / 7200, 6);
    expect(anaRow.conversationsHandled).toBe(1);
    const boRow = metrics.agentUtilization.find((u) => u.agentId === bo.id)!;
    expect(boRow).toMatchObject({ onlineSeconds: 0, occupancy: 0, conversationsHandled: 0 });
  });

  it('agents see themselves; another agent is FORBIDDEN', async () => {
    const own = await ana.client.run(MetricsDocument, range);
    expect(own.metrics.firstResponseTime.count).toBe(1);
    expect(own.metrics.agentUtilization.map((u) => u.agentId)).toEqual([ana.id]);
    const boOwn = await bo.client.run(MetricsDocument, range);
    expect(boOwn.metrics.firstResponseTime).toEqual({ count: 0, average: 0, median: 0, p90: 0 });
    const denied = await bo.client.try(MetricsDocument, { ...range, agentId: ana.id });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('an empty range gives zeros, and a backwards range is BAD_USER_INPUT', async () => {
    const empty = await desk.admin.run(MetricsDocument, { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' });
    expect(empty.metrics.conversationsOpened).toBe(0);
    expect(empty.metrics.csat).toEqual({ responses: 0, average: 0, satisfiedPercent: 0 });
    expect(empty.metrics.volumeByHour.every((h) => h.conversations === 0 && h.messages === 0)).toBe(true);
    const backwards = await desk.admin.try(MetricsDocument, { from: range.to, to: range.from });
    expect(backwards.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});

describe('Prometheus', () => {
  it('exposes desk gauges and counters on /metrics', async () => {
    const live = await desk.admin.subscribe(MessageAddedDocument, {});
    const text = await (await fetch(`${desk.url}/metrics`)).text();
    expect(text).toMatch(/desk_live_subscriptions 1\n/);
    await live.close();
    await eventually('the subscription to be released', () => desk.app.subscriptions.size() === 0);
    expect(await (await fetch(`${desk.url}/metrics`)).text()).toMatch(/desk_live_subscriptions 0\n/);
    expect(text).toMatch(/desk_messages_total\{direction="inbound"\} 2/);
    expect(text).toMatch(/desk_agents_online 1/);
    expect(text).toMatch(/desk_queue_length 0/);
    expect(text).toMatch(/desk_conversations\{status="RESOLVED"\} 1/);
    expect(text).toMatch(/desk_webhook_duration_seconds_count\{outcome="ok"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket/);
  });
});
