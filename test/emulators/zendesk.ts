// A loopback Zendesk Support API for tests (the requests plugins/zendesk/client.ts makes, answered in Zendesk's documented shapes).
//
// It accepts exactly the documented requests (API-token Basic auth, the user,
// ticket and comment shapes), answers with Zendesk's shapes and error shapes
// (422 RecordInvalid, 401, 404 RecordNotFound, 429 with Retry-After and
// X-Rate-Limit-Remaining), honours Idempotency-Key on ticket creation, keeps
// users and tickets (with comments and status) for assertions, and can be
// scripted to fail. It also plays the Zendesk side of the webhook: a staff
// reply or a solved ticket yields a signed delivery for /plugins/zendesk/webhook.
//
//   const zendesk = await ZendeskEmulator.start();
//   const plugin = await startPlugin(zendeskPlugin, zendesk.pluginEnv());
//   zendesk.inject({ status: 503, forMs: 200 });          // down for a while
//   zendesk.inject({ status: 429, times: 1, retryAfterSeconds: 3 });
//   zendesk.inject({ status: 502, times: 1, loseAnswer: true, match: { method: 'POST', path: '/tickets.json' } });
//   const delivery = zendesk.staffReply(ticketId, 'We are on it');   // {headers, rawBody}
//   await plugin.request({ path: '/webhook', ...delivery });
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSchedule, pathMatches, type ScriptedFault } from './faults.js';

export interface ZendeskUser {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  role: 'end-user' | 'agent' | 'admin';
  created_at: string;
  updated_at: string;
}

export interface ZendeskComment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  attachments: never[];
  audit_id: number;
  created_at: string;
}

export interface ZendeskTicket {
  id: number;
  subject: string;
  description: string;
  status: ZendeskStatus;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  external_id: string | null;
  tags: string[];
  priority: string | null;
  type: string | null;
  comments: ZendeskComment[];
  created_at: string;
  updated_at: string;
}

export const ZENDESK_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export type ZendeskStatus = (typeof ZENDESK_STATUSES)[number];

export interface RecordedRequest {
  method: string;
  /** Below /api/v2, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  at: number;
}

/** A scripted failure (see ScriptedFault) with what this vendor's answer may vary. */
export interface ZendeskFault extends ScriptedFault {
  /** For 429 (and 503): seconds in Retry-After; null leaves the header out. Default 1. */
  retryAfterSeconds?: number | null;
}

export interface WebhookDelivery {
  headers: Record<string, string>;
  rawBody: Buffer;
  payload: Record<string, unknown>;
}

export interface ZendeskEmulatorOptions {
  email?: string;
  apiToken?: string;
  webhookSecret?: string;
  accountId?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const recordInvalid = (field: string, description: string) =>
  new HttpError(422, { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description, error: 'InvalidValue' }] } });

export class ZendeskEmulator {
  readonly email: string;
  readonly apiToken: string;
  readonly webhookSecret: string;
  readonly accountId: number;
  readonly users = new Map<number, ZendeskUser>();
  readonly tickets = new Map<number, ZendeskTicket>();
  readonly requests: RecordedRequest[] = [];
  /** The user the API token belongs to: the integration's comments are authored by it. */
  readonly apiUser: ZendeskUser;
  /** A staff member who answers in the Zendesk agent workspace. */
  readonly staffAgent: ZendeskUser;

  private readonly idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private readonly faults = new FaultSchedule<ZendeskFault>();
  private nextUserId = 9000;
  private nextTicketId = 5000;
  private nextCommentId = 98000;
  private nextAuditId = 70000;
  private server: Server | null = null;
  private baseUrl = '';

