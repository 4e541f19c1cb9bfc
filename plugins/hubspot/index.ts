// HubSpot plugin: the WhatsApp customer is a contact, each conversation a
// ticket associated with it; every message is logged as a WHATS_APP
// communication on contact and ticket, notes as notes on the ticket; resolve
// and reopen move the ticket between the open and closed stages. A ticket
// closed in HubSpot, and replies written in a HubSpot custom channel, come
// back through a v3-signed webhook at /plugins/hubspot/webhook.
//
// Settings: HUBSPOT_ACCESS_TOKEN (private app), HUBSPOT_CLIENT_SECRET (signs
// webhooks), HUBSPOT_WEBHOOK_URL (the public URL of /plugins/hubspot/webhook as
// registered in HubSpot); optional HUBSPOT_API_URL (https://api.hubapi.com),
// HUBSPOT_PIPELINE_ID ("0"), HUBSPOT_OPEN_STAGE_ID ("1"),
// HUBSPOT_CLOSED_STAGE_ID ("4"), HUBSPOT_TICKET_PRIORITY ("MEDIUM"),
// HUBSPOT_CHANNEL_ID (custom channel, when the webhook does not name it),
// HUBSPOT_PORTAL_ID (to link agents to the ticket in HubSpot).
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/contract.js';
import { HubSpotClient } from './client.js';
import { Ledger } from '../../src/plugins/contract.js';
import { createTicketSync } from './ticketSync.js';
import { hubspotWebhookRoute } from './webhook.js';

const blankAsMissing = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const required = (what: string) => z.preprocess(blankAsMissing, z.string({ error: `required: ${what}` }).trim().min(1, `required: ${what}`));
const withDefault = (fallback: string) => z.preprocess(blankAsMissing, z.string().trim().default(fallback));
const httpUrl = (hint: string) => z.url({ protocol: /^https?$/, error: hint });

export const hubspotConfigSchema = z
  .object({
    HUBSPOT_API_URL: z.preprocess(blankAsMissing, httpUrl('expected an http(s) URL').default('https://api.hubapi.com')),
    HUBSPOT_ACCESS_TOKEN: required("the private app's access token"),
    HUBSPOT_CLIENT_SECRET: required("the app's client secret, which signs webhooks"),
    HUBSPOT_WEBHOOK_URL: z.preprocess(blankAsMissing, httpUrl('expected the public URL of /plugins/hubspot/webhook, as registered in HubSpot')),
    HUBSPOT_PIPELINE_ID: withDefault('0'),
    HUBSPOT_OPEN_STAGE_ID: withDefault('1'),
    HUBSPOT_CLOSED_STAGE_ID: withDefault('4'),
    HUBSPOT_TICKET_PRIORITY: z.preprocess(blankAsMissing, z.enum(['LOW', 'MEDIUM', 'HIGH', 'URGENT'], { error: 'expected LOW, MEDIUM, HIGH or URGENT' }).default('MEDIUM')),
    HUBSPOT_CHANNEL_ID: z.preprocess(blankAsMissing, z.string().trim().optional()),
    HUBSPOT_PORTAL_ID: z.preprocess(blankAsMissing, z.string().regex(/^\d+$/, 'expected the numeric HubSpot account (portal) id').optional()),
  })
  .refine((env) => env.HUBSPOT_OPEN_STAGE_ID !== env.HUBSPOT_CLOSED_STAGE_ID, {
    path: ['HUBSPOT_CLOSED_STAGE_ID'],
    message: 'must differ from HUBSPOT_OPEN_STAGE_ID',
  })
  .transform((env) => ({
    apiUrl: env.HUBSPOT_API_URL.replace(/\/+$/, ''),
    accessToken: env.HUBSPOT_ACCESS_TOKEN,
    clientSecret: env.HUBSPOT_CLIENT_SECRET,
    webhookUrl: env.HUBSPOT_WEBHOOK_URL,
    pipeline: {
      pipelineId: env.HUBSPOT_PIPELINE_ID,
      openStageId: env.HUBSPOT_OPEN_STAGE_ID,
      closedStageId: env.HUBSPOT_CLOSED_STAGE_ID,
      priority: env.HUBSPOT_TICKET_PRIORITY,
    },
    channelId: env.HUBSPOT_CHANNEL_ID ?? null,
    portalId: env.HUBSPOT_PORTAL_ID ?? null,
  }));

export type HubSpotConfig = z.output<typeof hubspotConfigSchema>;

/** The ticket's record page (object type 0-5 is tickets), when the portal id is known. */
export function ticketRecordUrl(portalId: string | null, ticketId: string): string | null {
  return portalId ? `https://app.hubspot.com/contacts/${portalId}/record/0-5/${ticketId}` : null;
}

export default definePlugin({
  name: 'hubspot',
  secrets: ['HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_SECRET'],
  configSchema: hubspotConfigSchema,
  setup(ctx) {
    const { config } = ctx;
    const client = new HubSpotClient(ctx.http, config);
    const ledger = new Ledger(ctx.state);
    const sync = createTicketSync({
      pluginName: ctx.name,
      client,
      desk: ctx.desk,
      state: ctx.state,
      ledger,
      logger: ctx.logger,
      pipeline: config.pipeline,
      ticketUrl: (ticketId) => ticketRecordUrl(config.portalId, ticketId),
    });
    return {
      events: sync.events,
      onEvent: sync.onEvent,
      routes: [
        hubspotWebhookRoute({
          clientSecret: config.clientSecret,
          webhookUrl: config.webhookUrl,
          closedStageId: config.pipeline.closedStageId,
          channelId: config.channelId,
          client,
          desk: ctx.desk,
          state: ctx.state,
          ledger,
          logger: ctx.logger,
        }),
      ],
    };
  },
});
