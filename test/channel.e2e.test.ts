// Issue 3: the WhatsApp channel end to end — signed webhooks in, durable sends
// out through the Cloud API emulator, statuses back, the 24-hour window.
import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignConversationDocument,
  ConversationDocument,
  DeadLettersDocument,
  RetryDeadLetterDocument,
  SendReplyDocument,
  SendTemplateDocument,
} from '../src/generated/graphql.js';
import type { ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { signBody } from '../src/whatsapp/signature.js';
import { postSignedWebhook } from './emulators/whatsappCloud.js';
import { eventually, startDesk, type Desk } from './support/desk.js';
import { whatsappFixtureBytes, whatsappFixtures } from './support/fixtures.js';


let desk: Desk;
let clockOffsetMs = 0;
const clock = { now: () => new Date(Date.now() + clockOffsetMs) };

beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false', WHATSAPP_PAIR_PAUSE: '700ms' }, clock });
});
afterAll(async () => {
  await desk.close();
});
afterEach(() => {
  clockOffsetMs = 0;
  desk.emulator.clearScripts();
});

const messages = () => desk.app.store.collection<MessageDoc>(COLLECTIONS.messages);
const conversations = () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);

/** A conversation for a fresh customer, assigned to a fresh agent, with the emulator's outbox emptied. */
async function assignedConversation(from: string) {
  const agent = await desk.agent(`Agent ${from}`);
  await desk.customerSays('I need help', { from });
  await desk.settle();
  const conversation = await eventually('conversation', () => conversations().findOne({ waId: from }));
  await agent.client.run(AssignConversationDocument, { conversationId: conversation._id });
  await desk.settle();
  return { agent, conversation };
}

