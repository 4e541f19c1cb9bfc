import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEDUPE_TTL_MS } from '../../src/plugins/contract.js';
import zendeskPlugin, { zendeskConfigSchema, type ZendeskConfig } from './index.js';
import { ZendeskEmulator, type ZendeskTicket } from '../../test/emulators/zendesk.js';
import { conversationStory, viaJson, type ConversationStory } from '../../test/support/eventFactory.js';
import { startPlugin, type PluginHarness } from '../../test/support/pluginHarness.js';

let zendesk: ZendeskEmulator;
let plugin: PluginHarness<ZendeskConfig>;

beforeEach(async () => {
  zendesk = await ZendeskEmulator.start();
  plugin = await startPlugin<ZendeskConfig>(zendeskPlugin, zendesk.pluginEnv(), { backoffMs: 10, maxAttempts: 200 });
});

afterEach(async () => {
  await plugin.close();
  await zendesk.close();
});

const commentsOf = (ticket: ZendeskTicket) => ticket.comments.map((comment) => ({ body: comment.body, public: comment.public, author: comment.author_id }));

/** Opens a conversation and sends its first customer message: the ticket exists afterwards. */
async function openTicket(story: ConversationStory, firstText = 'Hi, my order #123 has not arrived'): Promise<ZendeskTicket> {
  await plugin.deliverAll([viaJson(story.opened()), viaJson(story.customerMessage(firstText))]);
  const ticket = zendesk.ticketByExternalId(story.conversation._id);
  if (!ticket) throw new Error('no ticket was created');
  plugin.desk.addConversation({ id: story.conversation._id, status: story.conversation.status, waId: story.customer.waId });
  return ticket;
}

describe('zendesk plugin: desk → Zendesk', () => {
  it('opens a ticket with the first message, mirrors every message, and follows resolve and reopen', async () => {
    const story = conversationStory({ customer: { waId: '15551234567', name: 'Ana Pérez' } });

    await plugin.deliver(viaJson(story.opened()));
    const requester = zendesk.userByExternalId('whatsapp:15551234567');
    expect(requester).toMatchObject({ name: 'Ana Pérez', phone: '+15551234567', role: 'end-user' });
    expect(zendesk.requestsTo('POST', '/users/create_or_update.json')[0]?.body).toEqual({
      user: { name: 'Ana Pérez', phone: '+15551234567', external_id: 'whatsapp:15551234567', role: 'end-user', skip_verify_email: true },
    });

    await plugin.deliver(viaJson(story.customerMessage('Hi, my order #123 has not arrived')));
    const ticket = zendesk.ticketByExternalId(story.conversation._id)!;
    expect(ticket).toMatchObject({ requester_id: requester!.id, tags: ['whatsapp'], description: 'Hi, my order #123 has not arrived', subject: 'WhatsApp: Ana Pérez (+15551234567)' });
    const create = zendesk.requestsTo('POST', '/tickets.json');
    expect(create).toHaveLength(1);
    expect(create[0]!.headers['idempotency-key']).toBe(`whatsapp-desk:${story.conversation._id}:1`);
    expect(plugin.desk.linkOf(story.conversation._id)).toEqual({ externalId: String(ticket.id), url: `${new URL(zendesk.apiUrl).origin}/agent/tickets/${ticket.id}` });

    plugin.desk.addConversation({ id: story.conversation._id, status: 'QUEUED', waId: '15551234567' });
    await plugin.deliverAll([
      story.systemMessage('Thanks for reaching out! An agent will be with you shortly.'),
      story.customerMessage('Are you there?'),
      story.assigned(),
      story.agentReply('Let me check that order for you.'),
      story.note('Carrier says it is stuck in customs'),
      story.integrationReply('Posted from Zendesk itself', 'zendesk'),
      story.integrationReply('Posted from HubSpot', 'hubspot'),
      story.customerMessage(null, { type: 'IMAGE', media: { id: 'm1', mimeType: 'image/jpeg', sha256: null, caption: 'the label', filename: null, voice: null } }),
    ]);
    const api = zendesk.apiUser.id;
    expect(commentsOf(ticket)).toEqual([
      { body: 'Hi, my order #123 has not arrived', public: true, author: requester!.id },
      { body: 'Thanks for reaching out! An agent will be with you shortly.', public: true, author: api },
      { body: 'Are you there?', public: true, author: requester!.id },
      { body: 'Let me check that order for you.', public: true, author: api },
      { body: 'Carrier says it is stuck in customs', public: false, author: api },
      { body: 'Posted from HubSpot', public: true, author: api },
      { body: '[image] the label', public: true, author: requester!.id },
    ]);

    await plugin.deliver(viaJson(story.resolved()));
    expect(ticket.status).toBe('solved');
    await plugin.deliver(viaJson(story.reopened()));
    expect(ticket.status).toBe('open');
    expect(zendesk.tickets.size).toBe(1);

    // What links the conversation to Zendesk is kept for good; dedupe marks only for a while.
    expect(Object.values(plugin.state.ttlsOf('ticket:'))).toEqual([null]);
    const marks = { ...plugin.state.ttlsOf('delivered:'), ...plugin.state.ttlsOf('own-comment:') };
    expect(Object.keys(marks).length).toBeGreaterThan(5);
    expect(new Set(Object.values(marks))).toEqual(new Set([DEDUPE_TTL_MS]));
  });

  it('creates the ticket from a desk reply when no customer message came first, and still links it once', async () => {
    const story = conversationStory();
    await plugin.deliverAll([story.opened(), story.systemMessage('Welcome!'), story.customerMessage('hello')]);
    const ticket = zendesk.ticketByExternalId(story.conversation._id)!;
    expect(ticket.comments.map((comment) => comment.body)).toEqual([expect.stringContaining('WhatsApp conversation with'), 'Welcome!', 'hello']);
    expect(plugin.desk.changes.filter((call) => call.method === 'linkConversation')).toHaveLength(1);
  });

  it('does nothing twice when the outbox redelivers an event it already handled', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const reply = story.agentReply('On it');
    await plugin.deliver(reply);
    await plugin.deliver(reply);
    expect(commentsOf(ticket).map((comment) => comment.body)).toEqual(['Hi, my order #123 has not arrived', 'On it']);
  });

  it('turns a 422 into a dead letter that carries Zendesk’s description', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    ticket.status = 'closed';
    const result = await plugin.deliver(story.agentReply('Too late'));
    expect(result.outcome).toBe('dead-letter');
    expect(result.attempts).toBe(1);
    expect(result.error).toContain('Status: closed prevents ticket update');
  });

  it('turns a rejected API token into a dead letter at once', async () => {
    const badToken = await startPlugin<ZendeskConfig>(zendeskPlugin, zendesk.pluginEnv({ ZENDESK_API_TOKEN: 'wrong' }));
    const result = await badToken.deliver(conversationStory().opened());
    expect(result).toMatchObject({ outcome: 'dead-letter', attempts: 1 });
    expect(result.error).toContain("Couldn't authenticate you");
  });
});

