import { CONVERSATION_CHANGE_TYPES } from '../../domain/events.js';
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { MessageDoc } from '../../domain/model.js';
import type { ConversationDoc, CustomerDoc } from '../../domain/model.js';
import { serviceWindowExpiresAt } from '../../domain/serviceWindow.js';
import { builder } from '../builder.js';
import { Agent } from './agent.js';
import { ConversationStatusEnum } from './enums.js';
import { eventsFor, visibleTo } from './events.js';
import { Message } from './message.js';

const Customer = builder.objectRef<CustomerDoc>('Customer').implement({
  fields: (t) => ({
    id: t.exposeID('_id'),
    waId: t.exposeString('waId', { description: 'WhatsApp id: the phone number in international form without "+".' }),
    name: t.exposeString('name', { nullable: true }),
  }),
});

const Feedback = builder.objectRef<NonNullable<ConversationDoc['feedback']>>('Feedback').implement({
  fields: (t) => ({
    score: t.exposeInt('score', { description: '1 (very poor) to 5 (excellent).' }),
    comment: t.exposeString('comment', { nullable: true }),
    receivedAt: t.field({ type: 'DateTime', resolve: (f) => f.receivedAt }),
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

export const Conversation = builder.objectRef<ConversationDoc>('Conversation').implement({
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
    messages: t.connection({
      type: Message,
      description: 'Oldest first.',
      resolve: (c, args, ctx) =>
        resolveCursorConnection({ args, toCursor: (m: MessageDoc) => m._id, defaultSize: 50, maxSize: 200 }, (page: ResolveCursorConnectionArgs) =>
          ctx.services.repos.messages.page(c._id, page),
        ),
    }),
    lastMessage: t.field({
      type: Message,
      nullable: true,
      resolve: (c, _args, ctx) => (c.lastMessageId ? ctx.loaders.message.load(c.lastMessageId) : null),
    }),
    feedback: t.field({ type: Feedback, nullable: true, resolve: (c) => c.feedback }),
    survey: t.field({ type: Survey, nullable: true, resolve: (c) => c.survey }),
    externalLinks: t.field({ type: [ExternalLink], resolve: (c) => c.externalLinks }),
  }),
});

const ConversationFilter = builder.inputType('ConversationFilter', {
  fields: (t) => ({
    status: t.field({ type: [ConversationStatusEnum] }),
    assigneeId: t.id(),
    customerWaId: t.string(),
  }),
});

builder.queryFields((t) => ({
  conversation: t.withAuth({ authenticated: true }).field({
    type: Conversation,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    description: 'Null when it does not exist or the viewer may not see it: the two are one answer.',
    resolve: (_root, { id }, ctx) => ctx.services.workflow.visibleConversation(ctx.viewer, String(id)),
  }),
  conversations: t.withAuth({ authenticated: true }).connection({
    type: Conversation,
    description: 'Newest first. Agents see their own conversations and the queue; admins see all.',
    args: { filter: t.arg({ type: ConversationFilter }) },
    resolve: (_root, args, ctx) => {
      const { viewer } = ctx;
      const query = {
        status: args.filter?.status ?? null,
        assigneeId: args.filter?.assigneeId ? String(args.filter.assigneeId) : null,
        customerWaId: args.filter?.customerWaId ?? null,
        visibleToAgentId: viewer.role === 'ADMIN' ? null : viewer._id,
      };
      return resolveCursorConnection({ args, toCursor: (c: ConversationDoc) => c._id, defaultSize: 25, maxSize: 100 }, (page: ResolveCursorConnectionArgs) =>
        ctx.services.repos.conversations.page(query, page),
      );
    },
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
    description: 'An internal note: never sent to the customer.',
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
}));

builder.subscriptionFields((t) => ({
  conversationUpdated: t.field({
    type: Conversation,
    description: 'A conversation opened, was assigned or handed back to the queue, got its first response, was resolved, reopened, rated or commented on.',
    authScopes: { authenticated: true },
    args: { status: t.arg({ type: [ConversationStatusEnum] }) },
    subscribe: (_root, args, ctx) =>
      eventsFor(
        ctx.services.bus,
        CONVERSATION_CHANGE_TYPES,
        (e) => (!args.status?.length || args.status.includes(e.conversation.status)) && visibleTo(ctx.viewer, e.conversation),
      ),
    resolve: (event: { conversation: ConversationDoc }) => event.conversation,
  }),
}));
