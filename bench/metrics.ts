// bench/metrics: the support-metrics query over 100,000 conversations and
// 1,000,000 messages (plus their event log) on the embedded engine.
//
//   npx tsx bench/metrics.ts              # full size
//   npx tsx bench/metrics.ts --scale 0.1  # 10,000 conversations, 100,000 messages
//   options: --runs 5  --seed 1
//
// The history spans 90 days (2025-01-01 → 2025-04-01 UTC); the timed query is
// the last month, March 2025, so the utilization replay also has two months of
// events before the range. The whole 90 days is timed as well, as a worst case.
// A baseline is measured in the same run: one countDocuments over each of the
// two big collections with the same range (one full pass of the engine over
// them), so the figure can be read as a ratio on a noisy machine.
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { parseBusinessHours } from '../src/domain/businessHours.js';
import type { AgentDoc, AgentStatus, ConversationDoc, ConversationEventDoc, MessageDoc } from '../src/domain/model.js';
import { computeSupportMetrics, type SupportMetrics } from '../src/metrics/supportMetrics.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import type { Collection, Doc, Store } from '../src/store/port.js';
import { mulberry32 } from '../test/support/random.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
  },
});
const scale = Number(args.scale);
const runs = Math.max(1, Number(args.runs));
const CONVERSATIONS = Math.round(100_000 * scale);
const MESSAGES = Math.round(1_000_000 * scale);
const AGENTS = 50;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 0, 1);
const DAYS = 90;
const END = START + DAYS * DAY;
const MONTH = { from: new Date(Date.UTC(2025, 2, 1)), to: new Date(Date.UTC(2025, 3, 1)) };
const WHOLE = { from: new Date(START), to: new Date(END) };
const OPTIONS = { timeZone: 'America/New_York', businessHours: parseBusinessHours('mon-fri 09:00-17:30; sat 10:00-14:00', 'America/New_York') };

// A reproducible history.
const random = mulberry32(Number(args.seed));
const between = (min: number, max: number) => min + Math.floor(random() * (max - min));

let idSequence = 0;
const id = (prefix: string) => `${prefix}${(idSequence++).toString(36).padStart(8, '0')}`;

function agentDoc(i: number): AgentDoc {
  const created = new Date(START - 30 * DAY);
  return {
    _id: `agent${i}`,
    name: `Agent ${String(i).padStart(2, '0')}`,
    email: `agent${i}@desk.example`,
    role: 'AGENT',
    status: 'OFFLINE',
    capacity: 5,
    activeConversations: 0,
    tokenHash: `hash${i}`,
    lastAssignedAt: null,
    statusChangedAt: created,
    createdAt: created,
    updatedAt: created,
  };
}

function messageDoc(conversationId: string, customerId: string, at: number, inbound: boolean, author: MessageDoc['author'], agentId: string | null): MessageDoc {
  const when = new Date(at);
  return {
    _id: id('m'),
    conversationId,
    customerId,
    direction: inbound ? 'INBOUND' : 'OUTBOUND',
    author,
    agentId,
    origin: null,
    type: 'TEXT',
    text: inbound ? 'Hi, my order has not arrived yet' : 'Thanks, let me check that for you',
    media: null,
    payload: null,
    status: inbound ? 'RECEIVED' : 'READ',
    statusAt: when,
    error: null,
    whatsappId: `wamid.${idSequence}`,
    replyToWhatsappId: null,
    sentAt: when,
    createdAt: when,
    updatedAt: when,
  };
}

function event(type: ConversationEventDoc['type'], conversationId: string | null, cycle: number | null, agentId: string | null, at: number, data: Record<string, unknown> = {}): ConversationEventDoc {
  return { _id: id('e'), type, conversationId, cycle, agentId, at: new Date(at), data };
}

/** Inserts and lets go of the generated documents as it goes. */
async function insertInChunks<T extends Doc>(collection: Collection<T>, docs: T[]) {
  const CHUNK = 50_000;
  for (let first = 0; first < docs.length; first += CHUNK) await collection.insertMany(docs.slice(first, first + CHUNK));
  docs.length = 0;
}

