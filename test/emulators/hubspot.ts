// A loopback HubSpot API for tests (the requests plugins/hubspot/client.ts makes, answered in HubSpot's documented shapes).
//
// It accepts exactly the documented requests (Bearer private-app token; the
// contact search, contact / ticket / communication / note creation with
// HUBSPOT_DEFINED association type ids checked against the object types they
// join; ticket stage moves; the custom-channel message status report), answers
// with HubSpot's shapes and error shapes ({status:"error", message, category,
// correlationId}; 409 "Existing ID: 123"; 429 RATE_LIMIT with a policyName and
// no Retry-After), keeps every object and association for assertions, models
// search's eventual consistency, and can be scripted to fail. It also plays the
// HubSpot side of the webhooks, signed with v3.
//
//   const hubspot = await HubSpotEmulator.start();
//   const plugin = await startPlugin(hubspotPlugin, hubspot.pluginEnv());
//   hubspot.inject({ status: 429, times: 1, policyName: 'TEN_SECONDLY_ROLLING' });
//   const closed = hubspot.moveTicket(ticketId, '4');          // {headers, rawBody}
//   const reply = hubspot.agentChannelReply({ phone: '+15551234567', text: 'Hi!' });
//   await plugin.request({ path: '/webhook', ...closed });
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSchedule, pathMatches, type ScriptedFault } from './faults.js';

export type ObjectType = 'contacts' | 'tickets' | 'communications' | 'notes';

export interface CrmObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: false;
}

export interface AssociationRecord {
  fromType: ObjectType;
  fromId: string;
  toType: ObjectType;
  toId: string;
  associationTypeId: number;
}

export interface ChannelMessage {
  id: string;
  channelId: string;
  threadId: string;
  text: string;
  recipientPhone: string;
  /** Every statusType the integrator reported, in order. */
  statuses: { statusType: string; errorMessage: string | null }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  at: number;
}

/** A scripted failure (see ScriptedFault) with what this vendor's answer may vary. */
export interface HubSpotFault extends ScriptedFault {
  /** For 429: which window ran out. Default TEN_SECONDLY_ROLLING. */
  policyName?: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';
}

export interface WebhookDelivery {
  headers: Record<string, string>;
  rawBody: Buffer;
  payload: unknown;
}

export interface HubSpotEmulatorOptions {
  accessToken?: string;
  clientSecret?: string;
  /** The public URL HubSpot is told to call (signed into v3 signatures). */
  webhookUrl?: string;
  portalId?: number;
  channelId?: string;
  /** Objects created less than this long ago are not found by search yet (HubSpot's search is eventually consistent). */
  searchLagMs?: number;
  /**
   * Contact properties that must be unique. HubSpot enforces email; a portal can
   * add unique-value properties, and the emulator makes phone one by default so
   * that a search miss shows as a 409 "Existing ID" instead of a silent duplicate.
   */
  uniqueContactProperties?: string[];
  /** Scopes the private app lacks: object types whose calls answer 403 MISSING_SCOPES. */
  missingScopes?: ObjectType[];
}

/** HUBSPOT_DEFINED association types the emulator knows: from type → type id → to type. */
const ASSOCIATION_TYPES: Record<ObjectType, Record<number, ObjectType>> = {
  contacts: {},
  tickets: { 16: 'contacts' },
  communications: { 81: 'contacts', 83: 'tickets' },
  notes: { 202: 'contacts', 228: 'tickets' },
};

