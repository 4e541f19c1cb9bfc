// Desk → HubSpot: the customer is a contact, each conversation a ticket in the
// configured pipeline, every WhatsApp message a WHATS_APP communication on both,
// every note a note on the ticket; resolve and reopen move the ticket's stage.
import { DEDUPE_TTL_MS, toDate, type DeskApi, type DomainEvent, type PluginCustomer, type PluginLogger, type PluginMessage, type PluginState } from '../../src/plugins/contract.js';
import { ASSOCIATION, associate, type HubSpotClient } from './client.js';
import type { Ledger } from '../../src/plugins/contract.js';

export interface TicketRecord {
  ticketId: string;
  contactId: string;
  linked: boolean;
  /** The ticket was closed in HubSpot and the desk followed: the desk's own resolve then needs no update. */
  closedInHubSpot: boolean;
}

export interface PipelineSettings {
  pipelineId: string;
  openStageId: string;
  closedStageId: string;
  priority: string;
}

export const ticketKey = (conversationId: string) => `ticket:${conversationId}`;
export const contactKey = (waId: string) => `contact:${waId}`;
/** The customer's latest conversation, for custom-channel replies addressed by phone number. */
export const phoneKey = (waId: string) => `phone:${waId}`;

export function messageBody(message: PluginMessage): string {
  const text = message.text?.trim();
  if (text) return text;
  const label = message.type === 'TEXT' ? 'message' : message.type.toLowerCase();
  const caption = message.media?.caption?.trim();
  if (caption) return `[${label}] ${caption}`;
  const filename = message.media?.filename;
  return filename ? `[${label}: ${filename}]` : `[${label}]`;
}

/** Who said it, since a logged communication has no direction of its own. */
function speaker(message: PluginMessage, customer: PluginCustomer): string {
  switch (message.author) {
    case 'CUSTOMER':
      return customer.name?.trim() || `+${customer.waId}`;
    case 'AGENT':
      return 'Agent';
    case 'SYSTEM':
      return 'Automated message';
    case 'INTEGRATION':
      return message.origin ? `Reply via ${message.origin}` : 'Integration';
  }
}

export interface TicketSyncDeps {
  pluginName: string;
  client: HubSpotClient;
  desk: DeskApi;
  state: PluginState;
  ledger: Ledger;
  logger: PluginLogger;
  pipeline: PipelineSettings;
  ticketUrl(ticketId: string): string | null;
}

type ConversationEvent = Extract<DomainEvent, { conversation: unknown }>;

