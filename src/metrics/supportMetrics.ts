/**
 * Support metrics over a range [from, to), computed from the append-only
 * conversation event log (`conversation_events`), the `messages` and the
 * `agents` collections, through the store port only. An event belongs to the
 * range when its `at` is in [from, to) (a message: its `createdAt`).
 *
 * - conversationsOpened: `opened` events, i.e. new conversations. Reopens are
 *   not in it; conversationsReopened counts `reopened` events.
 * - conversationsResolved: `resolved` events (a conversation resolved in two
 *   cycles within the range counts twice).
 * - firstResponseTime: one duration per cycle whose `first_response` event is
 *   in the range: that event's time − the cycle's start (its opened or
 *   reopened time, carried as data.cycleStartedAt). Only a human agent's reply
 *   writes first_response, once per cycle: greetings, out-of-office texts,
 *   surveys, system templates and notes never do. A cycle not yet answered at
 *   `to` is not counted.
 * - resolutionTime: one duration per `resolved` event in the range: its time −
 *   data.cycleStartedAt.
 * - Duration statistics are {count, average, median, p90} in seconds: the
 *   arithmetic mean, and percentiles by nearest rank (the value at 1-based rank
 *   ⌈p/100 · n⌉ of the sorted durations, so the median of an even count is the
 *   lower middle value and every figure is a duration that really happened).
 *   A negative duration (clock skew between instances) counts as 0. No
 *   durations: all four are 0.
 * - firstResponseTimeBusinessHours / resolutionTimeBusinessHours: the same
 *   cycles, counting only the seconds inside the configured weekly schedule,
 *   in the schedule's own time zone (always open when no schedule is set, so
 *   they equal the plain ones). Statistics are taken over the business
 *   durations (the median business duration, not the business part of the
 *   median cycle).
 * - csat: `feedback` events in the range: responses, average score (1–5), and
 *   satisfiedPercent = responses scoring 4 or 5 ÷ responses × 100. 0 when none;
 *   distribution = how many responses scored 1, 2, 3, 4 and 5 (five counts).
 * - agentUtilization: one row per agent (every agent, or only the one asked
 *   for; none when that id names no agent), sorted by name, over [from, to):
 *   - onlineSeconds: time with status ONLINE. The status at `from` is the last
 *     agent_status before it, OFFLINE when there is none (agents are created
 *     OFFLINE); AWAY counts as not online.
 *   - held conversations, replayed from the log from its beginning: `assigned`
 *     +1 for its agentId and, on a transfer, −1 for data.fromAgentId;
 *     `unassigned` −1 for its agentId; `resolved` −1 for its agentId (the
 *     moves the workflow makes on activeConversations). A count the log drives
 *     below 0 counts as 0.
 *   - occupancy = time ONLINE holding ≥ 1 conversation ÷ time ONLINE (0 when
 *     never online).
 *   - averageLoad = (time-weighted mean of conversations held while ONLINE) ÷
 *     the agent's current capacity (0 when never online or capacity is 0).
 *   - conversationsHandled: distinct conversations with a `resolved` event in
 *     the range naming this agent (the holder when it was resolved).
 * - volumeByHour: for every hour 0–23 of the day in options.timeZone, the
 *   `opened` events (new conversations; reopens are not new demand) and the
 *   inbound customer messages (direction INBOUND, author CUSTOMER: survey
 *   answers included). volumeByWeekdayHour: the same per weekday (0 = Sunday
 *   … 6 = Saturday) × hour. Always all 24 and 168 buckets.
 * - agentId: first response (the agent who replied), resolution (the agent
 *   holding it when resolved), CSAT (the agent who resolved the rated cycle),
 *   conversationsResolved and agentUtilization are restricted to that agent.
 *   conversationsOpened, conversationsReopened and volume stay desk-wide: a
 *   conversation opens before it has an agent, and they describe the demand the
 *   agent worked within.
 * - An empty range (to ≤ from) and agents with no activity give zeros and
 *   zeroed buckets, never nulls or errors.
 */
import type { BusinessHours } from '../domain/businessHours.js';
import type { AgentDoc, AgentStatus, ConversationEventDoc, ConversationEventType, MessageDoc } from '../domain/model.js';
import { COLLECTIONS } from '../store/collections.js';
import type { Collection, Filter, Store } from '../store/port.js';
import { businessClock } from './businessTime.js';
import { durationStats, type DurationStats } from './durationStats.js';
import { replayUtilization, type AgentUtilization, type TimelineChange } from './utilization.js';
import { QUARTER_HOUR_MS, quarterHourCounts, volumeByLocalTime, type HourVolume, type QuarterHourCount, type WeekdayHourVolume } from './volume.js';

