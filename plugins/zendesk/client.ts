// The few Zendesk Support API calls the plugin makes, with Zendesk's answers
// turned into the outbox's language: wait and retry (429, 5xx, 409, network)
// or give up (422 and other 4xx, which retrying cannot fix).
import { z } from 'zod';
import { headerValue, parseRetryAfter, PermanentDeliveryError, RetryLaterError, type HttpResponse, type PluginHttpClient } from '../../src/plugins/contract.js';

export interface ZendeskSettings {
  /** Base URL including /api/v2, without a trailing slash. */
  baseUrl: string;
  email: string;
  apiToken: string;
}

const id = z.union([z.number(), z.string()]).transform((value) => Number(value));

const userSchema = z.object({ id });
const ticketSchema = z.object({ id, url: z.string().optional(), status: z.string().optional() });
const auditSchema = z.object({
  id: id.optional(),
  author_id: id.optional().nullable(),
  events: z.array(z.object({ id: id.optional(), type: z.string(), body: z.string().optional(), public: z.boolean().optional() }).loose()).default([]),
});
const commentSchema = z.object({
  id,
  body: z.string().default(''),
  public: z.boolean(),
  author_id: id.optional().nullable(),
  created_at: z.string().optional(),
});

export type ZendeskAudit = z.output<typeof auditSchema>;
export type ZendeskComment = z.output<typeof commentSchema>;

export interface NewComment {
  body: string;
  public: boolean;
  /** Omitted: the comment is by the integration (API) user. */
  author_id?: number;
}

export interface NewTicket {
  subject: string;
  comment: NewComment;
  requester_id: number;
  external_id: string;
  tags: string[];
  priority?: string;
  type?: string;
}

/** Without a Retry-After, wait this long after a 429 (Zendesk normally sends one). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export class ZendeskClient {
  private readonly authorization: string;

  constructor(
    private readonly http: PluginHttpClient,
    private readonly settings: ZendeskSettings,
  ) {
    // API token auth: Basic base64("{email}/token:{api_token}").
    this.authorization = `Basic ${Buffer.from(`${settings.email}/token:${settings.apiToken}`).toString('base64')}`;
  }

  /** Creates the end user or updates the one with this external_id (Zendesk matches on email or external_id only). */
  async upsertUser(user: { name: string; phone: string; external_id: string }): Promise<{ id: number }> {
    const response = await this.call('POST', '/users/create_or_update.json', {
      user: { ...user, role: 'end-user', skip_verify_email: true },
    });
    return parse(userSchema, (response.body as { user?: unknown } | null)?.user, 'user in create_or_update answer');
  }

  /** The Idempotency-Key makes a retry (after a lost answer) return the ticket the first attempt created. */
  async createTicket(ticket: NewTicket, idempotencyKey: string): Promise<{ id: number; replayed: boolean; audit: ZendeskAudit | null }> {
    const response = await this.call('POST', '/tickets.json', { ticket }, { 'Idempotency-Key': idempotencyKey });
    const body = response.body as { ticket?: unknown; audit?: unknown } | null;
    const created = parse(ticketSchema, body?.ticket, 'ticket in create answer');
    return { id: created.id, replayed: header(response, 'x-idempotency-lookup') === 'hit', audit: optionalAudit(body?.audit) };
  }

  /** PUT /tickets/{id}.json; the answer carries the audit, whose Comment event holds the id of the comment just made. */
  async updateTicket(ticketId: number, changes: { comment?: NewComment; status?: string }): Promise<{ audit: ZendeskAudit | null }> {
    const response = await this.call('PUT', `/tickets/${ticketId}.json`, { ticket: changes });
    return { audit: optionalAudit((response.body as { audit?: unknown } | null)?.audit) };
  }

  /** The ticket's comments, newest first (first page only: enough to find one we just made). */
  async recentComments(ticketId: number): Promise<ZendeskComment[]> {
    const response = await this.call('GET', `/tickets/${ticketId}/comments.json?sort_order=desc`);
    const comments = (response.body as { comments?: unknown } | null)?.comments;
    return parse(z.array(commentSchema), comments ?? [], 'comments list');
  }

  private async call(method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const what = `Zendesk ${method} ${path.split('?')[0]}`;
    let response: HttpResponse;
    try {
      response = await this.http.request({
        method,
        url: `${this.settings.baseUrl}${path}`,
        headers: { authorization: this.authorization, ...headers },
        ...(json === undefined ? {} : { json }),
      });
    } catch (error) {
      throw new RetryLaterError(`${what} unreachable: ${(error as Error).message}`);
    }
    if (response.status >= 200 && response.status < 300) return response;

    const retryAfterMs = retryAfter(response);
    if (response.status === 429) {
      throw new RetryLaterError(`${what} rate limited (429, ${header(response, 'x-rate-limit-remaining') ?? '?'} requests left)`, retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
    }
    // 409: another update to the same ticket won the race; Zendesk asks to retry.
    if (response.status >= 500 || response.status === 409) {
      throw new RetryLaterError(`${what} failed with ${response.status}: ${describeError(response)}`, retryAfterMs);
    }
    throw new PermanentDeliveryError(`${what} rejected with ${response.status}: ${describeError(response)}`);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  // An unexpected 2xx body is not a validation problem of ours: let the outbox retry it.
  if (!result.success) throw new Error(`Zendesk answered with an unexpected ${what}: ${result.error.issues[0]?.message ?? ''}`);
  return result.data;
}

function optionalAudit(value: unknown): ZendeskAudit | null {
  const result = auditSchema.safeParse(value);
  return result.success ? result.data : null;
}

const header = (response: HttpResponse, name: string) => headerValue(response.headers, name);
const retryAfter = (response: HttpResponse) => parseRetryAfter(header(response, 'retry-after')) ?? undefined;

/** Zendesk errors: {"error":"RecordInvalid","description":"...","details":{field:[{description}]}} or {"error":{"title","message"}}. */
export function describeError(response: HttpResponse): string {
  const body = response.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') return response.text.slice(0, 200) || 'no details';
  const parts: string[] = [];
  const error = body['error'];
  if (typeof error === 'string') parts.push(error);
  else if (error && typeof error === 'object') {
    const { title, message } = error as { title?: unknown; message?: unknown };
    parts.push([title, message].filter((part) => typeof part === 'string').join(': '));
  }
  if (typeof body['description'] === 'string') parts.push(body['description']);
  const details = body['details'];
  if (details && typeof details === 'object') {
    for (const entries of Object.values(details as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const description = (entry as { description?: unknown } | null)?.description;
        if (typeof description === 'string') parts.push(description);
      }
    }
  }
  return parts.filter(Boolean).join(' — ') || 'no details';
}
