// Generic signed webhooks: every domain event POSTed to the configured URLs,
// signed; and an inbound endpoint through which any system that can sign a
// request posts an agent reply or resolves a conversation.
//
// Signature (both directions): X-Desk-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>
// with X-Desk-Timestamp in unix seconds — the scheme Stripe and GitHub
// popularised, so receivers can reuse their verification code.
//
// Inbound requests are replay-proof: the signature covers the timestamp, a
// timestamp more than 5 minutes from now is refused, and the dedupe key is
// the body's required `id`, inside the signed bytes. A header could be
// changed or dropped by whoever replays a captured request; the body cannot.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DEDUPE_TTL_MS, definePlugin, headerValue, Ledger, parseRetryAfter, PermanentDeliveryError, RetryLaterError, textProblem } from '../../src/plugins/contract.js';
import type { DeskApi, DomainEvent, HttpResponse, PluginContext, PluginRequest, PluginResponse } from '../../src/plugins/contract.js';

/** Requests signed more than this long ago (or ahead) are refused: a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Inbound limits, in characters (code points, as WhatsApp counts them); plugins/README.md lists them. */
export const INBOUND_LIMITS = {
  /** WhatsApp's limit on a text message body. */
  text: 4096,
  authorName: 200,
  externalId: 500,
  /** The sender's request id, and a conversation id given back to us. */
  id: 200,
} as const;

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const urlList = z.string({ error: 'required: a comma-separated list of http(s) URLs' }).transform((value, ctx) => {
  const urls = value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one http(s) URL' });
    return z.NEVER;
  }
  for (const url of urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` });
      return z.NEVER;
    }
  }
  return [...new Set(urls)];
});

const timeout = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return DEFAULT_TIMEOUT_MS;
      // "10s", "500ms", or bare seconds, like the desk's other durations.
      const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(value);
      const ms = match ? Math.round(Number(match[1]) * (match[2]?.toLowerCase() === 'ms' ? 1 : 1000)) : NaN;
      if (!Number.isFinite(ms) || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration like "10s" or "500ms"' });
        return z.NEVER;
      }
      return ms;
    }),
);

export const webhookConfigSchema = z.object({
  WEBHOOK_URLS: z.preprocess(emptyAsUndefined, urlList),
  WEBHOOK_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string({ error: 'required: the shared signing secret' }).min(16, 'must be at least 16 characters'),
  ),
  WEBHOOK_TIMEOUT: timeout,
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;

/** The signature value for one request: `sha256=<hex>`. Exported for receivers and tests. */
export function signWebhook(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

/** Stable across retries of the same event to the same URL, so receivers can dedupe. */
export function deliveryIdFor(eventId: string, url: string): string {
  return `${eventId}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

/** A string of at most `max` characters (code points) with something visible in it. */
const chars = (max: number, what: string) =>
  z.string({ error: `${what} must be a string` }).superRefine((value, ctx) => {
    const problem = textProblem(value, max, what);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const conversationTarget = {
  conversationId: chars(INBOUND_LIMITS.id, 'conversationId').optional(),
  externalId: chars(INBOUND_LIMITS.externalId, 'externalId').optional(),
};

// `id` is the sender's unique id for this request: the same id is acted on
// once, so a retry must send the same body (same id) with a fresh timestamp.
const requestId = { id: chars(INBOUND_LIMITS.id, 'id') };

const inboundSchema = z
  .discriminatedUnion(
    'action',
    [
      z.object({
        action: z.literal('reply'),
        ...requestId,
        ...conversationTarget,
        text: chars(INBOUND_LIMITS.text, 'text'),
        authorName: chars(INBOUND_LIMITS.authorName, 'authorName').optional(),
      }),
      z.object({ action: z.literal('resolve'), ...requestId, ...conversationTarget }),
      z.object({ action: z.literal('reopen'), ...requestId, ...conversationTarget }),
      z.object({
        action: z.literal('link'),
        ...requestId,
        conversationId: chars(INBOUND_LIMITS.id, 'conversationId'),
        externalId: chars(INBOUND_LIMITS.externalId, 'externalId'),
        url: z.url().optional(),
      }),
    ],
    { error: 'action must be one of "reply", "resolve", "reopen", "link"' },
  )
  .refine((body) => body.action === 'link' || (body.conversationId === undefined) !== (body.externalId === undefined), {
    message: 'give exactly one of conversationId or externalId',
  });

type InboundAction = z.output<typeof inboundSchema>;

export const webhookPlugin = definePlugin({
  name: 'webhook',
  secrets: ['WEBHOOK_SECRET'],
  configSchema: webhookConfigSchema,
  setup(ctx) {
    return {
      onEvent: (event) => deliver(ctx, event),
      routes: [{ method: 'POST', path: '/inbound', handler: (req) => inbound(ctx, req) }],
    };
  },
});

export default webhookPlugin;

type Outcome = { url: string; ok: true } | { url: string; ok: false; permanent: boolean; retryAfterMs?: number; error: string };

async function deliver(ctx: PluginContext<WebhookConfig>, event: DomainEvent): Promise<void> {
  const { config, state } = ctx;
  // Serialised once here and once by the HTTP client with the same
  // JSON.stringify of the same object, so the signed bytes are the sent bytes.
  const rawBody = JSON.stringify(event);
  const payload = JSON.parse(rawBody) as unknown;

  // URLs that already took this event (on an earlier try that failed for
  // another URL) are not sent it again.
  const targets: Array<{ url: string; deliveryId: string }> = [];
  for (const url of config.WEBHOOK_URLS) {
    const deliveryId = deliveryIdFor(event.id, url);
    if ((await state.get(sentKey(deliveryId))) === null) targets.push({ url, deliveryId });
  }

  const outcomes = await Promise.all(
    targets.map(async ({ url, deliveryId }): Promise<Outcome> => {
      const timestamp = Math.floor(Date.now() / 1000).toString();
      let response: HttpResponse;
      try {
        response = await ctx.http.request({
          method: 'POST',
          url,
          json: payload,
          timeoutMs: config.WEBHOOK_TIMEOUT,
          headers: {
            'x-desk-event': event.type,
            'x-desk-delivery': deliveryId,
            'x-desk-timestamp': timestamp,
            'x-desk-signature': signWebhook(config.WEBHOOK_SECRET, timestamp, rawBody),
          },
        });
      } catch (error) {
        return { url, ok: false, permanent: false, error: error instanceof Error ? error.message : String(error) };
      }
      if (response.status >= 200 && response.status < 300) return { url, ok: true };
      return {
        url,
        ok: false,
        permanent: isPermanentStatus(response.status),
        retryAfterMs: parseRetryAfter(headerValue(response.headers, 'retry-after')) ?? undefined,
        error: `${url} answered ${response.status}${response.text ? `: ${response.text.slice(0, 200)}` : ''}`,
      };
    }),
  );

  const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
  if (failures.length === 0) return;

  for (const outcome of outcomes) {
    if (outcome.ok) await state.set(sentKey(deliveryIdFor(event.id, outcome.url)), { at: new Date().toISOString() }, { ttlMs: DEDUPE_TTL_MS });
  }
  const summary = failures.map((f) => f.error).join('; ');
  if (failures.every((f) => f.permanent)) {
    // A receiver that rejects the request itself (400, 401, 404, 422...) gives
    // the same answer on every retry: make it a dead letter at once, to be
    // retried by hand once the receiver is fixed.
    throw new PermanentDeliveryError(summary);
  }
  const waits = failures.map((f) => f.retryAfterMs).filter((ms): ms is number => ms !== undefined);
  throw new RetryLaterError(summary, waits.length > 0 ? Math.max(...waits) : undefined);
}

function sentKey(deliveryId: string): string {
  return `sent/${deliveryId}`;
}

/** 4xx means "this request is wrong", except 408 (timeout), 425 (too early) and 429 (slow down), which invite a retry. */
function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}


/** Checks X-Desk-Timestamp and X-Desk-Signature against the exact bytes received. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  nowMs: number = Date.now(),
): { ok: true } | { ok: false; reason: string } {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: 'missing X-Desk-Timestamp or X-Desk-Signature' };
  if (!/^\d{1,12}$/.test(timestamp.trim())) return { ok: false, reason: 'X-Desk-Timestamp must be unix seconds' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'X-Desk-Timestamp is more than 5 minutes away from now' };
  }
  const expected = Buffer.from(signWebhook(secret, timestamp.trim(), rawBody));
  const given = Buffer.from(signature.trim());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}


async function inbound(ctx: PluginContext<WebhookConfig>, req: PluginRequest): Promise<PluginResponse> {
  const verified = verifyWebhookSignature(
    ctx.config.WEBHOOK_SECRET,
    { timestamp: headerValue(req.headers, 'x-desk-timestamp'), signature: headerValue(req.headers, 'x-desk-signature') },
    req.rawBody,
  );
  if (!verified.ok) {
    ctx.logger.warn({ reason: verified.reason }, 'inbound webhook refused');
    return { status: 401, body: { ok: false, error: `invalid signature: ${verified.reason}` } };
  }

  let json: unknown;
  try {
    json = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    return { status: 400, body: { ok: false, error: 'body must be JSON' } };
  }
  const parsed = inboundSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { status: 400, body: { ok: false, error: `${where}${issue?.message ?? 'invalid body'}` } };
  }
  const action = parsed.data;

  // Senders retry when they miss our answer, and anyone who captured a signed
  // request may send it again within the 5 minutes: the body's id is acted on once.
  const dedupeKey = `inbound/${action.id}`;
  const ledger = new Ledger(ctx.state);
  // A failed earlier try (unknown conversation, window closed) had no effect: the same id may try again.
  const claim = await ledger.claimOrReport(dedupeKey);
  if (claim === 'done') return { status: 200, body: { ok: true, duplicate: true } };
  if (claim === 'processing') return { status: 409, body: { ok: false, error: 'a request with this id is being processed; retry later' } };

  const response = await perform(ctx.desk, action).catch((error: unknown) => deskErrorResponse(ctx, error));
  await ledger.settle([dedupeKey], response.status === 200 ? 'done' : 'failed');
  return response;
}

async function perform(desk: DeskApi, action: InboundAction): Promise<PluginResponse> {
  if (action.action === 'link') {
    await desk.linkConversation(action.conversationId, { externalId: action.externalId, url: action.url ?? null });
    return { status: 200, body: { ok: true } };
  }
  let conversationId = action.conversationId;
  if (conversationId === undefined && action.externalId !== undefined) {
    const found = await desk.findConversationByExternalId(action.externalId);
    if (!found) return { status: 404, body: { ok: false, error: `no conversation is linked to externalId "${action.externalId}"` } };
    conversationId = found.id;
  }
  if (conversationId === undefined) return { status: 400, body: { ok: false, error: 'give exactly one of conversationId or externalId' } };

  switch (action.action) {
    case 'reply': {
      const { messageId } = await desk.postReply(conversationId, action.text, action.authorName ? { authorName: action.authorName } : undefined);
      return { status: 200, body: { ok: true, conversationId, messageId } };
    }
    case 'resolve':
      await desk.resolveConversation(conversationId);
      return { status: 200, body: { ok: true, conversationId } };
    case 'reopen':
      await desk.reopenConversation(conversationId);
      return { status: 200, body: { ok: true, conversationId } };
  }
}

/**
 * The desk API reports what the caller can act on with a code (as GraphQL
 * errors do in extensions.code): map those to HTTP; anything else is our
 * fault and worth a retry (500).
 */
function deskErrorResponse(ctx: PluginContext<WebhookConfig>, error: unknown): PluginResponse {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'NOT_FOUND':
      return { status: 404, body: { ok: false, error: message } };
    case 'BAD_USER_INPUT':
      return { status: 400, body: { ok: false, error: message } };
    case 'CONFLICT':
      return { status: 409, body: { ok: false, error: message } };
    case 'SERVICE_WINDOW_CLOSED':
      return { status: 422, body: { ok: false, error: message, code } };
    default:
      ctx.logger.error({ err: error }, 'inbound webhook action failed');
      return { status: 500, body: { ok: false, error: 'the desk could not perform the action' } };
  }
}

function errorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { code?: unknown; extensions?: { code?: unknown }; name?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.extensions?.code === 'string') return e.extensions.code;
  if (e.name === 'NotFoundError') return 'NOT_FOUND';
  return null;
}
