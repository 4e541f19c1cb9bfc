// One budget per client IP for refused credentials, whatever the transport:
// an unknown bearer token on HTTP and a failed graphql-ws connection_init
// spend from the same counter. Past it the IP is refused with 429 (HTTP
// requests and WebSocket upgrades alike) until the window has passed, so
// guessing tokens costs a window per handful of guesses on either path.
// Shared through Redis between instances when the desk has it.
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How long a refused credential counts against its IP. */
export const AUTH_FAILURE_WINDOW_SECONDS = 15 * 60;

export interface AuthFailureBudget {
  /** Seconds until the IP may try again, or null while it still has budget. */
  blockedFor(ip: string): Promise<number | null>;
  /** Spends one failure from the IP's budget. */
  recordFailure(ip: string): Promise<void>;
}

export interface AuthFailureBudgetOptions {
  perIp: number;
  redis?: Redis | null;
  keyPrefix: string;
  logger: Logger;
}

export function createAuthFailureBudget(options: AuthFailureBudgetOptions): AuthFailureBudget {
  const memory = new RateLimiterMemory({ points: options.perIp, duration: AUTH_FAILURE_WINDOW_SECONDS, keyPrefix: options.keyPrefix });
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis,
        points: options.perIp,
        duration: AUTH_FAILURE_WINDOW_SECONDS,
        keyPrefix: options.keyPrefix,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;

  return {
    async blockedFor(ip) {
      try {
        const spent = await limiter.get(ip);
        if (!spent || spent.consumedPoints < options.perIp) return null;
        return Math.max(1, Math.ceil(spent.msBeforeNext / 1000));
      } catch (error) {
        // The budget's store is down: answering would need a guess either way; let the credential check decide.
        options.logger.warn({ err: error }, 'authentication-failure budget unavailable');
        return null;
      }
    },
    async recordFailure(ip) {
      try {
        await limiter.penalty(ip, 1);
      } catch (error) {
        options.logger.warn({ err: error }, 'authentication-failure budget unavailable; failure not counted');
      }
    },
  };
}
