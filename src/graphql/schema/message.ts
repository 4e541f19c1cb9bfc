import { MEDIA_STATUSES } from '../../domain/media.js';
import type { MessageDoc } from '../../domain/model.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { Agent } from './agent.js';
import { DeliveryStatusEnum, MessageAuthorEnum, MessageDirectionEnum, MessageTypeEnum } from './enums.js';
import { eventsFor, visibleTo } from './events.js';

const MediaStatusEnum = builder.enumType('MediaStatus', {
  description: 'PENDING until the desk holds the file (inbound: downloaded and checked against Meta\'s SHA-256); FAILED with a reason.',
  values: MEDIA_STATUSES,
});

type MediaView = NonNullable<MessageDoc['media']> & { messageId: string };

const Media = builder.objectRef<MediaView>('Media').implement({
  description: 'A file a customer sent or the desk sent.',
  fields: (t) => ({
    id: t.exposeString('id', { nullable: true, description: "Meta's media id (for outbound files: set once uploaded)." }),
    mimeType: t.exposeString('mimeType', { nullable: true }),
    sha256: t.exposeString('sha256', { nullable: true, description: 'Lower-case hex SHA-256 of the file.' }),
    size: t.int({ nullable: true, description: 'Bytes; known once the desk holds the file.', resolve: (m) => m.size ?? null }),
    caption: t.exposeString('caption', { nullable: true }),
    filename: t.exposeString('filename', { nullable: true }),
    voice: t.exposeBoolean('voice', { nullable: true }),
    status: t.field({ type: MediaStatusEnum, resolve: (m) => m.status ?? 'PENDING' }),
    failureReason: t.string({ nullable: true, description: 'Why the file could not be fetched (status FAILED).', resolve: (m) => m.failureReason ?? null }),
    url: t.string({
      nullable: true,
      description:
        'A URL serving the file to the viewer without headers (for <img src>): signed for this viewer, valid for MEDIA_URL_TTL (default 1 hour). Null until the file is READY, and on subscription events (query the message for one).',
      resolve: (m, _args, ctx, info) => {
        // Asked first: a subscription's execution is shared and has no viewer to sign for.
        if (info.operation.operation === 'subscription' || (m.status ?? 'PENDING') !== 'READY' || !ctx.viewer) return null;
        return ctx.services.mediaUrl(m.messageId, ctx.viewer._id);
      },
    }),
  }),
});

const MessageTemplateRef = builder.objectRef<{ name: string; language: string }>('MessageTemplateRef').implement({
  description: 'Which template a TEMPLATE message used.',
  fields: (t) => ({
    name: t.exposeString('name'),
    language: t.exposeString('language'),
  }),
});

const MessageErrorType = builder.objectRef<NonNullable<MessageDoc['error']>>('MessageError').implement({
  description: "Why a message failed, with Meta's error code (e.g. 131047: the 24-hour window closed).",
  fields: (t) => ({
    code: t.exposeInt('code'),
    title: t.exposeString('title'),
    details: t.exposeString('details', { nullable: true }),
  }),
});

export const Message = builder.objectRef<MessageDoc>('Message').implement({
  fields: (t) => ({
    id: t.exposeID('_id'),
    conversationId: t.exposeID('conversationId'),
    direction: t.field({
      type: MessageDirectionEnum,
      description: 'INBOUND from the customer, OUTBOUND to them, INTERNAL for notes (they never leave the desk).',
      // Notes stored before INTERNAL existed say OUTBOUND.
      resolve: (m) => (m.type === 'NOTE' ? 'INTERNAL' : m.direction),
    }),
    author: t.expose('author', { type: MessageAuthorEnum }),
    agent: t.field({
      type: Agent,
      nullable: true,
      resolve: (m, _args, ctx) => (m.agentId ? ctx.loaders.agent.load(m.agentId) : null),
    }),
    origin: t.exposeString('origin', { nullable: true, description: 'The integration a message came from, for INTEGRATION messages.' }),
    authorName: t.string({
      nullable: true,
      description: 'For INTEGRATION messages: the name of the person who wrote the reply in the other system (a CRM agent), when it said.',
      resolve: (m) => m.authorName ?? null,
    }),
    type: t.expose('type', { type: MessageTypeEnum }),
    text: t.exposeString('text', { nullable: true }),
    media: t.field({ type: Media, nullable: true, resolve: (m) => (m.media ? { ...m.media, messageId: m._id } : null) }),
    template: t.field({
      type: MessageTemplateRef,
      nullable: true,
      description: 'For TEMPLATE messages: the template sent; `text` holds what the customer saw.',
      resolve: (m) => {
        const p = m.payload;
        return m.type === 'TEMPLATE' && typeof p?.['name'] === 'string' && typeof p['language'] === 'string' ? { name: p['name'], language: p['language'] } : null;
      },
    }),
    payload: t.field({ type: 'JSON', nullable: true, description: 'The type-specific object (interactive, location, contacts, template, or the raw unsupported message).', resolve: (m) => m.payload }),
    status: t.field({
      type: DeliveryStatusEnum,
      nullable: true,
      description: 'Delivery state: RECEIVED for customer messages; QUEUED, SENT, DELIVERED, READ or FAILED for what the desk sends; null for notes, which are not delivered anywhere.',
      resolve: (m) => (m.type === 'NOTE' ? null : m.status),
    }),
    statusAt: t.field({ type: 'DateTime', resolve: (m) => m.statusAt }),
    error: t.field({ type: MessageErrorType, nullable: true, resolve: (m) => m.error }),
    whatsappId: t.exposeString('whatsappId', { nullable: true }),
    replyToWhatsappId: t.exposeString('replyToWhatsappId', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
  }),
});

export const MessageConnection = builder.connectionObject({ type: Message, name: 'MessageConnection' }, { name: 'MessageEdge' });

type MessageEventType = 'message.received' | 'message.sent' | 'message.status';

/** A message feed: the given events, of one conversation when asked, that the viewer may see. */
function messageFeed(types: readonly MessageEventType[]) {
  return (_root: unknown, args: { conversationId?: string | number | null }, ctx: GraphQLContext) => {
    // Read once: the filter runs for every subscriber on every event.
    const { viewer } = ctx;
    const conversationId = args.conversationId ? String(args.conversationId) : null;
    return eventsFor(ctx.services.bus, types, (e) => (conversationId === null || e.conversation._id === conversationId) && visibleTo(viewer, e.conversation));
  };
}

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: Message,
    description: 'A message arrived from a customer or was written by the desk (replies, notes, greetings, surveys).',
    authScopes: { authenticated: true },
    args: { conversationId: t.arg.id() },
    subscribe: messageFeed(['message.received', 'message.sent']),
    resolve: (event: { message: MessageDoc }) => event.message,
  }),
  messageUpdated: t.field({
    type: Message,
    description: 'A delivery status changed: SENT, DELIVERED, READ or FAILED.',
    authScopes: { authenticated: true },
    args: { conversationId: t.arg.id() },
    subscribe: messageFeed(['message.status']),
    resolve: (event: { message: MessageDoc }) => event.message,
  }),
}));
