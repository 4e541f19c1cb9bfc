import type { ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { MessageDoc } from '../../domain/model.js';
import type { AgentDoc, ConversationDoc, CustomerDoc } from '../../domain/model.js';
import { unauthenticated } from '../../domain/errors.js';
import { serviceWindowExpiresAt } from '../../domain/serviceWindow.js';
import { CONVERSATION_CHANGE_TYPES } from '../../domain/events.js';
import type { DomainEventType } from '../../events/types.js';
import { conversationCursor, isConversationCursor } from '../../workflow/inbox.js';
import { currentFeedback, type CycleFeedback } from '../../workflow/feedback.js';
import { phoneOf } from '../../domain/phone.js';
import { ACTOR_TYPES, TIMELINE_KINDS, type TimelineEntry } from '../../workflow/timeline.js';
import type { ConversationOrder as Order } from '../../store/repositories/conversations.js';
import { builder } from '../builder.js';
import { cursorConnection, isIdCursor, PAGE_SIZES, pageSizeExtensions, pageSizeText } from '../paging.js';
import type { GraphQLContext } from '../context.js';
import { Agent } from './agent.js';
import { ConversationStatusEnum } from './enums.js';
import { eventsFor, seesChange } from './events.js';
import { PER_VIEWER } from '../live.js';
import { Message, MessageConnection } from './message.js';

const Customer = builder.objectRef<CustomerDoc>('Customer');
export const Conversation = builder.objectRef<ConversationDoc>('Conversation');

Customer.implement({
  description: 'A WhatsApp user who wrote to the desk.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    waId: t.exposeString('waId', { description: 'WhatsApp id: the phone number in international form without "+".' }),
    name: t.exposeString('name', { nullable: true, description: 'The profile name WhatsApp last sent.' }),
    phone: t.string({ description: 'The number as people write it, e.g. "+1 650-555-1234".', resolve: (c) => phoneOf(c.waId).display }),
    country: t.string({ nullable: true, description: "ISO 3166 region of the number, e.g. 'US', when it is known.", resolve: (c) => phoneOf(c.waId).region }),
    firstSeenAt: t.field({ type: 'DateTime', description: 'When they first wrote.', resolve: (c) => c.createdAt }),
    lastSeenAt: t.field({ type: 'DateTime', description: 'When they last wrote.', resolve: (c) => c.updatedAt }),
    conversationCount: t.withAuth({ authenticated: true }).int({
      description: 'Their conversations that you can see.',
      extensions: PER_VIEWER,
      resolve: async (c, _args, ctx) => ctx.services.repos.conversations.count(await ctx.services.workflow.inbox(ctx.viewer, { customerId: c._id })),
    }),
    conversations: t.connection(
      {
        type: Conversation,
        authScopes: { authenticated: true },
        description: `Their conversations that you can see, most recently opened first; ${pageSizeText(PAGE_SIZES.conversations)}.`,
        extensions: { ...pageSizeExtensions(PAGE_SIZES.conversations), ...PER_VIEWER },
        resolve: async (c, args, ctx) => {
          const { workflow } = ctx.services;
          const query = await workflow.inbox(signedIn(ctx), { customerId: c._id });
          const page = await cursorConnection(
            args,
            PAGE_SIZES.conversations,
            { toCursor: (conversation: ConversationDoc) => conversationCursor(conversation, 'OPENED'), isCursor: isConversationCursor },
            (p: ResolveCursorConnectionArgs) => workflow.conversationPage(query, 'OPENED', p),
          );
          return Object.assign(page, { totalCount: () => ctx.services.repos.conversations.count(query) });
        },
      },
      ConversationConnection,
    ),
  }),
});

const Feedback = builder.objectRef<CycleFeedback>('Feedback').implement({
  description: "The customer's answer to one cycle's survey.",
  fields: (t) => ({
    cycle: t.exposeInt('cycle', { description: 'The cycle (opening or reopening) that was rated.' }),
    score: t.exposeInt('score', { description: '1 (very poor) to 5 (excellent).' }),
    comment: t.exposeString('comment', { nullable: true, description: 'What the customer wrote after rating, when they did (the thank-you message invites it).' }),
    receivedAt: t.field({ type: 'DateTime', description: 'When the rating arrived.', resolve: (f) => f.receivedAt }),
  }),
});

