// Every setting, from the environment, validated with zod. This is the only
// module that reads process.env. Plugin settings stay in `pluginEnv`: the
// plugin host shows each plugin only the keys its configSchema names.
import { z } from 'zod';
import { parseBusinessHours, type BusinessHours } from './domain/businessHours.js';
import { parseDuration } from './domain/duration.js';
import { ASSIGNMENT_POLICIES, type AssignmentPolicyName } from './domain/routing.js';
import { textProblem } from './domain/text.js';
import { checkSecretStrength, coreSecrets } from './secretStrength.js';

export { ASSIGNMENT_POLICIES, type AssignmentPolicyName };

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** Meta's limit on a text or list body, in characters: what the greeting, out-of-office, survey and thank-you texts are sent as. */
const MAX_CUSTOMER_TEXT = 4096;

/** A text the desk sends customers on its own: never blank (zero-width characters included), within Meta's limit. */
const customerText = (defaultText: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(defaultText)
      .superRefine((value, context) => {
        const problem = textProblem(value, MAX_CUSTOMER_TEXT, 'the text');
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
  );

const port = z.preprocess(
  emptyAsUndefined,
  z.coerce
    .number({ error: 'expected a whole number' })
    .int('expected a whole number')
    .min(0, 'expected 0 to 65535')
    .max(65535, 'expected 0 to 65535')
    .default(4000),
);

const positiveInt = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0').default(fallback));

const bool = (fallback: boolean) =>
  z.preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }).default(fallback ? 'true' : 'false')).transform((v) => ['true', '1', 'yes'].includes(v));

const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

const url = (protocols: string[], hint: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      }, hint)
      .optional(),
  );

