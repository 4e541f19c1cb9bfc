// Zendesk webhook signing: X-Zendesk-Webhook-Signature is
// base64(HMAC-SHA256(signing secret, timestamp + raw body)), with the timestamp
// (ISO 8601) in X-Zendesk-Webhook-Signature-Timestamp. The timestamp is inside
// the MAC, so bounding its age stops replays of captured deliveries.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';
/** Deliveries signed further than this from our clock are refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export function signZendeskWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest('base64');
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export function verifyZendeskWebhook(input: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  now?: number;
}): SignatureVerdict {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing signature or timestamp header' };
  const signedAt = Date.parse(timestamp);
  if (Number.isNaN(signedAt)) return { ok: false, reason: 'unreadable signature timestamp' };
  if (Math.abs((input.now ?? Date.now()) - signedAt) > MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'stale signature timestamp' };
  const expected = Buffer.from(signZendeskWebhook(input.secret, timestamp, input.rawBody));
  const given = Buffer.from(signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
