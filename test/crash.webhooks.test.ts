// Crash test (a): webhooks in flight at a SIGKILL. The desk runs as its own
// process on a data directory of this test's own; signed webhooks, each one
// new message from one of many customers, are fired from many connections at
// once; the desk is SIGKILLed in mid-stream. Then:
// - the data directory alone (the desk dead) holds every message the desk
//   acknowledged with a 200, exactly once;
// - restarted on the same directory, the desk takes Meta's redelivery of every
//   message (the unacknowledged ones, and the acknowledged ones too, as Meta
//   may resend those as well) and stores each exactly once, one conversation
//   per customer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { openDurableStore } from '../src/store/embeddedDurable.js';
import { inboundWebhook, newWamid, postSignedWebhook } from './emulators/whatsappCloud.js';
import { startDeskProcess, type DeskProcess } from './support/deskProcess.js';

const APP_SECRET = 'crash-test-app-secret-0123456789abcdef';
const PHONE_NUMBER_ID = '106540352242922';
const CONNECTIONS = 24;
const CUSTOMERS = 120;
/** The kill comes once this many webhooks were acknowledged (or after KILL_AFTER_MS, whichever is first). */
const KILL_AT_ACKS = 80;
const KILL_AFTER_MS = 15_000;

const dataDir = mkdtempSync(join(tmpdir(), 'desk-crash-a-'));
const processes: DeskProcess[] = [];

afterAll(async () => {
  await Promise.all(processes.map((desk) => desk.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

function deskEnvironment(): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    ADMIN_TOKEN: 'crash-test-admin-token-0123456789abcdef',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'crash-test-verify-token',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    LOG_LEVEL: 'info',
  };
}

interface Sent {
  wamid: string;
  from: string;
  text: string;
  acknowledged: boolean;
}

function webhookFor(message: Sent): Record<string, unknown> {
  return inboundWebhook(PHONE_NUMBER_ID, [{ type: 'text', text: message.text, from: message.from, id: message.wamid, name: `Customer ${message.from}` }]);
}

async function deliver(url: string, message: Sent): Promise<number | 'no answer'> {
  try {
    const [answer] = await postSignedWebhook(url, webhookFor(message), APP_SECRET);
    return answer!.status;
  } catch {
    // The connection died with the process: no answer, so Meta would redeliver.
    return 'no answer';
  }
}

/** What the data directory holds, read with the desk stopped. */
async function stored(): Promise<{ inbound: Map<string, number>; conversationsPerCustomer: Map<string, number> }> {
  const store = await openDurableStore({ dataDir });
  try {
    const inbound = new Map<string, number>();
    for (const message of await store.collection<MessageDoc>(COLLECTIONS.messages).find({ direction: 'INBOUND' })) {
      inbound.set(message.whatsappId!, (inbound.get(message.whatsappId!) ?? 0) + 1);
    }
    const conversationsPerCustomer = new Map<string, number>();
    for (const conversation of await store.collection<ConversationDoc>(COLLECTIONS.conversations).find({})) {
      conversationsPerCustomer.set(conversation.waId, (conversationsPerCustomer.get(conversation.waId) ?? 0) + 1);
    }
    return { inbound, conversationsPerCustomer };
  } finally {
    await store.close();
  }
}

describe('crash (a): webhooks in flight at a SIGKILL', () => {
  it('every acknowledged message survives exactly once; redelivery after the restart adds no duplicates', { timeout: 240_000 }, async () => {
    const first = await startDeskProcess(deskEnvironment());
    processes.push(first);
    expect(first.output()).toMatch(/"storage: embedded, on disk in /);

    // Many customers, each message new; CONNECTIONS loops post one webhook at a time each.
    const sent: Sent[] = [];
    let acknowledged = 0;
    let killed = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    const started = Date.now();
    const kill = async () => {
      if (killed) return;
      killed = true;
      inFlightAtKill = inFlight;
      await first.kill();
    };
    const loops = Array.from({ length: CONNECTIONS }, async (_, loop) => {
      for (let n = 0; !killed; n++) {
        const message: Sent = {
          wamid: newWamid(),
          from: `1555010${String((loop + n * CONNECTIONS) % CUSTOMERS).padStart(4, '0')}`,
          text: `loop ${loop} message ${n}`,
          acknowledged: false,
        };
        sent.push(message);
        inFlight++;
        const status = await deliver(first.webhookUrl, message);
        inFlight--;
        if (status === 200) {
          message.acknowledged = true;
          acknowledged++;
        } else if (!killed) throw new Error(`webhook answered ${status} before the kill`);
        if (!killed && (acknowledged >= KILL_AT_ACKS || Date.now() - started > KILL_AFTER_MS)) await kill();
      }
    });
    await Promise.all(loops);

    const acked = sent.filter((m) => m.acknowledged);
    const unacknowledged = sent.filter((m) => !m.acknowledged);
    const afterKill = await stored();
    const storedUnacknowledged = unacknowledged.filter((m) => afterKill.inbound.has(m.wamid)).length;
    console.log(
      `[crash a] sent ${sent.length} webhooks on ${CONNECTIONS} connections; ${acked.length} acknowledged before the SIGKILL, ` +
        `${inFlightAtKill} in flight at it (${storedUnacknowledged} of those stored without an answer)`,
    );
    expect(acked.length).toBeGreaterThan(0);
    // The kill must have come mid-stream, or this test would not test what it says.
    expect(inFlightAtKill).toBeGreaterThan(0);
    // (An answer already on its way at the kill may still arrive: then it counts as acknowledged.)
    expect(unacknowledged.length).toBeLessThanOrEqual(inFlightAtKill);
    const lost = acked.filter((m) => afterKill.inbound.get(m.wamid) !== 1);
    expect(lost.map((m) => m.wamid)).toEqual([]);

    // Restart on the same data directory; Meta redelivers everything, the unacknowledged first.
    const second = await startDeskProcess(deskEnvironment());
    processes.push(second);
    expect(second.output()).toMatch(new RegExp(`on disk in ${dataDir} \\(\\d+ documents loaded`));
    const redelivered = await Promise.all([...unacknowledged, ...acked].map((message) => deliver(second.webhookUrl, message)));
    expect(redelivered.filter((status) => status !== 200)).toEqual([]);
    expect(await second.stop()).toBe(0);

    const afterRedelivery = await stored();
    const notOnce = sent.filter((m) => afterRedelivery.inbound.get(m.wamid) !== 1).map((m) => `${m.wamid} × ${afterRedelivery.inbound.get(m.wamid) ?? 0}`);
    expect(notOnce).toEqual([]);
    expect(afterRedelivery.inbound.size).toBe(sent.length);
    const customers = new Set(sent.map((m) => m.from));
    expect([...afterRedelivery.conversationsPerCustomer.keys()].sort()).toEqual([...customers].sort());
    expect([...afterRedelivery.conversationsPerCustomer.values()].every((count) => count === 1)).toBe(true);
    console.log(`[crash a] after the restart and redelivery: ${afterRedelivery.inbound.size} messages, each once, from ${customers.size} customers, one conversation each`);
  });
});
