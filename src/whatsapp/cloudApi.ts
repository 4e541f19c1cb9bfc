// The Cloud API client: POST {apiUrl}/{phone-number-id}/messages.
//
// Request bodies are built by pure functions (textMessage, buttonsMessage,
// listMessage, templateMessage) that enforce Meta's documented limits first,
// so a mutation can reject bad input with BAD_USER_INPUT before anything is
// queued, and the outbox can store the built body as its job payload and hand
// it to `sendMessage` later. Failures come back as WhatsAppApiError with a
// `kind` that tells the outbox whether and how to retry
// (docs/whatsapp.md, "Errors").
import { characterCount, isBlank } from '../domain/text.js';
import { z } from 'zod';
import { parseRetryAfter } from '../http/headerValues.js';
import type { MediaKind } from '../domain/media.js';
import type { MessageError } from '../domain/model.js';

// ---------------------------------------------------------------------------
// Errors

/** The input breaks one of Meta's documented limits; nothing was sent. */
export class WhatsAppInputError extends Error {
  constructor(
    message: string,
    /** Which input it is about, e.g. `buttons[1].title`. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'WhatsAppInputError';
  }
}

/** Sending needs settings that are not configured. */
export class WhatsAppNotConfiguredError extends Error {
  constructor(readonly missing: string[]) {
    super(`WhatsApp sending is not configured: set ${missing.join(' and ')}`);
    this.name = 'WhatsAppNotConfiguredError';
  }
}

export type WhatsAppErrorKind = 'rate_limited' | 'pair_rate_limited' | 'transient' | 'window_closed' | 'auth' | 'permanent';

/** The Cloud API refused the request, or could not be reached. */
export class WhatsAppApiError extends Error {
  readonly httpStatus: number | null;
  /** Meta's error code (`error.code`), null when the answer carried none (network failure, bare 5xx). */
  readonly code: number | null;
  readonly subcode: number | null;
  readonly title: string;
  readonly details: string | null;
  /** From a Retry-After header, when Meta (or a proxy) sent one. */
  readonly retryAfterMs: number | null;
  readonly kind: WhatsAppErrorKind;
  readonly fbtraceId: string | null;

  constructor(init: {
    httpStatus: number | null;
    code: number | null;
    subcode?: number | null;
    title: string;
    details?: string | null;
    retryAfterMs?: number | null;
    fbtraceId?: string | null;
  }) {
    const code = init.code === null ? '' : ` (#${init.code})`;
    const status = init.httpStatus === null ? '' : ` [HTTP ${init.httpStatus}]`;
    super(`WhatsApp Cloud API${code}${status}: ${init.title}${init.details ? ` - ${init.details}` : ''}`);
    this.name = 'WhatsAppApiError';
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.subcode = init.subcode ?? null;
    this.title = init.title;
    this.details = init.details ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.fbtraceId = init.fbtraceId ?? null;
    this.kind = classifyError(init.code, init.httpStatus);
  }

  get retryable(): boolean {
    return isRetryable(this.kind);
  }

  /**
   * The error as a message stores it. Meta's code when there is one, else the
   * HTTP status, else -1 (no answer at all: network failure or timeout).
   */
  toMessageError(): MessageError {
    return { code: this.code ?? this.httpStatus ?? -1, title: this.title, details: this.details };
  }
}

const RATE_LIMITED = new Set([130429, 80007, 4]);
const TRANSIENT = new Set([131000, 131016, 131057, 2]);
const AUTH = new Set([190, 0, 10, 131005, 368, 131031]);

/**
 * Meta's error table (docs/whatsapp.md): the code decides when there
 * is one; otherwise the HTTP status (5xx and no answer at all are transient,
 * a bare 429 is a rate limit); anything else is permanent: retrying a request
 * Meta called invalid only repeats the failure.
 */
export function classifyError(code: number | null, httpStatus: number | null): WhatsAppErrorKind {
  if (code !== null) {
    if (RATE_LIMITED.has(code)) return 'rate_limited';
    if (code === 131056) return 'pair_rate_limited';
    if (TRANSIENT.has(code)) return 'transient';
    if (code === 131047) return 'window_closed';
    if (AUTH.has(code) || (code >= 200 && code <= 299)) return 'auth';
    // A code outside the table on a 5xx (e.g. 1 "API Unknown") is still a server-side failure.
    if (httpStatus !== null && httpStatus >= 500) return 'transient';
    return 'permanent';
  }
  if (httpStatus === null || httpStatus >= 500) return 'transient';
  if (httpStatus === 429) return 'rate_limited';
  return 'permanent';
}

/** Worth trying again later: throughput, per-user pacing, or a passing outage. */
export function isRetryable(kind: WhatsAppErrorKind): boolean {
  return kind === 'rate_limited' || kind === 'pair_rate_limited' || kind === 'transient';
}

// ---------------------------------------------------------------------------
// Limits (docs/whatsapp.md, "Sending"; header/footer/section limits
// from Meta's interactive message reference). Lengths count Unicode code
// points, as a person counts characters: an emoji is one.

export const LIMITS = {
  textBody: 4096,
  buttonsBody: 1024,
  buttonsMin: 1,
  buttonsMax: 3,
  buttonTitle: 20,
  buttonId: 256,
  listBody: 4096,
  listButtonLabel: 20,
  listSections: 10,
  listRows: 10,
  listSectionTitle: 24,
  listRowTitle: 24,
  listRowDescription: 72,
  listRowId: 200,
  headerText: 60,
  footerText: 60,
} as const;

function requireText(value: unknown, field: string, max: number, what: string): string {
  if (typeof value !== 'string' || isBlank(value)) throw new WhatsAppInputError(`${what} must not be empty`, field);
  const n = characterCount(value);
  if (n > max) throw new WhatsAppInputError(`${what} has ${n} characters; WhatsApp allows at most ${max}`, field);
  return value;
}

function optionalText(value: string | undefined, field: string, max: number, what: string): string | undefined {
  return value === undefined ? undefined : requireText(value, field, max, what);
}

function requireUnique(values: string[], field: string, what: string): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) throw new WhatsAppInputError(`${what} "${value}" is used twice; each must be unique`, `${field}[${index}]`);
    seen.add(value);
  });
}