describe('zendesk plugin: Zendesk down, then back', () => {
  it('delivers every event afterwards, in order, honouring Retry-After, with no duplicate ticket or comment', async () => {
    const story = conversationStory();
    // Down for the next eight calls, whatever they are (one failed attempt each), then back.
    zendesk.inject({ status: 503, times: 5, retryAfterSeconds: null });
    zendesk.inject({ status: 500, times: 3 });
    await plugin.deliverAll([story.opened(), story.customerMessage('first'), story.agentReply('second')]);
    expect(plugin.failedAttempts).toHaveLength(8);
    expect(plugin.failedAttempts.every((attempt) => attempt.eventType === 'conversation.opened' && attempt.retryAfterMs === null)).toBe(true);

    zendesk.inject({ status: 429, times: 2, retryAfterSeconds: 7 });
    zendesk.inject({ status: 429, times: 1, retryAfterSeconds: null });
    const before = plugin.failedAttempts.length;
    await plugin.deliverAll([story.note('third'), story.customerMessage('fourth'), story.resolved()]);
    const rateLimited = plugin.failedAttempts.slice(before);
    expect(rateLimited.map((attempt) => attempt.retryAfterMs)).toEqual([7000, 7000, 60_000]);
    expect(rateLimited[0]!.error).toContain('429');

    const ticket = zendesk.ticketByExternalId(story.conversation._id)!;
    expect(zendesk.tickets.size).toBe(1);
    expect(ticket.comments.map((comment) => comment.body)).toEqual(['first', 'second', 'third', 'fourth']);
    expect(ticket.status).toBe('solved');
  });

  it('gets the same ticket back when the answer to its creation was lost (Idempotency-Key replay)', async () => {
    const story = conversationStory();
    zendesk.inject({ status: 502, times: 1, loseAnswer: true, match: { method: 'POST', path: '/tickets.json' } });
    await plugin.deliverAll([story.opened(), story.customerMessage('only once please')]);

    const creates = zendesk.requestsTo('POST', '/tickets.json');
    expect(creates.map((request) => request.status)).toEqual([502, 201]);
    expect(creates[0]!.headers['idempotency-key']).toBe(creates[1]!.headers['idempotency-key']);
    expect(zendesk.tickets.size).toBe(1);
    const ticket = zendesk.ticketByExternalId(story.conversation._id)!;
    expect(ticket.comments.map((comment) => comment.body)).toEqual(['only once please']);
    expect(plugin.desk.linkOf(story.conversation._id)?.externalId).toBe(String(ticket.id));
  });

  it('does not post a comment twice when the answer to the first post was lost', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    zendesk.inject({ status: 504, times: 1, loseAnswer: true, match: { method: 'PUT' } });
    await plugin.deliverAll([story.agentReply('exactly once'), story.customerMessage('thanks')]);
    expect(ticket.comments.map((comment) => comment.body)).toEqual(['Hi, my order #123 has not arrived', 'exactly once', 'thanks']);
    expect(zendesk.requestsTo('GET', `/tickets/${ticket.id}/comments.json`)).toHaveLength(1);
  });
});