describe('webhook verification and intake', () => {
  it('answers the subscription handshake only with the right token', async () => {
    const ok = await fetch(`${desk.webhookUrl}?hub.mode=subscribe&hub.verify_token=verify-token-for-tests&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${desk.webhookUrl}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });

  it('stores every reference payload, each type parsed', async () => {
    const files = readdirSync(whatsappFixtures).filter((f) => f.startsWith('inbound-'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const raw = whatsappFixtureBytes(file).toString('utf8');
      const [answer] = await postSignedWebhook(desk.webhookUrl, raw, desk.emulator.appSecret);
      expect(answer!.status, file).toBe(200);
      const id = (JSON.parse(raw) as { entry: Array<{ changes: Array<{ value: { messages: Array<{ id: string }> } }> }> }).entry[0]!.changes[0]!.value.messages[0]!.id;
      const stored = await messages().findOne({ whatsappId: id });
      expect(stored, file).not.toBeNull();
    }
    const image = await messages().findOne({ type: 'IMAGE' });
    expect(image?.media).toMatchObject({ id: '1003383421387256', mimeType: 'image/jpeg', caption: 'This is what arrived' });
    const unsupported = await messages().findOne({ type: 'UNSUPPORTED' });
    expect(unsupported?.payload).toBeTruthy();
  });

  it('stores a type it does not know as UNSUPPORTED with its raw JSON, without failing the batch', async () => {
    await desk.sendInbound([
      { type: 'raw', from: '15551110000', message: { type: 'hologram', hologram: { depth: 3 } } },
      { type: 'text', from: '15551110000', text: 'and a normal one' },
    ]);
    const odd = await messages().findOne({ type: 'UNSUPPORTED', 'payload.type': 'hologram' });
    expect(odd?.payload).toMatchObject({ hologram: { depth: 3 } });
    expect(await messages().findOne({ text: 'and a normal one' })).not.toBeNull();
  });

  it('10 concurrent copies of one notification store one message and open one conversation', async () => {
    const from = '15552220000';
    const { responses, ids } = await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', from, text: 'only once please' }, { duplicate: 10 });
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await messages().countDocuments({ whatsappId: ids[0] })).toBe(1);
    expect(await conversations().countDocuments({ waId: from })).toBe(1);
    await desk.settle();
    // The workflow ran once: one greeting.
    expect(desk.emulator.sent.filter((s) => s.to === from)).toHaveLength(1);
  });

  it('forged or missing signature → 401 and nothing stored', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const forged = await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', from: '15553330000', text: 'forged' }, { signature: signBody(body, 'wrong-secret') });
    const missing = await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', from: '15553330000', text: 'unsigned' }, { signature: null });
    expect(forged.responses[0]!.status).toBe(401);
    expect(missing.responses[0]!.status).toBe(401);
    expect(await messages().countDocuments({ whatsappId: { $in: [...forged.ids, ...missing.ids] } })).toBe(0);
    expect(await conversations().countDocuments({ waId: '15553330000' })).toBe(0);
  });

  it('malformed JSON with a valid signature → 400; a non-WhatsApp body → 400', async () => {
    const [broken] = await postSignedWebhook(desk.webhookUrl, '{"object": "whatsapp_business_account", "entry": [', desk.emulator.appSecret);
    expect(broken!.status).toBe(400);
    const [wrongShape] = await postSignedWebhook(desk.webhookUrl, { hello: 'world' }, desk.emulator.appSecret);
    expect(wrongShape!.status).toBe(400);
  });

  it('over 3 MB → 413', async () => {
    const huge = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(3 * 1024 * 1024 + 10) });
    const [answer] = await postSignedWebhook(desk.webhookUrl, huge, desk.emulator.appSecret);
    expect(answer!.status).toBe(413);
  });

  it('the 24-hour window runs from the customer timestamp, not arrival time', async () => {
    const sentAt = new Date(Date.now() - 3 * 3600_000);
    await desk.customerSays('old news', { from: '15554440000', timestamp: sentAt });
    const conversation = await conversations().findOne({ waId: '15554440000' });
    expect(conversation?.lastCustomerMessageAt?.getTime()).toBe(Math.floor(sentAt.getTime() / 1000) * 1000);
  });
});

describe('sending and delivery statuses', () => {
  it('a reply goes QUEUED → SENT with the wamid, statuses move it forward only, duplicates and late ones change nothing', async () => {
    const { agent, conversation } = await assignedConversation('15555550000');
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'On it!' });
    expect(reply.sendReply.status).toBe('QUEUED');
    const sent = await eventually('the reply at the emulator', () => desk.emulator.sent.find((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'On it!'));
    const stored = await eventually('SENT', async () => {
      const m = await messages().findOne({ _id: reply.sendReply.id });
      return m?.status === 'SENT' ? m : null;
    });
    expect(stored.whatsappId).toBe(sent.whatsappId);
    // The customer's message was marked read when the agent replied.
    await eventually('mark-as-read', () => desk.emulator.reads.length > 0);

    await desk.postStatus([{ whatsappId: sent.whatsappId, status: 'read' }], 3);
    await desk.postStatus({ whatsappId: sent.whatsappId, status: 'delivered' }, 2);
    await desk.postStatus({ whatsappId: sent.whatsappId, status: 'sent' });
    expect((await messages().findOne({ _id: reply.sendReply.id }))?.status).toBe('READ');
  });

  it('a status that arrives before its message is known is held and applied later', async () => {
    const { agent, conversation } = await assignedConversation('15556660000');
    // Meta answers slowly, and its `delivered` status beats the answer to us.
    desk.emulator.script({ delayMs: 300 });
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'slow send' });
    const sent = await eventually('emulator accepted it', () => desk.emulator.sent.find((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'slow send'));
    await desk.postStatus({ whatsappId: sent.whatsappId, status: 'delivered' });
    await eventually('DELIVERED after the answer arrived', async () => (await messages().findOne({ _id: reply.sendReply.id }))?.status === 'DELIVERED');
  });

  it('retries scripted 5xx and 130429, ending SENT exactly once', async () => {
    const { agent, conversation } = await assignedConversation('15557770000');
    desk.emulator.script({ httpStatus: 503, times: 2, to: '15557770000' });
    desk.emulator.script({ code: 130429, times: 1, to: '15557770000' });
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'persistent' });
    await eventually('SENT', async () => (await messages().findOne({ _id: reply.sendReply.id }))?.status === 'SENT');
    await desk.settle();
    const attempts = desk.emulator.requests.filter((r) => (r.body as { text?: { body?: string } } | undefined)?.text?.body === 'persistent');
    // 503, 503, then 130429 (Meta answers it with HTTP 400), then accepted: four tries, one message.
    expect(attempts.map((r) => r.status)).toEqual([503, 503, 400, 200]);
  });

  it('131056 (pair rate) pauses that recipient only; others are sent meanwhile', async () => {
    const slow = await assignedConversation('15550004444');
    const fast = await assignedConversation('15550005555');
    desk.emulator.script({ code: 131056, times: 1, to: '15550004444' });
    const started = Date.now();
    const paused = await slow.agent.client.run(SendReplyDocument, { conversationId: slow.conversation._id, text: 'to the busy user' });
    await eventually('first try refused', () => desk.emulator.requests.some((r) => (r.body as { text?: { body?: string } } | undefined)?.text?.body === 'to the busy user'));
    const other = await fast.agent.client.run(SendReplyDocument, { conversationId: fast.conversation._id, text: 'to someone else' });
    await eventually('other SENT', async () => (await messages().findOne({ _id: other.sendReply.id }))?.status === 'SENT');
    const otherSentAfter = Date.now() - started;
    await eventually('paused one SENT', async () => (await messages().findOne({ _id: paused.sendReply.id }))?.status === 'SENT');
    const pausedSentAfter = Date.now() - started;
    expect(otherSentAfter).toBeLessThan(pausedSentAfter);
    expect(pausedSentAfter).toBeGreaterThanOrEqual(700);
  });

  it('131047 as a synchronous 400 marks the message FAILED with that code, without retrying', async () => {
    const { agent, conversation } = await assignedConversation('15558880000');
    desk.emulator.script({ code: 131047, to: '15558880000' });
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'too late?' });
    const failed = await eventually('FAILED', async () => {
      const m = await messages().findOne({ _id: reply.sendReply.id });
      return m?.status === 'FAILED' ? m : null;
    });
    expect(failed.error?.code).toBe(131047);
    await desk.settle();
    expect(desk.emulator.requests.filter((r) => (r.body as { text?: { body?: string } } | undefined)?.text?.body === 'too late?')).toHaveLength(1);
  });

  it('131047 as an asynchronous failed status marks the SENT message FAILED', async () => {
    const { agent, conversation } = await assignedConversation('15559990000');
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'accepted then failed' });
    const sent = await eventually('sent', () => desk.emulator.sent.find((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'accepted then failed'));
    await eventually('SENT', async () => (await messages().findOne({ _id: reply.sendReply.id }))?.status === 'SENT');
    await desk.postStatus({ whatsappId: sent.whatsappId, status: 'failed', errors: [{ code: 131047 }] });
    const view = await agent.client.run(ConversationDocument, { id: conversation._id });
    const message = view.conversation?.messages.edges.find((e) => e.node.id === reply.sendReply.id)?.node;
    expect(message?.status).toBe('FAILED');
    expect(message?.error?.code).toBe(131047);
  });

  it('a permanently failing send becomes a dead letter an admin can list and retry', async () => {
    const { agent, conversation } = await assignedConversation('15550001111');
    desk.emulator.script({ httpStatus: 500, times: Infinity, to: '15550001111' });
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'doomed at first' });
    const failed = await eventually('FAILED after retries', async () => {
      const m = await messages().findOne({ _id: reply.sendReply.id });
      return m?.status === 'FAILED' ? m : null;
    });
    expect(failed.error?.code).toBe(500);
    const dead = await desk.admin.run(DeadLettersDocument, { queue: 'whatsapp.send' });
    const letter = dead.deadLetters.find((d) => (d.payload as { messageId: string }).messageId === reply.sendReply.id);
    expect(letter?.attempts).toBeGreaterThan(1);
    // Agents cannot see the dead-letter queue.
    expect((await agent.client.try(DeadLettersDocument, {})).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    desk.emulator.clearScripts();
    expect((await desk.admin.run(RetryDeadLetterDocument, { queue: 'whatsapp.send', id: letter!.id })).retryDeadLetter).toBe(true);
    // Retried by an admin: back to QUEUED, then sent once.
    await eventually('SENT after the retry', async () => (await messages().findOne({ _id: reply.sendReply.id }))?.status === 'SENT');
    expect(desk.emulator.sent.filter((s) => (s.body['text'] as { body?: string } | undefined)?.body === 'doomed at first')).toHaveLength(1);
    expect((await desk.admin.run(DeadLettersDocument, { queue: 'whatsapp.send' })).deadLetters.some((d) => d.id === letter!.id)).toBe(false);
  });
});

describe('the 24-hour window', () => {
  it('sendReply outside the window fails with SERVICE_WINDOW_CLOSED before any API call; sendTemplate still works', async () => {
    const { agent, conversation } = await assignedConversation('15550002222');
    const before = desk.emulator.requests.length;
    clockOffsetMs = 25 * 3600_000;
    const closed = await agent.client.try(SendReplyDocument, { conversationId: conversation._id, text: 'hello?' });
    expect(closed.errors?.[0]?.extensions?.['code']).toBe('SERVICE_WINDOW_CLOSED');
    expect(desk.emulator.requests.length).toBe(before);

    const template = await agent.client.run(SendTemplateDocument, { conversationId: conversation._id, name: 'order_update', language: 'en_US', components: [] });
    expect(template.sendTemplate.type).toBe('TEMPLATE');
    const sent = await eventually('template at the emulator', () => desk.emulator.sent.find((s) => s.type === 'template' && s.to === '15550002222'));
    expect(sent.body['template']).toMatchObject({ name: 'order_update', language: { code: 'en_US' } });
  });

  it('rejects an over-long reply with BAD_USER_INPUT and stores nothing', async () => {
    const { agent, conversation } = await assignedConversation('15550003333');
    const count = await messages().countDocuments({ conversationId: conversation._id });
    const result = await agent.client.try(SendReplyDocument, { conversationId: conversation._id, text: 'x'.repeat(4097) });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await messages().countDocuments({ conversationId: conversation._id })).toBe(count);
  });
});
