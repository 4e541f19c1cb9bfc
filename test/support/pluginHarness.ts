// Drives a plugin through the contract alone, the way the host does, so a
// plugin's tests need neither the host nor a database: a real fetch-based HTTP
// client with a timeout, an in-memory PluginState, a recording DeskApi, and a
// delivery loop that retries like the outbox (retry on throw, honour
// RetryLaterError.retryAfterMs, stop at PermanentDeliveryError).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  PermanentDeliveryError,
  RetryLaterError,
  type ConversationRef,
  type DeskApi,
  type DeskPlugin,
  type DomainEvent,
  type HttpRequest,
  type HttpResponse,
  type PluginContext,
  type PluginHandlers,
  type PluginHttpClient,
  type PluginLogger,
  type PluginRequest,
  type PluginResponse,
  type PluginState,
  type PluginStateOptions,
} from '../../src/plugins/contract.js';

export const silentLogger: PluginLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Logs only warnings and errors, to the console: handy while writing a test. */
export const consoleLogger: PluginLogger = {
  debug() {},
  info() {},
  warn: (obj, msg) => console.warn('[plugin warn]', msg ?? '', obj),
  error: (obj, msg) => console.error('[plugin error]', msg ?? '', obj),
};

export function createFetchHttpClient(options: { timeoutMs?: number } = {}): PluginHttpClient {
  const defaultTimeout = options.timeoutMs ?? 5_000;
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
      let body: string | undefined;
      if (req.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.json);
      }
      const response = await fetch(req.url, {
        method: req.method,
        headers,
        body,
        signal: AbortSignal.timeout(req.timeoutMs ?? defaultTimeout),
      });
      const text = await response.text();
      let parsed: unknown = null;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
      }
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        responseHeaders[key] = value;
      });
      return { status: response.status, headers: responseHeaders, body: parsed, text };
    },
  };
}

/** PluginState in a Map; values are stored as JSON so nothing live leaks between calls (as with a real store). */
export class MemoryPluginState implements PluginState {
  readonly entries = new Map<string, string>();
  /** The ttl each key was last written with; null for a permanent key. Expiry itself is the host's (tested there). */
  readonly ttls = new Map<string, number | null>();

  async get<T = unknown>(key: string): Promise<T | null> {
    const raw = this.entries.get(key);
    return raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, options?: PluginStateOptions): Promise<void> {
    this.entries.set(key, JSON.stringify(value ?? null));
    this.ttls.set(key, options?.ttlMs ?? null);
  }

  async setIfAbsent(key: string, value: unknown, options?: PluginStateOptions): Promise<boolean> {
    if (this.entries.has(key)) return false;
    await this.set(key, value, options);
    return true;
  }

  /** Keys by prefix, with the ttl they were last written with. */
  ttlsOf(prefix: string): Record<string, number | null> {
    return Object.fromEntries([...this.ttls].filter(([key]) => key.startsWith(prefix)));
  }

  keys(prefix = ''): string[] {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix));
  }
}

export type DeskCall =
  | { method: 'postReply'; conversationId: string; text: string; authorName: string | null }
  | { method: 'resolveConversation'; conversationId: string }
  | { method: 'reopenConversation'; conversationId: string }
  | { method: 'linkConversation'; conversationId: string; externalId: string; url: string | null }
  | { method: 'findConversationByExternalId'; externalId: string };

/**
 * A DeskApi that records every call and keeps just enough state to answer
 * like the desk: links made by linkConversation are found again, resolve and
 * reopen change the status. `failNext` makes the next calls of a method throw.
 */
export class RecordingDesk implements DeskApi {
  readonly calls: DeskCall[] = [];
  private readonly conversations = new Map<string, ConversationRef>();
  private readonly links = new Map<string, { conversationId: string; url: string | null }>();
  private readonly failures = new Map<DeskCall['method'], Error[]>();
  private replyCounter = 0;

