// The HubSpot CRM calls the plugin makes, with HubSpot's answers turned into
// the outbox's language. HubSpot sends no Retry-After on 429: the body's
// policyName says which window was exhausted, and we wait for that window.
import { z } from 'zod';
import { PermanentDeliveryError, RetryLaterError, type HttpResponse, type PluginHttpClient } from '../../src/plugins/contract.js';

export interface HubSpotSettings {
  apiUrl: string;
  accessToken: string;
}

/** How long to wait after a 429, by HubSpot's rate-limit policy name. */
export const RATE_LIMIT_WAIT_MS: Record<string, number> = {
  TEN_SECONDLY_ROLLING: 10_000,
  // CRM search has its own 5 requests/second window.
  SECONDLY: 1_000,
  DAILY: 60 * 60_000,
};
const UNKNOWN_POLICY_WAIT_MS = 10_000;

/** HubSpot association type ids (HUBSPOT_DEFINED) the plugin uses. */
export const ASSOCIATION = {
  ticketToContact: 16,
  communicationToContact: 81,
  communicationToTicket: 83,
  noteToTicket: 228,
} as const;

export interface Association {
  to: { id: string };
  types: { associationCategory: 'HUBSPOT_DEFINED'; associationTypeId: number }[];
}

export const associate = (id: string, associationTypeId: number): Association => ({
  to: { id },
  types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId }],
});

const createdSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String) });
const searchSchema = z.object({ total: z.number().optional(), results: z.array(createdSchema) });

type ObjectType = 'contacts' | 'tickets' | 'communications' | 'notes';

export class HubSpotClient {
  constructor(
    private readonly http: PluginHttpClient,
    private readonly settings: HubSpotSettings,
  ) {}

  /** Search is eventually consistent: a contact created seconds ago may not be found yet (the 409 on create covers that). */
  async findContactByPhone(phone: string): Promise<string | null> {
    const response = await this.call('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [
        { filters: [{ propertyName: 'phone', operator: 'EQ', value: phone }] },
        { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: phone }] },
      ],
      properties: ['firstname', 'phone', 'mobilephone'],
      limit: 1,
    });
    return parse(searchSchema, response.body, 'contact search answer').results[0]?.id ?? null;
  }

  /** Creates the contact; a 409 "Existing ID: 123" means it exists already, and that id is the answer. */
  async createContact(properties: Record<string, string>): Promise<string> {
    const response = await this.call('POST', '/crm/v3/objects/contacts', { properties }, { acceptConflict: true });
    if (response.status === 409) {
      const existing = /Existing ID:\s*(\d+)/.exec(errorMessage(response));
      if (existing?.[1]) return existing[1];
      throw new PermanentDeliveryError(`HubSpot POST /crm/v3/objects/contacts conflict without an existing id: ${describeError(response)}`);
    }
    return parse(createdSchema, response.body, 'contact').id;
  }

  async createObject(type: Exclude<ObjectType, 'contacts'>, properties: Record<string, string>, associations: Association[]): Promise<string> {
    const response = await this.call('POST', `/crm/v3/objects/${type}`, { properties, associations });
    return parse(createdSchema, response.body, type.slice(0, -1)).id;
  }

  async updateObject(type: ObjectType, id: string, properties: Record<string, string>): Promise<void> {
    await this.call('PATCH', `/crm/v3/objects/${type}/${encodeURIComponent(id)}`, { properties });
  }

  /** First object of `type` whose `property` contains `token` as a word. */
  async findObjectByToken(type: ObjectType, property: string, token: string): Promise<string | null> {
    const response = await this.call('POST', `/crm/v3/objects/${type}/search`, {
      filterGroups: [{ filters: [{ propertyName: property, operator: 'CONTAINS_TOKEN', value: token }] }],
      properties: [property],
      limit: 1,
    });
    return parse(searchSchema, response.body, `${type} search answer`).results[0]?.id ?? null;
  }

  /** Tells HubSpot's inbox whether a custom-channel message reached the customer. */
  async reportChannelMessage(channelId: string, messageId: string, statusType: 'SENT' | 'FAILED', errorMessage?: string): Promise<void> {
    await this.call('PATCH', `/conversations/v3/custom-channels/${encodeURIComponent(channelId)}/messages/${encodeURIComponent(messageId)}`, {
      statusType,
      ...(errorMessage ? { errorMessage } : {}),
    });
  }

  private async call(method: 'POST' | 'PATCH', path: string, json: unknown, options: { acceptConflict?: boolean } = {}): Promise<HttpResponse> {
    const what = `HubSpot ${method} ${path}`;
    let response: HttpResponse;
    try {
      response = await this.http.request({ method, url: `${this.settings.apiUrl}${path}`, headers: { authorization: `Bearer ${this.settings.accessToken}` }, json });
    } catch (error) {
      throw new RetryLaterError(`${what} unreachable: ${(error as Error).message}`);
    }
    if ((response.status >= 200 && response.status < 300) || (response.status === 409 && options.acceptConflict)) return response;
    if (response.status === 429) {
      const policy = String((response.body as { policyName?: unknown } | null)?.policyName ?? 'unknown');
      throw new RetryLaterError(`${what} rate limited (429, policy ${policy})`, RATE_LIMIT_WAIT_MS[policy] ?? UNKNOWN_POLICY_WAIT_MS);
    }
    if (response.status >= 500) throw new RetryLaterError(`${what} failed with ${response.status}: ${describeError(response)}`);
    if (response.status === 401) {
      throw new PermanentDeliveryError(`${what}: HubSpot rejected the access token (401); check HUBSPOT_ACCESS_TOKEN: ${describeError(response)}`);
    }
    if (response.status === 403) {
      throw new PermanentDeliveryError(`${what}: the HubSpot app lacks a required scope (403): ${describeError(response)}`);
    }
    throw new PermanentDeliveryError(`${what} rejected with ${response.status}: ${describeError(response)}`);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`HubSpot answered with an unexpected ${what}: ${result.error.issues[0]?.message ?? ''}`);
  return result.data;
}

function errorMessage(response: HttpResponse): string {
  const message = (response.body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : response.text;
}

/** HubSpot errors: {"status":"error","message","category","correlationId"}. */
export function describeError(response: HttpResponse): string {
  const body = response.body as { message?: unknown; category?: unknown; correlationId?: unknown } | null;
  if (!body || typeof body !== 'object') return response.text.slice(0, 200) || 'no details';
  const parts = [body.category, body.message].filter((part): part is string => typeof part === 'string');
  if (typeof body.correlationId === 'string') parts.push(`correlationId ${body.correlationId}`);
  return parts.join(': ') || 'no details';
}