const Survey = builder.objectRef<NonNullable<ConversationDoc['survey']>>('Survey').implement({
  fields: (t) => ({
    sentAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.sentAt }),
    skippedReason: t.exposeString('skippedReason', { nullable: true, description: 'Why no survey went out, when none did.' }),
    ratedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.ratedAt }),
  }),
});

const ExternalLink = builder.objectRef<ConversationDoc['externalLinks'][number]>('ExternalLink').implement({
  fields: (t) => ({
    system: t.exposeString('system'),
    externalId: t.exposeString('externalId'),
    url: t.exposeString('url', { nullable: true }),
  }),
});

const TimelineKindEnum = builder.enumType('ConversationEventKind', { values: TIMELINE_KINDS });
const ActorTypeEnum = builder.enumType('ActorType', { values: ACTOR_TYPES });

/**
 * The viewer of a field whose `authScopes` already require one. Connections
 * built on a shared connection type cannot use `withAuth` (its narrowed
 * context does not fit the shared type), so they say it here.
 */
function signedIn(ctx: GraphQLContext): AgentDoc {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

const agentById = (ctx: GraphQLContext, id: string | null) => (id ? ctx.loaders.agent.load(id) : null);

const ConversationEvent = builder.objectRef<TimelineEntry>('ConversationEvent').implement({
  description: 'A line of the conversation\'s timeline: who did what, when ("Transferred to Bob: over to you", "Rated 5").',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: TimelineKindEnum }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    cycle: t.exposeInt('cycle', { nullable: true }),
    actorType: t.expose('actorType', { type: ActorTypeEnum, description: 'Who did it: the customer, an agent (see actor), the desk itself, or an integration.' }),
    actor: t.field({ type: Agent, nullable: true, description: 'The agent who did it, when an agent did.', resolve: (e, _args, ctx) => agentById(ctx, e.actorId) }),
    integration: t.exposeString('integration', { nullable: true, description: 'The integration that did it, for actorType INTEGRATION.' }),
    agent: t.field({ type: Agent, nullable: true, description: 'ASSIGNED, TRANSFERRED: who it went to.', resolve: (e, _args, ctx) => agentById(ctx, e.agentId) }),
    fromAgent: t.field({ type: Agent, nullable: true, description: 'TRANSFERRED, RELEASED: who had it.', resolve: (e, _args, ctx) => agentById(ctx, e.fromAgentId) }),
    note: t.exposeString('note', { nullable: true, description: 'TRANSFERRED: the note left for the next agent.' }),
    score: t.exposeInt('score', { nullable: true, description: 'RATED: 1 to 5.' }),
    comment: t.exposeString('comment', { nullable: true, description: "COMMENTED: the customer's comment on their rating." }),
  }),
});