  /** Registers a conversation the desk knows (linkConversation also registers one, as QUEUED). */
  addConversation(ref: ConversationRef): void {
    this.conversations.set(ref.id, { ...ref });
  }

  conversation(id: string): ConversationRef | null {
    const ref = this.conversations.get(id);
    return ref ? { ...ref } : null;
  }

  linkOf(conversationId: string): { externalId: string; url: string | null } | null {
    for (const [externalId, link] of this.links) if (link.conversationId === conversationId) return { externalId, url: link.url };
    return null;
  }

  /** Calls that change the desk (lookups left out). */
  get changes(): DeskCall[] {
    return this.calls.filter((call) => call.method !== 'findConversationByExternalId');
  }

  get replies(): Extract<DeskCall, { method: 'postReply' }>[] {
    return this.calls.filter((call): call is Extract<DeskCall, { method: 'postReply' }> => call.method === 'postReply');
  }

  failNext(method: DeskCall['method'], error: Error, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.failures.set(method, queue);
  }

  private maybeFail(method: DeskCall['method']): void {
    const error = this.failures.get(method)?.shift();
    if (error) throw error;
  }

  async postReply(conversationId: string, text: string, options?: { authorName?: string }): Promise<{ messageId: string }> {
    this.calls.push({ method: 'postReply', conversationId, text, authorName: options?.authorName ?? null });
    this.maybeFail('postReply');
    this.replyCounter += 1;
    return { messageId: `reply-${this.replyCounter}` };
  }

  async resolveConversation(conversationId: string): Promise<void> {
    this.calls.push({ method: 'resolveConversation', conversationId });
    this.maybeFail('resolveConversation');
    const ref = this.conversations.get(conversationId);
    if (ref) ref.status = 'RESOLVED';
  }

  async reopenConversation(conversationId: string): Promise<void> {
    this.calls.push({ method: 'reopenConversation', conversationId });
    this.maybeFail('reopenConversation');
    const ref = this.conversations.get(conversationId);
    if (ref) ref.status = 'QUEUED';
  }

  async linkConversation(conversationId: string, link: { externalId: string; url?: string | null }): Promise<void> {
    this.calls.push({ method: 'linkConversation', conversationId, externalId: link.externalId, url: link.url ?? null });
    this.maybeFail('linkConversation');
    this.links.set(link.externalId, { conversationId, url: link.url ?? null });
    if (!this.conversations.has(conversationId)) this.conversations.set(conversationId, { id: conversationId, status: 'QUEUED', waId: '' });
  }

  async findConversationByExternalId(externalId: string): Promise<ConversationRef | null> {
    this.calls.push({ method: 'findConversationByExternalId', externalId });
    this.maybeFail('findConversationByExternalId');
    const link = this.links.get(externalId);
    return link ? this.conversation(link.conversationId) : null;
  }
}

export interface DeliveryAttempt {
  eventId: string;
  eventType: DomainEvent['type'];
  error: string;
  /** What the plugin asked for (RetryLaterError.retryAfterMs), before the harness scaled it. */
  retryAfterMs: number | null;
}

export interface DeliveryResult {
  /** 'skipped': the plugin does not subscribe to this event type. */
  outcome: 'delivered' | 'skipped' | 'dead-letter';
  attempts: number;
  error?: string;
}

export interface HarnessOptions {
  logger?: PluginLogger;
  /** Default timeout of the HTTP client given to the plugin. */
  httpTimeoutMs?: number;
  /** Attempts before a delivery counts as a dead letter. */
  maxAttempts?: number;
  /** Multiplies RetryLaterError.retryAfterMs before waiting, so a 10 s Retry-After takes 10 ms in a test. */
  timeScale?: number;
  /** Wait after a failure that named no retryAfterMs (already in test time). */
  backoffMs?: number;
}

export interface RouteCall {
  method?: string;
  path: string;
  headers?: Record<string, string | undefined>;
  rawBody: Buffer | string;
  query?: Record<string, string | undefined>;
}

