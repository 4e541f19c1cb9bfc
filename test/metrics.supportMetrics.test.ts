import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBusinessHours } from '../src/domain/businessHours.js';
import type { AgentDoc, AgentStatus, ConversationEventDoc, ConversationEventType, MessageAuthor, MessageDoc, MessageType } from '../src/domain/model.js';
import { durationStats } from '../src/metrics/durationStats.js';
import { computeSupportMetrics, type SupportMetrics } from '../src/metrics/supportMetrics.js';
import { COLLECTIONS } from '../src/store/collections.js';
import type { Store } from '../src/store/port.js';
import { availableEngines } from './support/engines.js';
import { buildAgentDoc } from './support/eventFactory.js';

// A fixed synthetic history, and every metric checked against figures worked
// out by hand below. All times are UTC; the desk's zone is Asia/Kolkata
// (IST = UTC+05:30, no DST), and business hours are "mon-fri 09:00-17:00" IST,
// i.e. 03:30Z–11:30Z on weekdays.
//
// The range is Monday 2025-03-03 00:00Z → Tuesday 2025-03-04 00:00Z (86,400 s),
// which is Monday 05:30 → Tuesday 05:30 IST.
//
// Agents: Asha (capacity 2), Ben (capacity 4), Chen (capacity 5, never does anything).
//
// Before the range:
//   Sat 03-01: Ben ONLINE 08:00Z, OFFLINE 17:00Z.
//              Z opened 08:50Z, assigned Ben 09:00Z, first response Ben 09:05Z, resolved Ben 10:00Z.
//   Sun 03-02: Y opened 21:30Z, assigned Asha 22:00Z, first response Asha 22:10Z,
//              transferred Asha → Ben 22:30Z (admin), resolved Ben 22:45Z.
//              Asha ONLINE 22:00Z (and stays ONLINE until Tue 01:00Z, but for AWAY 10:00–11:00Z Monday).
//              X opened 23:00Z, assigned Asha 23:00Z, first response Asha 23:30Z.
//   So at 00:00Z Monday: Asha holds X only (Y: +1 assigned, −1 transferred away), Ben holds nothing
//   (Z: +1 −1; Y: +1 transferred in, −1 resolved), Asha is ONLINE, Ben OFFLINE (last status Sat 17:00Z).
//
// Monday 03-03 (Z = UTC; IST in brackets):
//   00:00 W opened [05:30] (inbound at 00:00, greeting), never assigned; resolved with no agent 00:30 (spam).
//   00:00 X's customer writes again [05:30] (the range's first instant: counted).
//   01:00 X resolved by Asha (cycle started Sun 23:00Z); 01:05 X rated 5 (survey answer inbound [06:35]).
//   02:00 P opened [07:30] (inbound, greeting), assigned Asha; 02:05 Asha adds a note (no first response);
//   02:10 Asha replies: first response; 02:15 customer writes [07:45];
//   03:45 P resolved by Asha [09:15]; survey sent; 03:46 rated 3 (inbound [09:16]).
//   04:00 P reopened by a customer message [09:30] (cycle 2), assigned Asha (reopen); 04:30 Asha replies.
//   08:00 Ben ONLINE. 08:30 Q opened [14:00] (inbound, greeting), assigned Ben (claim); 09:00 Ben replies.
//   09:00 P transferred Asha → Ben (admin). 10:00 P resolved by Ben; 10:01 rated 4 (inbound [15:31]).
//   10:00 Asha AWAY; 11:00 Asha ONLINE.
//   11:00 S opened [16:30] (inbound, greeting), assigned Asha; 11:45 Asha replies [17:15]: across closing time.
//   12:00 R opened [17:30] (inbound, out-of-office greeting), assigned Asha; 12:20 Asha replies.
//   13:00 R resolved by Asha; 13:05 rated 2 (inbound [18:35]). 14:00 S resolved by Asha (no rating).
//   14:30 U opened [20:00] (inbound, greeting), assigned Ben (policy). Ben sends only a template (no first response).
//   15:00 R reopened by a customer message [20:30], assigned Asha (reopen); 15:10 Asha replies; 15:40 resolved by Asha.
//   16:00 Ben OFFLINE; U unassigned from Ben (requeue_offline) and assigned Asha (policy); 16:30 Asha replies.
//   18:29 U's customer writes [23:59 Monday]; 18:45 T opened [00:15 Tuesday] (inbound, greeting), stays QUEUED.
// After the range:
//   Tue 00:00 V opened and its customer writes (= `to`: not counted). Tue 00:10 R rated 5 (not counted).
//   Tue 01:00 Q resolved by Ben; Asha OFFLINE.