  private constructor(options: ZendeskEmulatorOptions) {
    this.email = options.email ?? 'integration@acme.example';
    this.apiToken = options.apiToken ?? 'zd-test-token';
    this.webhookSecret = options.webhookSecret ?? 'zd-webhook-signing-secret';
    this.accountId = options.accountId ?? 1234567;
    this.apiUser = this.addUser({ name: 'WhatsApp Desk Integration', email: this.email, role: 'admin' });
    this.staffAgent = this.addUser({ name: 'Zoe Zendesk', email: 'zoe@acme.example', role: 'agent' });
  }

  static async start(options: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> {
    const emulator = new ZendeskEmulator(options);
    const server = createServer((req, res) => {
      emulator.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'EmulatorError', description: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator.server = server;
    emulator.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return emulator;
  }

  /** The API base, including /api/v2 (what ZENDESK_URL holds). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/v2`;
  }

  /** The plugin's settings pointing at this emulator. */
  pluginEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ZENDESK_URL: this.apiUrl,
      ZENDESK_EMAIL: this.email,
      ZENDESK_API_TOKEN: this.apiToken,
      ZENDESK_WEBHOOK_SECRET: this.webhookSecret,
      ...overrides,
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- scripting -------------------------------------------------------

  inject(fault: ZendeskFault): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---- assertions ------------------------------------------------------

  ticketByExternalId(externalId: string): ZendeskTicket | undefined {
    return [...this.tickets.values()].find((ticket) => ticket.external_id === externalId);
  }

  userByExternalId(externalId: string): ZendeskUser | undefined {
    return [...this.users.values()].find((user) => user.external_id === externalId);
  }

  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && pathMatches(path, request.path));
  }

  // ---- the Zendesk side of the webhook -----------------------------------

  /** A staff member answers in Zendesk: the comment is added and its comment_added delivery returned. */
  staffReply(ticketId: number, body: string, options: { isPublic?: boolean; author?: ZendeskUser } = {}): WebhookDelivery {
    const ticket = this.mustTicket(ticketId);
    const author = options.author ?? this.staffAgent;
    const comment = this.addComment(ticket, { body, public: options.isPublic ?? true, author_id: author.id });
    if (ticket.status === 'new') ticket.status = 'open';
    return this.commentAddedDelivery(ticketId, comment.id);
  }

  /** The comment_added delivery Zendesk sends for an existing comment (for example one the plugin itself posted). */
  commentAddedDelivery(ticketId: number, commentId: number, options: { eventId?: string; timestamp?: string } = {}): WebhookDelivery {
    const ticket = this.mustTicket(ticketId);
    const comment = ticket.comments.find((candidate) => candidate.id === commentId);
    if (!comment) throw new Error(`ticket ${ticketId} has no comment ${commentId}`);
    const author = this.users.get(comment.author_id);
    return this.signedWebhook(
      this.eventEnvelope('zen:event-type:ticket.comment_added', ticket, options.eventId, {
        comment: {
          id: comment.id,
          body: comment.body,
          is_public: comment.public,
          author: { id: String(comment.author_id), is_staff: author?.role !== 'end-user', name: author?.name ?? 'Unknown' },
        },
      }),
      options,
    );
  }

  /** Someone solves (or otherwise moves) the ticket in Zendesk: its status_changed delivery. */
  changeStatus(ticketId: number, status: ZendeskStatus, options: { eventId?: string; timestamp?: string } = {}): WebhookDelivery {
    const ticket = this.mustTicket(ticketId);
    const previous = ticket.status;
    ticket.status = status;
    if (status === 'solved' && ticket.assignee_id === null) ticket.assignee_id = this.staffAgent.id;
    ticket.updated_at = new Date().toISOString();
    return this.signedWebhook(
      this.eventEnvelope('zen:event-type:ticket.status_changed', ticket, options.eventId, { current: status.toUpperCase(), previous: previous.toUpperCase() }),
      options,
    );
  }

  /**
   * Signs any payload as Zendesk does: base64(HMAC-SHA256(secret, timestamp + body)).
   * `timestamp` and `secret` can be overridden to forge stale or wrongly signed deliveries.
   */
  signedWebhook(payload: Record<string, unknown>, options: { timestamp?: string; secret?: string } = {}): WebhookDelivery {
    const rawBody = Buffer.from(JSON.stringify(payload));
    const timestamp = options.timestamp ?? new Date().toISOString();
    const signature = createHmac('sha256', options.secret ?? this.webhookSecret)
      .update(timestamp)
      .update(rawBody)
      .digest('base64');
    return {
      payload,
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-id': '01HWEBHOOK000000000000000',
        'x-zendesk-webhook-invocation-id': randomUUID(),
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': timestamp,
      },
    };
  }

