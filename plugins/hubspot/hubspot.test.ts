import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEDUPE_TTL_MS } from '../../src/plugins/contract.js';
import hubspotPlugin, { hubspotConfigSchema, type HubSpotConfig } from './index.js';
import { HubSpotEmulator, type CrmObject } from '../../test/emulators/hubspot.js';
import { conversationStory, viaJson, type ConversationStory } from '../../test/support/eventFactory.js';
import { startPlugin, type HarnessOptions, type PluginHarness } from '../../test/support/pluginHarness.js';

let hubspot: HubSpotEmulator;
let plugin: PluginHarness<HubSpotConfig>;

const start = (env: Record<string, string> = {}, options: HarnessOptions = {}) =>
  startPlugin<HubSpotConfig>(hubspotPlugin, hubspot.pluginEnv(env), { backoffMs: 10, maxAttempts: 200, ...options });

beforeEach(async () => {
  hubspot = await HubSpotEmulator.start();
  plugin = await start();
});

afterEach(async () => {
  await plugin.close();
  await hubspot.close();
});

const ticketOf = (story: ConversationStory): CrmObject => {
  const link = plugin.desk.linkOf(story.conversation._id);
  const ticket = link ? hubspot.objects.tickets.get(link.externalId) : undefined;
  if (!ticket) throw new Error('the conversation has no linked HubSpot ticket');
  return ticket;
};

const bodies = (objects: CrmObject[], property: string) => objects.map((object) => object.properties[property]);

async function openTicket(story: ConversationStory): Promise<CrmObject> {
  await plugin.deliver(viaJson(story.opened()));
  plugin.desk.addConversation({ id: story.conversation._id, status: story.conversation.status, waId: story.customer.waId });
  return ticketOf(story);
}