const DAY = '2025-03-03';
const mon = (hhmm: string) => new Date(`${DAY}T${hhmm}:00.000Z`);
const sat = (hhmm: string) => new Date(`2025-03-01T${hhmm}:00.000Z`);
const sun = (hhmm: string) => new Date(`2025-03-02T${hhmm}:00.000Z`);
const tue = (hhmm: string) => new Date(`2025-03-04T${hhmm}:00.000Z`);

const RANGE = { from: mon('00:00'), to: tue('00:00') };
const OPTIONS = { timeZone: 'Asia/Kolkata', businessHours: parseBusinessHours('mon-fri 09:00-17:00', 'Asia/Kolkata') };

const ASHA = 'agent-asha';
const BEN = 'agent-ben';
const CHEN = 'agent-chen';

function agent(_id: string, name: string, capacity: number): AgentDoc {
  const created = new Date('2025-02-01T00:00:00.000Z');
  return buildAgentDoc({ _id, name, email: `${name.toLowerCase()}@desk.example`, status: 'OFFLINE', capacity, statusChangedAt: created, createdAt: created, updatedAt: created });
}

function history() {
  const events: ConversationEventDoc[] = [];
  const messages: MessageDoc[] = [];
  const event = (type: ConversationEventType, conversationId: string | null, cycle: number | null, agentId: string | null, at: Date, data: Record<string, unknown> = {}) =>
    events.push({ _id: `e${String(events.length).padStart(4, '0')}`, type, conversationId, cycle, agentId, at, data });
  const status = (agentId: string, at: Date, from: AgentStatus, to: AgentStatus) => event('agent.status', null, null, agentId, at, { from, to });
  const message = (conversationId: string, at: Date, direction: 'INBOUND' | 'OUTBOUND', author: MessageAuthor, type: MessageType, agentId: string | null = null) => {
    const n = messages.length;
    messages.push({
      _id: `m${String(n).padStart(4, '0')}`,
      conversationId,
      customerId: `customer-${conversationId}`,
      direction,
      author,
      agentId,
      origin: null,
      type,
      text: type === 'TEXT' || type === 'NOTE' ? 'hello' : null,
      media: null,
      payload: null,
      status: direction === 'INBOUND' ? 'RECEIVED' : type === 'NOTE' ? 'SENT' : 'READ',
      statusAt: at,
      error: null,
      whatsappId: type === 'NOTE' ? null : `wamid.${n}`,
      replyToWhatsappId: null,
      sentAt: at,
      createdAt: at,
      updatedAt: at,
    });
  };
  const inbound = (conversationId: string, at: Date, type: MessageType = 'TEXT') => message(conversationId, at, 'INBOUND', 'CUSTOMER', type);
  const greeting = (conversationId: string, at: Date) => message(conversationId, at, 'OUTBOUND', 'SYSTEM', 'TEXT');
  const survey = (conversationId: string, at: Date) => message(conversationId, at, 'OUTBOUND', 'SYSTEM', 'INTERACTIVE');
  const reply = (conversationId: string, at: Date, agentId: string, cycle: number, cycleStartedAt: Date) => {
    message(conversationId, at, 'OUTBOUND', 'AGENT', 'TEXT', agentId);
    event('conversation.first_response', conversationId, cycle, agentId, at, { cycleStartedAt });
  };
  const open = (conversationId: string, at: Date) => {
    event('conversation.opened', conversationId, 1, null, at);
    inbound(conversationId, at);
    greeting(conversationId, at);
  };
  const assign = (conversationId: string, cycle: number, agentId: string, at: Date, by: string, fromAgentId: string | null = null) =>
    event('conversation.assigned', conversationId, cycle, agentId, at, { by, fromAgentId });
  const resolve = (conversationId: string, cycle: number, agentId: string | null, at: Date, cycleStartedAt: Date) => {
    event('conversation.resolved', conversationId, cycle, agentId, at, { cycleStartedAt });
    survey(conversationId, at);
  };
  const rate = (conversationId: string, cycle: number, agentId: string | null, at: Date, score: number) => {
    inbound(conversationId, at, 'INTERACTIVE');
    event('feedback.received', conversationId, cycle, agentId, at, { score });
  };
  const reopen = (conversationId: string, cycle: number, at: Date) => {
    inbound(conversationId, at);
    event('conversation.reopened', conversationId, cycle, null, at);
  };

  // Saturday
  status(BEN, sat('08:00'), 'OFFLINE', 'ONLINE');
  open('Z', sat('08:50'));
  assign('Z', 1, BEN, sat('09:00'), 'policy');
  reply('Z', sat('09:05'), BEN, 1, sat('08:50'));
  resolve('Z', 1, BEN, sat('10:00'), sat('08:50'));
  status(BEN, sat('17:00'), 'ONLINE', 'OFFLINE');
  // Sunday
  open('Y', sun('21:30'));
  status(ASHA, sun('22:00'), 'OFFLINE', 'ONLINE');
  assign('Y', 1, ASHA, sun('22:00'), 'policy');
  reply('Y', sun('22:10'), ASHA, 1, sun('21:30'));
  assign('Y', 1, BEN, sun('22:30'), 'admin', ASHA);
  resolve('Y', 1, BEN, sun('22:45'), sun('21:30'));
  open('X', sun('23:00'));
  assign('X', 1, ASHA, sun('23:00'), 'policy');
  reply('X', sun('23:30'), ASHA, 1, sun('23:00'));
  inbound('X', sun('23:59'));
  // Monday
  open('W', mon('00:00'));
  inbound('X', mon('00:00'));
  resolve('W', 1, null, mon('00:30'), mon('00:00'));
  resolve('X', 1, ASHA, mon('01:00'), sun('23:00'));
  rate('X', 1, ASHA, mon('01:05'), 5);
  open('P', mon('02:00'));
  assign('P', 1, ASHA, mon('02:00'), 'policy');
  message('P', mon('02:05'), 'OUTBOUND', 'AGENT', 'NOTE', ASHA);
  reply('P', mon('02:10'), ASHA, 1, mon('02:00'));
  inbound('P', mon('02:15'));
  resolve('P', 1, ASHA, mon('03:45'), mon('02:00'));
  rate('P', 1, ASHA, mon('03:46'), 3);
  reopen('P', 2, mon('04:00'));
  assign('P', 2, ASHA, mon('04:00'), 'reopen');
  reply('P', mon('04:30'), ASHA, 2, mon('04:00'));
  status(BEN, mon('08:00'), 'OFFLINE', 'ONLINE');
  open('Q', mon('08:30'));
  assign('Q', 1, BEN, mon('08:30'), 'claim');
  reply('Q', mon('09:00'), BEN, 1, mon('08:30'));
  assign('P', 2, BEN, mon('09:00'), 'admin', ASHA);
  resolve('P', 2, BEN, mon('10:00'), mon('04:00'));
  rate('P', 2, BEN, mon('10:01'), 4);
  status(ASHA, mon('10:00'), 'ONLINE', 'AWAY');
  status(ASHA, mon('11:00'), 'AWAY', 'ONLINE');
  open('S', mon('11:00'));
  assign('S', 1, ASHA, mon('11:00'), 'policy');
  reply('S', mon('11:45'), ASHA, 1, mon('11:00'));
  open('R', mon('12:00'));
  assign('R', 1, ASHA, mon('12:00'), 'policy');
  reply('R', mon('12:20'), ASHA, 1, mon('12:00'));
  resolve('R', 1, ASHA, mon('13:00'), mon('12:00'));
  rate('R', 1, ASHA, mon('13:05'), 2);
  resolve('S', 1, ASHA, mon('14:00'), mon('11:00'));
  open('U', mon('14:30'));
  assign('U', 1, BEN, mon('14:30'), 'policy');
  message('U', mon('14:40'), 'OUTBOUND', 'SYSTEM', 'TEMPLATE');
  reopen('R', 2, mon('15:00'));
  assign('R', 2, ASHA, mon('15:00'), 'reopen');
  reply('R', mon('15:10'), ASHA, 2, mon('15:00'));
  resolve('R', 2, ASHA, mon('15:40'), mon('15:00'));
  status(BEN, mon('16:00'), 'ONLINE', 'OFFLINE');
  event('conversation.unassigned', 'U', 1, BEN, mon('16:00'), { reason: 'requeue_offline' });
  assign('U', 1, ASHA, mon('16:00'), 'policy');
  reply('U', mon('16:30'), ASHA, 1, mon('14:30'));
  inbound('U', mon('18:29'));
  open('T', mon('18:45'));
  // Tuesday: at or after `to`
  open('V', tue('00:00'));
  rate('R', 2, ASHA, tue('00:10'), 5);
  resolve('Q', 1, BEN, tue('01:00'), mon('08:30'));
  status(ASHA, tue('01:00'), 'ONLINE', 'OFFLINE');

  return { events, messages, agents: [agent(ASHA, 'Asha', 2), agent(BEN, 'Ben', 4), agent(CHEN, 'Chen', 5)] };
}