export type { AgentUtilization } from './utilization.js';
export type { DurationStats } from './durationStats.js';
export type { HourVolume, WeekdayHourVolume } from './volume.js';

export interface Csat {
  responses: number;
  average: number;
  satisfiedPercent: number;
  /** Responses per score: [ones, twos, threes, fours, fives]. */
  distribution: number[];
}

export interface SupportMetrics {
  conversationsOpened: number;
  conversationsReopened: number;
  conversationsResolved: number;
  firstResponseTime: DurationStats;
  resolutionTime: DurationStats;
  firstResponseTimeBusinessHours: DurationStats;
  resolutionTimeBusinessHours: DurationStats;
  csat: Csat;
  agentUtilization: AgentUtilization[];
  volumeByHour: HourVolume[];
  volumeByWeekdayHour: WeekdayHourVolume[];
}

export interface SupportMetricsQuery {
  from: Date;
  to: Date;
  /** Restricts the per-agent figures to this agent (see the definitions above). */
  agentId?: string | null;
}

export interface SupportMetricsOptions {
  /** The zone volume-by-hour is reported in. */
  timeZone: string;
  /** The schedule of the business-hours variants (in its own time zone). */
  businessHours: BusinessHours;
}

// Query shapes, chosen for both engines. The range's events (a few per
// conversation) are read in one pass and folded here: durations, the
// utilization replay, counts, CSAT and conversation volume all come from them.
// What spans more than the range is aggregated where it lies: the holding
// moves before the range (per-agent counts), each agent's last status before
// it, and the inbound messages (by far the biggest collection) per
// quarter-hour. Every filter is a plain conjunction leading with {type, at}
// (the {type: 1, at: 1} index on MongoDB; the type lookup and compiled filters
// on the embedded engine) or with {agentId, ...} for one agent ({agentId: 1,
// at: 1}); no $or, which neither engine narrows as well. Groups key on plain
// field paths: on the embedded engine (mingo) such a group costs ~0.6 µs a
// document, one keyed on an object of fields or an expression ~2.9 µs, and a
// $sort ~7.7 µs.

/** The events read here are only read, never modified: the embedded engine need not copy them. */
const READ_ONLY = { readOnly: true } as const;

/** Durations as their starts and ends (epoch ms), index by index. */
type Spans = { starts: number[]; ends: number[] };

type HoldingMoves = { _id: { type: ConversationEventType; agentId?: string | null; fromAgentId?: string | null }; n: number };

/** Events whose agentId says whose they are; opened and reopened carry none. */
const AGENT_EVENT_TYPES: ConversationEventType[] = ['conversation.first_response', 'conversation.resolved', 'conversation.assigned', 'conversation.unassigned', 'agent.status', 'feedback.received'];

