// Meta's two webhook checks: the X-Hub-Signature-256 header on every POST
// (HMAC-SHA256 of the raw request bytes keyed with the app secret, sent as
// `sha256=<hex>`) and the hub.* handshake on the subscription GET.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/** The X-Hub-Signature-256 header value Meta would send for these bytes. */
export function signBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * True only when the header is exactly one well-formed `sha256=<64 hex>` and
 * matches the HMAC of the raw bytes. Re-serialised JSON would not match
 * (key order, spacing, unicode escapes), so callers must pass the bytes as
 * received. An empty secret never verifies: it would let anyone sign.
 */
export function verifySignature(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  if (!appSecret) return false;
  // A repeated header is ambiguous (which one did Meta send?): refuse it.
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  if (typeof value !== 'string') return false;
  const match = SIGNATURE_HEADER.exec(value.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  // Both are 32 bytes by construction (the pattern fixes 64 hex digits), which timingSafeEqual requires.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type SubscriptionResult = { ok: true; challenge: string } | { ok: false };

function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Compares secrets without leaking their length or common prefix through timing. */
export function sameSecret(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a).digest();
  const digestB = createHash('sha256').update(b).digest();
  return timingSafeEqual(digestA, digestB);
}

/**
 * The verification GET Meta sends when the webhook is (re)subscribed:
 * `hub.mode=subscribe`, `hub.verify_token=<ours>`, `hub.challenge=<random>`.
 * The route answers 200 with the raw challenge on `ok`, 403 otherwise.
 * Without a configured verify token nothing verifies.
 */
export function verifySubscription(query: Record<string, unknown>, verifyToken: string | null | undefined): SubscriptionResult {
  if (!verifyToken) return { ok: false };
  const mode = single(query['hub.mode']);
  const token = single(query['hub.verify_token']);
  const challenge = single(query['hub.challenge']);
  if (mode !== 'subscribe' || token === undefined || challenge === undefined || challenge === '') return { ok: false };
  return sameSecret(token, verifyToken) ? { ok: true, challenge } : { ok: false };
}