async function populate(store: Store) {
  const agents = Array.from({ length: AGENTS }, (_, i) => agentDoc(i));
  await store.collection<AgentDoc>(COLLECTIONS.agents).insertMany(agents);
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
  const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);

  // Shifts: each agent works 8 hours a day from a staggered start, with a one-hour AWAY break.
  const statusEvents: ConversationEventDoc[] = [];
  for (const agent of agents) {
    const shiftStart = between(0, 16) * HOUR;
    let status: AgentStatus = 'OFFLINE';
    const to = (at: number, next: AgentStatus) => {
      statusEvents.push(event('agent.status', null, null, agent._id, at, { from: status, to: next }));
      status = next;
    };
    for (let day = 0; day < DAYS; day++) {
      const begin = START + day * DAY + shiftStart + between(-15, 15) * MINUTE;
      to(begin, 'ONLINE');
      to(begin + 4 * HOUR, 'AWAY');
      to(begin + 5 * HOUR, 'ONLINE');
      to(begin + 9 * HOUR, 'OFFLINE');
    }
  }

  // Messages per conversation average MESSAGES / CONVERSATIONS (10): greeting,
  // customer and agent turns, and a survey.
  const perConversation = MESSAGES / CONVERSATIONS;
  let messagesLeft = MESSAGES;
  const eventBatch: ConversationEventDoc[] = statusEvents;
  const messageBatch: MessageDoc[] = [];
  const conversationBatch: ConversationDoc[] = [];
  for (let n = 0; n < CONVERSATIONS; n++) {
    const conversationId = `c${n}`;
    const customerId = `cu${n}`;
    const opened = START + Math.floor(random() * (END - START - 2 * DAY));
    const cycles = random() < 0.1 ? 2 : 1;
    // Spread this conversation's share of messages over its cycles.
    const remainingConversations = CONVERSATIONS - n;
    let budget = n === CONVERSATIONS - 1 ? messagesLeft : Math.max(3, Math.min(messagesLeft - 3 * (remainingConversations - 1), Math.round(perConversation + between(-3, 4))));
    messagesLeft -= budget;
    let cycleStart = opened;
    let agent = `agent${between(0, AGENTS)}`;
    let lastAt = opened;
    for (let cycle = 1; cycle <= cycles; cycle++) {
      eventBatch.push(event(cycle === 1 ? 'conversation.opened' : 'conversation.reopened', conversationId, cycle, null, cycleStart));
      messageBatch.push(messageDoc(conversationId, customerId, cycleStart, true, 'CUSTOMER', null));
      budget--;
      if (cycle === 1) {
        messageBatch.push(messageDoc(conversationId, customerId, cycleStart + 1000, false, 'SYSTEM', null));
        budget--;
      }
      const assignedAt = cycleStart + between(0, 10 * MINUTE);
      eventBatch.push(event('conversation.assigned', conversationId, cycle, agent, assignedAt, { by: cycle === 1 ? 'policy' : 'reopen', fromAgentId: null }));
      const firstResponse = assignedAt + between(MINUTE, 60 * MINUTE);
      eventBatch.push(event('conversation.first_response', conversationId, cycle, agent, firstResponse, { cycleStartedAt: new Date(cycleStart) }));
      const resolvedAt = firstResponse + between(5 * MINUTE, 6 * HOUR);
      if (random() < 0.05) {
        const next = `agent${between(0, AGENTS)}`;
        eventBatch.push(event('conversation.assigned', conversationId, cycle, next, between(firstResponse, resolvedAt), { by: 'admin', fromAgentId: agent }));
        agent = next;
      }
      // This cycle's share of the remaining turns, alternating agent and customer, between first response and resolution.
      const turns = cycle === cycles ? Math.max(0, budget - 1) : Math.floor(budget / 2);
      for (let t = 0; t < turns; t++) {
        const at = firstResponse + Math.floor(((t + 1) / (turns + 1)) * (resolvedAt - firstResponse));
        const fromCustomer = t % 2 === 1;
        messageBatch.push(messageDoc(conversationId, customerId, at, fromCustomer, fromCustomer ? 'CUSTOMER' : 'AGENT', fromCustomer ? null : agent));
      }
      budget -= turns;
      eventBatch.push(event('conversation.resolved', conversationId, cycle, agent, resolvedAt, { cycleStartedAt: new Date(cycleStart) }));
      if (cycle === cycles && budget > 0) {
        messageBatch.push(messageDoc(conversationId, customerId, resolvedAt + 1000, false, 'SYSTEM', null));
        budget--;
      }
      if (random() < 0.5) eventBatch.push(event('feedback.received', conversationId, cycle, agent, resolvedAt + between(MINUTE, 30 * MINUTE), { score: between(1, 6) }));
      lastAt = resolvedAt;
      cycleStart = resolvedAt + between(30 * MINUTE, 20 * HOUR);
    }
    const openedAt = new Date(opened);
    conversationBatch.push({
      _id: conversationId,
      customerId,
      waId: `1555${String(n).padStart(7, '0')}`,
      status: 'RESOLVED',
      activeKey: null,
      assigneeId: null,
      previousAssigneeId: agent,
      cycle: cycles,
      openedAt,
      cycleStartedAt: openedAt,
      firstResponseAt: null,
      resolvedAt: new Date(lastAt),
      assignedAt: null,
      lastCustomerMessageAt: openedAt,
      lastMessageAt: new Date(lastAt),
      lastMessageId: null,
      greetingSentAt: openedAt,
      survey: null,
      feedback: null,
      externalLinks: [],
      createdAt: openedAt,
      updatedAt: new Date(lastAt),
    });
  }
  // Stored in time order, as a live desk appends them (an engine may rely on it, as MongoDB's natural order roughly does).
  eventBatch.sort((a, b) => +a.at - +b.at);
  messageBatch.sort((a, b) => +a.createdAt - +b.createdAt);
  conversationBatch.sort((a, b) => +a.openedAt - +b.openedAt);
  await insertInChunks(events, eventBatch);
  await insertInChunks(messages, messageBatch);
  await insertInChunks(conversations, conversationBatch);
  return {
    conversations: await conversations.countDocuments(),
    messages: await messages.countDocuments(),
    events: await events.countDocuments(),
  };
}

