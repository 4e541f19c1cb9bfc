// Desk → Zendesk: one ticket per conversation, its comments mirroring the
// WhatsApp exchange, its status following the conversation.
import { createHash } from 'node:crypto';
import { DEDUPE_TTL_MS, toDate, type DeskApi, type DomainEvent, type PluginCustomer, type PluginLogger, type PluginMessage, type PluginState } from '../../src/plugins/contract.js';
import type { NewComment, ZendeskAudit, ZendeskClient } from './client.js';
import type { Ledger } from '../../src/plugins/contract.js';

export interface TicketRecord {
  ticketId: number;
  requesterId: number;
  url: string;
  /** The message the ticket was created with: it must not be posted again as a comment. */
  firstMessageId: string | null;
  linked: boolean;
  /** The ticket was solved in Zendesk and the desk followed: the desk's own resolve then needs no update. */
  solvedInZendesk: boolean;
}

export interface TicketDefaults {
  tags: string[];
  priority?: string;
  type?: string;
}

export const ticketKey = (conversationId: string) => `ticket:${conversationId}`;
export const ownCommentKey = (commentId: number | string) => `own-comment:${commentId}`;
/** Set just before the plugin posts a public staff comment, because Zendesk's webhook for it can arrive before the PUT's answer. */
export const pendingCommentKey = (ticketId: number | string, body: string) =>
  `pending-comment:${ticketId}:${createHash('sha256').update(normaliseBody(body)).digest('hex')}`;

export function normaliseBody(body: string): string {
  return body.replace(/\s+/g, ' ').trim();
}

/** A comment body for any message type: Zendesk refuses empty comments. */
export function messageBody(message: PluginMessage): string {
  const text = message.text?.trim();
  if (text) return text;
  const label = message.type === 'TEXT' ? 'message' : message.type.toLowerCase();
  const caption = message.media?.caption?.trim();
  if (caption) return `[${label}] ${caption}`;
  const filename = message.media?.filename;
  return filename ? `[${label}: ${filename}]` : `[${label}]`;
}

export interface TicketSyncDeps {
  pluginName: string;
  client: ZendeskClient;
  desk: DeskApi;
  state: PluginState;
  ledger: Ledger;
  logger: PluginLogger;
  defaults: TicketDefaults;
  /** Agent-facing ticket URL (not the API URL). */
  ticketUrl(ticketId: number): string;
}

type ConversationEvent = Extract<DomainEvent, { conversation: unknown }>;