describe('hubspot plugin: desk → HubSpot', () => {
  it('finds or creates the contact, opens an associated ticket, logs every message and follows resolve and reopen', async () => {
    await plugin.close();
    plugin = await start({ HUBSPOT_PORTAL_ID: '62515' });
    const story = conversationStory({ customer: { waId: '15551234567', name: 'Ana Pérez' } });
    await plugin.deliver(viaJson(story.opened()));

    expect(hubspot.requestsTo('POST', '/crm/v3/objects/contacts/search')[0]?.body).toEqual({
      filterGroups: [
        { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15551234567' }] },
        { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+15551234567' }] },
      ],
      properties: ['firstname', 'phone', 'mobilephone'],
      limit: 1,
    });
    expect(hubspot.requestsTo('POST', '/crm/v3/objects/contacts')[0]?.body).toEqual({ properties: { firstname: 'Ana Pérez', phone: '+15551234567' } });
    const [contact] = [...hubspot.objects.contacts.values()];
    const ticket = ticketOf(story);
    expect(ticket.properties).toMatchObject({ subject: 'WhatsApp: Ana Pérez (+15551234567)', hs_pipeline: '0', hs_pipeline_stage: '1', hs_ticket_priority: 'MEDIUM' });
    expect(hubspot.associationsFrom('tickets', ticket.id)).toEqual([
      { fromType: 'tickets', fromId: ticket.id, toType: 'contacts', toId: contact!.id, associationTypeId: 16 },
    ]);
    expect(plugin.desk.linkOf(story.conversation._id)).toEqual({ externalId: ticket.id, url: `https://app.hubspot.com/contacts/62515/record/0-5/${ticket.id}` });

    await plugin.deliverAll(
      [
        story.customerMessage('Hi, my order #123 has not arrived'),
        story.systemMessage('Thanks for reaching out!'),
        story.agentReply('Let me check.'),
        story.note('Stuck in customs'),
        story.integrationReply('Typed in HubSpot', 'hubspot'),
        story.integrationReply('Typed in Zendesk', 'zendesk'),
        story.customerMessage(null, { type: 'DOCUMENT', media: { id: 'd1', mimeType: 'application/pdf', sha256: null, caption: null, filename: 'invoice.pdf', voice: null } }),
      ].map(viaJson),
    );
    const communications = [...hubspot.objects.communications.values()];
    expect(bodies(communications, 'hs_communication_body')).toEqual([
      'Ana Pérez: Hi, my order #123 has not arrived',
      'Automated message: Thanks for reaching out!',
      'Agent: Let me check.',
      'Reply via zendesk: Typed in Zendesk',
      'Ana Pérez: [document: invoice.pdf]',
    ]);
    for (const communication of communications) {
      expect(communication.properties).toMatchObject({ hs_communication_channel_type: 'WHATS_APP', hs_communication_logged_from: 'CRM' });
      expect(Number.isNaN(Date.parse(communication.properties['hs_timestamp']!))).toBe(false);
      expect(hubspot.associationsFrom('communications', communication.id).map(({ toType, toId, associationTypeId }) => ({ toType, toId, associationTypeId }))).toEqual([
        { toType: 'contacts', toId: contact!.id, associationTypeId: 81 },
        { toType: 'tickets', toId: ticket.id, associationTypeId: 83 },
      ]);
    }
    const notes = hubspot.associated('notes', 'tickets', ticket.id);
    expect(bodies(notes, 'hs_note_body')).toEqual(['Stuck in customs']);
    expect(hubspot.associationsFrom('notes', notes[0]!.id)[0]?.associationTypeId).toBe(228);

    await plugin.deliver(viaJson(story.resolved()));
    expect(ticket.properties['hs_pipeline_stage']).toBe('4');
    await plugin.deliver(viaJson(story.reopened()));
    expect(ticket.properties['hs_pipeline_stage']).toBe('1');
    expect(hubspot.objects.tickets.size).toBe(1);

    // Ids learned from HubSpot are kept for good; dedupe marks only for a while.
    const kept = { ...plugin.state.ttlsOf('ticket:'), ...plugin.state.ttlsOf('contact:'), ...plugin.state.ttlsOf('phone:') };
    expect(Object.keys(kept)).toHaveLength(3);
    expect(new Set(Object.values(kept))).toEqual(new Set([null]));
    const marks = { ...plugin.state.ttlsOf('delivered:'), ...plugin.state.ttlsOf('ticket-attempt:') };
    expect(Object.keys(marks).length).toBeGreaterThan(5);
    expect(new Set(Object.values(marks))).toEqual(new Set([DEDUPE_TTL_MS]));
  });

  it('uses the contact search finds, and remembers it instead of searching again', async () => {
    const existing = hubspot.seedContact({ firstname: 'Ana', mobilephone: '+15551234567' });
    const first = conversationStory({ customer: { waId: '15551234567' } });
    const second = conversationStory({ customer: { waId: '15551234567' } });
    await plugin.deliverAll([first.opened(), second.opened()]);
    expect(hubspot.objects.contacts.size).toBe(1);
    expect(hubspot.requestsTo('POST', '/crm/v3/objects/contacts/search')).toHaveLength(1);
    for (const story of [first, second]) expect(hubspot.associationsFrom('tickets', ticketOf(story).id)[0]?.toId).toBe(existing.id);
  });

  it('takes the id from a 409 "Existing ID" when search has not caught up with a new contact', async () => {
    hubspot.searchLagMs = 10_000;
    const justCreated = hubspot.seedContact({ firstname: 'Ana', phone: '+15551234567' }, 0);
    const story = conversationStory({ customer: { waId: '15551234567' } });
    await plugin.deliver(story.opened());
    expect(hubspot.requestsTo('POST', '/crm/v3/objects/contacts').map((request) => request.status)).toEqual([409]);
    expect(hubspot.objects.contacts.size).toBe(1);
    expect(hubspot.associationsFrom('tickets', ticketOf(story).id)[0]?.toId).toBe(justCreated.id);
  });

  it('makes a rejected token or a missing scope a dead letter that says so', async () => {
    const badToken = await start({ HUBSPOT_ACCESS_TOKEN: 'pat-wrong' });
    const tokenResult = await badToken.deliver(conversationStory().opened());
    expect(tokenResult).toMatchObject({ outcome: 'dead-letter', attempts: 1 });
    expect(tokenResult.error).toContain('HUBSPOT_ACCESS_TOKEN');

    await hubspot.close();
    hubspot = await HubSpotEmulator.start({ missingScopes: ['tickets'] });
    const noScope = await start();
    const scopeResult = await noScope.deliver(conversationStory().opened());
    expect(scopeResult.outcome).toBe('dead-letter');
    expect(scopeResult.error).toContain('scope');
    expect(scopeResult.error).toContain('MISSING_SCOPES');
  });
});

describe('hubspot plugin: HubSpot down, then back', () => {
  it('delivers every event afterwards, in order, waiting out each rate-limit window, with no duplicate ticket', async () => {
    await plugin.close();
    // HubSpot's windows are 10 s and a day: scaled down so the test waits milliseconds.
    plugin = await start({}, { timeScale: 0.00001, backoffMs: 10 });
    const story = conversationStory();
    // Down for the next eight calls, whatever they are (one failed attempt each), then back.
    hubspot.inject({ status: 502, times: 5 });
    hubspot.inject({ status: 503, times: 3 });
    await plugin.deliverAll([story.opened(), story.customerMessage('first'), story.agentReply('second')]);
    expect(plugin.failedAttempts).toHaveLength(8);
    expect(plugin.failedAttempts.every((attempt) => attempt.eventType === 'conversation.opened' && attempt.retryAfterMs === null)).toBe(true);

    hubspot.inject({ status: 429, times: 2, policyName: 'TEN_SECONDLY_ROLLING' });
    hubspot.inject({ status: 429, times: 1, policyName: 'DAILY' });
    const before = plugin.failedAttempts.length;
    await plugin.deliverAll([story.customerMessage('third'), story.note('fourth'), story.resolved()]);
    expect(plugin.failedAttempts.slice(before).map((attempt) => attempt.retryAfterMs)).toEqual([10_000, 10_000, 3_600_000]);
    const rateLimitResponses = hubspot.requests.filter((request) => request.status === 429);
    expect(rateLimitResponses).toHaveLength(3);

    const ticket = ticketOf(story);
    expect(hubspot.objects.tickets.size).toBe(1);
    expect(bodies([...hubspot.objects.communications.values()], 'hs_communication_body').map((body) => body?.split(': ')[1])).toEqual(['first', 'second', 'third']);
    expect(bodies(hubspot.associated('notes', 'tickets', ticket.id), 'hs_note_body')).toEqual(['fourth']);
    expect(ticket.properties['hs_pipeline_stage']).toBe('4');
  });

  it('finds the ticket an earlier attempt created when that answer was lost', async () => {
    const story = conversationStory();
    hubspot.inject({ status: 502, times: 1, loseAnswer: true, match: { method: 'POST', path: '/crm/v3/objects/tickets' } });
    await plugin.deliver(story.opened());
    expect(hubspot.objects.tickets.size).toBe(1);
    expect(hubspot.requestsTo('POST', '/crm/v3/objects/tickets/search')).toHaveLength(1);
    expect(ticketOf(story).properties['content']).toContain(story.conversation._id);
  });
});

describe('hubspot plugin: HubSpot → desk webhook', () => {
  it('resolves the conversation when its ticket reaches the closed stage, once, without echoing it back', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const closed = hubspot.moveTicket(ticket.id, '4');
    expect((await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody })).status).toBe(200);
    expect((await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody })).status).toBe(200);
    expect(plugin.desk.changes.filter((call) => call.method === 'resolveConversation')).toEqual([{ method: 'resolveConversation', conversationId: story.conversation._id }]);

    const patches = hubspot.requestsTo('PATCH', `/crm/v3/objects/tickets/${ticket.id}`).length;
    await plugin.deliver(story.resolved());
    expect(hubspot.requestsTo('PATCH', `/crm/v3/objects/tickets/${ticket.id}`)).toHaveLength(patches);

    // HubSpot retries a delivery hours later, after the customer reopened the conversation: it must not resolve again.
    await plugin.desk.reopenConversation(story.conversation._id);
    expect((await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody })).status).toBe(200);
    expect(plugin.desk.conversation(story.conversation._id)?.status).toBe('QUEUED');

    // A batch mixing other stages and other properties changes nothing more.
    const batch = hubspot.signedWebhook([
      hubspot.propertyChangeEvent(ticket.id, 'hs_pipeline_stage', '2'),
      hubspot.propertyChangeEvent(ticket.id, 'subject', 'renamed'),
      { ...hubspot.propertyChangeEvent(ticket.id, 'hs_pipeline_stage', '4'), subscriptionType: 'contact.propertyChange' },
    ]);
    expect((await plugin.request({ path: '/webhook', headers: batch.headers, rawBody: batch.rawBody })).status).toBe(200);
    expect(plugin.desk.changes.filter((call) => call.method === 'resolveConversation')).toHaveLength(1);
  });

  it('answers 503 when the desk cannot resolve yet, and acts on HubSpot’s retry', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    plugin.desk.failNext('resolveConversation', new Error('database unavailable'));
    const closed = hubspot.moveTicket(ticket.id, '4');
    expect((await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody })).status).toBe(503);
    expect((await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody })).status).toBe(200);
    expect(plugin.desk.conversation(story.conversation._id)?.status).toBe('RESOLVED');
  });

  it('posts a custom-channel reply to the customer and reports it SENT, once', async () => {
    const story = conversationStory({ customer: { waId: '15551234567' } });
    await openTicket(story);
    const reply = hubspot.agentChannelReply({ phone: '+1 555 123 4567', text: 'Your parcel ships today' });
    expect((await plugin.request({ path: '/webhook', headers: reply.headers, rawBody: reply.rawBody })).status).toBe(200);
    expect((await plugin.request({ path: '/webhook', headers: reply.headers, rawBody: reply.rawBody })).status).toBe(200);
    expect(plugin.desk.replies).toEqual([{ method: 'postReply', conversationId: story.conversation._id, text: 'Your parcel ships today', authorName: 'Hana HubSpot' }]);
    expect(reply.message.statuses).toEqual([{ statusType: 'SENT', errorMessage: null }]);

    // Later replies on the same thread find the conversation by the thread too, and HUBSPOT_CHANNEL_ID stands in for a missing channelId.
    await plugin.close();
    plugin = await start({ HUBSPOT_CHANNEL_ID: hubspot.channelId });
    await plugin.deliver(story.opened());
    const first = hubspot.agentChannelReply({ phone: '+15551234567', text: 'one', threadId: 'T-1', withChannelId: false });
    await plugin.request({ path: '/webhook', headers: first.headers, rawBody: first.rawBody });
    const byThread = hubspot.agentChannelReply({ phone: '+10000000000', text: 'two', threadId: 'T-1', withChannelId: false });
    await plugin.request({ path: '/webhook', headers: byThread.headers, rawBody: byThread.rawBody });
    expect(plugin.desk.replies.map((call) => [call.conversationId, call.text])).toEqual([
      [story.conversation._id, 'one'],
      [story.conversation._id, 'two'],
    ]);
    expect(byThread.message.statuses.map((status) => status.statusType)).toEqual(['SENT']);
  });

  it('reports FAILED when no conversation matches or the desk refuses the reply', async () => {
    const story = conversationStory({ customer: { waId: '15551234567' } });
    await openTicket(story);
    const stranger = hubspot.agentChannelReply({ phone: '+19999999999', text: 'hello?' });
    expect((await plugin.request({ path: '/webhook', headers: stranger.headers, rawBody: stranger.rawBody })).status).toBe(200);
    expect(stranger.message.statuses).toEqual([{ statusType: 'FAILED', errorMessage: 'No WhatsApp conversation matches this thread' }]);

    plugin.desk.failNext('postReply', new Error('service window closed: send a template'));
    const late = hubspot.agentChannelReply({ phone: '+15551234567', text: 'are you still there?' });
    expect((await plugin.request({ path: '/webhook', headers: late.headers, rawBody: late.rawBody })).status).toBe(200);
    expect(late.message.statuses).toEqual([{ statusType: 'FAILED', errorMessage: 'service window closed: send a template' }]);
  });

  it('refuses forged, tampered, stale, mis-addressed and unsigned deliveries with 401 and changes nothing', async () => {
    const story = conversationStory({ customer: { waId: '15551234567' } });
    const ticket = await openTicket(story);
    const stateBefore = new Map(plugin.state.entries);
    const deskBefore = plugin.desk.calls.length;

    const closing = [hubspot.propertyChangeEvent(ticket.id, 'hs_pipeline_stage', '4')];
    const genuine = hubspot.signedWebhook(closing);
    const reply = hubspot.agentChannelReply({ phone: '+15551234567', text: 'hi', timestamp: Date.now() - 6 * 60_000 });
    const deliveries = [
      hubspot.signedWebhook(closing, { secret: 'guessed' }),
      hubspot.signedWebhook(closing, { uri: 'https://attacker.example/plugins/hubspot/webhook' }),
      hubspot.signedWebhook(closing, { method: 'GET' }),
      hubspot.signedWebhook(closing, { timestamp: Date.now() - 5 * 60_000 - 1_000 }),
      reply,
      { headers: genuine.headers, rawBody: Buffer.from(genuine.rawBody.toString().replace('"4"', '"4" ')) },
      { headers: { 'content-type': 'application/json' }, rawBody: genuine.rawBody },
      { headers: { ...genuine.headers, 'x-hubspot-request-timestamp': 'now' }, rawBody: genuine.rawBody },
    ];
    for (const delivery of deliveries) {
      expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(401);
    }
    expect(plugin.desk.calls.length).toBe(deskBefore);
    expect(plugin.state.entries).toEqual(stateBefore);
    expect(reply.message.statuses).toEqual([]);

    // The genuine one still works afterwards.
    expect((await plugin.request({ path: '/webhook', headers: genuine.headers, rawBody: genuine.rawBody })).status).toBe(200);
    expect(plugin.desk.conversation(story.conversation._id)?.status).toBe('RESOLVED');
  });
});

