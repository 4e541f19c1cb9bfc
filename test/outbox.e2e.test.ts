// The outbox's truth is the store: leases, the sweep, graceful shutdown that
// leaves work QUEUED for the next start, follow-ups finished from stored state
// when their wake is lost, and wake-ups for messages the store does not have.
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { DeadLettersDocument, SendReplyDocument } from '../src/generated/graphql.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import type { Store } from '../src/store/port.js';
import { deskMessage } from '../src/workflow/messageFactory.js';
import { queueOutbound, SEND_QUEUE } from '../src/workflow/outbound.js';
import { startWhatsAppEmulator, type SentMessage, type WhatsAppEmulator } from './emulators/whatsappCloud.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

const opened: Desk[] = [];
const emulators: WhatsAppEmulator[] = [];
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
  for (const e of emulators.splice(0)) await e.close();
});

async function desk(env: Record<string, string> = {}, shared: { store?: Store; emulator?: WhatsAppEmulator } = {}): Promise<Desk> {
  const d = await startDesk({ env: { SURVEY_ENABLED: 'false', ...env }, ...shared });
  opened.push(d);
  return d;
}

const messages = (d: Desk) => d.app.store.collection<MessageDoc>(COLLECTIONS.messages);
const conversations = (d: Desk) => d.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);
const textOf = (s: SentMessage) => (s.body['text'] as { body?: string } | undefined)?.body;

/** A customer's conversation assigned to a fresh online agent. */
async function assigned(d: Desk, from: string) {
  const agent = await d.agent(`Agent ${from}`);
  await d.customerSays('hello', { from });
  const conversation = await eventually('assigned', async () => {
    const c = await conversations(d).findOne({ waId: from });
    return c?.status === 'ASSIGNED' ? c : null;
  });
  await d.settle();
  return { agent, conversation };
}

describe('outbox truth in the store', () => {
  it('a reply is stored with its outbox state and goes QUEUED → SENT with the lease released', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const { agent, conversation } = await assigned(d, '15550100001');
    const reply = await agent.client.run(SendReplyDocument, { conversationId: conversation._id, text: 'stored first' });
    const sent = await eventually('SENT', async () => {
      const m = await messages(d).findOne({ _id: reply.sendReply.id });
      return m?.status === 'SENT' ? m : null;
    });
    expect(sent.outbox).toMatchObject({ state: 'SENT', attempts: 1, leaseOwner: null, leaseUntil: null });
  });

  it('graceful close leaves unsent replies QUEUED (never dropped); the next start over the same store sends each exactly once', async () => {
    const store = createEmbeddedStore();
    const emulator = await startWhatsAppEmulator();
    emulators.push(emulator);
    // One send a second and each one slow: most replies are still waiting when the first instance stops.
    emulator.script({ delayMs: 150, times: Infinity });
    const first = await desk({ ASSIGNMENT_POLICY: 'least_loaded', WHATSAPP_SEND_RATE: '1' }, { store, emulator });
    const { agent, conversation } = await assigned(first, '15550100002');
    const texts = Array.from({ length: 10 }, (_, i) => `queued reply ${i}`);
    await Promise.all(texts.map((text) => agent.client.run(SendReplyDocument, { conversationId: conversation._id, text })));
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    const left = await store.collection<MessageDoc>(COLLECTIONS.messages).find({ text: { $in: texts } });
    const states = left.map((m) => m.outbox?.state);
    // In-flight sends finished; nothing is stuck SENDING, the rest wait QUEUED.
    expect(states).not.toContain('SENDING');
    expect(states.filter((s) => s === 'QUEUED').length).toBeGreaterThan(0);

    await desk({ ASSIGNMENT_POLICY: 'least_loaded' }, { store, emulator });
    await eventually('all ten at the emulator', () => texts.every((t) => emulator.sent.some((s) => textOf(s) === t)), 15_000);
    for (const text of texts) expect(emulator.sent.filter((s) => textOf(s) === text), text).toHaveLength(1);
  });

  it('a SENDING message whose lease ran out (its sender died) is sent again by the sweep; a live lease is left alone', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const { conversation } = await assigned(d, '15550100003');
    const now = new Date();
    const lease = (until: Date) => ({ state: 'SENDING' as const, attempts: 1, nextAttemptAt: now, leaseOwner: 'a-dead-instance', leaseUntil: until, lastError: null });
    const abandoned = await messages(d).insertOne({ ...deskMessage({ conversation, author: 'AGENT', type: 'TEXT', text: 'abandoned', now }), outbox: lease(new Date(now.getTime() - 1)) });
    const held = await messages(d).insertOne({ ...deskMessage({ conversation, author: 'AGENT', type: 'TEXT', text: 'held', now }), outbox: lease(new Date(now.getTime() + 60_000)) });

    const result = await d.app.workflow.sweepNow(0);
    expect(result.sendsWoken).toBe(1);
    await eventually('abandoned one SENT', async () => (await messages(d).findOne({ _id: abandoned._id }))?.status === 'SENT');
    await d.settle();
    expect((await messages(d).findOne({ _id: abandoned._id }))?.outbox).toMatchObject({ state: 'SENT', attempts: 2 });
    expect((await messages(d).findOne({ _id: held._id }))?.outbox?.state).toBe('SENDING');
    expect(d.emulator.sent.filter((s) => textOf(s) === 'held')).toHaveLength(0);
  });

  it('a wake-up for a message the store does not have is not consumed silently: it becomes a dead letter', async () => {
    const d = await desk();
    await d.app.queue.enqueue(SEND_QUEUE, { messageId: 'no-such-message' }, { jobId: 'send-no-such-message' });
    await d.settle();
    const dead = await d.admin.run(DeadLettersDocument, { queue: SEND_QUEUE });
    expect(dead.deadLetters).toEqual([expect.objectContaining({ queue: SEND_QUEUE, payload: { messageId: 'no-such-message' }, attempts: 1, error: expect.stringContaining('not found') })]);
  });

  it('an input error fails the message at once: one try, FAILED, nothing sent', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded' });
    const { conversation } = await assigned(d, '15550100004');
    const before = d.emulator.requests.length;
    const stored = await queueOutbound(d.app.workflow.deps, deskMessage({ conversation, author: 'AGENT', type: 'LOCATION', text: 'a pin', now: new Date() }));
    const failed = await eventually('FAILED', async () => {
      const m = await messages(d).findOne({ _id: stored._id });
      return m?.status === 'FAILED' ? m : null;
    });
    expect(failed.outbox).toMatchObject({ state: 'FAILED', attempts: 1 });
    expect(failed.error?.details).toMatch(/invalid input.*cannot send a LOCATION message/);
    expect(d.emulator.requests.length).toBe(before);
  });
});

