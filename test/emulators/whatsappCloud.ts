// A loopback stand-in for the WhatsApp Cloud API, for tests that cannot reach
// Meta. It accepts exactly the documented send requests
// (docs/whatsapp.md), answers with Meta's response and error shapes,
// records what it received, can be scripted to fail, and plays Meta's side of
// the webhook: signed inbound messages and delivery statuses, in any order and
// duplicated.
//
//   const wa = await startWhatsAppEmulator();
//   const config = testConfig({ WHATSAPP_API_URL: wa.url, WHATSAPP_PHONE_NUMBER_ID: wa.phoneNumberId,
//                               WHATSAPP_ACCESS_TOKEN: wa.accessToken, WHATSAPP_APP_SECRET: wa.appSecret });
//   await wa.postInbound(`${server}/webhooks/whatsapp`, { type: 'text', text: 'Hi' });
//   wa.script({ code: 130429, times: 2 });                 // next two sends are throttled
//   const [sent] = await wa.waitForSent(1);
//   await wa.postStatus(`${server}/webhooks/whatsapp`, { whatsappId: sent.whatsappId, status: 'read' }, { duplicate: 3 });
//   // 131047 the asynchronous way: accepted now, a failed status later.
//   await wa.postStatus(hook, { whatsappId, status: 'failed', errors: [{ code: 131047 }] });
//   await wa.close();
//
// Deliberately independent of src/whatsapp/cloudApi.ts (its own limit checks),
// so a test of the client against it is not the client agreeing with itself.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signBody } from '../../src/whatsapp/signature.js';
import { MEDIA_ERRORS, createMediaSide, type MediaSide } from './whatsappMedia.js';

// ---------------------------------------------------------------------------
// Meta's errors

interface KnownError {
  httpStatus: number;
  message: string;
  details?: string;
}