describe('hubspot plugin: settings', () => {
  const minimal = { HUBSPOT_ACCESS_TOKEN: 'pat', HUBSPOT_CLIENT_SECRET: 'secret', HUBSPOT_WEBHOOK_URL: 'https://desk.example.com/plugins/hubspot/webhook' };

  it('defaults to HubSpot’s API and the default pipeline', () => {
    const config = hubspotConfigSchema.parse(minimal);
    expect(config).toMatchObject({ apiUrl: 'https://api.hubapi.com', pipeline: { pipelineId: '0', openStageId: '1', closedStageId: '4', priority: 'MEDIUM' }, channelId: null });
  });

  it('names the missing or malformed setting', () => {
    const { HUBSPOT_WEBHOOK_URL: _url, ...withoutUrl } = minimal;
    expect(hubspotConfigSchema.safeParse(withoutUrl).error?.issues[0]?.path).toEqual(['HUBSPOT_WEBHOOK_URL']);
    expect(hubspotConfigSchema.safeParse({ ...minimal, HUBSPOT_ACCESS_TOKEN: '  ' }).error?.issues[0]?.path).toEqual(['HUBSPOT_ACCESS_TOKEN']);
    expect(hubspotConfigSchema.safeParse({ ...minimal, HUBSPOT_CLOSED_STAGE_ID: '1' }).error?.issues[0]?.path).toEqual(['HUBSPOT_CLOSED_STAGE_ID']);
  });

  it('moves tickets through the configured pipeline and stages', async () => {
    await plugin.close();
    plugin = await start({ HUBSPOT_OPEN_STAGE_ID: '3', HUBSPOT_CLOSED_STAGE_ID: '2' });
    const story = conversationStory();
    await plugin.deliverAll([story.opened()]);
    const ticket = ticketOf(story);
    expect(ticket.properties['hs_pipeline_stage']).toBe('3');
    plugin.desk.addConversation({ id: story.conversation._id, status: 'QUEUED', waId: story.customer.waId });
    await plugin.deliver(story.resolved());
    plugin.desk.addConversation({ id: story.conversation._id, status: 'RESOLVED', waId: story.customer.waId });
    expect(ticket.properties['hs_pipeline_stage']).toBe('2');
    const closed = hubspot.moveTicket(ticket.id, '2');
    // Already resolved by the desk: the echo of its own move changes nothing.
    await plugin.request({ path: '/webhook', headers: closed.headers, rawBody: closed.rawBody });
    expect(plugin.desk.changes.filter((call) => call.method === 'resolveConversation')).toHaveLength(0);
  });
});
