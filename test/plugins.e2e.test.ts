// Issue 6 through the whole desk: signed WhatsApp webhooks in, the CRM
// emulators on the other side, and the CRMs' own signed webhooks coming back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddNoteDocument,
  ConversationDocument,
  IntegrationsDocument,
  ResolveConversationDocument,
  SendReplyDocument,
} from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { HubSpotEmulator } from './emulators/hubspot.js';
import { ZendeskEmulator, postDelivery } from './emulators/zendesk.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
let zendesk: ZendeskEmulator;
let hubspot: HubSpotEmulator;

beforeAll(async () => {
  zendesk = await ZendeskEmulator.start();
  hubspot = await HubSpotEmulator.start();
  desk = await startDesk({
    env: {
      PLUGINS: 'zendesk,hubspot',
      ...zendesk.pluginEnv(),
      ...hubspot.pluginEnv(),
      PLUGIN_RETRY_BASE: '20ms',
      PLUGIN_RETRY_MAX: '100ms',
      PLUGIN_ATTEMPTS: '30',
      ASSIGNMENT_POLICY: 'least_loaded',
    },
  });
});
afterAll(async () => {
  await desk?.close();
  await zendesk?.close();
  await hubspot?.close();
});

const conversationOf = (waId: string) => eventually(`conversation for ${waId}`, () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId }));
const externalId = (waId: string) => `whatsapp:${waId}`;
const zendeskTickets = () => [...zendesk.tickets.values()];

describe('Zendesk and HubSpot, end to end', () => {
  it('open → tickets; messages → comments and communications; CRM reply → WhatsApp; CRM solve → resolved', async () => {
    const waId = '15557001001';
    const agent = await desk.agent('Zed Agent');
    await desk.customerSays('My parcel is lost', { from: waId, name: 'Pat Doe' });
    const conversation = await conversationOf(waId);

    // Zendesk: user upserted by external_id and a ticket carrying the first message.
    const ticket = await eventually('zendesk ticket', () => zendeskTickets().find((t) => t.description.includes('My parcel is lost')));
    expect(zendesk.userByExternalId(externalId(waId))?.phone).toBe(`+${waId}`);
    // HubSpot: contact, ticket associated to it, the message logged as a WHATS_APP communication.
    await eventually('hubspot communication', () => [...hubspot.objects.communications.values()].some((c) => String(c.properties['hs_communication_body']).includes('My parcel is lost')));

    // Both links show on the conversation.
    const linked = await eventually('links', async () => {
      const view = await desk.admin.run(ConversationDocument, { id: conversation._id });
      return view.conversation!.externalLinks.length === 2 ? view.conversation! : null;
    });
    expect(linked.externalLinks.map((l) => l.system).sort()).toEqual(['hubspot', 'zendesk']);
    expect(linked.externalLinks.find((l) => l.system === 'zendesk')?.externalId).toBe(String(ticket.id));

    // The agent's reply and note reach Zendesk as a public and a private comment.
    await desk.settle();
    await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'Looking into it now' });
    await agent.client.run(AddNoteDocument, { conversationId: conversation._id, text: 'Carrier ref 42' });
    await eventually('comments', () => ticket.comments.some((c) => c.body === 'Looking into it now' && c.public) && ticket.comments.some((c) => c.body === 'Carrier ref 42' && !c.public));

    // A Zendesk agent answers in Zendesk: the customer gets it on WhatsApp, and it is not echoed back.
    const commentsBefore = ticket.comments.length;
    const staff = zendesk.staffReply(ticket.id, 'Found it, arriving tomorrow');
    expect((await postDelivery(`${desk.url}/plugins/zendesk/webhook`, staff)).status).toBe(200);
    const onWhatsApp = await eventually('CRM reply on WhatsApp', () => desk.emulator.sent.find((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'Found it, arriving tomorrow'));
    expect(onWhatsApp.to).toBe(waId);
    await desk.settle();
    expect(ticket.comments.length).toBe(commentsBefore + 1); // only Zendesk's own comment; our copy was not posted back
    const view = await desk.admin.run(ConversationDocument, { id: conversation._id });
    const integrationMessage = view.conversation!.messages.edges.map((e) => e.node).find((m) => m.text === 'Found it, arriving tomorrow');
    // The CRM agent's name travels with the reply (DeskApi.postReply's authorName).
    expect(integrationMessage).toMatchObject({ author: 'INTEGRATION', origin: 'zendesk', authorName: 'Zoe Zendesk' });

    // A forged webhook changes nothing.
    const forged = zendesk.signedWebhook(zendesk.changeStatus(ticket.id, 'solved').payload, { secret: 'not-the-secret' });
    expect((await postDelivery(`${desk.url}/plugins/zendesk/webhook`, forged)).status).toBe(401);
    expect((await conversationOf(waId)).status).toBe('ASSIGNED');

    // Solved in Zendesk → resolved on the desk → HubSpot ticket closed.
    const solved = zendesk.changeStatus(ticket.id, 'solved');
    expect((await postDelivery(`${desk.url}/plugins/zendesk/webhook`, solved)).status).toBe(200);
    await eventually('resolved', async () => (await conversationOf(waId)).status === 'RESOLVED');
    const hubspotTicketId = linked.externalLinks.find((l) => l.system === 'hubspot')!.externalId;
    await eventually('hubspot closed', () => hubspot.objects.tickets.get(hubspotTicketId)?.properties['hs_pipeline_stage'] === '4');
  });

  it('desk resolve → Zendesk solved and HubSpot closed; HubSpot closing a ticket resolves the conversation', async () => {
    const agent = await desk.agent('Res Agent');
    await desk.customerSays('Another question', { from: '15557001002' });
    const first = await conversationOf('15557001002');
    await eventually('assigned', async () => (await conversationOf('15557001002')).assigneeId !== null);
    const owner = (await conversationOf('15557001002')).assigneeId!;
    const resolver = owner === agent.id ? agent.client : desk.admin;
    const ticket = await eventually('ticket', () => zendeskTickets().find((t) => t.description.includes('Another question')));
    await resolver.run(ResolveConversationDocument, { conversationId: first._id, sendSurvey: false });
    await eventually('zendesk solved', () => ticket.status === 'solved');

    await desk.customerSays('Third thing', { from: '15557001003' });
    const third = await conversationOf('15557001003');
    const hubspotTicket = await eventually('hubspot link', async () => (await conversationOf('15557001003')).externalLinks.find((l) => l.system === 'hubspot'));
    const moved = hubspot.moveTicket(hubspotTicket.externalId, '4');
    expect((await postDelivery(`${desk.url}/plugins/hubspot/webhook`, moved)).status).toBe(200);
    await eventually('resolved from HubSpot', async () => (await conversationOf('15557001003')).status === 'RESOLVED');
    expect(third._id).toBeTruthy();
  });

  it('a CRM down for a stretch, then back: every event delivered afterwards, in order, no duplicate ticket or comment', async () => {
    const waId = '15557001004';
    const agent = await desk.agent('Outage Agent');
    zendesk.inject({ status: 503, times: 12, retryAfterSeconds: null });
    await desk.customerSays('During the outage 1', { from: waId });
    await desk.customerSays('During the outage 2', { from: waId });
    const conversation = await conversationOf(waId);
    await eventually('assigned', async () => (await conversationOf(waId)).assigneeId !== null);
    const holder = (await conversationOf(waId)).assigneeId === agent.id ? agent.client : desk.admin;
    await holder.run(SendReplyDocument, { conversationId: conversation._id, text: 'Reply during outage' });

    const integrations = await desk.admin.run(IntegrationsDocument);
    expect(integrations.integrations.map((i) => i.name).sort()).toEqual(['hubspot', 'zendesk']);

    const ticket = await eventually('ticket after the outage', () => zendeskTickets().find((t) => t.description.includes('During the outage 1')), 15_000);
    await eventually('all comments', () => ticket.comments.some((c) => c.body === 'Reply during outage'), 15_000);
    expect(zendeskTickets().filter((t) => t.description.includes('During the outage 1'))).toHaveLength(1);
    const bodies = ticket.comments.map((c) => c.body);
    expect(bodies.filter((b) => b === 'During the outage 2')).toHaveLength(1);
    expect(bodies.indexOf('During the outage 2')).toBeLessThan(bodies.indexOf('Reply during outage'));
    await desk.settle();
    const after = await desk.admin.run(IntegrationsDocument);
    expect(after.integrations.find((i) => i.name === 'zendesk')).toMatchObject({ pending: 0, deadLetters: 0 });
  });
});