export function createTicketSync(deps: TicketSyncDeps) {
  const { client, desk, state, ledger, logger, pipeline } = deps;

  async function contactFor(customer: PluginCustomer): Promise<string> {
    const known = await state.get<string>(contactKey(customer.waId));
    if (known !== null) return known;
    const phone = `+${customer.waId}`;
    const contactId =
      (await client.findContactByPhone(phone)) ?? (await client.createContact({ firstname: customer.name?.trim() || phone, phone }));
    // Remembered: search is eventually consistent and limited to 5 requests/s.
    await state.set(contactKey(customer.waId), contactId);
    return contactId;
  }

  /**
   * HubSpot has no idempotency key. When an earlier attempt to create this
   * conversation's ticket may have landed (its answer was lost), look for the
   * conversation id in ticket contents first. Search lags a few seconds, so
   * this narrows the window for a duplicate rather than closing it.
   */
  async function createTicket(event: ConversationEvent, contactId: string): Promise<string> {
    const { conversation, customer } = event;
    const attemptKey = `ticket-attempt:${conversation._id}`;
    if ((await state.get(attemptKey)) !== null) {
      const found = await client.findObjectByToken('tickets', 'content', conversation._id);
      if (found) {
        logger.info({ ticketId: found, conversationId: conversation._id }, 'hubspot: ticket from an earlier attempt found, not created again');
        return found;
      }
    }
    await state.set(attemptKey, Date.now(), { ttlMs: DEDUPE_TTL_MS });
    const who = customer.name?.trim() ? `${customer.name.trim()} (+${customer.waId})` : `+${customer.waId}`;
    return client.createObject(
      'tickets',
      {
        subject: `WhatsApp: ${who}`,
        content: `WhatsApp conversation with ${who}, opened ${toDate(conversation.openedAt)?.toISOString() ?? ''}. Desk conversation ${conversation._id}`,
        hs_pipeline: pipeline.pipelineId,
        hs_pipeline_stage: pipeline.openStageId,
        hs_ticket_priority: pipeline.priority,
      },
      [associate(contactId, ASSOCIATION.ticketToContact)],
    );
  }

  async function ensureTicket(event: ConversationEvent): Promise<TicketRecord> {
    const { conversation, customer } = event;
    let record = await state.get<TicketRecord>(ticketKey(conversation._id));
    if (!record) {
      const contactId = await contactFor(customer);
      const ticketId = await createTicket(event, contactId);
      record = { ticketId, contactId, linked: false, closedInHubSpot: false };
      await state.set(ticketKey(conversation._id), record);
      await state.set(phoneKey(customer.waId), conversation._id);
    }
    if (!record.linked) {
      await desk.linkConversation(conversation._id, { externalId: record.ticketId, url: deps.ticketUrl(record.ticketId) });
      record = { ...record, linked: true };
      await state.set(ticketKey(conversation._id), record);
    }
    return record;
  }

  async function logMessage(event: Extract<DomainEvent, { type: 'message.received' | 'message.sent' }>): Promise<void> {
    const { message, customer } = event;
    const record = await ensureTicket(event);
    const timestamp = (toDate(message.sentAt) ?? toDate(message.createdAt) ?? new Date()).toISOString();
    if (message.type === 'NOTE') {
      await client.createObject('notes', { hs_note_body: messageBody(message), hs_timestamp: timestamp }, [associate(record.ticketId, ASSOCIATION.noteToTicket)]);
      return;
    }
    await client.createObject(
      'communications',
      {
        hs_communication_channel_type: 'WHATS_APP',
        hs_communication_logged_from: 'CRM',
        hs_communication_body: `${speaker(message, customer)}: ${messageBody(message)}`,
        hs_timestamp: timestamp,
      },
      [associate(record.contactId, ASSOCIATION.communicationToContact), associate(record.ticketId, ASSOCIATION.communicationToTicket)],
    );
  }

  async function moveTicket(event: ConversationEvent, stage: 'open' | 'closed'): Promise<void> {
    const record = await ensureTicket(event);
    if (record.closedInHubSpot) await state.set(ticketKey(event.conversation._id), { ...record, closedInHubSpot: false } satisfies TicketRecord);
    if (stage === 'closed' && record.closedInHubSpot) return;
    await client.updateObject('tickets', record.ticketId, { hs_pipeline_stage: stage === 'closed' ? pipeline.closedStageId : pipeline.openStageId });
  }

  return {
    events: ['conversation.opened', 'message.received', 'message.sent', 'conversation.resolved', 'conversation.reopened'] as DomainEvent['type'][],

    async onEvent(event: DomainEvent): Promise<void> {
      if (!('conversation' in event)) return;
      if ('message' in event && event.message.origin === deps.pluginName) return; // came from HubSpot: it is there already
      if (await ledger.wasDelivered(event.id)) return;
      switch (event.type) {
        case 'conversation.opened':
          await ensureTicket(event);
          break;
        case 'message.received':
        case 'message.sent':
          await logMessage(event);
          break;
        case 'conversation.resolved':
          await moveTicket(event, 'closed');
          break;
        case 'conversation.reopened':
          await moveTicket(event, 'open');
          break;
        default:
          return;
      }
      await ledger.markDelivered(event.id);
    },
  };
}