const PIPELINES: Record<string, string[]> = { '0': ['1', '2', '3', '4'] };
const SEARCH_OPERATORS = ['EQ', 'NEQ', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const validation = (message: string) => new HttpError(400, 'VALIDATION_ERROR', message);

export class HubSpotEmulator {
  readonly accessToken: string;
  readonly clientSecret: string;
  readonly webhookUrl: string;
  readonly portalId: number;
  readonly channelId: string;
  readonly objects: Record<ObjectType, Map<string, CrmObject>> = {
    contacts: new Map(),
    tickets: new Map(),
    communications: new Map(),
    notes: new Map(),
  };
  readonly associations: AssociationRecord[] = [];
  readonly channelMessages = new Map<string, ChannelMessage>();
  readonly requests: RecordedRequest[] = [];
  searchLagMs: number;

  private readonly uniqueContactProperties: string[];
  private readonly missingScopes: Set<ObjectType>;
  private readonly faults = new FaultSchedule<HubSpotFault>();
  private nextId = 501;
  private nextEventId = 1_000;
  private server: Server | null = null;
  private baseUrl = '';

  private constructor(options: HubSpotEmulatorOptions) {
    this.accessToken = options.accessToken ?? 'pat-na1-test-token';
    this.clientSecret = options.clientSecret ?? 'hubspot-client-secret';
    this.webhookUrl = options.webhookUrl ?? 'https://desk.example.com/plugins/hubspot/webhook';
    this.portalId = options.portalId ?? 62515;
    this.channelId = options.channelId ?? '1001';
    this.searchLagMs = options.searchLagMs ?? 0;
    this.uniqueContactProperties = options.uniqueContactProperties ?? ['email', 'phone'];
    this.missingScopes = new Set(options.missingScopes ?? []);
  }

  static async start(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
    const emulator = new HubSpotEmulator(options);
    const server = createServer((req, res) => {
      emulator.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', message: String(error), category: 'INTERNAL_ERROR', correlationId: randomUUID() }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator.server = server;
    emulator.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return emulator;
  }

  get apiUrl(): string {
    return this.baseUrl;
  }

  /** The plugin's settings pointing at this emulator. */
  pluginEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      HUBSPOT_API_URL: this.apiUrl,
      HUBSPOT_ACCESS_TOKEN: this.accessToken,
      HUBSPOT_CLIENT_SECRET: this.clientSecret,
      HUBSPOT_WEBHOOK_URL: this.webhookUrl,
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

  // ---- scripting and seeding ---------------------------------------------

  inject(fault: HubSpotFault): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** A contact that already exists in the portal (created `ageMs` ago, so search may or may not see it). */
  seedContact(properties: Record<string, string>, ageMs = 60_000): CrmObject {
    return this.insert('contacts', properties, new Date(Date.now() - ageMs));
  }

  // ---- assertions ------------------------------------------------------

  associationsFrom(type: ObjectType, id: string): AssociationRecord[] {
    return this.associations.filter((association) => association.fromType === type && association.fromId === id);
  }

  /** Objects of `type` associated (in either direction) with the given object. */
  associated(type: ObjectType, withType: ObjectType, withId: string): CrmObject[] {
    const ids = new Set(
      this.associations
        .filter(
          (a) =>
            (a.fromType === type && a.toType === withType && a.toId === withId) || (a.toType === type && a.fromType === withType && a.fromId === withId),
        )
        .map((a) => (a.fromType === type ? a.fromId : a.toId)),
    );
    return [...this.objects[type].values()].filter((object) => ids.has(object.id));
  }

  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && pathMatches(path, request.path));
  }

  // ---- the HubSpot side of the webhooks ------------------------------------

  /** Someone moves the ticket to a stage in HubSpot: its ticket.propertyChange delivery (an array of one event). */
  moveTicket(ticketId: string, stageId: string, options: { eventId?: number; changeSource?: string; timestamp?: number } = {}): WebhookDelivery {
    const ticket = this.objects.tickets.get(ticketId);
    if (!ticket) throw new Error(`no ticket ${ticketId} in the HubSpot emulator`);
    ticket.properties['hs_pipeline_stage'] = stageId;
    ticket.updatedAt = new Date().toISOString();
    return this.signedWebhook([this.propertyChangeEvent(ticketId, 'hs_pipeline_stage', stageId, options)], options);
  }

  propertyChangeEvent(objectId: string, propertyName: string, propertyValue: string, options: { eventId?: number; changeSource?: string } = {}): Record<string, unknown> {
    return {
      eventId: options.eventId ?? this.nextEventId++,
      subscriptionId: 2_345_678,
      portalId: this.portalId,
      appId: 1_234_567,
      occurredAt: Date.now(),
      subscriptionType: 'ticket.propertyChange',
      attemptNumber: 0,
      objectId: Number(objectId),
      propertyName,
      propertyValue,
      changeSource: options.changeSource ?? 'CRM_UI',
      sourceId: 'userId:12345',
    };
  }

  /** An agent answers in HubSpot's inbox on the custom channel: the OUTGOING_CHANNEL_MESSAGE_CREATED delivery. */
  agentChannelReply(input: { phone: string; text: string; threadId?: string; senderName?: string; timestamp?: number; withChannelId?: boolean }): WebhookDelivery & {
    message: ChannelMessage;
  } {
    const message: ChannelMessage = {
      id: randomUUID(),
      channelId: this.channelId,
      threadId: input.threadId ?? `thread-${input.phone.replace(/\D/g, '')}`,
      text: input.text,
      recipientPhone: input.phone,
      statuses: [],
    };
    this.channelMessages.set(message.id, message);
    const payload = {
      type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
      portalId: this.portalId,
      ...(input.withChannelId === false ? {} : { channelId: Number(this.channelId) }),
      channelAccountId: 7001,
      channelIntegrationThreadIds: [message.threadId],
      message: {
        id: message.id,
        type: 'MESSAGE',
        conversationsThreadId: '5551001',
        createdAt: new Date().toISOString(),
        createdBy: 'A-12345',
        senders: [{ actorId: 'A-12345', name: input.senderName ?? 'Hana HubSpot', senderField: 'FROM' }],
        recipients: [{ deliveryIdentifier: { type: 'HS_PHONE_NUMBER', value: input.phone }, recipientField: 'TO' }],
        text: input.text,
        richText: `<p>${input.text}</p>`,
        direction: 'OUTGOING',
        truncationStatus: 'NOT_TRUNCATED',
      },
    };
    return { ...this.signedWebhook(payload, { timestamp: input.timestamp }), message };
  }

  /**
   * Signs a body with v3: base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp)).
   * Override `timestamp`, `secret` or `uri` to forge stale or wrongly signed deliveries.
   */
  signedWebhook(payload: unknown, options: { timestamp?: number; secret?: string; uri?: string; method?: string } = {}): WebhookDelivery {
    const rawBody = Buffer.from(JSON.stringify(payload));
    const timestamp = String(options.timestamp ?? Date.now());
    const signature = createHmac('sha256', options.secret ?? this.clientSecret)
      .update(`${options.method ?? 'POST'}${options.uri ?? this.webhookUrl}`)
      .update(rawBody)
      .update(timestamp)
      .digest('base64');
    return {
      payload,
      rawBody,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
        'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/)',
      },
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
    const record: RecordedRequest = { method, path: url.pathname, headers: req.headers, body, status: 0, at: Date.now() };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };

    const fault = this.faults.take(method, url.pathname);
    if (fault && !fault.loseAnswer) return send(...faultAnswer(fault));

    let answer: [number, unknown, Record<string, string>];
    try {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
        throw new HttpError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');
      }
      if (bodyError) throw new HttpError(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1');
      if ((method === 'POST' || method === 'PATCH') && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new HttpError(415, 'VALIDATION_ERROR', 'Content-Type must be application/json');
      }
      answer = this.route(method, url.pathname, body);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      answer = [error.status, { status: 'error', message: error.message, correlationId: randomUUID(), category: error.category, ...error.extra }, {}];
    }
    if (fault) return send(...faultAnswer(fault));
    send(...answer);
  }

  private route(method: string, path: string, body: unknown): [number, unknown, Record<string, string>] {
    const objects = /^\/crm\/v3\/objects\/(contacts|tickets|communications|notes)(?:\/(search|[^/]+))?$/.exec(path);
    if (objects) {
      const type = objects[1] as ObjectType;
      if (this.missingScopes.has(type)) {
        throw new HttpError(403, 'MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call.", {
          errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [`crm.objects.${type}.write`] } }],
        });
      }
      const sub = objects[2];
      if (method === 'POST' && sub === 'search') return [200, this.search(type, body), {}];
      if (method === 'POST' && sub === undefined) return [201, this.create(type, body), {}];
      if (method === 'PATCH' && sub !== undefined && sub !== 'search') return [200, this.update(type, sub, body), {}];
      if (method === 'GET' && sub !== undefined && sub !== 'search') return [200, this.mustFind(type, sub), {}];
    }
    const channel = /^\/conversations\/v3\/custom-channels\/([^/]+)\/messages\/([^/]+)$/.exec(path);
    if (channel && method === 'PATCH') return [200, this.reportStatus(decodeURIComponent(channel[1]!), decodeURIComponent(channel[2]!), body), {}];
    throw new HttpError(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${path}`);
  }

  private create(type: ObjectType, body: unknown): CrmObject {
    const properties = propertiesOf(body);
    const associations = this.parseAssociations(type, (body as { associations?: unknown }).associations);
    if (type === 'contacts') {
      for (const unique of this.uniqueContactProperties) {
        const value = properties[unique];
        if (!value) continue;
        const existing = [...this.objects.contacts.values()].find((contact) => contact.properties[unique] === value);
        if (existing) throw new HttpError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
      }
    }
    if (type === 'tickets') {
      for (const required of ['subject', 'hs_pipeline', 'hs_pipeline_stage']) {
        if (!properties[required]) throw validation(`Property values were not valid: required property "${required}" is missing`);
      }
      this.checkStage(properties['hs_pipeline']!, properties['hs_pipeline_stage']!);
      const priority = properties['hs_ticket_priority'];
      if (priority !== undefined && !['LOW', 'MEDIUM', 'HIGH', 'URGENT'].includes(priority)) throw validation(`Property values were not valid: ${priority} is not a valid hs_ticket_priority`);
    }
    if (type === 'communications') {
      const channel = properties['hs_communication_channel_type'];
      if (!channel || !['WHATS_APP', 'LINKEDIN_MESSAGE', 'SMS'].includes(channel)) throw validation(`Property values were not valid: hs_communication_channel_type "${channel ?? ''}"`);
      if (properties['hs_communication_logged_from'] !== 'CRM') throw validation('Property values were not valid: hs_communication_logged_from must be CRM');
      if (!properties['hs_communication_body']) throw validation('Property values were not valid: hs_communication_body is required');
      checkTimestamp(properties['hs_timestamp']);
    }
    if (type === 'notes') {
      if (!properties['hs_note_body']) throw validation('Property values were not valid: hs_note_body is required');
      checkTimestamp(properties['hs_timestamp']);
    }
    const object = this.insert(type, properties, new Date());
    for (const association of associations) this.associations.push({ fromType: type, fromId: object.id, ...association });
    return object;
  }

  private update(type: ObjectType, id: string, body: unknown): CrmObject {
    const object = this.mustFind(type, id);
    const properties = propertiesOf(body);
    if (type === 'tickets' && properties['hs_pipeline_stage'] !== undefined) {
      this.checkStage(properties['hs_pipeline'] ?? object.properties['hs_pipeline'] ?? '0', properties['hs_pipeline_stage']);
    }
    Object.assign(object.properties, properties);
    object.updatedAt = new Date().toISOString();
    object.properties['hs_lastmodifieddate'] = object.updatedAt;
    return object;
  }

  private search(type: ObjectType, body: unknown): unknown {
    const input = (body ?? {}) as { filterGroups?: unknown; properties?: unknown; limit?: unknown };
    if (!Array.isArray(input.filterGroups) || input.filterGroups.length > 5) throw validation('filterGroups must be a list of at most 5 groups');
    const groups = input.filterGroups.map((group: unknown) => {
      const filters = (group as { filters?: unknown } | null)?.filters;
      if (!Array.isArray(filters) || filters.length === 0 || filters.length > 6) throw validation('each filter group needs 1 to 6 filters');
      return filters.map((filter: unknown) => {
        const { propertyName, operator, value } = (filter ?? {}) as Record<string, unknown>;
        if (typeof propertyName !== 'string' || typeof operator !== 'string' || !SEARCH_OPERATORS.includes(operator)) {
          throw validation(`Invalid filter: ${JSON.stringify(filter)}`);
        }
        if (!operator.includes('HAS_PROPERTY') && typeof value !== 'string') throw validation(`Filter value for ${propertyName} must be a string`);
        return { propertyName, operator, value: value as string | undefined };
      });
    });
    if (input.properties !== undefined && (!Array.isArray(input.properties) || input.properties.some((p) => typeof p !== 'string'))) {
      throw validation('properties must be a list of property names');
    }
    const limit = input.limit === undefined ? 10 : Number(input.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw validation('limit must be 1 to 200');
    const visibleBefore = Date.now() - this.searchLagMs;
    const matches = [...this.objects[type].values()].filter(
      (object) =>
        Date.parse(object.createdAt) <= visibleBefore &&
        groups.some((filters) => filters.every((filter) => matchesFilter(object.properties[filter.propertyName], filter.operator, filter.value))),
    );
    const wanted = (input.properties as string[] | undefined) ?? [];
    return {
      total: matches.length,
      results: matches.slice(0, limit).map((object) => ({
        id: object.id,
        properties: Object.fromEntries([...wanted, 'hs_object_id', 'createdate', 'hs_lastmodifieddate'].map((name) => [name, object.properties[name] ?? null])),
        createdAt: object.createdAt,
        updatedAt: object.updatedAt,
        archived: false,
      })),
    };
  }

  private reportStatus(channelId: string, messageId: string, body: unknown): unknown {
    const message = this.channelMessages.get(messageId);
    if (!message || message.channelId !== channelId) throw new HttpError(404, 'OBJECT_NOT_FOUND', `Message ${messageId} not found on channel ${channelId}`);
    const { statusType, errorMessage } = (body ?? {}) as { statusType?: unknown; errorMessage?: unknown };
    if (typeof statusType !== 'string' || !['SENT', 'FAILED', 'READ'].includes(statusType)) throw validation('statusType must be SENT, FAILED or READ');
    if (errorMessage !== undefined && typeof errorMessage !== 'string') throw validation('errorMessage must be a string');
    message.statuses.push({ statusType, errorMessage: (errorMessage as string | undefined) ?? null });
    return {
      id: message.id,
      channelId: message.channelId,
      type: 'MESSAGE',
      text: message.text,
      direction: 'OUTGOING',
      status: { statusType, ...(errorMessage ? { failureDetails: { errorMessage } } : {}) },
      updatedAt: new Date().toISOString(),
    };
  }

  private parseAssociations(type: ObjectType, value: unknown): Omit<AssociationRecord, 'fromType' | 'fromId'>[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw validation('associations must be a list');
    const result: Omit<AssociationRecord, 'fromType' | 'fromId'>[] = [];
    for (const entry of value) {
      const toId = (entry as { to?: { id?: unknown } } | null)?.to?.id;
      const types = (entry as { types?: unknown } | null)?.types;
      if (typeof toId !== 'string' && typeof toId !== 'number') throw validation('association to.id is required');
      if (!Array.isArray(types) || types.length === 0) throw validation('association types are required');
      for (const spec of types) {
        const { associationCategory, associationTypeId } = (spec ?? {}) as Record<string, unknown>;
        if (associationCategory !== 'HUBSPOT_DEFINED') throw validation(`associationCategory ${String(associationCategory)} is not HUBSPOT_DEFINED`);
        const toType = typeof associationTypeId === 'number' ? ASSOCIATION_TYPES[type][associationTypeId] : undefined;
        if (!toType) throw validation(`${String(associationTypeId)} is not a valid association type id from ${type}`);
        if (!this.objects[toType].has(String(toId))) throw validation(`One or more association targets do not exist: ${toType} ${String(toId)}`);
        result.push({ toType, toId: String(toId), associationTypeId: associationTypeId as number });
      }
    }
    return result;
  }

  private checkStage(pipeline: string, stage: string): void {
    const stages = PIPELINES[pipeline];
    if (!stages) throw validation(`Property values were not valid: pipeline ${pipeline} does not exist`);
    if (!stages.includes(stage)) throw validation(`Property values were not valid: ${stage} is not a valid pipeline stage of pipeline ${pipeline}`);
  }

  private insert(type: ObjectType, properties: Record<string, string>, at: Date): CrmObject {
    const id = String(this.nextId++);
    const stamp = at.toISOString();
    const object: CrmObject = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: stamp, hs_lastmodifieddate: stamp },
      createdAt: stamp,
      updatedAt: stamp,
      archived: false,
    };
    this.objects[type].set(id, object);
    return object;
  }

  private mustFind(type: ObjectType, id: string): CrmObject {
    const object = this.objects[type].get(id);
    if (!object) throw new HttpError(404, 'OBJECT_NOT_FOUND', 'resource not found');
    return object;
  }
}

function propertiesOf(body: unknown): Record<string, string> {
  const properties = (body as { properties?: unknown } | null)?.properties;
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) throw validation('properties must be an object');
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value !== 'string') throw validation(`Property values were not valid: ${name} must be sent as a string`);
  }
  return properties as Record<string, string>;
}

function checkTimestamp(value: string | undefined): void {
  if (!value || (Number.isNaN(Date.parse(value)) && !/^\d+$/.test(value))) throw validation('Property values were not valid: hs_timestamp must be a date');
}

function matchesFilter(actual: string | undefined, operator: string, value: string | undefined): boolean {
  switch (operator) {
    case 'EQ':
      return actual !== undefined && actual.toLowerCase() === value?.toLowerCase();
    case 'NEQ':
      return actual?.toLowerCase() !== value?.toLowerCase();
    case 'CONTAINS_TOKEN':
      return actual !== undefined && value !== undefined && actual.toLowerCase().split(/[^a-z0-9]+/).includes(value.toLowerCase());
    case 'NOT_CONTAINS_TOKEN':
      return !(actual !== undefined && value !== undefined && actual.toLowerCase().split(/[^a-z0-9]+/).includes(value.toLowerCase()));
    case 'HAS_PROPERTY':
      return actual !== undefined;
    case 'NOT_HAS_PROPERTY':
      return actual === undefined;
    default:
      return false;
  }
}

function faultAnswer(fault: HubSpotFault): [number, unknown, Record<string, string>] {
  const correlationId = randomUUID();
  if (fault.status === 429) {
    const policyName = fault.policyName ?? 'TEN_SECONDLY_ROLLING';
    // No Retry-After: HubSpot leaves the schedule to the caller.
    return [
      429,
      { status: 'error', message: `You have reached your ${policyName.toLowerCase()} limit.`, errorType: 'RATE_LIMIT', correlationId, policyName, groupName: 'publicapi:private-app' },
      { 'x-hubspot-ratelimit-max': '100', 'x-hubspot-ratelimit-remaining': '0', 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
    ];
  }
  if (fault.status >= 500) return [fault.status, { status: 'error', message: 'internal error', correlationId, category: 'INTERNAL_ERROR' }, {}];
  const category = fault.status === 401 ? 'INVALID_AUTHENTICATION' : fault.status === 403 ? 'MISSING_SCOPES' : 'VALIDATION_ERROR';
  return [fault.status, { status: 'error', message: `scripted ${fault.status}`, correlationId, category }, {}];
}

/**
 * POSTs a webhook delivery to a running server (end-to-end tests), e.g.
 * `postDelivery(`${baseUrl}/plugins/hubspot/webhook`, delivery)`.
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