const duration = (fallback: string) =>
  z.preprocess(emptyAsUndefined, z.string().default(fallback)).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "90s", "10m" or "24h"` });
      return z.NEVER;
    }
    return ms;
  });

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: port,
  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  TRUST_PROXY: bool(false),

  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  MONGODB_URI: url(['mongodb:', 'mongodb+srv:'], 'expected a mongodb:// or mongodb+srv:// URI'),
  REDIS_URL: url(['redis:', 'rediss:'], 'expected a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: z.preprocess(emptyAsUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1 to 64 letters, digits, "_" or "-"').default('desk')),
  ADMIN_TOKEN: optionalString,

  WHATSAPP_API_URL: z.preprocess(emptyAsUndefined, z.url({ error: 'expected an http(s) URL' }).default('https://graph.facebook.com/v21.0')),
  WHATSAPP_PHONE_NUMBER_ID: optionalString,
  WHATSAPP_ACCESS_TOKEN: optionalString,
  WHATSAPP_APP_SECRET: optionalString,
  WHATSAPP_VERIFY_TOKEN: optionalString,
  WHATSAPP_SEND_RATE: positiveInt(80),
  WHATSAPP_SEND_ATTEMPTS: positiveInt(8),
  WHATSAPP_RETRY_BASE: duration('1s'),
  WHATSAPP_RETRY_MAX: duration('5m'),
  WHATSAPP_TIMEOUT: duration('15s'),
  WHATSAPP_PAIR_PAUSE: duration('6s'),
  OUTBOX_LEASE: duration('30s'),
  OUTBOX_SWEEP_INTERVAL: duration('10s'),
  WHATSAPP_BUSINESS_ACCOUNT_ID: optionalString,
  TEMPLATE_SYNC_INTERVAL: duration('1h'),

  MEDIA_URL_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, 'expected at least 16 characters').optional()),
  MEDIA_URL_TTL: duration('1h'),
  MEDIA_DOWNLOAD_ATTEMPTS: positiveInt(8),
  PUBLIC_URL: url(['http:', 'https:'], 'expected an http(s) URL'),

  GREETING_TEXT: customerText('Thanks for reaching out! An agent will be with you shortly.'),
  OUT_OF_OFFICE_TEXT: customerText("Thanks for your message. We're closed right now and will answer as soon as we're back."),
  BUSINESS_HOURS: z.preprocess(emptyAsUndefined, z.string().default('')),
  BUSINESS_TIMEZONE: z.preprocess(emptyAsUndefined, z.string().default('UTC')),

  ASSIGNMENT_POLICY: z.preprocess(emptyAsUndefined, z.enum(ASSIGNMENT_POLICIES, { error: 'expected round_robin, least_loaded or manual' }).default('least_loaded')),
  REOPEN_WINDOW: duration('24h'),
  REQUEUE_ON_OFFLINE: bool(false),

  SURVEY_ENABLED: bool(true),
  SURVEY_TEXT: customerText('How would you rate the help you received today?'),
  SURVEY_TEMPLATE_NAME: optionalString,
  SURVEY_TEMPLATE_LANGUAGE: z.preprocess(emptyAsUndefined, z.string().default('en_US')),
  SURVEY_COMMENT_WINDOW: duration('10m'),
  SURVEY_THANKS_TEXT: customerText("Thank you for your feedback! Anything you'd like to add? Just reply with a comment."),

  PLUGINS: z.preprocess(emptyAsUndefined, z.string().default('')),
  PLUGIN_ATTEMPTS: positiveInt(15),
  PLUGIN_RETRY_BASE: duration('1s'),
  PLUGIN_RETRY_MAX: duration('10m'),

  GRAPHQL_INTROSPECTION: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
  GRAPHQL_MAX_DEPTH: positiveInt(12),
  GRAPHQL_MAX_ALIASES: positiveInt(20),
  // Objects a query may load, counted by src/graphql/queryCost.ts: an inbox of 25 rows with 30 messages each costs about 3,300.
  GRAPHQL_MAX_COST: positiveInt(10000),
  RATE_LIMIT_PER_MINUTE: positiveInt(600),
  RATE_LIMIT_IP_PER_MINUTE: positiveInt(1200),
  AUTH_FAILURES_PER_IP: positiveInt(20),
  METRICS_QUERIES_PER_MINUTE: positiveInt(10),
  METRICS_TOKEN: optionalString,
  CORS_ORIGINS: z.preprocess(emptyAsUndefined, z.string().default('')).transform((value, ctx) => {
    const origins = value.split(',').map((o) => o.trim()).filter(Boolean);
    for (const origin of origins) {
      let parsed: URL | null = null;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = null;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
        ctx.addIssue({ code: 'custom', message: `expected a comma list of origins like https://desk.example.com (scheme, host and port only); "${origin}" is not one` });
        return z.NEVER;
      }
    }
    return origins;
  }),
  WS_MAX_CONNECTIONS_PER_IP: positiveInt(50),
  WS_MAX_CONNECTIONS: z.preprocess(emptyAsUndefined, z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0').optional()),
  SHUTDOWN_TIMEOUT: duration('15s'),

  SESSION_TTL: duration('12h'),
  SIGN_IN_ATTEMPTS_PER_EMAIL: positiveInt(10),
  SIGN_IN_ATTEMPTS_PER_IP: positiveInt(50),
  SIGN_IN_WINDOW: duration('15m'),
});

type Env = z.output<typeof envSchema>;

/** Every setting, as the desk reads it: inferred from the schema above through `toConfig`, so it is written once. */
export type Config = ReturnType<typeof toConfig> & {
  /** The environment, from which the plugin host picks each plugin's own settings (src/plugins/settings.ts). */
  pluginEnv: Record<string, string | undefined>;
  /** Secrets below their minimum length, outside production (where they stop start-up instead). */
  secretWarnings: string[];
};
export type WhatsAppConfig = Config['whatsapp'];
export type MediaConfig = Config['media'];
export type OutboxConfig = Config['outbox'];

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Names the WhatsApp settings that sending needs and that are missing. */
export function missingWhatsAppSettings(whatsapp: WhatsAppConfig): string[] {
  const missing: string[] = [];
  if (!whatsapp.phoneNumberId) missing.push('WHATSAPP_PHONE_NUMBER_ID');
  if (!whatsapp.accessToken) missing.push('WHATSAPP_ACCESS_TOKEN');
  return missing;
}