export async function computeSupportMetrics(store: Store, query: SupportMetricsQuery, options: SupportMetricsOptions): Promise<SupportMetrics> {
  const { from, to } = query;
  if (Number.isNaN(+from) || Number.isNaN(+to)) throw new RangeError('metrics range needs valid from and to dates');
  const agentId = query.agentId ?? null;
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
  const agentsCollection = store.collection<AgentDoc>(COLLECTIONS.agents);
  const agents = await agentsCollection.find(agentId ? { _id: agentId } : {}, { sort: { name: 1, _id: 1 } });
  if (+to <= +from) return emptyMetrics(agents);

  const inRange = { $gte: from, $lt: to };
  const none = Promise.resolve([] as ConversationEventDoc[]);

  const [rangeEvents, deskEvents, transfersAway, holdingMoves, statusAtStart, messageVolume] = await Promise.all([
    events.find(agentId ? { type: { $in: AGENT_EVENT_TYPES }, at: inRange, agentId } : { type: { $in: [...AGENT_EVENT_TYPES, 'conversation.opened', 'conversation.reopened'] }, at: inRange }, READ_ONLY),
    // For one agent, opened and reopened still come desk-wide...
    agentId ? events.find({ type: { $in: ['conversation.opened', 'conversation.reopened'] }, at: inRange }, READ_ONLY) : none,
    // ...and so do the transfers that took a conversation away from them.
    agentId ? events.find({ type: 'conversation.assigned', at: inRange, 'data.fromAgentId': agentId }, READ_ONLY) : none,
    // Conversations each agent held at `from`: the sum of every holding move
    // before it, in one pass (the whole log before the range; one agent: their moves, then transfers away from them).
    holdingMovesBefore(events, from, agentId),
    statusesAt(events, from, agentId),
    messages.aggregate<QuarterHourCount>(quarterHourCounts({ direction: 'INBOUND', author: 'CUSTOMER', createdAt: inRange }, 'createdAt')),
  ]);

  // ---- one pass over the range's events ----
  let conversationsReopened = 0;
  let conversationsResolved = 0;
  const openedPerQuarterHour = new Map<number, number>();
  let responses = 0;
  let scoreSum = 0;
  let satisfied = 0;
  const distribution = [0, 0, 0, 0, 0];
  // Cycle starts and ends side by side (two number arrays, no pair object per cycle: over a quarter of a million cycles that is garbage).
  const firstResponses: Spans = { starts: [], ends: [] };
  const resolutions: Spans = { starts: [], ends: [] };
  const changes: TimelineChange[] = [];
  const resolvedBy = new Map<string, Set<string>>();
  for (const list of [rangeEvents, deskEvents, transfersAway]) {
    for (const event of list) {
      // getTime, not unary plus: V8 inlines the one, and walks Date's toPrimitive for the other (half a million events).
      const at = event.at.getTime();
      switch (event.type) {
        case 'conversation.opened': {
          const quarter = Math.floor(at / QUARTER_HOUR_MS);
          openedPerQuarterHour.set(quarter, (openedPerQuarterHour.get(quarter) ?? 0) + 1);
          break;
        }
        case 'conversation.reopened':
          conversationsReopened++;
          break;
        case 'feedback.received': {
          const score = event.data.score;
          if (typeof score !== 'number') break;
          responses++;
          scoreSum += score;
          if (score >= 4) satisfied++;
          distribution[Math.min(5, Math.max(1, Math.round(score))) - 1]!++;
          break;
        }
        case 'conversation.first_response': {
          const start = timeOf(event.data.cycleStartedAt);
          if (start !== null) {
            firstResponses.starts.push(start);
            firstResponses.ends.push(at);
          }
          break;
        }
        case 'conversation.resolved': {
          conversationsResolved++;
          const start = timeOf(event.data.cycleStartedAt);
          if (start !== null) {
            resolutions.starts.push(start);
            resolutions.ends.push(at);
          }
          if (event.agentId) {
            changes.push({ at, agentId: event.agentId, heldDelta: -1 });
            let handled = resolvedBy.get(event.agentId);
            if (!handled) resolvedBy.set(event.agentId, (handled = new Set()));
            if (event.conversationId) handled.add(event.conversationId);
          }
          break;
        }
        case 'conversation.assigned': {
          // transfersAway are the other agent's assignments: only their fromAgentId side is about this agent.
          if (event.agentId && list !== transfersAway) changes.push({ at, agentId: event.agentId, heldDelta: 1 });
          const previous = event.data.fromAgentId;
          if (typeof previous === 'string') changes.push({ at, agentId: previous, heldDelta: -1 });
          break;
        }
        case 'conversation.unassigned':
          if (event.agentId) changes.push({ at, agentId: event.agentId, heldDelta: -1 });
          break;
        case 'agent.status':
          if (event.agentId && typeof event.data.to === 'string') changes.push({ at, agentId: event.agentId, status: event.data.to as AgentStatus });
          break;
        default:
          break;
      }
    }
  }
  const openedVolume = [...openedPerQuarterHour].map(([quarter, n]) => ({ _id: quarter, n }));

  const seconds = ({ starts, ends }: Spans) => starts.map((start, i) => Math.max(0, ends[i]! - start) / 1000);
  let spanStart = Infinity;
  let spanEnd = -Infinity;
  for (const { starts, ends } of [firstResponses, resolutions]) {
    for (let i = 0; i < starts.length; i++) {
      if (starts[i]! < spanStart) spanStart = starts[i]!;
      if (ends[i]! > spanEnd) spanEnd = ends[i]!;
    }
  }
  const business = spanStart <= spanEnd ? businessClock(options.businessHours, spanStart, spanEnd) : null;
  const businessSeconds = ({ starts, ends }: Spans) => (business ? starts.map((start, i) => business.secondsBetween(start, ends[i]!)) : []);

  // ---- utilization ----
  const heldAtStart = new Map<string, number>();
  const move = (agent: unknown, delta: number) => {
    if (typeof agent === 'string') heldAtStart.set(agent, (heldAtStart.get(agent) ?? 0) + delta);
  };
  for (const { _id, n } of holdingMoves) {
    if (_id.type === 'conversation.assigned') {
      move(_id.agentId, Number(n));
      move(_id.fromAgentId, -Number(n));
    } else move(_id.agentId, -Number(n));
  }

  const agentUtilization = replayUtilization({
    from: +from,
    to: Math.max(+from, +to),
    agents: agents.map((agent) => ({ _id: agent._id, name: agent.name, capacity: agent.capacity })),
    statusAtStart,
    heldAtStart,
    changes,
    resolvedBy,
  });

  return {
    conversationsOpened: openedVolume.reduce((sum, bucket) => sum + bucket.n, 0),
    conversationsReopened,
    conversationsResolved,
    firstResponseTime: durationStats(seconds(firstResponses)),
    resolutionTime: durationStats(seconds(resolutions)),
    firstResponseTimeBusinessHours: durationStats(businessSeconds(firstResponses)),
    resolutionTimeBusinessHours: durationStats(businessSeconds(resolutions)),
    csat: {
      responses,
      average: responses > 0 ? scoreSum / responses : 0,
      satisfiedPercent: responses > 0 ? (satisfied / responses) * 100 : 0,
      distribution,
    },
    agentUtilization,
    ...volumeByLocalTime(openedVolume, messageVolume, options.timeZone),
  };
}

