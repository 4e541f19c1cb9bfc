// Several instances behind a load balancer: the Redis pub/sub carries events
// between them and BullMQ runs the outbox. Two app instances, each with its
// own HTTP server and Redis connections, share one store (the embedded store
// lives in memory, so they share it inside this test process).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignConversationDocument, MessageAddedDocument, SendReplyDocument } from '../src/generated/graphql.js';
import type { AgentDoc, ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { startWhatsAppEmulator, type WhatsAppEmulator } from './emulators/whatsappCloud.js';
import { deleteKeys, redisUnavailable } from './support/redis.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

const redisUrl = process.env.REDIS_URL;
const skipReason = await redisUnavailable(redisUrl);
if (skipReason) console.warn(`!!! Multi-instance Redis paths (pub/sub between instances, BullMQ outbox) were NOT tested: ${skipReason}.`);

describe.skipIf(skipReason !== null)('two instances on Redis', () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const store = createEmbeddedStore();
  let emulator: WhatsAppEmulator;
  let a: Desk;
  let b: Desk;

  beforeAll(async () => {
    emulator = await startWhatsAppEmulator();
    const env = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix, ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' };
    a = await startDesk({ env, store, emulator });
    b = await startDesk({ env, store, emulator });
    expect(a.app.queue.kind).toBe('bullmq');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    if (redisUrl) await deleteKeys(redisUrl, `${prefix}*`);
  });

  it('a webhook into one instance reaches a subscriber on the other', async () => {
    const agent = await a.agent('Cross Instance');
    const subscription = await b.as(agent.token).subscribe(MessageAddedDocument, {});
    try {
      await a.customerSays('hello from instance A', { from: '15551230001' });
      const event = await subscription.next(5_000);
      expect(event.data?.messageAdded.text).toBe('hello from instance A');
    } finally {
      await subscription.close();
    }
  });

  it('the same notification delivered 10 times, to both instances at once, stores one message and greets once', async () => {
    const from = '15551230002';
    const payload = (await import('./emulators/whatsappCloud.js')).inboundWebhook(emulator.phoneNumberId, [{ type: 'text', from, text: 'twice to both' }]);
    const answers = await Promise.all([
      emulator.postWebhook(a.webhookUrl, payload, { duplicate: 5 }),
      emulator.postWebhook(b.webhookUrl, payload, { duplicate: 5 }),
    ]);
    expect(answers.flat().map((r) => r.status)).toEqual(Array(10).fill(200));
    await Promise.all([a.settle(), b.settle()]);
    expect(await store.collection<MessageDoc>(COLLECTIONS.messages).countDocuments({ text: 'twice to both' })).toBe(1);
    expect(await store.collection<ConversationDoc>(COLLECTIONS.conversations).countDocuments({ waId: from })).toBe(1);
    await eventually('one greeting', () => emulator.sent.filter((s) => s.to === from).length === 1);
  });

  it('BullMQ retries a reply through scripted 5xx and 130429, ending SENT exactly once', async () => {
    const from = '15551230003';
    const agent = await b.agent('Bull Sender');
    await a.customerSays('needs a reply', { from });
    const conversation = await eventually('conversation', () => store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: from }));
    await agent.client.run(AssignConversationDocument, { conversationId: conversation._id });
    // The greeting goes to the same customer: let it go out before scripting failures for the reply.
    await eventually('greeting sent', () => emulator.sent.some((s) => s.to === from), 15_000);
    emulator.script({ httpStatus: 502, times: 2, to: from });
    emulator.script({ code: 130429, times: 1, to: from });
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'through BullMQ' });
    await eventually('SENT', async () => (await store.collection<MessageDoc>(COLLECTIONS.messages).findOne({ _id: reply.sendReply.id }))?.status === 'SENT', 15_000);
    const tries = emulator.requests.filter((r) => (r.body as { text?: { body?: string } } | undefined)?.text?.body === 'through BullMQ');
    expect(tries.map((r) => r.status)).toEqual([502, 502, 400, 200]);
  });

  it("a revocation announced on one instance closes the agent's sockets on the other", async () => {
    const agent = await a.agent('Revoked Across');
    const colleague = await a.agent('Stays Connected');
    const revoked = await b.as(agent.token).subscribe(MessageAddedDocument, {});
    const stays = await b.as(colleague.token).subscribe(MessageAddedDocument, {});
    try {
      // What a token rotation stores: the old token's hash is gone.
      await store.collection<AgentDoc>(COLLECTIONS.agents).updateOne({ _id: agent.id }, { $set: { tokenHash: 'rotated' } });
      await a.app.workflow.revokeSockets(agent.id);
      expect(await revoked.closed).toEqual({ code: 4403, reason: 'Forbidden' });
      await a.customerSays('colleague still hears this', { from: '15551230004' });
      expect((await stays.next(5_000)).data?.messageAdded.text).toBe('colleague still hears this');
    } finally {
      await revoked.close();
      await stays.close();
    }
  });
});