  private eventEnvelope(type: string, ticket: ZendeskTicket, eventId: string | undefined, event: Record<string, unknown>): Record<string, unknown> {
    return {
      type,
      account_id: this.accountId,
      id: eventId ?? randomUUID(),
      time: new Date().toISOString(),
      zendesk_event_version: '2022-11-06',
      subject: `zen:ticket:${ticket.id}`,
      detail: {
        id: String(ticket.id),
        external_id: ticket.external_id,
        status: ticket.status.toUpperCase(),
        subject: ticket.subject,
        requester_id: String(ticket.requester_id),
        assignee_id: ticket.assignee_id === null ? null : String(ticket.assignee_id),
        tags: ticket.tags,
        created_at: ticket.created_at,
        updated_at: ticket.updated_at,
      },
      event,
    };
  }

  // ---- HTTP ------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown = null;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        bodyError = true;
      }
    }
    const path = url.pathname.startsWith('/api/v2') ? url.pathname.slice('/api/v2'.length) : url.pathname;
    const record: RecordedRequest = { method, path, query: url.searchParams, headers: req.headers, body, status: 0, at: Date.now() };
    this.requests.push(record);

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };

    const fault = this.faults.take(method, path);
    if (fault && !fault.loseAnswer) return send(...faultAnswer(fault));

    let answer: [number, unknown, Record<string, string>];
    try {
      if (!url.pathname.startsWith('/api/v2/')) throw new HttpError(404, { error: 'InvalidEndpoint', description: 'Not found' });
      this.authenticate(req);
      if ((method === 'POST' || method === 'PUT') && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new HttpError(415, { error: 'UnsupportedMediaType', description: 'Content-Type must be application/json' });
      }
      if (bodyError) throw new HttpError(400, { error: 'InvalidJSON', description: 'The request body is not valid JSON' });
      answer = this.route(method, path, url.searchParams, body, req);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      answer = [error.status, error.body, {}];
    }
    if (fault) return send(...faultAnswer(fault));
    send(...answer);
  }

  private authenticate(req: IncomingMessage): void {
    const expected = `Basic ${Buffer.from(`${this.email}/token:${this.apiToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) throw new HttpError(401, { error: "Couldn't authenticate you" });
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown, req: IncomingMessage): [number, unknown, Record<string, string>] {
    if (method === 'POST' && path === '/users/create_or_update.json') return this.createOrUpdateUser(body);
    if (method === 'POST' && path === '/tickets.json') return this.createTicket(body, req.headers['idempotency-key']);
    const ticketMatch = /^\/tickets\/(\d+)\.json$/.exec(path);
    if (ticketMatch && method === 'PUT') return this.updateTicket(Number(ticketMatch[1]), body);
    if (ticketMatch && method === 'GET') return [200, { ticket: this.ticketView(this.findTicket(Number(ticketMatch[1]))) }, {}];
    const commentsMatch = /^\/tickets\/(\d+)\/comments\.json$/.exec(path);
    if (commentsMatch && method === 'GET') {
      const ticket = this.findTicket(Number(commentsMatch[1]));
      const comments = query.get('sort_order') === 'desc' ? [...ticket.comments].reverse() : ticket.comments;
      return [200, { comments, next_page: null, previous_page: null, count: comments.length }, {}];
    }
    if (method === 'GET' && path === '/users/me.json') return [200, { user: this.apiUser }, {}];
    throw new HttpError(404, { error: 'InvalidEndpoint', description: 'Not found' });
  }

  private createOrUpdateUser(body: unknown): [number, unknown, Record<string, string>] {
    const user = objectField(body, 'user');
    const externalId = optionalString(user, 'external_id');
    const email = optionalString(user, 'email');
    const role = optionalString(user, 'role') ?? 'end-user';
    if (!['end-user', 'agent', 'admin'].includes(role)) throw recordInvalid('role', `Role: ${role} is not a valid role`);
    if (user['skip_verify_email'] !== undefined && typeof user['skip_verify_email'] !== 'boolean') throw recordInvalid('skip_verify_email', 'skip_verify_email must be a boolean');
    const phone = optionalString(user, 'phone');
    if (phone !== undefined && !/^\+[1-9]\d{6,14}$/.test(phone)) throw recordInvalid('phone', `Phone: ${phone} is not a valid E.164 phone number`);
    const existing = [...this.users.values()].find(
      (candidate) => (externalId !== undefined && candidate.external_id === externalId) || (email !== undefined && candidate.email === email),
    );
    const name = optionalString(user, 'name');
    const now = new Date().toISOString();
    if (existing) {
      if (name !== undefined) existing.name = name;
      if (phone !== undefined) existing.phone = phone;
      existing.updated_at = now;
      return [200, { user: existing }, {}];
    }
    if (!name || name.trim() === '') throw recordInvalid('name', 'Name: is too short (minimum is 1 character)');
    const created = this.addUser({ name, email: email ?? null, phone: phone ?? null, external_id: externalId ?? null, role: role as ZendeskUser['role'] });
    return [201, { user: created }, {}];
  }

  private createTicket(body: unknown, keyHeader: string | string[] | undefined): [number, unknown, Record<string, string>] {
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    if (key !== undefined && (key.length === 0 || key.length > 255)) {
      throw new HttpError(400, { error: 'InvalidIdempotencyKey', description: 'Idempotency-Key must be 1 to 255 characters' });
    }
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (key !== undefined) {
      const seen = this.idempotency.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new HttpError(400, { error: 'IdempotentRequestError', description: 'The Idempotency-Key was already used with different request parameters' });
        }
        return [seen.status, seen.body, { 'x-idempotency-lookup': 'hit' }];
      }
    }
    const input = objectField(body, 'ticket');
    const comment = objectField(input, 'comment', 'Description: cannot be blank');
    const commentBody = optionalString(comment, 'body') ?? optionalString(comment, 'html_body');
    if (!commentBody || commentBody.trim() === '') throw recordInvalid('description', 'Description: cannot be blank');
    if (comment['public'] !== undefined && typeof comment['public'] !== 'boolean') throw recordInvalid('comment', 'comment.public must be a boolean');
    const requesterId = input['requester_id'];
    if (typeof requesterId !== 'number' || this.users.get(requesterId) === undefined) throw recordInvalid('requester', 'Requester: is invalid');
    const authorId = comment['author_id'];
    if (authorId !== undefined && (typeof authorId !== 'number' || !this.users.has(authorId))) throw recordInvalid('comment', 'Comment author: is invalid');
    const priority = optionalString(input, 'priority');
    if (priority !== undefined && !['urgent', 'high', 'normal', 'low'].includes(priority)) throw recordInvalid('priority', `Priority: ${priority} is not valid`);
    const type = optionalString(input, 'type');
    if (type !== undefined && !['problem', 'incident', 'question', 'task'].includes(type)) throw recordInvalid('type', `Type: ${type} is not valid`);
    const tags = input['tags'];
    if (tags !== undefined && (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))) throw recordInvalid('tags', 'Tags: must be a list of strings');

    const now = new Date().toISOString();
    const ticket: ZendeskTicket = {
      id: this.nextTicketId++,
      subject: optionalString(input, 'subject') ?? commentBody.slice(0, 60),
      description: commentBody,
      status: 'new',
      requester_id: requesterId,
      submitter_id: this.apiUser.id,
      assignee_id: null,
      external_id: optionalString(input, 'external_id') ?? null,
      tags: (tags as string[] | undefined) ?? [],
      priority: priority ?? null,
      type: type ?? null,
      comments: [],
      created_at: now,
      updated_at: now,
    };
    this.tickets.set(ticket.id, ticket);
    const first = this.addComment(ticket, { body: commentBody, public: (comment['public'] as boolean | undefined) ?? true, author_id: (authorId as number | undefined) ?? requesterId });
    const answer = { ticket: this.ticketView(ticket), audit: this.audit(ticket, [commentEvent(first)]) };
    if (key !== undefined) this.idempotency.set(key, { fingerprint, status: 201, body: answer });
    return [201, answer, key !== undefined ? { 'x-idempotency-lookup': 'miss' } : {}];
  }

  private updateTicket(ticketId: number, body: unknown): [number, unknown, Record<string, string>] {
    const ticket = this.findTicket(ticketId);
    const input = objectField(body, 'ticket');
    if (ticket.status === 'closed') throw recordInvalid('status', 'Status: closed prevents ticket update');
    if (input['comment'] === undefined && input['status'] === undefined) throw recordInvalid('ticket', 'Nothing to update: expected a comment or a status');
    const events: Record<string, unknown>[] = [];
    if (input['comment'] !== undefined) {
      const comment = objectField(input, 'comment');
      const commentBody = optionalString(comment, 'body') ?? optionalString(comment, 'html_body');
      if (!commentBody || commentBody.trim() === '') throw recordInvalid('comment', 'Comment: body cannot be blank');
      if (comment['public'] !== undefined && typeof comment['public'] !== 'boolean') throw recordInvalid('comment', 'comment.public must be a boolean');
      const authorId = comment['author_id'];
      if (authorId !== undefined && (typeof authorId !== 'number' || !this.users.has(authorId))) throw recordInvalid('comment', 'Comment author: is invalid');
      const added = this.addComment(ticket, {
        body: commentBody,
        public: (comment['public'] as boolean | undefined) ?? true,
        author_id: (authorId as number | undefined) ?? this.apiUser.id,
      });
      events.push(commentEvent(added));
      // Native rule: an end user's comment on a pending, on-hold or solved ticket reopens it.
      const author = this.users.get(added.author_id);
      if (author?.role === 'end-user' && ['pending', 'hold', 'solved'].includes(ticket.status)) {
        events.push({ type: 'Change', field_name: 'status', value: 'open', previous_value: ticket.status });
        ticket.status = 'open';
      }
    }
    if (input['status'] !== undefined) {
      const status = input['status'];
      if (typeof status !== 'string' || !(ZENDESK_STATUSES as readonly string[]).includes(status)) throw recordInvalid('status', `Status: ${String(status)} is not valid`);
      if (status === 'new' && ticket.status !== 'new') throw recordInvalid('status', 'Status: cannot be set back to New');
      if (status !== ticket.status) {
        events.push({ id: this.nextAuditId++, type: 'Change', field_name: 'status', value: status, previous_value: ticket.status });
        ticket.status = status as ZendeskStatus;
        // "Auto assign tickets upon solve": the solving (API) user becomes the assignee.
        if (status === 'solved' && ticket.assignee_id === null) ticket.assignee_id = this.apiUser.id;
      }
    }
    ticket.updated_at = new Date().toISOString();
    return [200, { ticket: this.ticketView(ticket), audit: this.audit(ticket, events) }, {}];
  }

  private findTicket(id: number): ZendeskTicket {
    const ticket = this.tickets.get(id);
    if (!ticket) throw new HttpError(404, { error: 'RecordNotFound', description: 'Not found' });
    return ticket;
  }

  private mustTicket(id: number): ZendeskTicket {
    const ticket = this.tickets.get(id);
    if (!ticket) throw new Error(`no ticket ${id} in the Zendesk emulator`);
    return ticket;
  }

  private addUser(fields: Partial<ZendeskUser> & Pick<ZendeskUser, 'name' | 'role'>): ZendeskUser {
    const now = new Date().toISOString();
    const user: ZendeskUser = { id: this.nextUserId++, email: null, phone: null, external_id: null, created_at: now, updated_at: now, ...fields };
    this.users.set(user.id, user);
    return user;
  }

  private addComment(ticket: ZendeskTicket, fields: { body: string; public: boolean; author_id: number }): ZendeskComment {
    const comment: ZendeskComment = {
      id: this.nextCommentId++,
      type: 'Comment',
      author_id: fields.author_id,
      body: fields.body,
      html_body: `<div class="zd-comment"><p>${escapeHtml(fields.body)}</p></div>`,
      plain_body: fields.body,
      public: fields.public,
      attachments: [],
      audit_id: this.nextAuditId++,
      created_at: new Date().toISOString(),
    };
    ticket.comments.push(comment);
    return comment;
  }

  private audit(ticket: ZendeskTicket, events: Record<string, unknown>[]): Record<string, unknown> {
    return { id: this.nextAuditId++, ticket_id: ticket.id, created_at: new Date().toISOString(), author_id: this.apiUser.id, metadata: { system: {}, custom: {} }, events };
  }

  private ticketView(ticket: ZendeskTicket): Record<string, unknown> {
    const { comments: _comments, ...view } = ticket;
    return { ...view, url: `${this.apiUrl}/tickets/${ticket.id}.json` };
  }
}