/** Throws ConfigError naming the first bad setting. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? 'environment');
    const raw = environment[setting];
    throw new ConfigError(setting, `${issue.message}${raw !== undefined ? ` (got "${raw}")` : ''}`);
  }
  const env = parsed.data;

  let businessHours: BusinessHours;
  try {
    businessHours = parseBusinessHours(env.BUSINESS_HOURS, env.BUSINESS_TIMEZONE);
  } catch (error) {
    const message = (error as Error).message;
    throw new ConfigError(message.startsWith('unknown time zone') ? 'BUSINESS_TIMEZONE' : 'BUSINESS_HOURS', message);
  }
  if (env.PLUGIN_RETRY_BASE > env.PLUGIN_RETRY_MAX) {
    throw new ConfigError('PLUGIN_RETRY_BASE', `must not exceed PLUGIN_RETRY_MAX (${env.PLUGIN_RETRY_MAX} ms)`);
  }
  if (env.WHATSAPP_RETRY_BASE > env.WHATSAPP_RETRY_MAX) {
    throw new ConfigError('WHATSAPP_RETRY_BASE', `must not exceed WHATSAPP_RETRY_MAX (${env.WHATSAPP_RETRY_MAX} ms)`);
  }
  if (env.OUTBOX_LEASE <= env.WHATSAPP_TIMEOUT) {
    // A lease shorter than one send call would let a second worker send while the first still waits for Meta.
    throw new ConfigError('OUTBOX_LEASE', `must exceed WHATSAPP_TIMEOUT (${env.WHATSAPP_TIMEOUT} ms)`);
  }

  const plugins = env.PLUGINS.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (new Set(plugins).size !== plugins.length) throw new ConfigError('PLUGINS', 'lists a plugin twice');

  const config: Config = { ...toConfig(env, businessHours, plugins), pluginEnv: { ...environment }, secretWarnings: [] };
  config.secretWarnings = checkSecretStrength(coreSecrets(config), config.isProduction);
  return config;
}

/** The settings the desk reads, from the validated environment: the one mapping from names to settings. */
function toConfig(env: Env, businessHours: BusinessHours, plugins: string[]) {
  const isProduction = env.NODE_ENV === 'production';
  return {
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    /** Trust X-Forwarded-For from the load balancer in front (per-IP rate limits). */
    trustProxy: env.TRUST_PROXY,
    /** The embedded store's directory (relative to the working directory); null for DATA_DIR=memory. Unused with MONGODB_URI. */
    dataDir: env.DATA_DIR === 'memory' ? null : env.DATA_DIR,
    mongodbUri: env.MONGODB_URI ?? null,
    redisUrl: env.REDIS_URL ?? null,
    /** Namespaces every Redis key and channel, so several desks (or test runs) can share one Redis. */
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    adminToken: env.ADMIN_TOKEN ?? null,
    /** When set, GET /metrics requires `Authorization: Bearer <it>`. */
    metricsToken: env.METRICS_TOKEN ?? null,
    /** Browser origins allowed to call /graphql (CORS); empty: same origin only in production, any origin without credentials in development. */
    corsOrigins: env.CORS_ORIGINS,
    whatsapp: {
      apiUrl: env.WHATSAPP_API_URL.replace(/\/+$/, ''),
      phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID ?? null,
      accessToken: env.WHATSAPP_ACCESS_TOKEN ?? null,
      appSecret: env.WHATSAPP_APP_SECRET ?? null,
      verifyToken: env.WHATSAPP_VERIFY_TOKEN ?? null,
      sendRatePerSecond: env.WHATSAPP_SEND_RATE,
      sendAttempts: env.WHATSAPP_SEND_ATTEMPTS,
      retryBaseMs: env.WHATSAPP_RETRY_BASE,
      retryMaxMs: env.WHATSAPP_RETRY_MAX,
      timeoutMs: env.WHATSAPP_TIMEOUT,
      /** Pause before retrying one recipient after 131056 (Meta's pair rate: about one message per 6 s per user). */
      pairPauseMs: env.WHATSAPP_PAIR_PAUSE,
      /** The WABA whose template catalog is synced; null: no catalog, templates are sent unchecked. */
      businessAccountId: env.WHATSAPP_BUSINESS_ACCOUNT_ID ?? null,
      templateSyncIntervalMs: env.TEMPLATE_SYNC_INTERVAL,
    },
    media: {
      /** HMAC key of media URLs; null: a random one per process (URLs then work only on the instance that signed them). */
      urlSecret: env.MEDIA_URL_SECRET ?? null,
      urlTtlMs: env.MEDIA_URL_TTL,
      downloadAttempts: env.MEDIA_DOWNLOAD_ATTEMPTS,
      /** Origin put in front of media URLs (e.g. https://desk.example.com); null: URLs are paths on this server. */
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    },
    workflow: {
      greetingText: env.GREETING_TEXT,
      outOfOfficeText: env.OUT_OF_OFFICE_TEXT,
      businessHours,
      assignmentPolicy: env.ASSIGNMENT_POLICY,
      reopenWindowMs: env.REOPEN_WINDOW,
      requeueOnOffline: env.REQUEUE_ON_OFFLINE,
      /** SESSION_TTL: how long a signIn session lasts. */
      sessionTtlMs: env.SESSION_TTL,
      survey: {
        enabled: env.SURVEY_ENABLED,
        text: env.SURVEY_TEXT,
        templateName: env.SURVEY_TEMPLATE_NAME ?? null,
        templateLanguage: env.SURVEY_TEMPLATE_LANGUAGE,
        commentWindowMs: env.SURVEY_COMMENT_WINDOW,
        thanksText: env.SURVEY_THANKS_TEXT,
      },
    },
    plugins,
    /** How each plugin delivery is retried before it becomes a dead letter. */
    pluginRetry: { attempts: env.PLUGIN_ATTEMPTS, baseMs: env.PLUGIN_RETRY_BASE, maxMs: env.PLUGIN_RETRY_MAX },
    graphql: {
      introspection: env.GRAPHQL_INTROSPECTION ? env.GRAPHQL_INTROSPECTION === 'true' : !isProduction,
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxCost: env.GRAPHQL_MAX_COST,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      rateLimitIpPerMinute: env.RATE_LIMIT_IP_PER_MINUTE,
      /** Refused credentials (HTTP bearer, graphql-ws connection_init) one IP may present per AUTH_FAILURE_WINDOW before it is refused with 429. */
      authFailuresPerIp: env.AUTH_FAILURES_PER_IP,
      /** `metrics` queries per viewer per minute: a budget apart from the request budget, as each can scan months of events. */
      metricsQueriesPerMinute: env.METRICS_QUERIES_PER_MINUTE,
    },
    /** graphql-ws connection caps, enforced at the HTTP upgrade; maxConnections null: derived at start-up from the open-file limit (src/http/openFiles.ts). */
    ws: { maxConnectionsPerIp: env.WS_MAX_CONNECTIONS_PER_IP, maxConnections: env.WS_MAX_CONNECTIONS ?? null },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT,
    outbox: { leaseMs: env.OUTBOX_LEASE, sweepIntervalMs: env.OUTBOX_SWEEP_INTERVAL },
    /** signIn: how many attempts an email and an IP get per window. */
    auth: {
      attemptsPerEmail: env.SIGN_IN_ATTEMPTS_PER_EMAIL,
      attemptsPerIp: env.SIGN_IN_ATTEMPTS_PER_IP,
      attemptWindowMs: env.SIGN_IN_WINDOW,
    },
  };
}

/** A config for tests: defaults (the store in memory), then the given overrides, as if from the environment. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: 'memory', ...overrides });
}
