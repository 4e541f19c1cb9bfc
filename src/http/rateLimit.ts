// Request budgets on /graphql: one per bearer token and one per client IP,
// each a fixed number of requests per minute. With Redis the counters are
// shared by every instance behind the load balancer; without it each process
// counts on its own. Should Redis stop answering, counting falls back to this
// process (rate-limiter-flexible's insurance limiter) rather than either
// refusing every request or letting every request through.
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RateLimitOptions {
  perTokenPerMinute: number;
  perIpPerMinute: number;
  redis?: Redis | null;
  /** Namespace of the counters in Redis; instances that share a budget share the prefix. */
  keyPrefix: string;
  logger: Logger;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; limitedBy: 'token' | 'ip' };

export interface GraphqlRateLimiter {
  /** Spends one request from the IP's budget and, when a token is given, from the token's. */
  consume(ip: string, token: string | null): Promise<RateLimitVerdict>;
}

const WINDOW_SECONDS = 60;

function limiter(points: number, keyPrefix: string, redis: Redis | null | undefined, windowSeconds = WINDOW_SECONDS): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix });
  if (!redis) return memory;
  return new RateLimiterRedis({
    storeClient: redis,
    points,
    duration: windowSeconds,
    keyPrefix,
    // Fail over to the in-process counter at once instead of queueing behind a reconnecting client.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** Tokens (and emails) are not for Redis to hold: counters are keyed by a digest. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

type Refusal<W extends string> = { allowed: false; retryAfterSeconds: number; limitedBy: W };

async function spend<W extends string>(which: W, rl: RateLimiterAbstract, key: string, logger: Logger): Promise<{ allowed: true } | Refusal<W>> {
  try {
    await rl.consume(key);
    return { allowed: true };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      return { allowed: false, limitedBy: which, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
    }
    // Only reachable when the store and its insurance both failed; an outage of
    // the limiter must not become an outage of the API.
    logger.warn({ err: rejection }, 'rate limiter unavailable; request let through');
    return { allowed: true };
  }
}

/** A budget of its own for one expensive operation (e.g. metrics), per key (the viewer), per minute. */
export interface Budget {
  consume(key: string): Promise<RateLimitVerdict>;
}

export function createBudget(options: { perMinute: number; redis?: Redis | null; keyPrefix: string; logger: Logger }): Budget {
  const rl = limiter(options.perMinute, options.keyPrefix, options.redis);
  return { consume: (key) => spend('token', rl, key, options.logger) };
}

/** The refusal that lasts longest, or allowed when there is none. */
function strictest<W extends string>(verdicts: Array<{ allowed: true } | Refusal<W>>): { allowed: true } | Refusal<W> {
  const refusals = verdicts.filter((v): v is Refusal<W> => !v.allowed);
  if (refusals.length === 0) return { allowed: true };
  return refusals.reduce((longest, v) => (v.retryAfterSeconds > longest.retryAfterSeconds ? v : longest));
}

export function createGraphqlRateLimiter(options: RateLimitOptions): GraphqlRateLimiter {
  const byToken = limiter(options.perTokenPerMinute, `${options.keyPrefix}:token`, options.redis);
  const byIp = limiter(options.perIpPerMinute, `${options.keyPrefix}:ip`, options.redis);
  return {
    async consume(ip, token) {
      return strictest<'token' | 'ip'>(
        await Promise.all([spend('ip', byIp, ip, options.logger), token === null ? ({ allowed: true } as const) : spend('token', byToken, tokenKey(token), options.logger)]),
      );
    },
  };
}

export interface SignInThrottleOptions {
  attemptsPerEmail: number;
  attemptsPerIp: number;
  windowMs: number;
  redis?: Redis | null;
  keyPrefix: string;
  logger: Logger;
}

export type SignInVerdict = { allowed: true } | Refusal<'email' | 'ip'>;

/** signIn attempts, per email and per client IP, so neither one account nor one address can be guessed at speed. */
export interface SignInThrottle {
  /** Spends one attempt from the IP's and the email's budgets. */
  attempt(ip: string, email: string): Promise<SignInVerdict>;
  /** A successful sign-in gives the email its whole budget back (the IP's stays spent). */
  succeeded(email: string): Promise<void>;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const windowSeconds = Math.max(1, Math.ceil(options.windowMs / 1000));
  const byEmail = limiter(options.attemptsPerEmail, `${options.keyPrefix}:signin-email`, options.redis, windowSeconds);
  const byIp = limiter(options.attemptsPerIp, `${options.keyPrefix}:signin-ip`, options.redis, windowSeconds);
  const emailKey = (email: string) => tokenKey(email.trim().toLowerCase());
  return {
    async attempt(ip, email) {
      return strictest<'email' | 'ip'>(await Promise.all([spend('ip', byIp, ip, options.logger), spend('email', byEmail, emailKey(email), options.logger)]));
    },
    async succeeded(email) {
      await byEmail.delete(emailKey(email)).catch((error: unknown) => options.logger.warn({ err: error }, 'could not reset the sign-in attempts of an email'));
    },
  };
}