Conversation.implement({
  fields: (t) => ({
    id: t.exposeID('_id'),
    status: t.expose('status', { type: ConversationStatusEnum }),
    cycle: t.exposeInt('cycle', { description: '1 for the first opening, +1 for each reopen.' }),
    customer: t.field({
      type: Customer,
      resolve: async (c, _args, ctx) =>
        (await ctx.loaders.customer.load(c.customerId)) ?? { _id: c.customerId, waId: c.waId, name: null, createdAt: c.createdAt, updatedAt: c.updatedAt },
    }),
    assignee: t.field({
      type: Agent,
      nullable: true,
      resolve: (c, _args, ctx) => (c.assigneeId ? ctx.loaders.agent.load(c.assigneeId) : null),
    }),
    openedAt: t.field({ type: 'DateTime', resolve: (c) => c.openedAt }),
    cycleStartedAt: t.field({ type: 'DateTime', resolve: (c) => c.cycleStartedAt }),
    firstResponseAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.firstResponseAt }),
    resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.resolvedAt }),
    lastCustomerMessageAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.lastCustomerMessageAt }),
    serviceWindowExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'After this, only templates reach the customer (WhatsApp 24-hour window).',
      resolve: (c) => serviceWindowExpiresAt(c.lastCustomerMessageAt ? new Date(c.lastCustomerMessageAt) : null),
    }),
    messages: t.connection(
      {
        type: Message,
        description: `Oldest first (last: n gives the latest n); ${pageSizeText(PAGE_SIZES.messages)}. Notes included.`,
        extensions: pageSizeExtensions(PAGE_SIZES.messages),
        resolve: (c, args, ctx) =>
          cursorConnection(args, PAGE_SIZES.messages, { toCursor: (m: MessageDoc) => m._id, isCursor: isIdCursor }, (page: ResolveCursorConnectionArgs) =>
            ctx.services.repos.messages.page(c._id, page),
          ),
      },
      MessageConnection,
    ),
    lastMessage: t.field({
      type: Message,
      nullable: true,
      description: 'The latest message of any kind (greetings and surveys included, notes not).',
      resolve: (c, _args, ctx) => (c.lastMessageId ? ctx.loaders.message.load(c.lastMessageId) : null),
    }),
    lastCustomerMessage: t.field({
      type: Message,
      nullable: true,
      description: "The customer's latest message: what an inbox row previews.",
      resolve: (c, _args, ctx) => (c.lastCustomerMessageId ? ctx.loaders.message.load(c.lastCustomerMessageId) : null),
    }),
    lastActivityAt: t.field({
      type: 'DateTime',
      description: 'The inbox order (LAST_ACTIVITY): the latest of opening, reopening and any message but notes.',
      resolve: (c) => c.lastActivityAt ?? c.lastMessageAt ?? c.openedAt,
    }),
    unreadCount: t.int({ description: 'Customer messages since the conversation was last read (markConversationRead or a reply).', resolve: (c) => c.unreadCount ?? 0 }),
    labels: t.stringList({ resolve: (c) => c.labels ?? [] }),
    events: t.connection({
      type: ConversationEvent,
      description: `The timeline: opened, assigned, transferred, released, resolved, reopened, rated, commented. Oldest first; ${pageSizeText(PAGE_SIZES.events)}.`,
      extensions: pageSizeExtensions(PAGE_SIZES.events),
      resolve: (c, args, ctx) =>
        cursorConnection(args, PAGE_SIZES.events, { toCursor: (e: TimelineEntry) => e.id, isCursor: isIdCursor }, (page: ResolveCursorConnectionArgs) =>
          ctx.services.workflow.timeline(c._id, page),
        ),
    }, { name: 'ConversationEventConnection' }, { name: 'ConversationEventEdge' }),
    feedback: t.field({
      type: Feedback,
      nullable: true,
      description: "The current cycle's rating and comment; null until the customer rates this cycle (a reopened conversation starts without one).",
      resolve: (c) => currentFeedback(c),
    }),
    feedbackHistory: t.field({
      type: [Feedback],
      description: "Every cycle's rating and comment, oldest first.",
      resolve: (c, _args, ctx) => ctx.services.workflow.feedbackHistory(c._id),
    }),
    survey: t.field({ type: Survey, nullable: true, resolve: (c) => c.survey }),
    externalLinks: t.field({ type: [ExternalLink], resolve: (c) => c.externalLinks }),
  }),
});

const ConversationFilter = builder.inputType('ConversationFilter', {
  fields: (t) => ({
    status: t.field({ type: [ConversationStatusEnum] }),
    assigneeId: t.id(),
    customerWaId: t.string({ description: 'The customer\'s number in any form: "+1 555-123-4567" finds 15551234567.' }),
    search: t.string({ description: 'Customer name, number, or text of any message; case does not matter. At most 200 characters.' }),
    labels: t.stringList({ description: 'Conversations carrying every one of these labels.' }),
    unread: t.boolean({ description: 'true: only conversations with unread customer messages; false: only those without.' }),
  }),
});

const ConversationOrderEnum = builder.enumType('ConversationOrder', {
  description: 'How the inbox is sorted; both newest first.',
  values: {
    LAST_ACTIVITY: { description: 'Latest activity (a message, opening or reopening) first.' },
    OPENED: { description: 'Most recently opened first.' },
  } as const,
});

/** A page of conversations knows the query behind it, so totalCount costs one count and only when asked. */
type CountedPage = { totalCount?: () => Promise<number> };

export const ConversationConnection = builder.connectionObject(
  {
    type: Conversation,
    name: 'ConversationConnection',
    fields: (t) => ({
      totalCount: t.int({
        description: 'How many conversations match, across all pages.',
        resolve: (page) => (page as CountedPage).totalCount?.() ?? 0,
      }),
    }),
  },
  { name: 'ConversationEdge' },
);