const zeroStats = { count: 0, average: 0, median: 0, p90: 0 };

function expectAllBucketsZero(metrics: SupportMetrics) {
  expect(metrics.volumeByHour).toHaveLength(24);
  expect(metrics.volumeByHour.map((b) => b.hour)).toEqual(Array.from({ length: 24 }, (_, h) => h));
  expect(metrics.volumeByHour.every((b) => b.conversations === 0 && b.messages === 0)).toBe(true);
  expect(metrics.volumeByWeekdayHour).toHaveLength(7 * 24);
  expect(metrics.volumeByWeekdayHour.every((b) => b.conversations === 0 && b.messages === 0)).toBe(true);
}

const engines = await availableEngines();

describe.each(engines)('support metrics on the $name store', (engine) => {
  let store: Store;

  beforeAll(async () => {
    store = await engine.create();
    const { events, messages, agents } = history();
    await store.collection<AgentDoc>(COLLECTIONS.agents).insertMany(agents);
    await store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents).insertMany(events);
    await store.collection<MessageDoc>(COLLECTIONS.messages).insertMany(messages);
  });
  afterAll(() => engine.cleanup());

  describe('the whole desk over Monday', () => {
    let metrics: SupportMetrics;
    beforeAll(async () => {
      metrics = await computeSupportMetrics(store, RANGE, OPTIONS);
    });

    it('counts conversations opened, reopened and resolved', () => {
      // opened in [Mon 00:00Z, Tue 00:00Z): W 00:00, P 02:00, Q 08:30, S 11:00, R 12:00, U 14:30, T 18:45 = 7
      //   (X and Y opened on Sunday, V exactly at `to`).
      expect(metrics.conversationsOpened).toBe(7);
      // reopened: P 04:00, R 15:00 = 2.
      expect(metrics.conversationsReopened).toBe(2);
      // resolved: W 00:30, X 01:00, P 03:45, P 10:00, R 13:00, S 14:00, R 15:40 = 7 (Q resolves Tuesday).
      expect(metrics.conversationsResolved).toBe(7);
    });

    it('measures first response per cycle, skipping notes, greetings, surveys and templates', () => {
      // first_response events in range (replied − cycle start):
      //   P c1 02:10 − 02:00 =  600    (the 02:05 note does not count)
      //   P c2 04:30 − 04:00 = 1800
      //   Q    09:00 − 08:30 = 1800
      //   S    11:45 − 11:00 = 2700
      //   R c1 12:20 − 12:00 = 1200
      //   R c2 15:10 − 15:00 =  600
      //   U    16:30 − 14:30 = 7200   (Ben's 14:40 template did not answer it)
      //   (X answered Sunday 23:30: outside; W and T never answered.)
      // sorted: 600, 600, 1200, 1800, 1800, 2700, 7200; sum 15900; mean 15900/7 = 2271.43
      // median: rank ⌈0.5·7⌉ = 4 → 1800; p90: rank ⌈0.9·7⌉ = 7 → 7200
      expect(metrics.firstResponseTime.count).toBe(7);
      expect(metrics.firstResponseTime.average).toBeCloseTo(15900 / 7, 6);
      expect(metrics.firstResponseTime.median).toBe(1800);
      expect(metrics.firstResponseTime.p90).toBe(7200);
    });

    it('measures resolution per cycle', () => {
      // resolved events in range (resolved − cycle start):
      //   W    00:30 − 00:00      =  1800
      //   X    01:00 − Sun 23:00  =  7200
      //   P c1 03:45 − 02:00      =  6300
      //   P c2 10:00 − 04:00      = 21600
      //   R c1 13:00 − 12:00      =  3600
      //   S    14:00 − 11:00      = 10800
      //   R c2 15:40 − 15:00      =  2400
      // sorted: 1800, 2400, 3600, 6300, 7200, 10800, 21600; sum 53700; mean 53700/7 = 7671.43
      // median rank 4 → 6300; p90 rank 7 → 21600
      expect(metrics.resolutionTime).toEqual({ count: 7, average: expect.closeTo(53700 / 7, 6), median: 6300, p90: 21600 });
    });

    it('counts only business time in the business-hours variants, on both sides of closing time', () => {
      // Open Mon 03:30Z–11:30Z (09:00–17:00 IST); Sunday closed.
      // First responses:
      //   P c1 02:00–02:10 (07:30–07:40 IST, before opening)      =    0
      //   P c2 04:00–04:30 (09:30–10:00 IST)                      = 1800
      //   Q    08:30–09:00 (14:00–14:30 IST)                      = 1800
      //   S    11:00–11:45 (16:30–17:15 IST: 30 min before close)  = 1800
      //   R c1 12:00–12:20, R c2 15:00–15:10, U 14:30–16:30 (after close) = 0, 0, 0
      // sorted: 0, 0, 0, 0, 1800, 1800, 1800; sum 5400; mean 771.43; median rank 4 → 0; p90 rank 7 → 1800
      expect(metrics.firstResponseTimeBusinessHours).toEqual({ count: 7, average: expect.closeTo(5400 / 7, 6), median: 0, p90: 1800 });
      // Resolutions:
      //   W 00:00–00:30, X Sun 23:00–Mon 01:00 (IST Mon 04:30–06:30): 0, 0
      //   P c1 02:00–03:45 (07:30–09:15 IST: 15 min after opening)   =   900
      //   P c2 04:00–10:00 (09:30–15:30 IST)                         = 21600
      //   R c1 12:00–13:00                                           =     0
      //   S    11:00–14:00 (16:30–19:30 IST: 30 min before close)    =  1800
      //   R c2 15:00–15:40                                           =     0
      // sorted: 0, 0, 0, 0, 900, 1800, 21600; sum 24300; mean 3471.43; median 0; p90 21600
      expect(metrics.resolutionTimeBusinessHours).toEqual({ count: 7, average: expect.closeTo(24300 / 7, 6), median: 0, p90: 21600 });
    });

    it('reports CSAT from the ratings in range', () => {
      // X 5, P c1 3, P c2 4, R c1 2 (R c2's 5 comes Tuesday) → 4 responses, mean 14/4 = 3.5,
      // satisfied (4 or 5): X, P c2 → 2/4 = 50 %; one each of 2, 3, 4 and 5
      expect(metrics.csat).toEqual({ responses: 4, average: 3.5, satisfiedPercent: 50, distribution: [0, 1, 1, 1, 1] });
    });

    it('replays each agent’s status and load across the range edges', () => {
      // Asha (capacity 2), ONLINE from Sunday 22:00 so already at `from`, holding X (see the top):
      //   interval        status  held  online  busy   held·s
      //   00:00–01:00     ON      1     3600    3600   3600   (X resolved 01:00)
      //   01:00–02:00     ON      0     3600    0      0
      //   02:00–03:45     ON      1     6300    6300   6300   (P c1)
      //   03:45–04:00     ON      0      900    0      0
      //   04:00–09:00     ON      1    18000   18000  18000   (P c2, transferred to Ben 09:00)
      //   09:00–10:00     ON      0     3600    0      0
      //   10:00–11:00     AWAY    0        0    0      0
      //   11:00–12:00     ON      1     3600    3600   3600   (S)
      //   12:00–13:00     ON      2     3600    3600   7200   (S, R)
      //   13:00–14:00     ON      1     3600    3600   3600   (S)
      //   14:00–15:00     ON      0     3600    0      0
      //   15:00–15:40     ON      1     2400    2400   2400   (R c2)
      //   15:40–16:00     ON      0     1200    0      0
      //   16:00–24:00     ON      1    28800   28800  28800   (U, still held at `to`; OFFLINE only Tue 01:00)
      //   totals                      82800   69900  73500
      // occupancy 69900/82800 = 0.84420; averageLoad (73500/82800)/2 = 0.44384
      // handled: X, P (c1), R (twice: counted once), S = 4
      //
      // Ben (capacity 4), OFFLINE at `from` (last status Saturday 17:00), ONLINE 08:00–16:00:
      //   08:00–08:30 held 0: 1800 online
      //   08:30–09:00 held 1 (Q): 1800 online, 1800 busy, 1800 held·s
      //   09:00–10:00 held 2 (Q, P): 3600, 3600, 7200
      //   10:00–14:30 held 1 (Q): 16200, 16200, 16200
      //   14:30–16:00 held 2 (Q, U): 5400, 5400, 10800
      //   then OFFLINE (U requeued, Q kept: offline time never counts)
      //   totals 28800 online, 27000 busy, 36000 held·s
      // occupancy 27000/28800 = 0.9375; averageLoad (36000/28800)/4 = 0.3125; handled: P = 1
      //
      // Chen: no events at all → zeros.
      expect(metrics.agentUtilization).toEqual([
        { agentId: ASHA, agentName: 'Asha', onlineSeconds: 82800, occupancy: expect.closeTo(69900 / 82800, 9), conversationsHandled: 4, averageLoad: expect.closeTo(73500 / 82800 / 2, 9) },
        { agentId: BEN, agentName: 'Ben', onlineSeconds: 28800, occupancy: 0.9375, conversationsHandled: 1, averageLoad: 0.3125 },
        { agentId: CHEN, agentName: 'Chen', onlineSeconds: 0, occupancy: 0, conversationsHandled: 0, averageLoad: 0 },
      ]);
    });

    it('buckets volume by local hour and weekday in a half-hour time zone', () => {
      // Opened events → IST: W 00:00Z → Mon 05:30 (h5), P 02:00 → 07:30 (h7), Q 08:30 → 14:00 (h14),
      //   S 11:00 → 16:30 (h16), R 12:00 → 17:30 (h17), U 14:30 → 20:00 (h20), T 18:45 → Tue 00:15 (h0).
      // Inbound customer messages (greetings, replies, notes, surveys, templates are outbound):
      //   h5: W 00:00, X 00:00 = 2          h6: X rating 01:05 (06:35) = 1
      //   h7: P 02:00, P 02:15 (07:45) = 2   h9: P rating 03:46 (09:16), P reopen 04:00 (09:30) = 2
      //   h14: Q 08:30 = 1                   h15: P rating 10:01 (15:31) = 1
      //   h16: S 11:00 = 1                   h17: R 12:00 = 1
      //   h18: R rating 13:05 (18:35) = 1    h20: U 14:30 (20:00), R reopen 15:00 (20:30) = 2
      //   h23: U 18:29 (23:59 Monday) = 1    h0 Tuesday: T 18:45 (00:15) = 1
      //   total 16 (X's Sunday 23:59Z message and V's at `to` are outside).
      const byHour = Object.fromEntries(metrics.volumeByHour.filter((b) => b.conversations || b.messages).map((b) => [b.hour, [b.conversations, b.messages]]));
      expect(byHour).toEqual({
        0: [1, 1],
        5: [1, 2],
        6: [0, 1],
        7: [1, 2],
        9: [0, 2],
        14: [1, 1],
        15: [0, 1],
        16: [1, 1],
        17: [1, 1],
        18: [0, 1],
        20: [1, 2],
        23: [0, 1],
      });
      expect(metrics.volumeByHour).toHaveLength(24);
      expect(metrics.volumeByHour.reduce((sum, b) => sum + b.messages, 0)).toBe(16);

      // The matrix: everything on Monday (1) but T's 00:15 Tuesday (2); 18:29Z and 18:45Z straddle IST midnight.
      expect(metrics.volumeByWeekdayHour).toHaveLength(168);
      const cell = (weekday: number, hour: number) => metrics.volumeByWeekdayHour.find((b) => b.weekday === weekday && b.hour === hour);
      expect(cell(2, 0)).toEqual({ weekday: 2, hour: 0, conversations: 1, messages: 1 });
      expect(cell(1, 23)).toEqual({ weekday: 1, hour: 23, conversations: 0, messages: 1 });
      expect(cell(1, 0)).toEqual({ weekday: 1, hour: 0, conversations: 0, messages: 0 });
      expect(cell(1, 5)).toEqual({ weekday: 1, hour: 5, conversations: 1, messages: 2 });
      const nonZero = metrics.volumeByWeekdayHour.filter((b) => b.conversations || b.messages);
      expect(nonZero.every((b) => b.weekday === 1 || (b.weekday === 2 && b.hour === 0))).toBe(true);
      // Row sums equal the per-hour figures.
      for (const hour of metrics.volumeByHour) {
        const column = metrics.volumeByWeekdayHour.filter((b) => b.hour === hour.hour);
        expect(column.reduce((s, b) => s + b.messages, 0)).toBe(hour.messages);
        expect(column.reduce((s, b) => s + b.conversations, 0)).toBe(hour.conversations);
      }
    });
  });

  it('restricts first response, resolution, CSAT, resolved count and utilization to one agent', async () => {
    const metrics = await computeSupportMetrics(store, { ...RANGE, agentId: ASHA }, OPTIONS);
    // Desk-wide figures stay: opened 7, reopened 2, and the volume.
    expect(metrics.conversationsOpened).toBe(7);
    expect(metrics.conversationsReopened).toBe(2);
    expect(metrics.volumeByHour.reduce((s, b) => s + b.messages, 0)).toBe(16);
    // Resolved by Asha: X, P c1, R c1, S, R c2 = 5.
    expect(metrics.conversationsResolved).toBe(5);
    // Asha's first responses: 600 (P c1), 1800 (P c2), 2700 (S), 1200 (R c1), 600 (R c2), 7200 (U)
    // sorted 600, 600, 1200, 1800, 2700, 7200; sum 14100; mean 2350; median rank 3 → 1200; p90 rank ⌈5.4⌉ = 6 → 7200
    expect(metrics.firstResponseTime).toEqual({ count: 6, average: 2350, median: 1200, p90: 7200 });
    // Asha's resolutions: 7200 (X), 6300 (P c1), 3600 (R c1), 10800 (S), 2400 (R c2)
    // sorted 2400, 3600, 6300, 7200, 10800; sum 30300; mean 6060; median rank 3 → 6300; p90 rank ⌈4.5⌉ = 5 → 10800
    expect(metrics.resolutionTime).toEqual({ count: 5, average: 6060, median: 6300, p90: 10800 });
    // Business: first responses 0, 1800, 1800, 0, 0, 0 → sum 3600, mean 600, sorted 0,0,0,0,1800,1800: median 0, p90 1800
    expect(metrics.firstResponseTimeBusinessHours).toEqual({ count: 6, average: 600, median: 0, p90: 1800 });
    // Ratings of cycles Asha resolved: 5, 3, 2 → mean 10/3, satisfied 1/3 = 33.33 %
    expect(metrics.csat).toEqual({ responses: 3, average: expect.closeTo(10 / 3, 9), satisfiedPercent: expect.closeTo(100 / 3, 9), distribution: [0, 1, 1, 0, 1] });
    // Only Asha's row, the same as the desk-wide one (the 09:00 transfer away from her is still seen).
    expect(metrics.agentUtilization).toEqual([
      { agentId: ASHA, agentName: 'Asha', onlineSeconds: 82800, occupancy: expect.closeTo(69900 / 82800, 9), conversationsHandled: 4, averageLoad: expect.closeTo(73500 / 82800 / 2, 9) },
    ]);

    const ben = await computeSupportMetrics(store, { ...RANGE, agentId: BEN }, OPTIONS);
    // Ben: Q 1800 first response; P c2 21600 resolution; rating 4.
    expect(ben.firstResponseTime).toEqual({ count: 1, average: 1800, median: 1800, p90: 1800 });
    expect(ben.resolutionTime).toEqual({ count: 1, average: 21600, median: 21600, p90: 21600 });
    expect(ben.csat).toEqual({ responses: 1, average: 4, satisfiedPercent: 100, distribution: [0, 0, 0, 1, 0] });
    expect(ben.conversationsResolved).toBe(1);
    expect(ben.agentUtilization).toEqual([{ agentId: BEN, agentName: 'Ben', onlineSeconds: 28800, occupancy: 0.9375, conversationsHandled: 1, averageLoad: 0.3125 }]);
  });

  it('gives an agent with no activity zeros, not nulls', async () => {
    const metrics = await computeSupportMetrics(store, { ...RANGE, agentId: CHEN }, OPTIONS);
    expect(metrics.firstResponseTime).toEqual(zeroStats);
    expect(metrics.resolutionTime).toEqual(zeroStats);
    expect(metrics.firstResponseTimeBusinessHours).toEqual(zeroStats);
    expect(metrics.resolutionTimeBusinessHours).toEqual(zeroStats);
    expect(metrics.csat).toEqual({ responses: 0, average: 0, satisfiedPercent: 0, distribution: [0, 0, 0, 0, 0] });
    expect(metrics.conversationsResolved).toBe(0);
    expect(metrics.agentUtilization).toEqual([{ agentId: CHEN, agentName: 'Chen', onlineSeconds: 0, occupancy: 0, conversationsHandled: 0, averageLoad: 0 }]);
  });

  it('picks up held conversations and status from before a mid-day range', async () => {
    // [Mon 12:30Z, 13:30Z). Held at 12:30 from the log before it:
    //   Asha: Y +1 −1 (transfer), X +1 −1, P +1 −1 +1 −1 (transfer), S +1, R +1 = 2; ONLINE since 11:00.
    //   Ben: Z +1 −1, Y +1 −1, Q +1, P +1 (transfer in) −1 = 1; ONLINE since 08:00.
    // Asha: 12:30–13:00 held 2, 13:00–13:30 held 1 → online 3600, busy 3600, held·s 1800·2 + 1800·1 = 5400
    //   occupancy 1, averageLoad (5400/3600)/2 = 0.75; handled R = 1
    // Ben: held 1 all hour → occupancy 1, averageLoad 1/4 = 0.25; handled 0
    const metrics = await computeSupportMetrics(store, { from: mon('12:30'), to: mon('13:30') }, OPTIONS);
    expect(metrics.agentUtilization).toEqual([
      { agentId: ASHA, agentName: 'Asha', onlineSeconds: 3600, occupancy: 1, conversationsHandled: 1, averageLoad: 0.75 },
      { agentId: BEN, agentName: 'Ben', onlineSeconds: 3600, occupancy: 1, conversationsHandled: 0, averageLoad: 0.25 },
      { agentId: CHEN, agentName: 'Chen', onlineSeconds: 0, occupancy: 0, conversationsHandled: 0, averageLoad: 0 },
    ]);
    // R c1 resolved 13:00 after 3600 s; rated 2 at 13:05.
    expect(metrics.conversationsResolved).toBe(1);
    expect(metrics.resolutionTime).toEqual({ count: 1, average: 3600, median: 3600, p90: 3600 });
    expect(metrics.csat).toEqual({ responses: 1, average: 2, satisfiedPercent: 0, distribution: [0, 1, 0, 0, 0] });
    expect(metrics.firstResponseTime).toEqual(zeroStats);
  });

  it('returns zeros and zeroed buckets for empty ranges', async () => {
    for (const range of [
      { from: mon('12:00'), to: mon('12:00') }, // zero length
      { from: tue('00:00'), to: mon('00:00') }, // reversed
      { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2024-07-01T00:00:00Z') }, // before any event
    ]) {
      const metrics = await computeSupportMetrics(store, range, OPTIONS);
      expect(metrics.conversationsOpened).toBe(0);
      expect(metrics.conversationsReopened).toBe(0);
      expect(metrics.conversationsResolved).toBe(0);
      expect(metrics.firstResponseTime).toEqual(zeroStats);
      expect(metrics.resolutionTime).toEqual(zeroStats);
      expect(metrics.firstResponseTimeBusinessHours).toEqual(zeroStats);
      expect(metrics.resolutionTimeBusinessHours).toEqual(zeroStats);
      expect(metrics.csat).toEqual({ responses: 0, average: 0, satisfiedPercent: 0, distribution: [0, 0, 0, 0, 0] });
      expect(metrics.agentUtilization.map((row) => [row.agentName, row.onlineSeconds, row.occupancy, row.conversationsHandled, row.averageLoad])).toEqual([
        ['Asha', 0, 0, 0, 0],
        ['Ben', 0, 0, 0, 0],
        ['Chen', 0, 0, 0, 0],
      ]);
      expectAllBucketsZero(metrics);
    }
  });

  it('takes the later of two status changes in the same millisecond', async () => {
    const tied = await engine.create();
    const at = new Date('2025-03-02T12:00:00.000Z');
    await tied.collection<AgentDoc>(COLLECTIONS.agents).insertMany([agent(ASHA, 'Asha', 2)]);
    // Ids grow with time: e2 was written after e1, so Asha is ONLINE from then on.
    await tied.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents).insertMany([
      { _id: 'e2', type: 'agent.status', conversationId: null, cycle: null, agentId: ASHA, at, data: { from: 'AWAY', to: 'ONLINE' } },
      { _id: 'e1', type: 'agent.status', conversationId: null, cycle: null, agentId: ASHA, at, data: { from: 'OFFLINE', to: 'AWAY' } },
    ]);
    const metrics = await computeSupportMetrics(tied, RANGE, OPTIONS);
    expect(metrics.agentUtilization).toEqual([{ agentId: ASHA, agentName: 'Asha', onlineSeconds: 86400, occupancy: 0, conversationsHandled: 0, averageLoad: 0 }]);
  });

  it('returns zeros on a store with no data at all', async () => {
    const empty = await engine.create();
    const metrics = await computeSupportMetrics(empty, RANGE, OPTIONS);
    expect(metrics.conversationsOpened).toBe(0);
    expect(metrics.firstResponseTime).toEqual(zeroStats);
    expect(metrics.csat).toEqual({ responses: 0, average: 0, satisfiedPercent: 0, distribution: [0, 0, 0, 0, 0] });
    expect(metrics.agentUtilization).toEqual([]);
    expectAllBucketsZero(metrics);
  });
});

describe('durationStats', () => {
  it('uses nearest rank for the median and p90', () => {
    // n = 10: median rank ⌈5⌉ = 5 → 50; p90 rank ⌈9⌉ = 9 → 90; mean 55
    expect(durationStats([100, 10, 20, 30, 40, 50, 60, 70, 80, 90])).toEqual({ count: 10, average: 55, median: 50, p90: 90 });
    // n = 1: every rank is the one value
    expect(durationStats([42])).toEqual({ count: 1, average: 42, median: 42, p90: 42 });
    // n = 2: median rank 1 → the lower; p90 rank ⌈1.8⌉ = 2
    expect(durationStats([3, 1])).toEqual({ count: 2, average: 2, median: 1, p90: 3 });
    expect(durationStats([])).toEqual(zeroStats);
  });
});