export function createTicketSync(deps: TicketSyncDeps) {
  const { client, desk, state, ledger, logger } = deps;

  async function requesterFor(customer: PluginCustomer, refresh: boolean): Promise<number> {
    const key = `requester:${customer.waId}`;
    if (!refresh) {
      const known = await state.get<number>(key);
      if (known !== null) return known;
    }
    const user = await client.upsertUser({
      name: customer.name?.trim() || `+${customer.waId}`,
      phone: `+${customer.waId}`,
      external_id: `whatsapp:${customer.waId}`,
    });
    await state.set(key, user.id);
    return user.id;
  }

  async function saveRecord(conversationId: string, record: TicketRecord): Promise<void> {
    await state.set(ticketKey(conversationId), record);
  }

  /**
   * The conversation's ticket, created (with `firstMessage` as its description
   * when given) and linked if need be. Creation carries an Idempotency-Key from
   * the conversation id and cycle, so a retry whose first answer was lost
   * gets the same ticket back instead of a second one.
   */
  async function ensureTicket(event: ConversationEvent, firstMessage: PluginMessage | null): Promise<TicketRecord> {
    const { conversation, customer } = event;
    let record = await state.get<TicketRecord>(ticketKey(conversation._id));
    if (!record) {
      const requesterId = await requesterFor(customer, false);
      const who = customer.name?.trim() ? `${customer.name.trim()} (+${customer.waId})` : `+${customer.waId}`;
      const comment: NewComment = firstMessage
        ? { body: messageBody(firstMessage), public: true, author_id: requesterId }
        : { body: `WhatsApp conversation with ${who}, opened ${toDate(conversation.openedAt)?.toISOString() ?? ''}.`, public: true };
      const created = await client.createTicket(
        {
          subject: `WhatsApp: ${who}`,
          comment,
          requester_id: requesterId,
          external_id: conversation._id,
          tags: deps.defaults.tags,
          ...(deps.defaults.priority ? { priority: deps.defaults.priority } : {}),
          ...(deps.defaults.type ? { type: deps.defaults.type } : {}),
        },
        `whatsapp-desk:${conversation._id}:${conversation.cycle}`,
      );
      if (created.replayed) logger.info({ ticketId: created.id, conversationId: conversation._id }, 'zendesk: ticket creation replayed by idempotency key');
      await rememberOwnComments(created.audit);
      record = {
        ticketId: created.id,
        requesterId,
        url: deps.ticketUrl(created.id),
        firstMessageId: firstMessage?._id ?? null,
        linked: false,
        solvedInZendesk: false,
      };
      await saveRecord(conversation._id, record);
    }
    if (!record.linked) {
      await desk.linkConversation(conversation._id, { externalId: String(record.ticketId), url: record.url });
      record = { ...record, linked: true };
      await saveRecord(conversation._id, record);
    }
    return record;
  }

  async function rememberOwnComments(audit: ZendeskAudit | null): Promise<void> {
    for (const change of audit?.events ?? []) {
      if (change.type === 'Comment' && change.id !== undefined) await state.set(ownCommentKey(change.id), true, { ttlMs: DEDUPE_TTL_MS });
    }
  }

  /**
   * Zendesk has no idempotency key for updates. When an earlier attempt of
   * this very event may have landed (its answer was lost), look for the
   * comment among the newest ones before posting it again.
   */
  async function addComment(event: ConversationEvent, record: TicketRecord, comment: NewComment): Promise<void> {
    const attemptKey = `comment-attempt:${event.id}`;
    const earlier = await state.get<{ at: number }>(attemptKey);
    if (earlier) {
      const wanted = normaliseBody(comment.body);
      const landed = (await client.recentComments(record.ticketId)).find(
        (existing) =>
          normaliseBody(existing.body) === wanted &&
          existing.public === comment.public &&
          (comment.author_id === undefined || existing.author_id === comment.author_id) &&
          (!existing.created_at || Date.parse(existing.created_at) >= earlier.at - 60_000),
      );
      if (landed) {
        await state.set(ownCommentKey(landed.id), true, { ttlMs: DEDUPE_TTL_MS });
        logger.info({ ticketId: record.ticketId, commentId: landed.id }, 'zendesk: comment from an earlier attempt found, not posted again');
        return;
      }
    }
    await state.set(attemptKey, { at: Date.now() });
    if (comment.public && comment.author_id === undefined) await state.set(pendingCommentKey(record.ticketId, comment.body), { at: Date.now() }, { ttlMs: DEDUPE_TTL_MS });
    const { audit } = await client.updateTicket(record.ticketId, { comment });
    await rememberOwnComments(audit);
    if (record.solvedInZendesk) await saveRecord(event.conversation._id, { ...record, solvedInZendesk: false });
  }

  async function customerMessage(event: Extract<DomainEvent, { type: 'message.received' }>): Promise<void> {
    const existing = await state.get<TicketRecord>(ticketKey(event.conversation._id));
    // No ticket yet: this message is what the customer opened the conversation with; it becomes the description.
    const record = await ensureTicket(event, existing ? null : event.message);
    if (record.firstMessageId === event.message._id) return;
    await addComment(event, record, { body: messageBody(event.message), public: true, author_id: record.requesterId });
  }

  async function deskMessage(event: Extract<DomainEvent, { type: 'message.sent' }>): Promise<void> {
    const { message } = event;
    if (message.author === 'CUSTOMER') return;
    const record = await ensureTicket(event, null);
    // Notes are for colleagues: private in Zendesk too. Replies are public comments by the integration user.
    await addComment(event, record, { body: messageBody(message), public: message.type !== 'NOTE' });
  }

  async function setStatus(event: ConversationEvent, status: 'solved' | 'open'): Promise<void> {
    const record = await ensureTicket(event, null);
    if (status === 'solved' && record.solvedInZendesk) {
      await saveRecord(event.conversation._id, { ...record, solvedInZendesk: false });
      return;
    }
    // Solving an unassigned ticket relies on Zendesk's "auto assign tickets upon solve" (the API user becomes the assignee).
    await client.updateTicket(record.ticketId, { status });
    if (record.solvedInZendesk) await saveRecord(event.conversation._id, { ...record, solvedInZendesk: false });
  }

  return {
    events: ['conversation.opened', 'message.received', 'message.sent', 'conversation.resolved', 'conversation.reopened'] as DomainEvent['type'][],

    async onEvent(event: DomainEvent): Promise<void> {
      if (!('conversation' in event)) return;
      if ('message' in event && event.message.origin === deps.pluginName) return; // came from Zendesk: never echo it back
      if (await ledger.wasDelivered(event.id)) return;
      switch (event.type) {
        case 'conversation.opened':
          // The ticket waits for the customer's first message so that it is the ticket's description.
          await requesterFor(event.customer, true);
          break;
        case 'message.received':
          await customerMessage(event);
          break;
        case 'message.sent':
          await deskMessage(event);
          break;
        case 'conversation.resolved':
          await setStatus(event, 'solved');
          break;
        case 'conversation.reopened':
          await setStatus(event, 'open');
          break;
        default:
          return;
      }
      await ledger.markDelivered(event.id);
    },
  };
}
