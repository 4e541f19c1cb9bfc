// Zendesk plugin: each WhatsApp conversation is a Zendesk ticket. Customer
// messages become public comments by the requester, desk replies public
// comments by the integration user, notes private comments; resolve and reopen
// follow. Staff replies and "solved" in Zendesk come back through a signed
// webhook at /plugins/zendesk/webhook.
//
// Settings: ZENDESK_URL (the account URL, https://{subdomain}.zendesk.com, with or
// without /api/v2), ZENDESK_EMAIL,
// ZENDESK_API_TOKEN, ZENDESK_WEBHOOK_SECRET (the webhook's signing secret);
// optional ZENDESK_TICKET_PRIORITY, ZENDESK_TICKET_TYPE, ZENDESK_TICKET_TAGS
// (comma list, default "whatsapp").
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/contract.js';
import { ZendeskClient } from './client.js';
import { Ledger } from '../../src/plugins/contract.js';
import { createTicketSync } from './ticketSync.js';
import { zendeskWebhookRoute } from './webhook.js';

const blankAsMissing = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const required = (what: string) => z.preprocess(blankAsMissing, z.string({ error: `required: ${what}` }).trim().min(1, `required: ${what}`));

/** Zendesk's REST API lives under /api/v2 of the account URL; people paste either. */
export function apiBaseUrl(url: string): string {
  const bare = url.trim().replace(/\/+$/, '');
  return /\/api\/v2$/i.test(bare) ? bare : `${bare}/api/v2`;
}

export const zendeskConfigSchema = z
  .object({
    ZENDESK_URL: z.preprocess(
      blankAsMissing,
      z.url({ protocol: /^https?$/, error: 'expected the account URL, like https://acme.zendesk.com' }),
    ),
    ZENDESK_EMAIL: required('the email of the Zendesk user the API token belongs to'),
    ZENDESK_API_TOKEN: required('a Zendesk API token'),
    ZENDESK_WEBHOOK_SECRET: required("the Zendesk webhook's signing secret"),
    ZENDESK_TICKET_PRIORITY: z.preprocess(
      blankAsMissing,
      z.enum(['urgent', 'high', 'normal', 'low'], { error: 'expected urgent, high, normal or low' }).optional(),
    ),
    ZENDESK_TICKET_TYPE: z.preprocess(
      blankAsMissing,
      z.enum(['problem', 'incident', 'question', 'task'], { error: 'expected problem, incident, question or task' }).optional(),
    ),
    ZENDESK_TICKET_TAGS: z.preprocess(blankAsMissing, z.string().default('whatsapp')),
  })
  .transform((env) => ({
    baseUrl: apiBaseUrl(env.ZENDESK_URL),
    email: env.ZENDESK_EMAIL,
    apiToken: env.ZENDESK_API_TOKEN,
    webhookSecret: env.ZENDESK_WEBHOOK_SECRET,
    ticket: {
      tags: env.ZENDESK_TICKET_TAGS.split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
      ...(env.ZENDESK_TICKET_PRIORITY ? { priority: env.ZENDESK_TICKET_PRIORITY } : {}),
      ...(env.ZENDESK_TICKET_TYPE ? { type: env.ZENDESK_TICKET_TYPE } : {}),
    },
  }));

export type ZendeskConfig = z.output<typeof zendeskConfigSchema>;

/** Where an agent opens the ticket: the account's host, not the API. */
export function agentTicketUrl(baseUrl: string, ticketId: number): string {
  return `${new URL(baseUrl).origin}/agent/tickets/${ticketId}`;
}

export default definePlugin({
  name: 'zendesk',
  secrets: ['ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET'],
  configSchema: zendeskConfigSchema,
  setup(ctx) {
    const { config } = ctx;
    const client = new ZendeskClient(ctx.http, config);
    const ledger = new Ledger(ctx.state);
    const sync = createTicketSync({
      pluginName: ctx.name,
      client,
      desk: ctx.desk,
      state: ctx.state,
      ledger,
      logger: ctx.logger,
      defaults: config.ticket,
      ticketUrl: (ticketId) => agentTicketUrl(config.baseUrl, ticketId),
    });
    return {
      events: sync.events,
      onEvent: sync.onEvent,
      routes: [zendeskWebhookRoute({ secret: config.webhookSecret, desk: ctx.desk, state: ctx.state, ledger, logger: ctx.logger })],
    };
  },
});
