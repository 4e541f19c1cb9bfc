// Zendesk → desk: event-subscription webhooks. A public comment by staff goes
// to the customer on WhatsApp, a ticket solved in Zendesk resolves the
// conversation. Zendesk delivers at least once, so everything is deduplicated,
// and the plugin's own comments are recognised so the desk never echoes itself.
import { z } from 'zod';
import type { DeskApi, PluginLogger, PluginRequest, PluginResponse, PluginRoute, PluginState } from '../../src/plugins/contract.js';
import type { Ledger } from '../../src/plugins/contract.js';
import { DEDUPE_TTL_MS, headerValue } from '../../src/plugins/contract.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyZendeskWebhook } from './signature.js';
import { ownCommentKey, pendingCommentKey, ticketKey, type TicketRecord } from './ticketSync.js';

const COMMENT_ADDED = 'zen:event-type:ticket.comment_added';
const STATUS_CHANGED = 'zen:event-type:ticket.status_changed';
/** How long a pending own-comment body is trusted to identify the webhook of that comment. */
const PENDING_COMMENT_TTL_MS = 10 * 60_000;

const idString = z.union([z.string(), z.number()]).transform(String);

const envelopeSchema = z.object({
  type: z.string(),
  id: idString,
  detail: z.object({ id: idString }).optional(),
  event: z.unknown().optional(),
});

const commentAddedSchema = z.object({
  comment: z.object({
    id: idString,
    body: z.string(),
    is_public: z.boolean(),
    author: z.object({ id: idString.optional(), is_staff: z.boolean(), name: z.string().optional() }),
  }),
});

const statusChangedSchema = z.object({ current: z.string(), previous: z.string().optional() });

export interface ZendeskWebhookDeps {
  secret: string;
  desk: DeskApi;
  state: PluginState;
  ledger: Ledger;
  logger: PluginLogger;
}

const ok = (body: Record<string, unknown> = { ok: true }): PluginResponse => ({ status: 200, body });

export function zendeskWebhookRoute(deps: ZendeskWebhookDeps): PluginRoute {
  const { desk, state, ledger, logger } = deps;

  async function isOwnComment(ticketId: string, commentId: string, body: string): Promise<boolean> {
    if ((await state.get(ownCommentKey(commentId))) !== null) return true;
    const pendingKey = pendingCommentKey(ticketId, body);
    const pending = await state.get<{ at: number; matched?: boolean }>(pendingKey);
    if (pending && !pending.matched && Date.now() - pending.at < PENDING_COMMENT_TTL_MS) {
      // Each pending body identifies one comment: a later identical reply typed in Zendesk still goes through.
      await state.set(pendingKey, { ...pending, matched: true }, { ttlMs: DEDUPE_TTL_MS });
      await state.set(ownCommentKey(commentId), true, { ttlMs: DEDUPE_TTL_MS });
      return true;
    }
    return false;
  }

  async function commentAdded(ticketId: string, event: unknown): Promise<PluginResponse> {
    const parsed = commentAddedSchema.safeParse(event);
    if (!parsed.success) return { status: 400, body: { error: 'unexpected comment_added payload' } };
    const { comment } = parsed.data;
    if (!comment.is_public || !comment.author.is_staff) return ok({ ignored: 'not a public staff comment' });
    if (await isOwnComment(ticketId, comment.id, comment.body)) return ok({ ignored: 'posted by this integration' });
    const conversation = await desk.findConversationByExternalId(ticketId);
    if (!conversation) return ok({ ignored: 'ticket not linked to a conversation' });
    await desk.postReply(conversation.id, comment.body, comment.author.name ? { authorName: comment.author.name } : {});
    return ok({ delivered: true });
  }

  async function statusChanged(ticketId: string, event: unknown): Promise<PluginResponse> {
    const parsed = statusChangedSchema.safeParse(event);
    if (!parsed.success) return { status: 400, body: { error: 'unexpected status_changed payload' } };
    if (parsed.data.current.toUpperCase() !== 'SOLVED') return ok({ ignored: `status ${parsed.data.current}` });
    const conversation = await desk.findConversationByExternalId(ticketId);
    if (!conversation) return ok({ ignored: 'ticket not linked to a conversation' });
    if (conversation.status === 'RESOLVED') return ok({ ignored: 'already resolved' });
    const record = await state.get<TicketRecord>(ticketKey(conversation.id));
    if (record) await state.set(ticketKey(conversation.id), { ...record, solvedInZendesk: true } satisfies TicketRecord);
    await desk.resolveConversation(conversation.id);
    return ok({ resolved: true });
  }

  return {
    method: 'POST',
    path: '/webhook',
    async handler(req: PluginRequest): Promise<PluginResponse> {
      const verdict = verifyZendeskWebhook({
        secret: deps.secret,
        signature: headerValue(req.headers, SIGNATURE_HEADER),
        timestamp: headerValue(req.headers, TIMESTAMP_HEADER),
        rawBody: req.rawBody,
      });
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason }, 'zendesk: webhook refused');
        return { status: 401, body: { error: 'invalid signature' } };
      }
      let envelope: z.output<typeof envelopeSchema>;
      try {
        const parsed = envelopeSchema.safeParse(JSON.parse(req.rawBody.toString('utf8')));
        if (!parsed.success) return { status: 400, body: { error: 'not a Zendesk event' } };
        envelope = parsed.data;
      } catch {
        return { status: 400, body: { error: 'body is not JSON' } };
      }
      if (envelope.type !== COMMENT_ADDED && envelope.type !== STATUS_CHANGED) return ok({ ignored: envelope.type });
      const ticketId = envelope.detail?.id;
      if (!ticketId) return { status: 400, body: { error: 'event without detail.id' } };

      const claims = [`webhook-event:${envelope.id}`];
      const commentId = envelope.type === COMMENT_ADDED ? commentAddedSchema.safeParse(envelope.event).data?.comment.id : undefined;
      if (commentId) claims.push(`webhook-comment:${commentId}`);
      const taken: string[] = [];
      for (const key of claims) {
        if (!(await ledger.claim(key))) {
          await ledger.settle(taken, 'done');
          return ok({ ignored: 'duplicate delivery' });
        }
        taken.push(key);
      }
      try {
        const response = envelope.type === COMMENT_ADDED ? await commentAdded(ticketId, envelope.event) : await statusChanged(ticketId, envelope.event);
        await ledger.settle(taken, response.status < 300 ? 'done' : 'failed');
        return response;
      } catch (error) {
        // Released so that Zendesk's retry of this delivery is acted on.
        await ledger.settle(taken, 'failed');
        logger.error({ err: error, eventId: envelope.id }, 'zendesk: webhook could not be applied to the desk');
        return { status: 503, body: { error: 'desk unavailable, retry later' } };
      }
    },
  };
}