describe('follow-ups from stored state', () => {
  it('when no wake-up can be queued the webhook still answers 200; the sweep greets and assigns from stored state', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded', GREETING_TEXT: 'Hello from the sweep' });
    await d.agent('Online Agent');
    const queue = d.app.queue;
    const enqueue = queue.enqueue.bind(queue);
    // As when Redis is down: every wake-up fails.
    queue.enqueue = async (name: string) => {
      throw new Error(`connection refused (${name})`);
    };
    try {
      await d.customerSays('anyone there?', { from: '15550100005' }); // throws unless 200
      const waiting = await conversations(d).findOne({ waId: '15550100005' });
      expect(waiting).toMatchObject({ status: 'QUEUED', greetingSentAt: null });
    } finally {
      queue.enqueue = enqueue;
    }
    // Not yet owed by the periodic rule (younger than a sweep interval); a start-up pass (no grace) finishes it.
    const result = await d.app.workflow.sweepNow(0);
    expect(result).toMatchObject({ greeted: 1, assigned: 1 });
    const greeting = await eventually('greeting at the emulator', () => d.emulator.sent.find((s) => textOf(s) === 'Hello from the sweep'));
    expect(greeting.to).toBe('15550100005');
    expect((await conversations(d).findOne({ waId: '15550100005' }))?.status).toBe('ASSIGNED');
    // Idempotent: another pass greets no one twice.
    expect(await d.app.workflow.sweepNow(0)).toMatchObject({ greeted: 0, assigned: 0 });
    await d.settle();
    expect(d.emulator.sent.filter((s) => textOf(s) === 'Hello from the sweep')).toHaveLength(1);
  });

  it('a survey owed at resolution survives a crash before it was stored: the sweep sends it, once', async () => {
    const d = await desk({ ASSIGNMENT_POLICY: 'least_loaded', SURVEY_ENABLED: 'true' });
    const { conversation } = await assigned(d, '15550100006');
    // The resolution was recorded (owing a survey), then the process died before storing the survey.
    const resolved = await d.app.repos.conversations.resolve(conversation._id, new Date(), true);
    expect(resolved?.survey?.owedAt).toBeInstanceOf(Date);
    expect(await d.app.workflow.sweepNow(0)).toMatchObject({ surveyed: 1 });
    const survey = await eventually('survey at the emulator', () => d.emulator.sent.find((s) => s.to === '15550100006' && s.type === 'interactive'));
    expect(survey).toBeTruthy();
    const surveyed = (await conversations(d).findOne({ _id: conversation._id }))?.survey;
    expect(surveyed?.owedAt ?? null).toBeNull();
    expect(surveyed?.sentAt).toBeInstanceOf(Date);
    expect(await d.app.workflow.sweepNow(0)).toMatchObject({ surveyed: 0 });
    await d.settle();
    expect(d.emulator.sent.filter((s) => s.to === '15550100006' && s.type === 'interactive')).toHaveLength(1);
  });
});