export interface PluginHarness<C> {
  ctx: PluginContext<C>;
  handlers: PluginHandlers;
  desk: RecordingDesk;
  state: MemoryPluginState;
  /** Every failed attempt, in order, across deliveries. */
  failedAttempts: DeliveryAttempt[];
  /** Delivers one event like the outbox: retried until it succeeds, fails permanently, or runs out of attempts. */
  deliver(event: DomainEvent): Promise<DeliveryResult>;
  /** Delivers events one after the other (the per-conversation order the host keeps); throws on a dead letter. */
  deliverAll(events: DomainEvent[]): Promise<DeliveryResult[]>;
  /** Calls one of the plugin's routes with a raw body, as the host's /plugins/<name>/... mount would. */
  request(call: RouteCall): Promise<PluginResponse>;
  close(): Promise<void>;
}

/** Validates `env` with the plugin's configSchema (as the host does at start-up) and runs its setup. */
export async function startPlugin<C>(
  plugin: DeskPlugin,
  env: Record<string, string | undefined>,
  options: HarnessOptions = {},
): Promise<PluginHarness<C>> {
  const parsed = plugin.configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`plugin ${plugin.name}: invalid setting ${String(issue?.path[0] ?? '?')}: ${issue?.message ?? ''}`);
  }
  const desk = new RecordingDesk();
  const state = new MemoryPluginState();
  const ctx: PluginContext<C> = {
    name: plugin.name,
    config: parsed.data as C,
    logger: options.logger ?? silentLogger,
    http: createFetchHttpClient({ timeoutMs: options.httpTimeoutMs ?? 2_000 }),
    desk,
    state,
  };
  const handlers = await plugin.setup(ctx as PluginContext<unknown>);
  const maxAttempts = options.maxAttempts ?? 60;
  const timeScale = options.timeScale ?? 0.001;
  const backoffMs = options.backoffMs ?? 5;
  const failedAttempts: DeliveryAttempt[] = [];

  async function deliver(event: DomainEvent): Promise<DeliveryResult> {
    if (!handlers.onEvent || (handlers.events && !handlers.events.includes(event.type))) return { outcome: 'skipped', attempts: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        // A fresh copy per attempt: the outbox re-reads the stored job, so a plugin cannot rely on mutating it.
        await handlers.onEvent(structuredClone(event));
        return { outcome: 'delivered', attempts: attempt };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const retryAfterMs = error instanceof RetryLaterError && error.retryAfterMs !== undefined ? error.retryAfterMs : null;
        failedAttempts.push({ eventId: event.id, eventType: event.type, error: message, retryAfterMs });
        if (error instanceof PermanentDeliveryError || attempt >= maxAttempts) return { outcome: 'dead-letter', attempts: attempt, error: message };
        await sleep(retryAfterMs !== null ? Math.ceil(retryAfterMs * timeScale) : backoffMs);
      }
    }
  }

  return {
    ctx,
    handlers,
    desk,
    state,
    failedAttempts,
    deliver,
    async deliverAll(events) {
      const results: DeliveryResult[] = [];
      for (const event of events) {
        const result = await deliver(event);
        if (result.outcome === 'dead-letter') throw new Error(`${event.type} ${event.id} became a dead letter: ${result.error}`);
        results.push(result);
      }
      return results;
    },
    async request(call) {
      const method = call.method ?? 'POST';
      const route = handlers.routes?.find((candidate) => candidate.method === method && candidate.path === call.path);
      if (!route) return { status: 404, body: { error: 'no such route' } };
      const headers: Record<string, string | undefined> = {};
      for (const [key, value] of Object.entries(call.headers ?? {})) headers[key.toLowerCase()] = value;
      const request: PluginRequest = {
        method,
        path: call.path,
        url: call.path,
        headers,
        rawBody: Buffer.isBuffer(call.rawBody) ? call.rawBody : Buffer.from(call.rawBody),
        query: call.query ?? {},
      };
      return route.handler(request);
    },
    async close() {
      await handlers.close?.();
    },
  };
}
