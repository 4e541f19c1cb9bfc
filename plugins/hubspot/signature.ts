// HubSpot request signature v3: X-HubSpot-Signature-v3 is
// base64(HMAC-SHA256(app client secret, method + uri + rawBody + timestamp)),
// the timestamp (milliseconds) in X-HubSpot-Request-Timestamp. `uri` is the
// full public URL HubSpot called, which is why it is a setting: behind a proxy
// the URL we see is not the one HubSpot signed. HubSpot's rule: reject
// timestamps older than five minutes.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
export const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';
export const MAX_AGE_MS = 5 * 60_000;

export function signHubSpotRequest(input: { clientSecret: string; method: string; uri: string; rawBody: Buffer | string; timestamp: string }): string {
  return createHmac('sha256', input.clientSecret)
    .update(`${input.method.toUpperCase()}${input.uri}`)
    .update(input.rawBody)
    .update(input.timestamp)
    .digest('base64');
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export function verifyHubSpotRequest(input: {
  clientSecret: string;
  method: string;
  uri: string;
  rawBody: Buffer;
  signature: string | undefined;
  timestamp: string | undefined;
  now?: number;
}): SignatureVerdict {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing signature or timestamp header' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'unreadable timestamp' };
  // Older than five minutes is HubSpot's rule; as far in the future is as suspicious.
  if (Math.abs((input.now ?? Date.now()) - Number(timestamp)) > MAX_AGE_MS) return { ok: false, reason: 'stale timestamp' };
  const expected = Buffer.from(signHubSpotRequest({ ...input, timestamp }));
  const given = Buffer.from(signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
