// Media URLs that work in `<img src>`: no Authorization header, so the URL
// itself carries the proof. It names the message, the agent it was issued to
// and an expiry, and an HMAC-SHA256 over the three with the server's secret.
// Serving checks the signature and expiry (401 when either is wrong), then
// that the named agent still exists and may see the conversation now (404
// otherwise, like any conversation the viewer may not see). A URL copied to
// someone else opens only what the agent it names may open, until it expires.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MEDIA_PATH = '/media';

export interface MediaUrlSigner {
  /** The URL of a message's media for this agent, valid for the configured time. */
  urlFor(messageId: string, agentId: string, now?: Date): string;
  /** The agent a request's query proves, or why not. */
  verify(messageId: string, query: Record<string, unknown>, now?: Date): { ok: true; agentId: string } | { ok: false; reason: string };
}

export interface MediaUrlOptions {
  secret: string | Buffer;
  ttlMs: number;
  /** Origin in front of the path (PUBLIC_URL); empty for a path on this server. */
  origin?: string | null;
}

function mac(secret: string | Buffer, messageId: string, agentId: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`media:v1\n${messageId}\n${agentId}\n${expires}`).digest();
}

export function createMediaUrlSigner(options: MediaUrlOptions): MediaUrlSigner {
  const origin = options.origin ?? '';
  return {
    urlFor(messageId, agentId, now = new Date()) {
      // Whole seconds, rounded up to a minute: URLs issued within one minute are equal, so browsers can cache them.
      const expires = Math.ceil((now.getTime() + options.ttlMs) / 60_000) * 60;
      const signature = mac(options.secret, messageId, agentId, expires).toString('base64url');
      const query = new URLSearchParams({ agent: agentId, expires: String(expires), signature });
      return `${origin}${MEDIA_PATH}/${encodeURIComponent(messageId)}?${query}`;
    },
    verify(messageId, query, now = new Date()) {
      const { agent, expires, signature } = query;
      if (typeof agent !== 'string' || typeof expires !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expires)) {
        return { ok: false, reason: 'the URL carries no valid signature' };
      }
      const expected = mac(options.secret, messageId, agent, Number(expires));
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the URL signature is invalid' };
      if (Number(expires) * 1000 <= now.getTime()) return { ok: false, reason: 'the URL has expired; fetch the message again for a fresh one' };
      return { ok: true, agentId: agent };
    },
  };
}
