import type { SupportMetrics } from '../../metrics/supportMetrics.js';
import { builder } from '../builder.js';
import { Agent } from './agent.js';

type Stats = SupportMetrics['firstResponseTime'];
type Utilization = SupportMetrics['agentUtilization'][number];

const DurationStats = builder.objectRef<Stats>('DurationStats').implement({
  description: 'A duration in seconds over the cycles in range. Zero count: every figure is 0.',
  fields: (t) => ({
    count: t.exposeInt('count'),
    average: t.exposeFloat('average'),
    median: t.exposeFloat('median'),
    p90: t.exposeFloat('p90'),
  }),
});

const Csat = builder.objectRef<SupportMetrics['csat']>('Csat').implement({
  fields: (t) => ({
    responses: t.exposeInt('responses'),
    average: t.exposeFloat('average', { description: 'Mean rating, 1 to 5 (0 with no responses).' }),
    satisfiedPercent: t.exposeFloat('satisfiedPercent', { description: 'Ratings of 4 or 5 as a percentage of all ratings.' }),
    distribution: t.exposeIntList('distribution', { description: 'How many ratings scored 1, 2, 3, 4 and 5: always five counts, ones first.' }),
  }),
});

const AgentUtilization = builder.objectRef<Utilization>('AgentUtilization').implement({
  fields: (t) => ({
    agent: t.field({
      type: Agent,
      nullable: true,
      resolve: (u, _args, ctx) => ctx.loaders.agent.load(u.agentId),
    }),
    agentId: t.exposeID('agentId'),
    onlineSeconds: t.exposeFloat('onlineSeconds'),
    occupancy: t.exposeFloat('occupancy', { description: 'Share of ONLINE time with at least one active conversation, 0 to 1.' }),
    conversationsHandled: t.exposeInt('conversationsHandled'),
    averageLoad: t.exposeFloat('averageLoad', { description: 'Time-weighted active conversations while ONLINE ÷ capacity.' }),
  }),
});

const HourVolume = builder.objectRef<SupportMetrics['volumeByHour'][number]>('HourVolume').implement({
  fields: (t) => ({
    hour: t.exposeInt('hour', { description: '0–23 in the configured business time zone.' }),
    conversations: t.exposeInt('conversations'),
    messages: t.exposeInt('messages', { description: 'Inbound customer messages.' }),
  }),
});

const WeekdayHourVolume = builder.objectRef<SupportMetrics['volumeByWeekdayHour'][number]>('WeekdayHourVolume').implement({
  fields: (t) => ({
    weekday: t.exposeInt('weekday', { description: '0 = Sunday … 6 = Saturday.' }),
    hour: t.exposeInt('hour'),
    conversations: t.exposeInt('conversations'),
    messages: t.exposeInt('messages'),
  }),
});

const SupportMetricsType = builder.objectRef<SupportMetrics>('SupportMetrics').implement({
  fields: (t) => ({
    conversationsOpened: t.exposeInt('conversationsOpened'),
    conversationsReopened: t.exposeInt('conversationsReopened'),
    conversationsResolved: t.exposeInt('conversationsResolved'),
    firstResponseTime: t.field({ type: DurationStats, resolve: (m) => m.firstResponseTime }),
    resolutionTime: t.field({ type: DurationStats, resolve: (m) => m.resolutionTime }),
    firstResponseTimeBusinessHours: t.field({ type: DurationStats, resolve: (m) => m.firstResponseTimeBusinessHours }),
    resolutionTimeBusinessHours: t.field({ type: DurationStats, resolve: (m) => m.resolutionTimeBusinessHours }),
    csat: t.field({ type: Csat, resolve: (m) => m.csat }),
    agentUtilization: t.field({ type: [AgentUtilization], resolve: (m) => m.agentUtilization }),
    volumeByHour: t.field({ type: [HourVolume], resolve: (m) => m.volumeByHour }),
    volumeByWeekdayHour: t.field({ type: [WeekdayHourVolume], resolve: (m) => m.volumeByWeekdayHour }),
  }),
});

builder.queryFields((t) => ({
  metrics: t.withAuth({ authenticated: true }).field({
    type: SupportMetricsType,
    description:
      'Admins: anyone (agentId optional), ranges up to 366 days. Agents: only themselves, ranges up to 93 days. Its own, smaller rate budget (METRICS_QUERIES_PER_MINUTE per viewer).',
    args: { from: t.arg({ type: 'DateTime', required: true }), to: t.arg({ type: 'DateTime', required: true }), agentId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const query = await ctx.services.workflow.authorizeMetrics(ctx.viewer, { from: args.from, to: args.to, agentId: args.agentId ? String(args.agentId) : null });
      return (await ctx.services.metrics(query, ctx.viewer._id)) as SupportMetrics;
    },
  }),
}));