/** Holding moves before `at`, counted per (type, agent, agent it was transferred from). */
async function holdingMovesBefore(events: Collection<ConversationEventDoc>, at: Date, agentId: string | null): Promise<HoldingMoves[]> {
  const movesOf = (filter: Filter) =>
    events.aggregate<HoldingMoves>([
      { $match: filter },
      { $group: { _id: { type: '$type', agentId: '$agentId', fromAgentId: '$data.fromAgentId' }, n: { $sum: 1 } } },
    ]);
  const before = { type: { $in: ['conversation.assigned', 'conversation.unassigned', 'conversation.resolved'] }, at: { $lt: at } };
  if (!agentId) return movesOf(before);
  const [own, away] = await Promise.all([movesOf({ ...before, agentId }), movesOf({ type: 'conversation.assigned', at: { $lt: at }, 'data.fromAgentId': agentId })]);
  // A transfer away lands in `away`; one to this agent from itself would be in both, counted once.
  return [...own, ...away.filter((row) => row._id.agentId !== agentId)];
}

function emptyMetrics(agents: AgentDoc[]): SupportMetrics {
  return {
    conversationsOpened: 0,
    conversationsReopened: 0,
    conversationsResolved: 0,
    firstResponseTime: durationStats([]),
    resolutionTime: durationStats([]),
    firstResponseTimeBusinessHours: durationStats([]),
    resolutionTimeBusinessHours: durationStats([]),
    csat: { responses: 0, average: 0, satisfiedPercent: 0, distribution: [0, 0, 0, 0, 0] },
    agentUtilization: agents.map((agent) => ({ agentId: agent._id, agentName: agent.name, onlineSeconds: 0, occupancy: 0, conversationsHandled: 0, averageLoad: 0 })),
    ...volumeByLocalTime([], [], 'UTC'),
  };
}

/**
 * Each agent's status at `at`: the `to` of their last agent_status before it.
 * Found as the time of that event per agent ($max, no $sort: see above), then
 * the events at those times.
 */
async function statusesAt(events: Collection<ConversationEventDoc>, at: Date, agentId: string | null): Promise<Map<string, AgentStatus>> {
  const latest = await events.aggregate<{ _id: unknown; lastAt: Date }>([
    { $match: { type: 'agent.status', at: { $lt: at }, ...(agentId ? { agentId } : {}) } },
    { $group: { _id: '$agentId', lastAt: { $max: '$at' } } },
  ]);
  const wanted = new Map<string, number>();
  for (const row of latest) if (typeof row._id === 'string' && row.lastAt) wanted.set(row._id, +row.lastAt);
  const statuses = new Map<string, AgentStatus>();
  if (wanted.size === 0) return statuses;
  const last = await events.find({
    type: 'agent.status',
    agentId: { $in: [...wanted.keys()] },
    at: { $in: [...new Set(wanted.values())].map((ms) => new Date(ms)) },
  }, READ_ONLY);
  // Two changes in the same millisecond: the later id (ids grow with time) is the later change.
  const chosen = new Map<string, string>();
  for (const event of last) {
    const agent = event.agentId;
    if (!agent || wanted.get(agent) !== +event.at || typeof event.data.to !== 'string') continue;
    if ((chosen.get(agent) ?? '') > event._id) continue;
    chosen.set(agent, event._id);
    statuses.set(agent, event.data.to as AgentStatus);
  }
  return statuses;
}

function timeOf(value: unknown): number | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value === 'string' || typeof value === 'number') {
    const ms = +new Date(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
