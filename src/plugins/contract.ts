// The plugin contract: the only module a plugin imports. Built-in plugins
// (plugins/zendesk, plugins/hubspot, plugins/webhook) and third-party ones are
// written against this and nothing else.
import type { z } from 'zod';
import type { DomainEvent, DomainEventType } from '../events/types.js';

export type { DomainEvent, DomainEventType };
export type { ConversationDoc as PluginConversation, CustomerDoc as PluginCustomer, MessageDoc as PluginMessage } from '../domain/model.js';
export { toDate } from '../events/types.js';
/** One reading of headers for every plugin: case-insensitive lookup, and Retry-After as milliseconds. */
export { headerValue, parseRetryAfter } from '../http/headerValues.js';
/** Text counted as WhatsApp counts it (code points), and blank when nothing visible is left: the desk's own rules. */
export { characterCount, isBlank, textProblem } from '../domain/text.js';

export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON with content-type application/json. */
  json?: unknown;
  /** Overrides the client's default timeout. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or null when the body is empty or not JSON. */
  body: unknown;
  text: string;
}

/** An HTTP client with a timeout. It never throws for an HTTP status; it throws on network errors and timeouts. */
export interface PluginHttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

export interface ConversationRef {
  id: string;
  status: 'QUEUED' | 'ASSIGNED' | 'RESOLVED';
  waId: string;
}

/**
 * How long a key lives. Keys without it are kept for good (ids learned from
 * the CRM); give one to what only matters for a while (dedupe marks), or
 * state grows with every event.
 */
export interface PluginStateOptions {
  ttlMs?: number;
}

/** Small durable key-value state per plugin (ids learned from the CRM, ids of comments it posted). */
export interface PluginState {
  /** Null when absent or expired. */
  get<T = unknown>(key: string): Promise<T | null>;
  set(key: string, value: unknown, options?: PluginStateOptions): Promise<void>;
  /** Atomic: true when the key was absent (or expired) and is now set; false when it existed. Use to dedupe. */
  setIfAbsent(key: string, value: unknown, options?: PluginStateOptions): Promise<boolean>;
}

/** The narrow way into the desk a plugin gets. */
export interface DeskApi {
  /** Sends an agent reply to the customer (author INTEGRATION), through the normal outbound path and 24-hour window rules. */
  postReply(conversationId: string, text: string, options?: { authorName?: string }): Promise<{ messageId: string }>;
  resolveConversation(conversationId: string): Promise<void>;
  reopenConversation(conversationId: string): Promise<void>;
  linkConversation(conversationId: string, link: { externalId: string; url?: string | null }): Promise<void>;
  findConversationByExternalId(externalId: string): Promise<ConversationRef | null>;
}

export interface PluginContext<C> {
  name: string;
  config: C;
  logger: PluginLogger;
  http: PluginHttpClient;
  desk: DeskApi;
  state: PluginState;
}

export interface PluginRequest {
  method: string;
  /** Path below /plugins/<name>, starting with '/'. */
  path: string;
  /** Full URL as received (path and query). */
  url: string;
  headers: Record<string, string | undefined>;
  /** The exact bytes received: verify signatures against these. */
  rawBody: Buffer;
  query: Record<string, string | undefined>;
}

export interface PluginResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface PluginRoute {
  method: 'GET' | 'POST';
  /** Below /plugins/<name>, e.g. '/webhook'. */
  path: string;
  handler(req: PluginRequest): Promise<PluginResponse>;
}

export interface PluginHandlers {
  /** Events to receive; all when omitted. */
  events?: DomainEventType[];
  /**
   * Called through the outbox, in order per conversation. Throw RetryLaterError
   * (or any error) to have it retried with backoff, PermanentDeliveryError to
   * give up at once. The host records each event for the plugin right after
   * the change that raised it; once recorded, a delivery is retried (across
   * restarts, by the sweep) until it succeeds or becomes a dead letter an admin
   * can retry. A crash between the change and the recording, or a store that
   * refuses the record (logged), loses that one delivery.
   */
  onEvent?(event: DomainEvent): Promise<void>;
  routes?: PluginRoute[];
  close?(): Promise<void>;
}

export interface DeskPlugin<S extends z.ZodType = z.ZodType> {
  name: string;
  /** Validates the plugin's settings, read from the environment (e.g. ZENDESK_URL). */
  configSchema: S;
  /** Which of its settings are secrets: at least 16 characters in production, else start-up stops naming the setting. */
  secrets?: readonly string[];
  setup(ctx: PluginContext<z.output<S>>): PluginHandlers | Promise<PluginHandlers>;
}

export function definePlugin<S extends z.ZodType>(plugin: DeskPlugin<S>): DeskPlugin<S> {
  return plugin;
}

/** Throw from onEvent when the CRM asks us to wait (429 Retry-After) or is down (5xx, timeout). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** Throw from onEvent for a failure that retrying cannot fix (4xx validation): the delivery becomes a dead letter at once. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export { DEDUPE_TTL_MS, Ledger } from './ledger.js';