/** The error bodies Meta returns for the codes tests script (message and details as Meta words them). */
export const META_ERRORS: Record<number, KnownError> = {
  4: { httpStatus: 400, message: '(#4) Application request limit reached', details: 'The app has reached its API call rate limit.' },
  100: { httpStatus: 400, message: '(#100) Invalid parameter', details: 'Invalid parameter' },
  190: { httpStatus: 401, message: 'Invalid OAuth access token - Cannot parse access token' },
  80007: { httpStatus: 400, message: '(#80007) Rate limit issues', details: 'The WhatsApp Business Account has reached its rate limit.' },
  130429: { httpStatus: 400, message: '(#130429) Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  131000: { httpStatus: 500, message: '(#131000) Something went wrong', details: 'Something went wrong' },
  131016: { httpStatus: 503, message: '(#131016) Service unavailable', details: 'A service is temporarily unavailable.' },
  131026: { httpStatus: 400, message: '(#131026) Message undeliverable', details: 'Message Undeliverable.' },
  131047: {
    httpStatus: 400,
    message: '(#131047) Re-engagement message',
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131056: {
    httpStatus: 400,
    message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  },
};

function fbtraceId(): string {
  return randomBytes(17).toString('base64url').slice(0, 23);
}

/** `{"error": {message, type, code, error_data.details, fbtrace_id}}` as in test/fixtures/whatsapp/error-*.json. */
export function metaErrorBody(code: number, details?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const known = META_ERRORS[code] ?? MEDIA_ERRORS[code];
  const text = details ?? known?.details;
  return {
    error: {
      message: known?.message ?? `(#${code}) Error`,
      type: 'OAuthException',
      code,
      ...extra,
      ...(text !== undefined ? { error_data: { messaging_product: 'whatsapp', details: text } } : {}),
      fbtrace_id: fbtraceId(),
    },
  };
}

/** The title a failed status carries: the error message without its "(#code) " prefix. */
function errorTitle(code: number): string {
  return (META_ERRORS[code]?.message ?? `Error ${code}`).replace(/^\(#\d+\)\s*/, '');
}

/** A fresh id in the `wamid.` form Meta uses (base64 of an opaque blob). */
export function newWamid(): string {
  return `wamid.${Buffer.concat([Buffer.from('HBgLMTY1MDU1NTEyMzQVAgAR', 'base64'), randomBytes(18)]).toString('base64')}`;
}

// ---------------------------------------------------------------------------
// Limits: the same numbers as Meta documents, checked on what arrives.

function length(value: string): number {
  return [...value].length;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a string param; returns Meta-style details when wrong. */
function checkString(value: unknown, param: string, max: number): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `Param ${param} is required`;
  if (length(value) > max) return `Param ${param} must be at most ${max} characters long`;
  return null;
}

function firstProblem(...problems: (string | null)[]): string | null {
  return problems.find((p) => p !== null) ?? null;
}

function checkInteractive(interactive: unknown): string | null {
  if (!isObject(interactive)) return 'Param interactive is required';
  const body = isObject(interactive['body']) ? interactive['body']['text'] : undefined;
  const header = interactive['header'];
  const footer = interactive['footer'];
  const decoration = firstProblem(
    header === undefined ? null : isObject(header) && header['type'] === 'text' ? checkString(header['text'], "interactive['header']['text']", 60) : null,
    footer === undefined ? null : isObject(footer) ? checkString(footer['text'], "interactive['footer']['text']", 60) : 'Param interactive[\'footer\'] must be an object',
  );
  if (decoration) return decoration;
  const action = interactive['action'];
  if (!isObject(action)) return "Param interactive['action'] is required";

  if (interactive['type'] === 'button') {
    const bodyProblem = checkString(body, "interactive['body']['text']", 1024);
    if (bodyProblem) return bodyProblem;
    const buttons = action['buttons'];
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return "Param interactive['action']['buttons'] must have between 1 and 3 elements";
    const titles = new Set<string>();
    for (const [i, button] of buttons.entries()) {
      if (!isObject(button) || button['type'] !== 'reply' || !isObject(button['reply'])) return `Param interactive['action']['buttons'][${i}] must be a reply button`;
      const problem = firstProblem(
        checkString(button['reply']['id'], `interactive['action']['buttons'][${i}]['reply']['id']`, 256),
        checkString(button['reply']['title'], `interactive['action']['buttons'][${i}]['reply']['title']`, 20),
      );
      if (problem) return problem;
      const title = button['reply']['title'] as string;
      if (titles.has(title)) return 'Button title must be unique';
      titles.add(title);
    }
    return null;
  }

  if (interactive['type'] === 'list') {
    const problem = firstProblem(checkString(body, "interactive['body']['text']", 4096), checkString(action['button'], "interactive['action']['button']", 20));
    if (problem) return problem;
    const sections = action['sections'];
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) return "Param interactive['action']['sections'] must have between 1 and 10 elements";
    let rows = 0;
    for (const [s, section] of sections.entries()) {
      if (!isObject(section) || !Array.isArray(section['rows']) || section['rows'].length < 1) return `Param interactive['action']['sections'][${s}]['rows'] is required`;
      if (sections.length > 1 || section['title'] !== undefined) {
        const titleProblem = checkString(section['title'], `interactive['action']['sections'][${s}]['title']`, 24);
        if (titleProblem) return titleProblem;
      }
      for (const [r, row] of section['rows'].entries()) {
        const where = `interactive['action']['sections'][${s}]['rows'][${r}]`;
        if (!isObject(row)) return `Param ${where} must be an object`;
        const rowProblem = firstProblem(
          checkString(row['id'], `${where}['id']`, 200),
          checkString(row['title'], `${where}['title']`, 24),
          row['description'] === undefined ? null : checkString(row['description'], `${where}['description']`, 72),
        );
        if (rowProblem) return rowProblem;
        rows += 1;
      }
    }
    if (rows > 10) return 'Total row count exceed max allowed count: 10';
    return null;
  }
  return `Param interactive['type'] must be one of {button, list}`;
}

/** Meta-style details of what is wrong with a send body, or null. */
function checkSendBody(body: Record<string, unknown>): string | null {
  if (body['messaging_product'] !== 'whatsapp') return 'The parameter messaging_product is required.';
  if (body['recipient_type'] !== undefined && body['recipient_type'] !== 'individual') return 'Param recipient_type must be individual';
  if (typeof body['to'] !== 'string' || !/^\+?[\d\s()-]{5,24}$/.test(body['to'])) return 'Param to must be a phone number';
  const context = body['context'];
  if (context !== undefined && (!isObject(context) || typeof context['message_id'] !== 'string')) return "Param context['message_id'] is required";
  switch (body['type']) {
    case 'text': {
      const text = body['text'];
      if (!isObject(text)) return 'Param text is required';
      if (text['preview_url'] !== undefined && typeof text['preview_url'] !== 'boolean') return "Param text['preview_url'] must be a boolean";
      return checkString(text['body'], "text['body']", 4096);
    }
    case 'interactive':
      return checkInteractive(body['interactive']);
    case 'template': {
      const template = body['template'];
      if (!isObject(template)) return 'Param template is required';
      const language = template['language'];
      return firstProblem(
        checkString(template['name'], "template['name']", 512),
        isObject(language) ? checkString(language['code'], "template['language']['code']", 16) : "Param template['language'] is required",
        template['components'] === undefined || Array.isArray(template['components']) ? null : "Param template['components'] must be an array",
      );
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const kind = body['type'];
      const object = body[kind];
      if (!isObject(object)) return `Param ${kind} is required`;
      if (typeof object['id'] !== 'string' && typeof object['link'] !== 'string') return `Param ${kind}['id'] or ${kind}['link'] is required`;
      if (object['caption'] !== undefined && (kind === 'audio' || kind === 'sticker')) return `Param ${kind}['caption'] is not supported for ${kind}`;
      if (object['filename'] !== undefined && kind !== 'document') return `Param ${kind}['filename'] is only supported for documents`;
      return object['caption'] === undefined ? null : checkString(object['caption'], `${kind}['caption']`, 1024);
    }
    default:
      return `Param type must be one of {text, interactive, template, image, video, audio, document, sticker}`;
  }
}

// ---------------------------------------------------------------------------
// Webhook payloads Meta would post to the desk (test/fixtures/whatsapp/inbound-*.json, status-*.json)

export const DEFAULT_CUSTOMER = { waId: '16505551234', name: 'Sheena Nelson' } as const;
const DISPLAY_PHONE_NUMBER = '15550783881';
const WABA_ID = '102290129340398';

type When = Date | number | undefined;

function unixSeconds(when: When): string {
  const ms = when === undefined ? Date.now() : when instanceof Date ? when.getTime() : when;
  return String(Math.floor(ms / 1000));
}

/** One customer message. `from`, `name`, `id`, `timestamp` (Date or epoch ms) default sensibly; `replyTo` sets context.id. */
export type InboundInput = {
  from?: string;
  /** Profile name in contacts[]; null sends no contact entry for this sender. */
  name?: string | null;
  id?: string;
  timestamp?: Date | number;
  replyTo?: string;
} & (
  | { type: 'text'; text: string }
  | {
      type: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      mediaId?: string;
      mimeType?: string;
      sha256?: string;
      caption?: string;
      filename?: string;
      voice?: boolean;
    }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { type: 'button_reply'; replyId: string; title: string }
  | { type: 'list_reply'; replyId: string; title: string; description?: string }
  | { type: 'button'; payload: string; text: string }
  | { type: 'reaction'; messageId: string; emoji: string }
  /** Anything else (contacts, order, system, unsupported, a future type): `message` is merged over from/id/timestamp/type. */
  | { type: 'raw'; message: Record<string, unknown> }
);

const DEFAULT_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/pdf',
  sticker: 'image/webp',
};

/** The `messages[]` item Meta would send for this input. */
export function inboundMessage(input: InboundInput): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...(input.replyTo !== undefined ? { context: { from: DISPLAY_PHONE_NUMBER, id: input.replyTo } } : {}),
    from: input.from ?? DEFAULT_CUSTOMER.waId,
    id: input.id ?? newWamid(),
    timestamp: unixSeconds(input.timestamp),
  };
  switch (input.type) {
    case 'text':
      return { ...base, type: 'text', text: { body: input.text } };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return {
        ...base,
        type: input.type,
        [input.type]: {
          ...(input.caption !== undefined ? { caption: input.caption } : {}),
          ...(input.filename !== undefined ? { filename: input.filename } : {}),
          mime_type: input.mimeType ?? DEFAULT_MIME[input.type],
          sha256: input.sha256 ?? randomBytes(32).toString('base64'),
          id: input.mediaId ?? String(1_000_000_000_000_000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
          ...(input.voice !== undefined ? { voice: input.voice } : {}),
        },
      };
    case 'location':
      return {
        ...base,
        type: 'location',
        location: {
          latitude: input.latitude,
          longitude: input.longitude,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.address !== undefined ? { address: input.address } : {}),
        },
      };
    case 'button_reply':
      return { ...base, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: input.replyId, title: input.title } } };
    case 'list_reply':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: { id: input.replyId, title: input.title, ...(input.description !== undefined ? { description: input.description } : {}) },
        },
      };
    case 'button':
      return { ...base, type: 'button', button: { payload: input.payload, text: input.text } };
    case 'reaction':
      return { ...base, type: 'reaction', reaction: { message_id: input.messageId, emoji: input.emoji } };
    case 'raw':
      return { ...base, ...input.message };
  }
}

