// WhatsApp webhook sanity (issue 14, finding 7), through the real route with
// real signatures: another number's traffic is acknowledged and not stored,
// counted and logged once per number; a message dated far ahead does not
// hold the 24-hour window open.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationDoc, CustomerDoc, MessageDoc } from '../src/domain/model.js';
import { SendReplyDocument } from '../src/generated/graphql.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { inboundWebhook, statusWebhook } from './emulators/whatsappCloud.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

let clockOffsetMs = 0;
const clock = { now: () => new Date(Date.now() + clockOffsetMs) };
const lines: Array<{ msg?: string; phoneNumberId?: string; level?: number }> = [];
let desk: Desk;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  desk = await startDesk({ clock, logger: pino({ level: 'info' }, sink), env: { ASSIGNMENT_POLICY: 'least_loaded', SURVEY_ENABLED: 'false' } });
});
afterAll(() => desk?.close());

const conversations = () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations);
const messages = () => desk.app.store.collection<MessageDoc>(COLLECTIONS.messages);

async function metricValue(phoneNumberId: string, kind: 'message' | 'status'): Promise<number | null> {
  const text = await (await fetch(`${desk.url}/metrics`)).text();
  const match = text.match(new RegExp(`^desk_whatsapp_foreign_items_total\\{phone_number_id="${phoneNumberId}",kind="${kind}"\\} (\\d+)$`, 'm'));
  return match ? Number(match[1]) : null;
}

describe('a webhook for another phone_number_id', () => {
  it('is acknowledged 200, stores nothing, is counted on /metrics and logged once per number', async () => {
    const theirs = ['999000111', '999000222'];
    const post = (phoneNumberId: string, id: string, from: string) =>
      desk.emulator.postWebhook(desk.webhookUrl, inboundWebhook(phoneNumberId, [{ type: 'text', text: 'meant for another number', id, from }]));

    const answers = [
      ...(await post(theirs[0]!, 'wamid.foreign-1', '15550300001')),
      ...(await post(theirs[0]!, 'wamid.foreign-2', '15550300002')),
      ...(await post(theirs[1]!, 'wamid.foreign-3', '15550300003')),
      ...(await desk.emulator.postWebhook(desk.webhookUrl, statusWebhook(theirs[0]!, [{ whatsappId: 'wamid.theirs-out', status: 'delivered', recipientId: '15550300001' }]))),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);

    // Ours, in the same desk, is stored as ever.
    const [ours] = await desk.customerSays('meant for us', { from: '15550300009' });
    await eventually('ours stored', () => messages().findOne({ whatsappId: ours! }));

    expect(await messages().countDocuments({ whatsappId: { $in: ['wamid.foreign-1', 'wamid.foreign-2', 'wamid.foreign-3'] } })).toBe(0);
    expect(await desk.app.store.collection<CustomerDoc>(COLLECTIONS.customers).countDocuments({ waId: { $in: ['15550300001', '15550300002', '15550300003'] } })).toBe(0);
    expect(await conversations().countDocuments({ waId: { $in: ['15550300001', '15550300002', '15550300003'] } })).toBe(0);

    expect(await metricValue(theirs[0]!, 'message')).toBe(2);
    expect(await metricValue(theirs[0]!, 'status')).toBe(1);
    expect(await metricValue(theirs[1]!, 'message')).toBe(1);

    const logged = lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('another phone_number_id'));
    expect(logged.map((l) => l.phoneNumberId).sort()).toEqual(theirs);
  });
});

describe('a message dated far ahead', () => {
  it('runs the 24-hour window (and the stored send time) from its arrival, not from 2099', async () => {
    const agent = await desk.agent('Future Agent', { capacity: 10 });
    const arrived = Date.now();
    await desk.customerSays('sent from 2099', { from: '15550300100', timestamp: Date.parse('2099-06-01T00:00:00Z') });
    const conversation = await eventually('assigned', async () => {
      const c = await conversations().findOne({ waId: '15550300100' });
      return c?.status === 'ASSIGNED' && c.assigneeId === agent.id ? c : null;
    });
    const lastCustomerMessageAt = new Date(conversation.lastCustomerMessageAt!).getTime();
    expect(lastCustomerMessageAt).toBeGreaterThanOrEqual(arrived - 1_000);
    expect(lastCustomerMessageAt).toBeLessThanOrEqual(Date.now());
    const stored = await messages().findOne({ conversationId: conversation._id, direction: 'INBOUND' });
    expect(new Date(stored!.sentAt!).getTime()).toBe(lastCustomerMessageAt);

    // A little ahead (clock skew) is believed as sent.
    const skewed = Math.floor((Date.now() + 120_000) / 1000) * 1000;
    const [skewedId] = await desk.customerSays('a clock two minutes fast', { from: '15550300100', timestamp: skewed });
    const kept = await eventually('stored', () => messages().findOne({ whatsappId: skewedId! }));
    expect(new Date(kept.sentAt!).getTime()).toBe(skewed);

    // 25 hours later the window is closed: the 2099 date did not keep it open.
    clockOffsetMs = 25 * 3600_000;
    try {
      const refused = await agent.client.try(SendReplyDocument, { conversationId: conversation._id, text: 'still there?' });
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('SERVICE_WINDOW_CLOSED');
    } finally {
      clockOffsetMs = 0;
    }
    expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('inbound message dated more than 5 minutes ahead'))).toBe(true);
  });
});
