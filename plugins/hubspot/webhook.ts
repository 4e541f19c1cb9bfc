// HubSpot → desk. Two kinds of signed deliveries reach /plugins/hubspot/webhook:
// a JSON array of CRM events (a ticket moved to the closed stage resolves its
// conversation) and one custom-channel OUTGOING_CHANNEL_MESSAGE_CREATED object
// (an agent's reply in HubSpot's inbox, which goes to the customer on
// WhatsApp and is reported back as SENT or FAILED). HubSpot retries and
// duplicates deliveries, in any order: each event acts once.
import { z } from 'zod';
import type { DeskApi, PluginLogger, PluginRequest, PluginResponse, PluginRoute, PluginState } from '../../src/plugins/contract.js';
import type { HubSpotClient } from './client.js';
import type { Ledger } from '../../src/plugins/contract.js';
import { headerValue } from '../../src/plugins/contract.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyHubSpotRequest } from './signature.js';
import { phoneKey, ticketKey, type TicketRecord } from './ticketSync.js';

const idString = z.union([z.string(), z.number()]).transform(String);

const crmEventSchema = z.object({
  eventId: idString,
  subscriptionType: z.string(),
  objectId: idString,
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
});

const channelMessageSchema = z.object({
  type: z.literal('OUTGOING_CHANNEL_MESSAGE_CREATED'),
  channelId: idString.optional(),
  channelIntegrationThreadIds: z.array(idString).default([]),
  message: z.object({
    id: idString,
    text: z.string().optional(),
    richText: z.string().optional(),
    direction: z.string().optional(),
    recipients: z.array(z.object({ deliveryIdentifier: z.object({ type: z.string(), value: z.string() }).optional() })).default([]),
    senders: z.array(z.object({ name: z.string().optional() })).default([]),
  }),
});

export interface HubSpotWebhookDeps {
  clientSecret: string;
  /** The public URL HubSpot calls: part of what v3 signs. */
  webhookUrl: string;
  closedStageId: string;
  channelId: string | null;
  client: HubSpotClient;
  desk: DeskApi;
  state: PluginState;
  ledger: Ledger;
  logger: PluginLogger;
}

const threadKey = (threadId: string) => `thread:${threadId}`;

