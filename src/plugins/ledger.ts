// What a plugin has already done, kept in its durable state so that
// redelivered events and duplicated webhooks act once. Offered through the
// contract because every CRM plugin needs exactly this.
import type { PluginState } from './contract.js';

interface Claim {
  status: 'processing' | 'done' | 'failed';
  at: number;
}

/**
 * How long dedupe marks are kept: well past the last retry of anyone who
 * redelivers (the plugin host's own, CRMs' webhooks: HubSpot's last within a
 * day). Without a limit they would grow with every event.
 */
export const DEDUPE_TTL_MS = 7 * 24 * 3_600_000;
const forAWhile = { ttlMs: DEDUPE_TTL_MS };

/** A claim still 'processing' after this long belongs to a process that died mid-way: it may be taken over. */
const ABANDONED_AFTER_MS = 2 * 60_000;

export class Ledger {
  constructor(private readonly state: PluginState) {}

  /**
   * Claims an inbound delivery (a webhook event or comment id). True: act on it
   * and then call settle. False: it was handled already or is being handled.
   */
  async claim(key: string, now = Date.now()): Promise<boolean> {
    return (await this.claimOrReport(key, now)) === 'claimed';
  }

  /**
   * As claim, saying why not: 'processing' while another request still works
   * on it (a sender may retry later), 'done' once it was handled.
   */
  async claimOrReport(key: string, now = Date.now()): Promise<'claimed' | 'processing' | 'done'> {
    if (await this.state.setIfAbsent(key, { status: 'processing', at: now } satisfies Claim, forAWhile)) return 'claimed';
    const claim = await this.state.get<Claim>(key);
    if (claim?.status === 'failed' || (claim?.status === 'processing' && now - claim.at > ABANDONED_AFTER_MS)) {
      await this.state.set(key, { status: 'processing', at: now } satisfies Claim, forAWhile);
      return 'claimed';
    }
    return claim?.status === 'processing' ? 'processing' : 'done';
  }

  /** Marks claims done, or failed so that the sender's retry is acted on. */
  async settle(keys: string[], outcome: 'done' | 'failed'): Promise<void> {
    for (const key of keys) await this.state.set(key, { status: outcome, at: Date.now() } satisfies Claim, forAWhile);
  }

  async wasDelivered(eventId: string): Promise<boolean> {
    return (await this.state.get(`delivered:${eventId}`)) !== null;
  }

  async markDelivered(eventId: string): Promise<void> {
    await this.state.set(`delivered:${eventId}`, Date.now(), forAWhile);
  }
}
