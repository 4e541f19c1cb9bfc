// GET|POST /webhooks/whatsapp. Meta retries anything but a 200 for days, so a
// 200 here means every message in the body is stored; work that can wait
// (greeting, assignment, plugins) runs afterwards from stored state.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { Workflow } from '../workflow/index.js';
import { verifySignature, verifySubscription } from './signature.js';
import { WebhookShapeError, mapStatus, parseWebhook, type ForeignChange } from './webhook.js';

export interface WhatsAppRouteOptions {
  appSecret: string | null;
  verifyToken: string | null;
  workflow: Workflow;
  logger: Logger;
  bodyLimit: number;
  /** WHATSAPP_PHONE_NUMBER_ID: changes for any other number are acknowledged and not stored. Null: all are ours. */
  phoneNumberId: string | null;
  webhookLatency?: Histogram<'outcome'>;
  foreignItems?: Counter<'phone_number_id' | 'kind'>;
}

/**
 * Another number's traffic is not an attack (a Meta app subscribed for
 * several numbers posts all of them here) but it is not ours either: say so
 * once per number, count it always. Numbers are bounded so that neither the
 * memory of what was logged nor the metric's label set can grow without end.
 */
const MAX_FOREIGN_NUMBERS = 20;

function foreignNumbers(logger: Logger, counter: Counter<'phone_number_id' | 'kind'> | undefined) {
  const seen = new Set<string>();
  return (change: ForeignChange) => {
    const known = seen.has(change.phoneNumberId);
    if (!known && seen.size < MAX_FOREIGN_NUMBERS) {
      seen.add(change.phoneNumberId);
      logger.warn(
        { phoneNumberId: change.phoneNumberId, messages: change.messages, statuses: change.statuses },
        `webhook for another phone_number_id (${change.phoneNumberId}, not WHATSAPP_PHONE_NUMBER_ID): acknowledged, not stored; logged once per number, counted in desk_whatsapp_foreign_items_total`,
      );
    }
    const label = seen.has(change.phoneNumberId) ? change.phoneNumberId : 'other';
    counter?.inc({ phone_number_id: label, kind: 'message' }, change.messages);
    counter?.inc({ phone_number_id: label, kind: 'status' }, change.statuses);
  };
}

export function whatsappWebhookRoutes(options: WhatsAppRouteOptions): FastifyPluginAsync {
  const noteForeign = foreignNumbers(options.logger, options.foreignItems);
  return async (app: FastifyInstance) => {
    // Signatures are over the exact bytes Meta sent, so this scope keeps the raw body.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, body));

    app.get('/webhooks/whatsapp', async (request, reply) => {
      const result = verifySubscription(request.query as Record<string, unknown>, options.verifyToken);
      if (!result.ok) return reply.code(403).type('text/plain').send('Forbidden');
      return reply.code(200).type('text/plain').send(result.challenge);
    });

    app.post('/webhooks/whatsapp', async (request, reply) => {
      const started = process.hrtime.bigint();
      const done = (outcome: string) => options.webhookLatency?.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

      if (!options.appSecret) {
        done('unverifiable');
        options.logger.error('webhook rejected: WHATSAPP_APP_SECRET is not set, so signatures cannot be verified');
        return reply.code(401).send({ error: 'signature cannot be verified: WHATSAPP_APP_SECRET is not configured' });
      }
      if (!verifySignature(raw, request.headers['x-hub-signature-256'], options.appSecret)) {
        done('bad_signature');
        return reply.code(401).send({ error: 'missing or invalid X-Hub-Signature-256' });
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        done('malformed');
        return reply.code(400).send({ error: 'body is not valid JSON' });
      }
      let parsed;
      try {
        parsed = parseWebhook(body, { phoneNumberId: options.phoneNumberId });
      } catch (error) {
        if (!(error instanceof WebhookShapeError)) throw error;
        done('malformed');
        return reply.code(400).send({ error: error.message });
      }
      if (parsed.problems.length) options.logger.warn({ problems: parsed.problems }, 'webhook items skipped or degraded');
      for (const change of parsed.foreign) noteForeign(change);

      // Item by item: one failing item must not hide the others, but any store failure means Meta must redeliver.
      const failures: unknown[] = [];
      await Promise.all([
        ...parsed.inbound.map((message) =>
          options.workflow.receiveMessage(message).catch((error: unknown) => {
            failures.push(error);
            options.logger.error({ err: error, whatsappId: message.whatsappId }, 'inbound message not stored');
          }),
        ),
        ...parsed.statuses.map((status) =>
          options.workflow
            .receiveStatus({
              whatsappId: status.whatsappId,
              status: mapStatus(status.status),
              at: status.timestamp,
              error: status.errors[0] ?? null,
            })
            .catch((error: unknown) => {
              failures.push(error);
              options.logger.error({ err: error, whatsappId: status.whatsappId }, 'status not stored');
            }),
        ),
        ...parsed.templateStatuses.map((update) =>
          options.workflow.receiveTemplateStatus(update).catch((error: unknown) => {
            failures.push(error);
            options.logger.error({ err: error, template: update.name }, 'template status not stored');
          }),
        ),
      ]);
      if (failures.length) {
        done('error');
        return reply.code(500).send({ error: 'not all items were stored; please redeliver' });
      }
      done('ok');
      return reply.code(200).send({ received: parsed.inbound.length, statuses: parsed.statuses.length });
    });
  };
}