export function hubspotWebhookRoute(deps: HubSpotWebhookDeps): PluginRoute {
  const { desk, state, ledger, logger } = deps;

  /** A ticket moved to the closed stage resolves its conversation; other CRM events need nothing. */
  async function crmEvent(event: z.output<typeof crmEventSchema>): Promise<void> {
    if (event.subscriptionType !== 'ticket.propertyChange' || event.propertyName !== 'hs_pipeline_stage') return;
    if (event.propertyValue !== deps.closedStageId) return;
    const conversation = await desk.findConversationByExternalId(event.objectId);
    if (!conversation || conversation.status === 'RESOLVED') return;
    const record = await state.get<TicketRecord>(ticketKey(conversation.id));
    if (record) await state.set(ticketKey(conversation.id), { ...record, closedInHubSpot: true } satisfies TicketRecord);
    await desk.resolveConversation(conversation.id);
  }

  async function crmEvents(items: unknown[]): Promise<PluginResponse> {
    let failed = 0;
    for (const item of items) {
      const parsed = crmEventSchema.safeParse(item);
      if (!parsed.success) continue;
      const key = `webhook-event:${parsed.data.eventId}`;
      if (!(await ledger.claim(key))) continue;
      try {
        await crmEvent(parsed.data);
        await ledger.settle([key], 'done');
      } catch (error) {
        failed += 1;
        await ledger.settle([key], 'failed');
        logger.error({ err: error, eventId: parsed.data.eventId }, 'hubspot: CRM event could not be applied to the desk');
      }
    }
    // HubSpot retries the whole batch on a 5xx; the events already applied are skipped then.
    return failed > 0 ? { status: 503, body: { error: 'desk unavailable, retry later' } } : { status: 200, body: { ok: true } };
  }

  /** By the recipient's phone first (their latest conversation), else by a thread seen before. */
  async function conversationFor(message: z.output<typeof channelMessageSchema>): Promise<string | null> {
    for (const recipient of message.message.recipients) {
      const digits = recipient.deliveryIdentifier?.value.replace(/\D/g, '');
      if (!digits) continue;
      const known = await state.get<string>(phoneKey(digits));
      if (known) return known;
    }
    for (const threadId of message.channelIntegrationThreadIds) {
      const known = await state.get<string>(threadKey(threadId));
      if (known) return known;
    }
    return null;
  }

  async function report(channelId: string | null, messageId: string, statusType: 'SENT' | 'FAILED', errorMessage?: string): Promise<void> {
    if (!channelId) {
      logger.warn({ messageId }, 'hubspot: no channel id (HUBSPOT_CHANNEL_ID) to report the message status to');
      return;
    }
    try {
      await deps.client.reportChannelMessage(channelId, messageId, statusType, errorMessage);
    } catch (error) {
      // The reply is with the customer (or definitely not): a lost status report must not resend it.
      logger.error({ err: error, messageId, statusType }, 'hubspot: could not report the message status');
    }
  }

  async function channelMessage(body: unknown): Promise<PluginResponse> {
    const parsed = channelMessageSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'unexpected OUTGOING_CHANNEL_MESSAGE_CREATED payload' } };
    const event = parsed.data;
    if (event.message.direction && event.message.direction !== 'OUTGOING') return { status: 200, body: { ignored: 'not outgoing' } };
    const key = `channel-message:${event.message.id}`;
    if (!(await ledger.claim(key))) return { status: 200, body: { ignored: 'duplicate delivery' } };
    const channelId = event.channelId ?? deps.channelId;
    const text = event.message.text?.trim() || stripTags(event.message.richText ?? '');
    try {
      const conversationId = await conversationFor(event);
      if (!conversationId || !text) {
        await report(channelId, event.message.id, 'FAILED', conversationId ? 'Empty message' : 'No WhatsApp conversation matches this thread');
        return { status: 200, body: { ignored: conversationId ? 'empty message' : 'unknown thread' } };
      }
      const authorName = event.message.senders[0]?.name;
      try {
        await desk.postReply(conversationId, text, authorName ? { authorName } : {});
      } catch (error) {
        // Reported as FAILED in HubSpot's inbox, where the agent sees it and can resend.
        await report(channelId, event.message.id, 'FAILED', (error as Error).message);
        return { status: 200, body: { delivered: false } };
      }
      for (const threadId of event.channelIntegrationThreadIds) await state.set(threadKey(threadId), conversationId);
      await report(channelId, event.message.id, 'SENT');
      return { status: 200, body: { delivered: true } };
    } finally {
      await ledger.settle([key], 'done');
    }
  }

  return {
    method: 'POST',
    path: '/webhook',
    async handler(req: PluginRequest): Promise<PluginResponse> {
      const verdict = verifyHubSpotRequest({
        clientSecret: deps.clientSecret,
        method: req.method,
        uri: deps.webhookUrl,
        rawBody: req.rawBody,
        signature: headerValue(req.headers, SIGNATURE_HEADER),
        timestamp: headerValue(req.headers, TIMESTAMP_HEADER),
      });
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason }, 'hubspot: webhook refused');
        return { status: 401, body: { error: 'invalid signature' } };
      }
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody.toString('utf8'));
      } catch {
        return { status: 400, body: { error: 'body is not JSON' } };
      }
      if (Array.isArray(body)) return crmEvents(body);
      if (body && typeof body === 'object' && (body as { type?: unknown }).type === 'OUTGOING_CHANNEL_MESSAGE_CREATED') return channelMessage(body);
      return { status: 200, body: { ignored: 'not an event this plugin handles' } };
    },
  };
}

function stripTags(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim();
}