describe('generic signed webhooks, end to end', () => {
  it('every event is POSTed signed; a signed inbound reply reaches WhatsApp; a forged one changes nothing', async () => {
    const { createServer } = await import('node:http');
    const { signWebhook } = await import('../plugins/webhook/index.js');
    const received: Array<{ event: string; delivery: string; verified: boolean; body: { type?: string } }> = [];
    const secret = 'generic-webhook-secret-for-tests';
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const timestamp = String(req.headers['x-desk-timestamp']);
        received.push({
          event: String(req.headers['x-desk-event']),
          delivery: String(req.headers['x-desk-delivery']),
          verified: req.headers['x-desk-signature'] === signWebhook(secret, timestamp, raw),
          body: JSON.parse(raw.toString('utf8')) as { type?: string },
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address() as { port: number };
    const generic = await startDesk({
      env: { PLUGINS: 'webhook', WEBHOOK_URLS: `http://127.0.0.1:${address.port}/desk-events`, WEBHOOK_SECRET: secret, PLUGIN_RETRY_BASE: '20ms', PLUGIN_RETRY_MAX: '100ms' },
    });
    try {
      await generic.customerSays('hello generic world', { from: '15557002001' });
      await eventually('events at the receiver', () => received.some((r) => r.event === 'message.received'));
      expect(received.every((r) => r.verified)).toBe(true);
      expect(received.map((r) => r.event)).toEqual(expect.arrayContaining(['conversation.opened', 'message.received']));

      const conversation = await eventually('conversation', () => generic.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15557002001' }));
      const post = (body: unknown, signWith = secret) => {
        const raw = JSON.stringify(body);
        const timestamp = String(Math.floor(Date.now() / 1000));
        return fetch(`${generic.url}/plugins/webhook/inbound`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-desk-timestamp': timestamp, 'x-desk-signature': signWebhook(signWith, timestamp, raw) },
          body: raw,
        });
      };
      const reply = { id: 'crm-reply-1', action: 'reply', conversationId: conversation._id, text: 'from another system' };
      expect((await post(reply, 'forged-secret')).status).toBe(401);
      expect((await post(reply)).status).toBe(200);
      // Replayed (or retried) within the 5 minutes: the same id is acted on once.
      expect(await (await post(reply)).json()).toEqual({ ok: true, duplicate: true });
      await eventually('reply on WhatsApp', () => generic.emulator.sent.some((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'from another system'));
      expect(generic.emulator.sent.filter((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'from another system')).toHaveLength(1);
    } finally {
      await generic.close();
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