// ---------------------------------------------------------------------------
// Request bodies (docs/whatsapp.md; test/fixtures/whatsapp/send-*.json)

export interface OutboundMessage {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  type: 'text' | 'interactive' | 'template' | MediaKind;
  context?: { message_id: string };
  text?: { preview_url: boolean; body: string };
  interactive?: Record<string, unknown>;
  template?: { name: string; language: { code: string }; components?: unknown[] };
  image?: MediaObject;
  video?: MediaObject;
  audio?: MediaObject;
  document?: MediaObject;
  sticker?: MediaObject;
}

export interface MediaObject {
  id: string;
  caption?: string;
  filename?: string;
}

export interface ReplyOptions {
  /** wamid of the customer's message this answers (shown as a quote in WhatsApp). */
  replyTo?: string;
}

export interface InteractiveOptions extends ReplyOptions {
  /** Text header, ≤ 60 characters. */
  header?: string;
  /** ≤ 60 characters. */
  footer?: string;
}

export interface ReplyButton {
  id: string;
  title: string;
}

export interface ListRow {
  id: string;
  title: string;
  description?: string;
}

export interface ListSection {
  /** Required when there is more than one section. */
  title?: string;
  rows: ListRow[];
}

function envelope(to: string, type: OutboundMessage['type'], replyTo: string | undefined): OutboundMessage {
  const recipient = requireText(to, 'to', 64, 'The recipient');
  const message: OutboundMessage = { messaging_product: 'whatsapp', recipient_type: 'individual', to: recipient, type };
  if (replyTo !== undefined) message.context = { message_id: requireText(replyTo, 'replyTo', 256, 'The replied-to message id') };
  return message;
}

/** Header, body and footer in the order Meta documents them. */
function frame(body: string, options: InteractiveOptions): Record<string, unknown> {
  const header = optionalText(options.header, 'header', LIMITS.headerText, 'The header');
  const footer = optionalText(options.footer, 'footer', LIMITS.footerText, 'The footer');
  return {
    ...(header !== undefined ? { header: { type: 'text', text: header } } : {}),
    body: { text: body },
    ...(footer !== undefined ? { footer: { text: footer } } : {}),
  };
}