function notification(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA_ID,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** A notification with these messages in one change, contacts[] listing each sender once. */
export function inboundWebhook(phoneNumberId: string, inputs: InboundInput[]): Record<string, unknown> {
  const contacts = new Map<string, string>();
  for (const input of inputs) {
    const from = input.from ?? DEFAULT_CUSTOMER.waId;
    const name = input.name === undefined ? (from === DEFAULT_CUSTOMER.waId ? DEFAULT_CUSTOMER.name : `Customer ${from.slice(-4)}`) : input.name;
    if (name !== null && !contacts.has(from)) contacts.set(from, name);
  }
  return notification(phoneNumberId, {
    contacts: [...contacts].map(([waId, name]) => ({ profile: { name }, wa_id: waId })),
    messages: inputs.map(inboundMessage),
  });
}

export type EmulatedStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'played';

export interface StatusInput {
  whatsappId: string;
  status: EmulatedStatus;
  /** Defaults to the recipient the emulator recorded for this wamid, else the default customer. */
  recipientId?: string;
  timestamp?: Date | number;
  /** For `failed`; defaults to one 131026 (undeliverable). Title and details default to Meta's wording. */
  errors?: { code: number; title?: string; details?: string }[];
}

/** The `statuses[]` item Meta would send (billing objects on sent/delivered, errors on failed). */
export function statusItem(input: StatusInput & { recipientId: string }): Record<string, unknown> {
  const timestamp = unixSeconds(input.timestamp);
  const item: Record<string, unknown> = { id: input.whatsappId, status: input.status, timestamp, recipient_id: input.recipientId };
  if (input.status === 'sent' || input.status === 'delivered') {
    item['conversation'] = {
      id: randomBytes(16).toString('hex'),
      expiration_timestamp: String(Number(timestamp) + 24 * 3600),
      origin: { type: 'service' },
    };
    item['pricing'] = { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
  }
  if (input.status === 'failed') {
    item['errors'] = (input.errors ?? [{ code: 131026 }]).map((e) => {
      const title = e.title ?? errorTitle(e.code);
      const details = e.details ?? META_ERRORS[e.code]?.details;
      return { code: e.code, title, message: title, ...(details !== undefined ? { error_data: { details } } : {}) };
    });
  }
  return item;
}

export function statusWebhook(phoneNumberId: string, statuses: (StatusInput & { recipientId: string })[]): Record<string, unknown> {
  return notification(phoneNumberId, { statuses: statuses.map(statusItem) });
}

export interface WebhookDelivery {
  status: number;
  body: string;
}

export interface PostWebhookOptions {
  /** How many identical copies Meta delivers, all at once (default 1). */
  duplicate?: number;
  /** Override the signature: a string is sent as the header as is (forgery tests), null sends none. */
  signature?: string | null;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** POSTs the exact bytes it signed, as Meta does; one answer per copy, in order. */
export async function postSignedWebhook(url: string, payload: unknown, appSecret: string, options: PostWebhookOptions = {}): Promise<WebhookDelivery[]> {
  const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = options.signature === undefined ? signBody(raw, appSecret) : options.signature;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'facebookexternalua',
    ...(signature !== null ? { 'x-hub-signature-256': signature } : {}),
    ...options.headers,
  };
  const copies = Array.from({ length: options.duplicate ?? 1 }, async () => {
    const response = await fetch(url, { method: 'POST', headers, body: raw });
    return { status: response.status, body: await response.text() };
  });
  return Promise.all(copies);
}

// ---------------------------------------------------------------------------
// The emulator

export interface WhatsAppEmulatorOptions {
  accessToken?: string;
  phoneNumberId?: string;
  /** The WABA whose template catalog GET /{waba-id}/message_templates serves. */
  businessAccountId?: string;
  /** How long a media download URL works (Meta: about 5 minutes). */
  mediaUrlTtlMs?: number;
  appSecret?: string;
  /** Graph API version in the URL path (default v21.0). */
  apiVersion?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  /** What the emulator answered. */
  status: number;
  at: Date;
}

export interface SentMessage {
  whatsappId: string;
  to: string;
  type: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  at: Date;
  /** The client had hung up (timed out) before the answer: Meta kept the message, the sender cannot know it did. */
  unanswered: boolean;
}

export interface ReadReceipt {
  messageId: string;
  at: Date;
}

export interface ScriptedFailure {
  /** Meta error code to answer with (130429, 131047, 131056, 131026, 131000, 190, ...); its HTTP status and wording come from META_ERRORS. */
  code?: number;
  /** HTTP status; without `code` a bare failure (e.g. 503) with a plain-text body, as a proxy would send. */
  httpStatus?: number;
  /** How many matching sends it applies to (default 1; Infinity until `clearScripts`). */
  times?: number;
  /** Only sends to this recipient. */
  to?: string;
  /** Adds a Retry-After header (seconds). */
  retryAfterSeconds?: number;
  /** Wait this long before answering (longer than the client's timeout to test timeouts). Alone, without code or httpStatus: a slow success. */
  delayMs?: number;
  /** Overrides Meta's error_data.details. */
  details?: string;
}

export interface WhatsAppEmulator {
  /** Use as WHATSAPP_API_URL, e.g. http://127.0.0.1:PORT/v21.0. */
  readonly url: string;
  readonly accessToken: string;
  readonly phoneNumberId: string;
  readonly appSecret: string;
  readonly businessAccountId: string;
  /** Media Meta hosts (customers' files, the desk's uploads), the template catalog, and their scripted failures (whatsappMedia.ts). */
  readonly media: MediaSide;
  /** Every request, answered or refused, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Messages accepted (200 with a wamid), in order. */
  readonly sent: SentMessage[];
  /** Mark-as-read calls accepted. */
  readonly reads: ReadReceipt[];
  /** Queues a failure for the next matching sends (mark-as-read is never scripted). Scripts apply in the order queued. */
  script(failure: ScriptedFailure): void;
  clearScripts(): void;
  /** Forgets requests, sent, reads and scripts. */
  reset(): void;
  /** Resolves with `sent` once it holds at least n messages; rejects after timeoutMs (default 5000) saying what did arrive. */
  waitForSent(n: number, timeoutMs?: number): Promise<SentMessage[]>;
  /** Builds, signs and POSTs an inbound notification; returns the wamids used and the answers. */
  postInbound(webhookUrl: string, input: InboundInput | InboundInput[], options?: PostWebhookOptions): Promise<{ ids: string[]; payload: Record<string, unknown>; responses: WebhookDelivery[] }>;
  /** Builds, signs and POSTs a status notification (several statuses batch into one). */
  postStatus(webhookUrl: string, status: StatusInput | StatusInput[], options?: PostWebhookOptions): Promise<WebhookDelivery[]>;
  /** Signs and POSTs any payload (object or exact string) as Meta would. */
  postWebhook(webhookUrl: string, payload: unknown, options?: PostWebhookOptions): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}

/** Uploads go up to WhatsApp's 100 MB documents. */
const MAX_BODY_BYTES = 110 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startWhatsAppEmulator(options: WhatsAppEmulatorOptions = {}): Promise<WhatsAppEmulator> {
  const accessToken = options.accessToken ?? 'emulator-access-token';
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const appSecret = options.appSecret ?? 'emulator-app-secret';
  const apiVersion = options.apiVersion ?? 'v21.0';
  const businessAccountId = options.businessAccountId ?? WABA_ID;
  let baseUrl = '';
  const media = createMediaSide({ baseUrl: () => baseUrl, accessToken, phoneNumberId, wabaId: businessAccountId, urlTtlMs: options.mediaUrlTtlMs });

  const requests: RecordedRequest[] = [];
  const sent: SentMessage[] = [];
  const reads: ReadReceipt[] = [];
  let scripts: (ScriptedFailure & { remaining: number })[] = [];
  const waiters = new Set<(closing?: boolean) => void>();

  function takeScript(to: string): ScriptedFailure | null {
    const found = scripts.find((s) => s.remaining > 0 && (s.to === undefined || s.to === to));
    if (!found) return null;
    found.remaining -= 1;
    scripts = scripts.filter((s) => s.remaining > 0);
    return found;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = new Date();
    const bytes = await readBody(request);
    const multipart = String(request.headers['content-type'] ?? '').startsWith('multipart/');
    const raw = multipart ? `[multipart, ${bytes.length} bytes]` : bytes.toString('utf8');
    let body: unknown = raw;
    let json = false;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
      json = raw !== '';
    } catch {
      // kept as text
    }
    const url = new URL(request.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const record: RecordedRequest = { method: request.method ?? 'GET', path, headers: request.headers, body, status: 0, at };
    requests.push(record);

    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (Buffer.isBuffer(payload)) {
        response.writeHead(status, headers);
        response.end(payload);
        return;
      }
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      response.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json', ...headers });
      response.end(text);
    };

    if (await media.handle(request.method ?? 'GET', path, url.searchParams, request.headers, bytes, answer, metaErrorBody)) return;

    const route = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(path);
    if (!route || request.method !== 'POST') {
      // Graph API's answer to a path it does not serve.
      answer(400, metaErrorBody(2500, undefined, { message: `Unknown path components: ${path}` }));
      return;
    }
    // Meta checks the token before anything else.
    if (request.headers.authorization !== `Bearer ${accessToken}`) {
      answer(401, metaErrorBody(190));
      return;
    }
    if (route[2] !== phoneNumberId) {
      answer(
        400,
        metaErrorBody(100, undefined, {
          message: `Unsupported post request. Object with ID '${decodeURIComponent(route[2]!)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          error_subcode: 33,
        }),
      );
      return;
    }
    if (!json || !isObject(body)) {
      answer(400, metaErrorBody(100, 'The request body is not a JSON object.'));
      return;
    }

    if (body['status'] === 'read') {
      if (body['messaging_product'] !== 'whatsapp' || typeof body['message_id'] !== 'string' || !body['message_id'].startsWith('wamid.')) {
        answer(400, metaErrorBody(100, 'Param message_id must be a valid WhatsApp message id'));
        return;
      }
      reads.push({ messageId: body['message_id'], at });
      answer(200, { success: true });
      return;
    }

    const problem = checkSendBody(body);
    if (problem) {
      answer(400, metaErrorBody(100, problem));
      return;
    }
    const kind = body['type'] as string;
    const mediaObject = isObject(body[kind]) ? (body[kind] as Record<string, unknown>) : null;
    if (mediaObject && typeof mediaObject['id'] === 'string' && !media.knows(mediaObject['id'])) {
      answer(400, metaErrorBody(131053, `Media id ${mediaObject['id']} was not uploaded to this number`));
      return;
    }
    if (kind === 'template') {
      const refused = media.checkTemplateSend(body['template'] as Record<string, unknown>);
      if (refused) {
        answer(MEDIA_ERRORS[refused.code]?.httpStatus ?? 400, metaErrorBody(refused.code, refused.details));
        return;
      }
    }
    const to = body['to'] as string;
    const failure = takeScript(to);
    // A slow success still counts as sent even when the client gave up waiting: Meta keeps what it accepted.
    if (failure?.delayMs) await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
    if (failure && (failure.code !== undefined || failure.httpStatus !== undefined)) {
      const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      if (failure.code === undefined) answer(failure.httpStatus!, `${failure.httpStatus} Service Unavailable`, headers);
      else answer(failure.httpStatus ?? META_ERRORS[failure.code]?.httpStatus ?? 400, metaErrorBody(failure.code, failure.details), headers);
      return;
    }

    const whatsappId = newWamid();
    sent.push({ whatsappId, to, type: body['type'] as string, body, headers: request.headers, at, unanswered: request.socket.destroyed || response.destroyed });
    for (const wake of [...waiters]) wake();
    answer(200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }],
      // Templates also report their pacing state.
      messages: [body['type'] === 'template' ? { id: whatsappId, message_status: 'accepted' } : { id: whatsappId }],
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/${apiVersion}`;

  const recipientOf = (whatsappId: string): string => sent.find((s) => s.whatsappId === whatsappId)?.to ?? DEFAULT_CUSTOMER.waId;
  const postWebhook = (webhookUrl: string, payload: unknown, postOptions?: PostWebhookOptions) => postSignedWebhook(webhookUrl, payload, appSecret, postOptions);

  return {
    url: baseUrl,
    accessToken,
    phoneNumberId,
    appSecret,
    businessAccountId,
    media,
    requests,
    sent,
    reads,
    script(failure) {
      scripts.push({ ...failure, remaining: failure.times ?? 1 });
    },
    clearScripts() {
      scripts = [];
    },
    reset() {
      requests.length = 0;
      sent.length = 0;
      reads.length = 0;
      scripts = [];
      media.reset();
    },
    waitForSent(n, timeoutMs = 5000) {
      if (sent.length >= n) return Promise.resolve(sent);
      return new Promise((resolve, reject) => {
        const wake = (closing = false) => {
          if (sent.length < n && !closing) return;
          clearTimeout(timer);
          waiters.delete(wake);
          if (sent.length >= n) resolve(sent);
          else reject(new Error(`WhatsApp emulator closed while waiting for ${n} sent messages (got ${sent.length})`));
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen = requests.map((r) => `${r.method} ${r.path} → ${r.status}`).join(', ') || 'no requests';
          reject(new Error(`WhatsApp emulator: expected ${n} sent messages within ${timeoutMs} ms, got ${sent.length} (${seen})`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    async postInbound(webhookUrl, input, postOptions) {
      const inputs = (Array.isArray(input) ? input : [input]).map((i) => ({ ...i, id: i.id ?? newWamid() }));
      const payload = inboundWebhook(phoneNumberId, inputs);
      const responses = await postWebhook(webhookUrl, payload, postOptions);
      return { ids: inputs.map((i) => i.id), payload, responses };
    },
    postStatus(webhookUrl, status, postOptions) {
      const statuses = (Array.isArray(status) ? status : [status]).map((s) => ({ ...s, recipientId: s.recipientId ?? recipientOf(s.whatsappId) }));
      return postWebhook(webhookUrl, statusWebhook(phoneNumberId, statuses), postOptions);
    },
    postWebhook,
    async close() {
      for (const wake of [...waiters]) wake(true);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