function faultAnswer(fault: ZendeskFault): [number, unknown, Record<string, string>] {
  const headers: Record<string, string> = {};
  const retryAfter = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
  if (fault.status === 429) {
    headers['x-rate-limit'] = '200';
    headers['x-rate-limit-remaining'] = '0';
    if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
    return [429, { error: 'TooManyRequests', description: 'Number of allowed API requests per minute exceeded' }, headers];
  }
  if (fault.status === 503 && fault.retryAfterSeconds !== undefined && fault.retryAfterSeconds !== null) headers['retry-after'] = String(fault.retryAfterSeconds);
  if (fault.status >= 500) return [fault.status, { error: 'ServiceUnavailable', description: 'Zendesk is temporarily unavailable' }, headers];
  return [fault.status, { error: 'Scripted', description: `scripted ${fault.status}` }, headers];
}

function commentEvent(comment: ZendeskComment): Record<string, unknown> {
  return { id: comment.id, type: 'Comment', author_id: comment.author_id, body: comment.body, html_body: comment.html_body, public: comment.public, attachments: [] };
}

function objectField(value: unknown, field: string, missing?: string): Record<string, unknown> {
  const inner = value && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
    if (missing) throw recordInvalid(field, missing);
    throw new HttpError(400, { error: 'InvalidParameter', description: `Parameter ${field} is required and must be an object` });
  }
  return inner as Record<string, unknown>;
}

function optionalString(value: Record<string, unknown>, field: string): string | undefined {
  const inner = value[field];
  if (inner === undefined || inner === null) return undefined;
  if (typeof inner !== 'string') throw recordInvalid(field, `${field}: must be a string`);
  return inner;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}

/**
 * POSTs a webhook delivery to a running server (end-to-end tests), e.g.
 * `postDelivery(`${baseUrl}/plugins/zendesk/webhook`, delivery)`.
 */
export async function postDelivery(url: string, delivery: { headers: Record<string, string>; rawBody: Buffer }): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: new Uint8Array(delivery.rawBody) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