export function textMessage(to: string, body: string, options: ReplyOptions & { previewUrl?: boolean } = {}): OutboundMessage {
  const message = envelope(to, 'text', options.replyTo);
  message.text = { preview_url: options.previewUrl ?? false, body: requireText(body, 'body', LIMITS.textBody, 'The text') };
  return message;
}

export function buttonsMessage(to: string, body: string, buttons: ReplyButton[], options: InteractiveOptions = {}): OutboundMessage {
  const message = envelope(to, 'interactive', options.replyTo);
  const text = requireText(body, 'body', LIMITS.buttonsBody, 'The button message body');
  if (buttons.length < LIMITS.buttonsMin || buttons.length > LIMITS.buttonsMax) {
    throw new WhatsAppInputError(`A button message needs 1 to 3 buttons; got ${buttons.length}`, 'buttons');
  }
  buttons.forEach((button, i) => {
    requireText(button.id, `buttons[${i}].id`, LIMITS.buttonId, `Button ${i + 1}'s id`);
    requireText(button.title, `buttons[${i}].title`, LIMITS.buttonTitle, `Button ${i + 1}'s title`);
  });
  requireUnique(
    buttons.map((b) => b.title),
    'buttons.title',
    'The button title',
  );
  // The reply carries only the id back, so two equal ids could not be told apart.
  requireUnique(
    buttons.map((b) => b.id),
    'buttons.id',
    'The button id',
  );
  message.interactive = {
    type: 'button',
    ...frame(text, options),
    action: { buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
  };
  return message;
}

export function listMessage(
  to: string,
  body: string,
  buttonLabel: string,
  sections: ListSection[],
  options: InteractiveOptions = {},
): OutboundMessage {
  const message = envelope(to, 'interactive', options.replyTo);
  const text = requireText(body, 'body', LIMITS.listBody, 'The list message body');
  const label = requireText(buttonLabel, 'buttonLabel', LIMITS.listButtonLabel, 'The list button label');
  if (sections.length < 1 || sections.length > LIMITS.listSections) {
    throw new WhatsAppInputError(`A list needs 1 to ${LIMITS.listSections} sections; got ${sections.length}`, 'sections');
  }
  const rowCount = sections.reduce((sum, section) => sum + section.rows.length, 0);
  if (rowCount < 1 || rowCount > LIMITS.listRows) {
    throw new WhatsAppInputError(`A list needs 1 to ${LIMITS.listRows} rows in total across its sections; got ${rowCount}`, 'sections');
  }
  sections.forEach((section, s) => {
    if (sections.length > 1 && section.title === undefined) {
      throw new WhatsAppInputError(`Section ${s + 1} needs a title: a list with several sections titles each`, `sections[${s}].title`);
    }
    optionalText(section.title, `sections[${s}].title`, LIMITS.listSectionTitle, `Section ${s + 1}'s title`);
    if (section.rows.length < 1) throw new WhatsAppInputError(`Section ${s + 1} has no rows`, `sections[${s}].rows`);
    section.rows.forEach((row, r) => {
      const where = `sections[${s}].rows[${r}]`;
      requireText(row.id, `${where}.id`, LIMITS.listRowId, `Row ${r + 1} of section ${s + 1}: the id`);
      requireText(row.title, `${where}.title`, LIMITS.listRowTitle, `Row ${r + 1} of section ${s + 1}: the title`);
      optionalText(row.description, `${where}.description`, LIMITS.listRowDescription, `Row ${r + 1} of section ${s + 1}: the description`);
    });
  });
  requireUnique(
    sections.flatMap((section) => section.rows.map((row) => row.id)),
    'sections.rows.id',
    'The row id',
  );
  message.interactive = {
    type: 'list',
    ...frame(text, options),
    action: {
      button: label,
      sections: sections.map((section) => ({
        ...(section.title !== undefined ? { title: section.title } : {}),
        rows: section.rows.map((row) => ({ id: row.id, title: row.title, ...(row.description !== undefined ? { description: row.description } : {}) })),
      })),
    },
  };
  return message;
}

/** Templates are the only messages allowed outside the 24-hour window. Components are passed through as Meta defines them. */
export function templateMessage(to: string, name: string, language: string, components?: unknown[], options: ReplyOptions = {}): OutboundMessage {
  const message = envelope(to, 'template', options.replyTo);
  const template: NonNullable<OutboundMessage['template']> = {
    name: requireText(name, 'name', 512, 'The template name'),
    language: { code: requireText(language, 'language', 16, 'The template language') },
  };
  if (components !== undefined) {
    if (!Array.isArray(components)) throw new WhatsAppInputError('Template components must be a list', 'components');
    template.components = components;
  }
  message.template = template;
  return message;
}

/** Caption limit for media messages (Meta's, as for a text body's first screen). */
export const MEDIA_CAPTION_MAX = 1024;

/** A file sent by its media id; caption on image, video and document, filename on document. */
export function mediaMessage(to: string, kind: MediaKind, mediaId: string, options: MediaSendOptions = {}): OutboundMessage {
  const message = envelope(to, kind, options.replyTo);
  const object: MediaObject = { id: requireText(mediaId, 'mediaId', 256, 'The media id') };
  if (options.caption !== undefined && (kind === 'image' || kind === 'video' || kind === 'document')) {
    object.caption = requireText(options.caption, 'caption', MEDIA_CAPTION_MAX, 'The caption');
  }
  if (options.filename !== undefined && kind === 'document') object.filename = requireText(options.filename, 'filename', 240, 'The filename');
  message[kind] = object;
  return message;
}

// ---------------------------------------------------------------------------
// The client

export interface CloudApiClientOptions {
  /** Graph API base with version, e.g. https://graph.facebook.com/v21.0 (WHATSAPP_API_URL). */
  apiUrl: string;
  phoneNumberId: string | null;
  accessToken: string | null;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface SendResult {
  whatsappId: string;
}

export interface CloudApiClient {
  /** Sends a body built by textMessage / buttonsMessage / listMessage / templateMessage. */
  sendMessage(message: OutboundMessage): Promise<SendResult>;
  sendText(to: string, body: string, options?: ReplyOptions & { previewUrl?: boolean }): Promise<SendResult>;
  sendList(to: string, body: string, buttonLabel: string, sections: ListSection[], options?: InteractiveOptions): Promise<SendResult>;
  sendTemplate(to: string, name: string, language: string, components?: unknown[], options?: ReplyOptions): Promise<SendResult>;
  /** Shows the customer's message (and those before it) as read: blue ticks. */
  markRead(whatsappId: string): Promise<void>;
  /** Sends an uploaded file by its media id (send-document-request.json; image, audio, video, sticker alike). */
  sendMedia(to: string, kind: MediaKind, mediaId: string, options?: MediaSendOptions): Promise<SendResult>;
  /** GET /{media-id}: a download URL valid for about 5 minutes, with the file's type, hex SHA-256 and size. */
  retrieveMedia(mediaId: string): Promise<MediaInfo>;
  /** GET the URL retrieveMedia gave, with the bearer token. An expired URL answers 404 (retrieve a fresh one). */
  downloadMedia(url: string, maxBytes: number): Promise<Buffer>;
  /** POST /{phone-number-id}/media (multipart): the media id to send it by, usable for 30 days. */
  uploadMedia(file: { bytes: Uint8Array; mimeType: string; filename: string }): Promise<{ mediaId: string }>;
  /** One page of GET /{waba-id}/message_templates; `after` is the previous page's cursor. */
  listTemplates(businessAccountId: string, after?: string | null): Promise<TemplatePage>;
}

export interface MediaSendOptions extends ReplyOptions {
  /** image, video and document only. */
  caption?: string;
  /** document only. */
  filename?: string;
}

export interface MediaInfo {
  url: string;
  mimeType: string | null;
  /** Hex, as the lookup gives it. */
  sha256: string | null;
  size: number | null;
}

export interface CatalogTemplate {
  id: string | null;
  name: string;
  language: string;
  status: string;
  category: string | null;
  components: Record<string, unknown>[];
}

export interface TemplatePage {
  templates: CatalogTemplate[];
  /** Cursor of the next page; null on the last one. */
  after: string | null;
}

const metaErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    error_user_title: z.string().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

const mediaInfoSchema = z.object({
  url: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  file_size: z.union([z.string(), z.number()]).optional(),
});

const uploadResponseSchema = z.object({ id: z.string().min(1) });

const templatePageSchema = z.object({
  data: z.array(
    z.object({
      id: z.string().optional(),
      name: z.string().min(1),
      language: z.string().min(1),
      status: z.string().min(1),
      category: z.string().optional(),
      components: z.array(z.record(z.string(), z.unknown())).optional(),
    }),
  ),
  paging: z.object({ cursors: z.object({ after: z.string().optional() }).optional(), next: z.string().optional() }).optional(),
});

const sendResponseSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });

export { parseRetryAfter };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** No answer (refused, reset, DNS, timeout): Meta may or may not have acted; the table calls it transient. */
function noAnswer(error: unknown, timeoutMs: number): WhatsAppApiError {
  const err = error as Error & { cause?: { code?: string } };
  const title = err.name === 'TimeoutError' ? `No answer within ${timeoutMs} ms` : `Network error: ${err.cause?.code ?? err.message}`;
  return new WhatsAppApiError({ httpStatus: null, code: null, title });
}

function apiError(status: number, text: string, retryAfterMs: number | null): WhatsAppApiError {
  const parsed = metaErrorSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    // A proxy or load balancer answered (HTML 502 page, ...): no Meta code.
    return new WhatsAppApiError({ httpStatus: status, code: null, title: `HTTP ${status}`, details: text.slice(0, 200) || null, retryAfterMs });
  }
  const e = parsed.data.error;
  // "(#131047) Re-engagement message" → "Re-engagement message", the same title a failed status carries.
  const title = (e.message ?? e.error_user_title ?? `HTTP ${status}`).replace(/^\(#\d+\)\s*/, '');
  return new WhatsAppApiError({
    httpStatus: status,
    code: e.code ?? null,
    subcode: e.error_subcode ?? null,
    title,
    details: e.error_data?.details ?? null,
    retryAfterMs,
    fbtraceId: e.fbtrace_id ?? null,
  });
}

export function createCloudApiClient(options: CloudApiClientOptions): CloudApiClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.apiUrl.replace(/\/+$/, '');

  function configured(): { phoneNumberId: string; accessToken: string } {
    const missing: string[] = [];
    if (!options.phoneNumberId) missing.push('WHATSAPP_PHONE_NUMBER_ID');
    if (!options.accessToken) missing.push('WHATSAPP_ACCESS_TOKEN');
    if (missing.length) throw new WhatsAppNotConfiguredError(missing);
    return { phoneNumberId: options.phoneNumberId!, accessToken: options.accessToken! };
  }

  /** One Graph API call: network failures and Meta's error bodies become WhatsAppApiError. */
  async function call(url: string, init: RequestInit, accessToken: string): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      throw noAnswer(error, options.timeoutMs);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw apiError(response.status, text, parseRetryAfter(response.headers.get('retry-after')));
    }
    return response;
  }

  async function callJson(url: string, init: RequestInit, accessToken: string): Promise<unknown> {
    const response = await call(url, init, accessToken);
    try {
      return parseJson(await response.text());
    } catch (error) {
      throw noAnswer(error, options.timeoutMs);
    }
  }

  async function post(body: unknown): Promise<unknown> {
    const { phoneNumberId, accessToken } = configured();
    return callJson(
      `${base}/${encodeURIComponent(phoneNumberId)}/messages`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      accessToken,
    );
  }

  async function sendMessage(message: OutboundMessage): Promise<SendResult> {
    const answer = await post(message);
    const parsed = sendResponseSchema.safeParse(answer);
    if (!parsed.success) {
      // A 200 means Meta accepted the message; sending again could deliver it twice, so this is not retryable.
      throw new WhatsAppApiError({ httpStatus: 200, code: null, title: 'Accepted, but the answer had no message id', details: JSON.stringify(answer)?.slice(0, 200) ?? null });
    }
    return { whatsappId: parsed.data.messages[0]!.id };
  }

  return {
    sendMessage,
    sendText: async (to, body, opts) => sendMessage(textMessage(to, body, opts)),
    sendList: async (to, body, label, sections, opts) => sendMessage(listMessage(to, body, label, sections, opts)),
    sendTemplate: async (to, name, language, components, opts) => sendMessage(templateMessage(to, name, language, components, opts)),
    async markRead(whatsappId) {
      const id = requireText(whatsappId, 'whatsappId', 256, 'The message id');
      await post({ messaging_product: 'whatsapp', status: 'read', message_id: id });
    },
    sendMedia: async (to, kind, mediaId, opts) => sendMessage(mediaMessage(to, kind, mediaId, opts)),
    async retrieveMedia(mediaId) {
      const { accessToken } = configured();
      const answer = await callJson(`${base}/${encodeURIComponent(requireText(mediaId, 'mediaId', 256, 'The media id'))}`, { method: 'GET' }, accessToken);
      const parsed = mediaInfoSchema.safeParse(answer);
      if (!parsed.success) throw new WhatsAppApiError({ httpStatus: 200, code: null, title: 'Media lookup answered without a download url', details: JSON.stringify(answer)?.slice(0, 200) ?? null });
      const size = parsed.data.file_size === undefined ? null : Number(parsed.data.file_size);
      return { url: parsed.data.url, mimeType: parsed.data.mime_type ?? null, sha256: parsed.data.sha256 ?? null, size: Number.isFinite(size) ? size : null };
    },
    async downloadMedia(url, maxBytes) {
      const { accessToken } = configured();
      const response = await call(url, { method: 'GET' }, accessToken);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (declared > maxBytes) {
        await response.body?.cancel().catch(() => {});
        throw new WhatsAppApiError({ httpStatus: response.status, code: null, title: `Media is ${declared} bytes, over the ${maxBytes} byte limit` });
      }
      try {
        const bytes = Buffer.from(await response.arrayBuffer());
        if (bytes.length > maxBytes) throw new WhatsAppApiError({ httpStatus: response.status, code: null, title: `Media is ${bytes.length} bytes, over the ${maxBytes} byte limit` });
        return bytes;
      } catch (error) {
        if (error instanceof WhatsAppApiError) throw error;
        throw noAnswer(error, options.timeoutMs);
      }
    },
    async uploadMedia(file) {
      const { phoneNumberId, accessToken } = configured();
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', file.mimeType);
      form.set('file', new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.filename);
      const answer = await callJson(`${base}/${encodeURIComponent(phoneNumberId)}/media`, { method: 'POST', body: form }, accessToken);
      const parsed = uploadResponseSchema.safeParse(answer);
      if (!parsed.success) throw new WhatsAppApiError({ httpStatus: 200, code: null, title: 'Upload answered without a media id', details: JSON.stringify(answer)?.slice(0, 200) ?? null });
      return { mediaId: parsed.data.id };
    },
    async listTemplates(businessAccountId, after) {
      const { accessToken } = configured();
      const query = new URLSearchParams({ fields: 'name,language,status,category,components', limit: '100' });
      if (after) query.set('after', after);
      const answer = await callJson(`${base}/${encodeURIComponent(businessAccountId)}/message_templates?${query}`, { method: 'GET' }, accessToken);
      const parsed = templatePageSchema.safeParse(answer);
      if (!parsed.success) throw new WhatsAppApiError({ httpStatus: 200, code: null, title: 'Template list in an unexpected shape', details: parsed.error.issues[0]?.message ?? null });
      const paging = parsed.data.paging;
      return {
        templates: parsed.data.data.map((t) => ({ id: t.id ?? null, name: t.name, language: t.language, status: t.status, category: t.category ?? null, components: t.components ?? [] })),
        // Meta sets `next` only while there is another page; the cursor alone is also set on the last one.
        after: paging?.next ? (paging.cursors?.after ?? new URL(paging.next).searchParams.get('after')) : null,
      };
    },
  };
}