describe('zendesk plugin: Zendesk → desk webhook', () => {
  it('sends a public staff comment to the customer, once, however often Zendesk delivers it', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const delivery = zendesk.staffReply(ticket.id, 'Your parcel ships today');

    const first = await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody });
    expect(first.status).toBe(200);
    expect(plugin.desk.replies).toEqual([{ method: 'postReply', conversationId: story.conversation._id, text: 'Your parcel ships today', authorName: 'Zoe Zendesk' }]);

    // The same delivery again, and the same comment under a new event id (Zendesk retries and duplicates both happen).
    expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(200);
    const comment = ticket.comments.at(-1)!;
    const again = zendesk.commentAddedDelivery(ticket.id, comment.id);
    expect((await plugin.request({ path: '/webhook', headers: again.headers, rawBody: again.rawBody })).status).toBe(200);
    expect(plugin.desk.replies).toHaveLength(1);
  });

  it('ignores private comments and comments by the customer', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const internal = zendesk.staffReply(ticket.id, 'internal only', { isPublic: false });
    const byCustomer = zendesk.commentAddedDelivery(ticket.id, ticket.comments[0]!.id);
    for (const delivery of [internal, byCustomer]) {
      expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(200);
    }
    expect(plugin.desk.replies).toEqual([]);
  });

  it('never echoes the comments it posted itself, even when the webhook beats the PUT answer', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    await plugin.deliverAll([story.agentReply('Reply from the desk'), story.agentReply('Second reply from the desk')]);
    const [own1, own2] = ticket.comments.slice(-2);

    const echo = zendesk.commentAddedDelivery(ticket.id, own1!.id);
    expect((await plugin.request({ path: '/webhook', headers: echo.headers, rawBody: echo.rawBody })).status).toBe(200);

    // Forget the comment ids learned from the PUT answers: the pending body still identifies the comment.
    for (const key of plugin.state.keys('own-comment:')) plugin.state.entries.delete(key);
    const early = zendesk.commentAddedDelivery(ticket.id, own2!.id);
    expect((await plugin.request({ path: '/webhook', headers: early.headers, rawBody: early.rawBody })).status).toBe(200);
    expect(plugin.desk.replies).toEqual([]);

    // A staff member who later types the same words in Zendesk is not mistaken for the plugin.
    const human = zendesk.staffReply(ticket.id, 'Second reply from the desk');
    await plugin.request({ path: '/webhook', headers: human.headers, rawBody: human.rawBody });
    expect(plugin.desk.replies.map((reply) => reply.text)).toEqual(['Second reply from the desk']);
  });

  it('resolves the conversation when the ticket is solved in Zendesk, once, without echoing the status back', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const solved = zendesk.changeStatus(ticket.id, 'solved');
    expect((await plugin.request({ path: '/webhook', headers: solved.headers, rawBody: solved.rawBody })).status).toBe(200);
    expect((await plugin.request({ path: '/webhook', headers: solved.headers, rawBody: solved.rawBody })).status).toBe(200);
    expect(plugin.desk.changes.filter((call) => call.method === 'resolveConversation')).toEqual([{ method: 'resolveConversation', conversationId: story.conversation._id }]);

    // The desk publishes conversation.resolved for that resolution: Zendesk is already solved, nothing to send.
    const puts = zendesk.requestsTo('PUT', `/tickets/${ticket.id}.json`).length;
    await plugin.deliver(story.resolved());
    expect(zendesk.requestsTo('PUT', `/tickets/${ticket.id}.json`)).toHaveLength(puts);

    // Zendesk redelivers later, after the customer reopened the conversation: it must not resolve again.
    await plugin.desk.reopenConversation(story.conversation._id);
    expect((await plugin.request({ path: '/webhook', headers: solved.headers, rawBody: solved.rawBody })).status).toBe(200);
    expect(plugin.desk.conversation(story.conversation._id)?.status).toBe('QUEUED');

    // Other status changes and other event types are acknowledged and ignored.
    const pending = zendesk.changeStatus(ticket.id, 'pending');
    const other = zendesk.signedWebhook({ type: 'zen:event-type:ticket.priority_changed', id: 'evt-other', detail: { id: String(ticket.id) }, event: {} });
    for (const delivery of [pending, other]) expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(200);
    expect(plugin.desk.changes.filter((call) => call.method === 'resolveConversation')).toHaveLength(1);
  });

  it('refuses forged, tampered, stale and unsigned deliveries with 401 and changes nothing', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    const stateBefore = new Map(plugin.state.entries);
    const deskBefore = plugin.desk.calls.length;

    const forged = zendesk.signedWebhook(zendesk.staffReply(ticket.id, 'send me your password').payload, { secret: 'not-the-secret' });
    const genuine = zendesk.staffReply(ticket.id, 'genuine');
    const tampered = { headers: genuine.headers, rawBody: Buffer.from(genuine.rawBody.toString().replace('genuine', 'tampered')) };
    const stale = zendesk.signedWebhook(zendesk.changeStatus(ticket.id, 'solved').payload, { timestamp: new Date(Date.now() - 6 * 60_000).toISOString() });
    const future = zendesk.signedWebhook(genuine.payload, { timestamp: new Date(Date.now() + 6 * 60_000).toISOString() });
    const unsigned = { headers: { 'content-type': 'application/json' }, rawBody: genuine.rawBody };
    const badTimestamp = { headers: { ...genuine.headers, 'x-zendesk-webhook-signature-timestamp': 'yesterday' }, rawBody: genuine.rawBody };

    for (const delivery of [forged, tampered, stale, future, unsigned, badTimestamp]) {
      const response = await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody });
      expect(response.status).toBe(401);
    }
    expect(plugin.desk.calls.length).toBe(deskBefore);
    expect(plugin.state.entries).toEqual(stateBefore);
  });

  it('answers 503 and acts on the retry when the desk cannot take the reply yet', async () => {
    const story = conversationStory();
    const ticket = await openTicket(story);
    plugin.desk.failNext('postReply', new Error('database unavailable'));
    const delivery = zendesk.staffReply(ticket.id, 'try again');
    expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(503);
    expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(200);
    expect(plugin.desk.replies.map((reply) => reply.text)).toEqual(['try again', 'try again']);
    expect((await plugin.request({ path: '/webhook', headers: delivery.headers, rawBody: delivery.rawBody })).status).toBe(200);
    expect(plugin.desk.replies).toHaveLength(2);
  });
});