const QueueStats = builder.objectRef<{ length: number; oldestQueuedAt: Date | null; agentsOnline: number }>('QueueStats').implement({
  description: 'The queue at a glance: the top bar\'s badge.',
  fields: (t) => ({
    length: t.exposeInt('length', { description: 'Conversations waiting for an agent.' }),
    oldestQueuedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the longest-waiting one joined the queue.', resolve: (q) => q.oldestQueuedAt }),
    agentsOnline: t.exposeInt('agentsOnline'),
  }),
});

const LabelCount = builder.objectRef<{ _id: string; count: number }>('LabelCount').implement({
  fields: (t) => ({
    label: t.exposeString('_id'),
    count: t.exposeInt('count', { description: 'Conversations you can see that carry it.' }),
  }),
});

builder.queryFields((t) => ({
  conversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    description: 'Null when it does not exist or the viewer may not see it (agents see theirs, the queue, and the ones they handled): the two are one answer.',
    resolve: (_root, { id }, ctx) => ctx.services.workflow.visibleConversation(ctx.viewer, String(id)),
  }),
  conversations: t.connection(
    {
      type: Conversation,
      authScopes: { authenticated: true },
      description:
        `The inbox, newest activity first unless orderBy says otherwise (ties: newest id first); ${pageSizeText(PAGE_SIZES.conversations)}. Agents see their own conversations, the ones they handled before, and the queue; admins see all.`,
      extensions: pageSizeExtensions(PAGE_SIZES.conversations),
      args: {
        filter: t.arg({ type: ConversationFilter }),
        orderBy: t.arg({ type: ConversationOrderEnum, defaultValue: 'LAST_ACTIVITY' }),
      },
      resolve: async (_root, args, ctx) => {
        const { workflow } = ctx.services;
        const query = await workflow.inbox(signedIn(ctx), {
          status: args.filter?.status ?? null,
          assigneeId: args.filter?.assigneeId ? String(args.filter.assigneeId) : null,
          customerWaId: args.filter?.customerWaId ?? null,
          search: args.filter?.search ?? null,
          labels: args.filter?.labels ?? null,
          unread: args.filter?.unread ?? null,
        });
        const order: Order = args.orderBy ?? 'LAST_ACTIVITY';
        const page = await cursorConnection(
          args,
          PAGE_SIZES.conversations,
          { toCursor: (c: ConversationDoc) => conversationCursor(c, order), isCursor: isConversationCursor },
          (p: ResolveCursorConnectionArgs) => workflow.conversationPage(query, order, p),
        );
        return Object.assign(page, { totalCount: () => ctx.services.repos.conversations.count(query) });
      },
    },
    ConversationConnection,
  ),
  labels: t.withAuth({ authenticated: true }).field({
    type: [LabelCount],
    description: 'Every label on the conversations you can see, with how many carry it; most used first.',
    resolve: async (_root, _args, ctx) => ctx.services.repos.conversations.labelCounts(await ctx.services.workflow.inbox(ctx.viewer, null)),
  }),
  customer: t.withAuth({ authenticated: true }).field({
    type: Customer,
    nullable: true,
    description: 'Null when it does not exist or none of their conversations is yours to see.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.workflow.customerFor(ctx.viewer, String(id)),
  }),
  queue: t.withAuth({ authenticated: true }).field({
    type: QueueStats,
    resolve: (_root, _args, ctx) => ctx.services.workflow.queueStats(),
  }),
}));