/** Wall time, and this process's CPU time (user + system): on a shared machine the second is the steadier figure. */
async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

async function main() {
  const cpu = cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}`);
  const store = createEmbeddedStore();
  const built = await time(() => populate(store));
  console.log(
    `history: ${built.value.conversations.toLocaleString('en')} conversations, ${built.value.messages.toLocaleString('en')} messages, ${built.value.events.toLocaleString('en')} events, built in ${(built.ms / 1000).toFixed(1)} s`,
  );

  const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  const baseline = (range: { from: Date; to: Date }) => async () => {
    const inRange = { $gte: range.from, $lt: range.to };
    await messages.countDocuments({ direction: 'INBOUND', author: 'CUSTOMER', createdAt: inRange });
    await events.countDocuments({ at: inRange });
  };

  const report: string[] = [];
  for (const [label, range] of [
    ['March (one month)', MONTH],
    ['all 90 days', WHOLE],
  ] as const) {
    await computeSupportMetrics(store, range, OPTIONS); // warm-up
    const metricsMs: number[] = [];
    const metricsCpuMs: number[] = [];
    const baselineMs: number[] = [];
    const baselineCpuMs: number[] = [];
    let last: SupportMetrics | null = null;
    for (let i = 0; i < runs; i++) {
      const base = await time(baseline(range));
      baselineMs.push(base.ms);
      baselineCpuMs.push(base.cpuMs);
      const run = await time(() => computeSupportMetrics(store, range, OPTIONS));
      metricsMs.push(run.ms);
      metricsCpuMs.push(run.cpuMs);
      last = run.value;
    }
    const m = median(metricsMs);
    const b = median(baselineMs);
    const mc = median(metricsCpuMs);
    const bc = median(baselineCpuMs);
    const summary = last!;
    console.log(`\n${label}: ${summary.conversationsOpened.toLocaleString('en')} opened, ${summary.firstResponseTime.count.toLocaleString('en')} first responses, ${summary.volumeByHour.reduce((s, v) => s + v.messages, 0).toLocaleString('en')} inbound messages in range`);
    console.log(`  computeSupportMetrics: median ${m.toFixed(0)} ms wall, ${mc.toFixed(0)} ms CPU, of ${runs} runs (wall ${metricsMs.map((v) => v.toFixed(0)).join(', ')})`);
    console.log(`  baseline (countDocuments over messages + events): median ${b.toFixed(0)} ms wall, ${bc.toFixed(0)} ms CPU → ratio ${(m / b).toFixed(2)}× wall, ${(mc / bc).toFixed(2)}× CPU`);
    report.push(`| ${label} | ${m.toFixed(0)} ms | ${mc.toFixed(0)} ms | ${b.toFixed(0)} ms | ${bc.toFixed(0)} ms | ${(mc / bc).toFixed(2)}× |`);
  }
  const peakRss = process.resourceUsage().maxRSS / 1024;
  console.log(`\npeak RSS: ${peakRss.toFixed(0)} MiB`);
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log('\n| range | metrics wall | metrics CPU | baseline wall | baseline CPU | ratio (CPU) |\n|---|---|---|---|---|---|');
  for (const line of report) console.log(line);
}

await main();