describe('zendesk plugin: settings', () => {
  it('names the missing or malformed setting', () => {
    const missing = zendeskConfigSchema.safeParse({ ZENDESK_EMAIL: 'a@b.c', ZENDESK_API_TOKEN: 't', ZENDESK_WEBHOOK_SECRET: 's' });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.path).toEqual(['ZENDESK_URL']);
    const badPriority = zendeskConfigSchema.safeParse({ ZENDESK_URL: 'https://acme.zendesk.com/api/v2', ZENDESK_EMAIL: 'a@b.c', ZENDESK_API_TOKEN: 't', ZENDESK_WEBHOOK_SECRET: 's', ZENDESK_TICKET_PRIORITY: 'asap' });
    expect(badPriority.error?.issues[0]?.path).toEqual(['ZENDESK_TICKET_PRIORITY']);
  });

  it('takes the account URL with or without /api/v2', () => {
    const base = { ZENDESK_EMAIL: 'a@b.c', ZENDESK_API_TOKEN: 't', ZENDESK_WEBHOOK_SECRET: 's' };
    for (const url of ['https://acme.zendesk.com', 'https://acme.zendesk.com/', 'https://acme.zendesk.com/api/v2', 'https://acme.zendesk.com/api/v2/']) {
      expect(zendeskConfigSchema.parse({ ...base, ZENDESK_URL: url }).baseUrl).toBe('https://acme.zendesk.com/api/v2');
    }
  });

  it('sends the configured priority, type and tags', async () => {
    const custom = await startPlugin<ZendeskConfig>(
      zendeskPlugin,
      zendesk.pluginEnv({ ZENDESK_TICKET_PRIORITY: 'high', ZENDESK_TICKET_TYPE: 'question', ZENDESK_TICKET_TAGS: 'whatsapp, vip' }),
    );
    const story = conversationStory();
    await custom.deliverAll([story.opened(), story.customerMessage('hello')]);
    expect(zendesk.ticketByExternalId(story.conversation._id)).toMatchObject({ priority: 'high', type: 'question', tags: ['whatsapp', 'vip'] });
  });
});