builder.mutationFields((t) => ({
  assignConversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description: 'Admins assign or transfer (agentId omitted: by policy); agents claim a QUEUED conversation for themselves.',
    args: { conversationId: t.arg.id({ required: true }), agentId: t.arg.id() },
    resolve: (_root, args, ctx) => ctx.services.workflow.assignConversation(ctx.viewer, String(args.conversationId), args.agentId ? String(args.agentId) : null),
  }),
  sendReply: t.withAuth({ authenticated: true }).field({
    type: Message,
    args: { conversationId: t.arg.id({ required: true }), text: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.sendReply(ctx.viewer, String(args.conversationId), args.text),
  }),
  sendTemplate: t.withAuth({ authenticated: true }).field({
    type: Message,
    description: 'An approved template: allowed in or out of the 24-hour window.',
    args: {
      conversationId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      language: t.arg.string({ required: true }),
      components: t.arg({ type: 'JSON' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.workflow.sendTemplate(ctx.viewer, { conversationId: String(args.conversationId), name: args.name, language: args.language, components: args.components ?? null }),
  }),
  addNote: t.withAuth({ authenticated: true }).field({
    type: Message,
    description: 'An internal note: never sent to the customer (type NOTE, direction INTERNAL, status null). At most 10,000 characters.',
    args: { conversationId: t.arg.id({ required: true }), text: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.addNote(ctx.viewer, String(args.conversationId), args.text),
  }),
  resolveConversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    args: { conversationId: t.arg.id({ required: true }), sendSurvey: t.arg.boolean({ defaultValue: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.resolve(ctx.viewer, String(args.conversationId), args.sendSurvey ?? true),
  }),
  reopenConversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    args: { conversationId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.reopen(ctx.viewer, String(args.conversationId)),
  }),
  transferConversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description:
      'The assignee (or an admin) hands the conversation to another agent, who must be active and below capacity (CONFLICT says which is not). The note shows in the timeline. The previous agent keeps read access.',
    args: { conversationId: t.arg.id({ required: true }), agentId: t.arg.id({ required: true }), note: t.arg.string() },
    resolve: (_root, args, ctx) =>
      ctx.services.workflow.transferConversation(ctx.viewer, String(args.conversationId), String(args.agentId), args.note ?? null),
  }),
  releaseConversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description: 'The assignee (or an admin) puts the conversation back in the queue; the assignment policy gives it to someone else when it can.',
    args: { conversationId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.releaseConversation(ctx.viewer, String(args.conversationId)),
  }),
  markConversationRead: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description: "The assignee (or an admin) has read it: unreadCount becomes 0 and WhatsApp shows the customer's latest message as read.",
    args: { conversationId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.markConversationRead(ctx.viewer, String(args.conversationId)),
  }),
  addLabels: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description: 'Assignee or admin. Labels are trimmed, 1 to 50 characters, at most 20 per conversation.',
    args: { conversationId: t.arg.id({ required: true }), labels: t.arg.stringList({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.addLabels(ctx.viewer, String(args.conversationId), args.labels),
  }),
  removeLabels: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description: 'Assignee or admin. Labels the conversation does not carry are ignored.',
    args: { conversationId: t.arg.id({ required: true }), labels: t.arg.stringList({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.removeLabels(ctx.viewer, String(args.conversationId), args.labels),
  }),
}));

/** Every change that moves a conversation or what its inbox row shows. */
const CONVERSATION_CHANGES = [...CONVERSATION_CHANGE_TYPES, 'conversation.updated', 'message.received', 'message.sent'] as const satisfies readonly DomainEventType[];

/** Changes to the queue's length or to who is online. */
const QUEUE_CHANGES = [
  'conversation.opened',
  'conversation.assigned',
  'conversation.unassigned',
  'conversation.resolved',
  'conversation.reopened',
  'agent.status',
] as const satisfies readonly DomainEventType[];

builder.subscriptionFields((t) => ({
  conversationUpdated: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    description:
      'A conversation opened, was assigned, transferred, released, got its first response, was resolved, reopened, rated, commented on, labelled or read, or got a message. Sent to everyone who could see it before or after the change (in the statuses asked for), once: a conversation leaving your view arrives as it now is, so you can drop it.',
    args: { status: t.arg({ type: [ConversationStatusEnum] }) },
    subscribe: (_root, args, ctx) => {
      // Read once: the filter runs for every subscriber on every event.
      const { viewer } = ctx;
      const { status } = args;
      return eventsFor(ctx.services.bus, CONVERSATION_CHANGES, (e) => {
        // A note changes nothing an inbox row shows.
        if (e.type === 'message.sent' && e.message.type === 'NOTE') return false;
        return seesChange(viewer, e, status);
      });
    },
    resolve: (event: { conversation: ConversationDoc }) => event.conversation,
  }),
  queueUpdated: t.withAuth({ authenticated: true }).field({
    type: QueueStats,
    description: 'The queue as it is after a conversation joined or left it, or an agent came or went.',
    subscribe: (_root, _args, ctx) => {
      const signedIn = ctx.viewer !== null;
      return eventsFor(ctx.services.bus, QUEUE_CHANGES, () => signedIn);
    },
    resolve: (_event, _args, ctx) => ctx.services.workflow.queueStats(),
  }),
}));
