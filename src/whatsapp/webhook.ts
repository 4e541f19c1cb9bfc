// Parses the Cloud API webhook notification (docs/whatsapp.md).
//
// Two levels of strictness, on purpose:
// - The envelope (`object`, `entry[]`, `changes[]`) must match, or the whole
//   body is rejected with WebhookShapeError (the route answers 400): such a
//   body is not a WhatsApp notification at all.
// - Inside, every message and status is parsed on its own. Meta adds message
//   types over time and a customer's message must never be lost, so a type we
//   do not know, or a known type whose body does not match its schema, becomes
//   an UNSUPPORTED message carrying the raw JSON. Only an item without the
//   fields needed to store it at all (id, from) is skipped, and reported in
//   `problems` for the log.
import { z } from 'zod';
import type { DeliveryStatus, MediaRef, MessageError, MessageType } from '../domain/model.js';

export class WebhookShapeError extends Error {
  constructor(readonly issues: string[]) {
    super(`Not a WhatsApp Business Account notification: ${issues.join('; ')}`);
    this.name = 'WebhookShapeError';
  }
}

export interface InboundMessage {
  /** The `wamid.` id: the deduplication key. */
  whatsappId: string;
  /** The customer's wa_id. */
  from: string;
  /** From `contacts[]` matched by wa_id; null when Meta sent none. */
  profileName: string | null;
  /** Our business number the customer wrote to (metadata.phone_number_id). */
  phoneNumberId: string;
  /** The customer's send time (Meta's `timestamp`, Unix seconds): the 24-hour window runs from here. */
  timestamp: Date;
  type: MessageType;
  /** The type as WhatsApp named it (`text`, `some_future_type`, ...), for logs and UNSUPPORTED rows. */
  whatsappType: string;
  /** Human-readable text: body, caption, button or list title, reaction emoji, location name/address, ... */
  text: string | null;
  media: MediaRef | null;
  /** The type-specific object as sent; for UNSUPPORTED the whole raw message. Null for plain text. */
  payload: Record<string, unknown> | null;
  /** context.id, or for a reaction the message reacted to. */
  replyToWhatsappId: string | null;
  /** button_reply.id / list_reply.id / button.payload: what the survey matches on. */
  interactiveReplyId: string | null;
  /** Meta's errors[] on the message (unsupported types carry why). */
  errors: MessageError[];
}

export const WEBHOOK_STATUSES = ['sent', 'delivered', 'read', 'failed', 'played'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export interface StatusUpdate {
  /** The wamid of our outbound message. */
  whatsappId: string;
  status: WebhookStatus;
  timestamp: Date;
  recipientId: string | null;
  phoneNumberId: string;
  errors: MessageError[];
  /** Billing information passed through as sent (present on sent/delivered). */
  conversation: Record<string, unknown> | null;
  pricing: Record<string, unknown> | null;
}

export interface ParsedWebhook {
  inbound: InboundMessage[];
  statuses: StatusUpdate[];
  /** `message_template_status_update` changes (webhook-template-status.json). */
  templateStatuses: TemplateStatusUpdate[];
  /** Items skipped or degraded, each with its location in the body: for the log, never for the HTTP answer. */
  problems: string[];
  /**
   * Changes addressed to another business number than ours (see
   * ParseWebhookOptions.phoneNumberId), left out of `inbound` and `statuses`:
   * one entry per change, with what it held.
   */
  foreign: ForeignChange[];
}

export interface ForeignChange {
  phoneNumberId: string;
  messages: number;
  statuses: number;
}

export interface TemplateStatusUpdate {
  name: string;
  language: string;
  /** The new status: APPROVED, REJECTED, PAUSED, DISABLED, ... */
  status: string;
  /** Meta's reason; null for NONE. */
  reason: string | null;
  templateId: string | null;
}

const templateStatusSchema = z.object({
  event: z.string().min(1),
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
  message_template_id: z.union([z.string(), z.number()]).optional(),
  reason: z.string().nullable().optional(),
});

export interface ParseWebhookOptions {
  /** Used when a message's timestamp is missing or unreadable (then noted in problems). Default: now. */
  receivedAt?: Date;
  /**
   * Our number (WHATSAPP_PHONE_NUMBER_ID). One Meta app can be subscribed
   * for several numbers, and each of them posts here: a change whose
   * metadata.phone_number_id is another one is not ours to store, and goes to
   * `foreign`. Null or absent: every change is taken as ours.
   */
  phoneNumberId?: string | null;
}

// ---------------------------------------------------------------------------
// Envelope

const envelopeSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string().optional(),
      changes: z.array(z.object({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

const changeValueSchema = z.object({
  metadata: z.object({ phone_number_id: z.string().min(1) }),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  // Meta reports out-of-band failures here (e.g. a notification it could not build).
  errors: z.array(z.unknown()).optional(),
});

const contactSchema = z.object({
  wa_id: z.string().min(1),
  profile: z.object({ name: z.string().optional() }).optional(),
});

// `timestamp` is documented as a string of Unix seconds; a number is accepted too.
const timestampSchema = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((s) => new Date(Number(s) * 1000));

const errorSchema = z.object({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.object({ details: z.string().optional() }).optional(),
});

const messageBaseSchema = z.object({
  id: z.string().min(1),
  from: z.string().min(1),
});

const contextSchema = z.object({ id: z.string().min(1) });

const rawObject = z.record(z.string(), z.unknown());

// ---------------------------------------------------------------------------
// Message types. Each parser reads `message[type]` with its own schema and
// returns null when the body does not match (then the message is UNSUPPORTED).

interface TypeResult {
  type: MessageType;
  text: string | null;
  media: MediaRef | null;
  payload: Record<string, unknown> | null;
  interactiveReplyId: string | null;
  replyToWhatsappId?: string | null;
}

type TypeParser = (body: unknown, message: Record<string, unknown>) => TypeResult | null;

const textSchema = z.object({ body: z.string() });

const mediaSchema = z.object({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
});

const locationSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

const contactCardsSchema = z
  .array(z.object({ name: z.object({ formatted_name: z.string().optional() }).optional() }))
  .min(1);

const interactiveSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('button_reply'), button_reply: z.object({ id: z.string(), title: z.string() }) }),
  z.object({
    type: z.literal('list_reply'),
    list_reply: z.object({ id: z.string(), title: z.string(), description: z.string().optional() }),
  }),
  // WhatsApp Flows completion ("native flow message" reply).
  z.object({ type: z.literal('nfm_reply'), nfm_reply: z.object({ body: z.string().optional(), name: z.string().optional() }) }),
]);

const buttonSchema = z.object({ text: z.string(), payload: z.string().optional() });

// `emoji` is absent or empty when the customer removes a reaction.
const reactionSchema = z.object({ message_id: z.string().min(1), emoji: z.string().optional() });

const orderSchema = z.object({ catalog_id: z.string(), text: z.string().optional(), product_items: z.array(z.unknown()) });

const systemSchema = z.object({ body: z.string().optional(), type: z.string().optional() });

function asRecord(value: unknown): Record<string, unknown> | null {
  const parsed = rawObject.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function mediaParser(type: MessageType): TypeParser {
  return (body) => {
    const parsed = mediaSchema.safeParse(body);
    if (!parsed.success) return null;
    const m = parsed.data;
    return {
      type,
      text: m.caption ?? null,
      media: {
        id: m.id,
        mimeType: m.mime_type ?? null,
        sha256: m.sha256 ?? null,
        caption: m.caption ?? null,
        filename: m.filename ?? null,
        voice: m.voice ?? null,
      },
      // Kept as sent: fields MediaRef has no room for (sticker `animated`, media `url`) survive.
      payload: asRecord(body),
      interactiveReplyId: null,
    };
  };
}

const TYPE_PARSERS: Record<string, TypeParser> = {
  text: (body, message) => {
    const parsed = textSchema.safeParse(body);
    if (!parsed.success) return null;
    // Click-to-WhatsApp ad messages carry a `referral` beside the text: keep it.
    const referral = asRecord(message['referral']);
    return { type: 'TEXT', text: parsed.data.body, media: null, payload: referral ? { referral } : null, interactiveReplyId: null };
  },
  image: mediaParser('IMAGE'),
  video: mediaParser('VIDEO'),
  audio: mediaParser('AUDIO'),
  document: mediaParser('DOCUMENT'),
  sticker: mediaParser('STICKER'),
  location: (body) => {
    const parsed = locationSchema.safeParse(body);
    if (!parsed.success) return null;
    const text = [parsed.data.name, parsed.data.address].filter((part) => part !== undefined && part !== '').join(', ');
    return { type: 'LOCATION', text: text || null, media: null, payload: asRecord(body), interactiveReplyId: null };
  },
  contacts: (body) => {
    const parsed = contactCardsSchema.safeParse(body);
    if (!parsed.success) return null;
    const names = parsed.data.map((card) => card.name?.formatted_name).filter((name): name is string => !!name);
    // payload must be an object; the cards are an array, so they sit under `contacts` as in the message.
    return { type: 'CONTACTS', text: names.length ? names.join(', ') : null, media: null, payload: { contacts: body }, interactiveReplyId: null };
  },
  interactive: (body) => {
    const parsed = interactiveSchema.safeParse(body);
    if (!parsed.success) return null;
    const i = parsed.data;
    const base = { type: 'INTERACTIVE' as const, media: null, payload: asRecord(body) };
    switch (i.type) {
      case 'button_reply':
        return { ...base, text: i.button_reply.title, interactiveReplyId: i.button_reply.id };
      case 'list_reply':
        return { ...base, text: i.list_reply.title, interactiveReplyId: i.list_reply.id };
      case 'nfm_reply':
        return { ...base, text: i.nfm_reply.body ?? null, interactiveReplyId: null };
    }
  },
  // A template's quick-reply button: `payload` is what the template defined, `text` what the customer saw.
  button: (body) => {
    const parsed = buttonSchema.safeParse(body);
    if (!parsed.success) return null;
    return { type: 'BUTTON', text: parsed.data.text, media: null, payload: asRecord(body), interactiveReplyId: parsed.data.payload ?? null };
  },
  reaction: (body) => {
    const parsed = reactionSchema.safeParse(body);
    if (!parsed.success) return null;
    return {
      type: 'REACTION',
      text: parsed.data.emoji || null,
      media: null,
      payload: asRecord(body),
      interactiveReplyId: null,
      // Reactions have no context; the message reacted to is what they reply to.
      replyToWhatsappId: parsed.data.message_id,
    };
  },
  order: (body) => {
    const parsed = orderSchema.safeParse(body);
    if (!parsed.success) return null;
    return { type: 'ORDER', text: parsed.data.text ?? null, media: null, payload: asRecord(body), interactiveReplyId: null };
  },
  // e.g. customer_changed_number, customer_identity_changed.
  system: (body) => {
    const parsed = systemSchema.safeParse(body);
    if (!parsed.success) return null;
    return { type: 'SYSTEM', text: parsed.data.body ?? null, media: null, payload: asRecord(body), interactiveReplyId: null };
  },
};

/** Meta's own "we could not show you this" types: expected, so not a problem worth logging. */
const META_UNSUPPORTED_TYPES = new Set(['unsupported', 'unknown']);

// ---------------------------------------------------------------------------

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

function parseErrors(value: unknown, where: string, problems: string[]): MessageError[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${where}.errors: not an array; ignored`);
    return [];
  }
  const errors: MessageError[] = [];
  value.forEach((item, index) => {
    const parsed = errorSchema.safeParse(item);
    if (!parsed.success) {
      problems.push(`${where}.errors[${index}]: ${describeIssues(parsed.error)}; ignored`);
      return;
    }
    const e = parsed.data;
    errors.push({ code: e.code, title: e.title ?? e.message ?? `Error ${e.code}`, details: e.error_data?.details ?? null });
  });
  return errors;
}

function parseTimestamp(value: unknown, where: string, fallback: Date, problems: string[]): Date {
  const parsed = timestampSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(`${where}.timestamp: missing or not Unix seconds (${JSON.stringify(value)}); used the time received`);
  return fallback;
}

function parseMessage(
  raw: unknown,
  where: string,
  phoneNumberId: string,
  names: Map<string, string>,
  receivedAt: Date,
  problems: string[],
): InboundMessage | null {
  const message = asRecord(raw);
  const base = messageBaseSchema.safeParse(raw);
  if (!message || !base.success) {
    problems.push(`${where}: no message id or sender (${base.success ? 'not an object' : describeIssues(base.error)}); skipped`);
    return null;
  }
  const { id, from } = base.data;
  const whatsappType = typeof message['type'] === 'string' ? message['type'] : '';
  const context = contextSchema.safeParse(message['context']);

  const parser = TYPE_PARSERS[whatsappType];
  let result = parser ? parser(message[whatsappType], message) : null;
  if (!result) {
    if (parser) problems.push(`${where} (${id}): "${whatsappType}" body does not match its schema; stored as UNSUPPORTED`);
    else if (!META_UNSUPPORTED_TYPES.has(whatsappType)) problems.push(`${where} (${id}): unknown type "${whatsappType}"; stored as UNSUPPORTED`);
    result = { type: 'UNSUPPORTED', text: null, media: null, payload: message, interactiveReplyId: null };
  }

  return {
    whatsappId: id,
    from,
    profileName: names.get(from) ?? null,
    phoneNumberId,
    timestamp: parseTimestamp(message['timestamp'], where, receivedAt, problems),
    type: result.type,
    whatsappType,
    text: result.text,
    media: result.media,
    payload: result.payload,
    replyToWhatsappId: context.success ? context.data.id : (result.replyToWhatsappId ?? null),
    interactiveReplyId: result.interactiveReplyId,
    errors: parseErrors(message['errors'], where, problems),
  };
}

const statusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  recipient_id: z.string().optional(),
  conversation: rawObject.optional(),
  pricing: rawObject.optional(),
});

function parseStatus(raw: unknown, where: string, phoneNumberId: string, receivedAt: Date, problems: string[]): StatusUpdate | null {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(`${where}: ${describeIssues(parsed.error)}; skipped`);
    return null;
  }
  const s = parsed.data;
  if (!(WEBHOOK_STATUSES as readonly string[]).includes(s.status)) {
    problems.push(`${where} (${s.id}): unknown status "${s.status}"; skipped`);
    return null;
  }
  const record = raw as Record<string, unknown>;
  return {
    whatsappId: s.id,
    status: s.status as WebhookStatus,
    timestamp: parseTimestamp(record['timestamp'], where, receivedAt, problems),
    recipientId: s.recipient_id ?? null,
    phoneNumberId,
    errors: parseErrors(record['errors'], where, problems),
    conversation: s.conversation ?? null,
    pricing: s.pricing ?? null,
  };
}

/**
 * Every inbound message and status in one notification, in body order.
 * Throws WebhookShapeError only when the envelope itself is wrong.
 */
export function parseWebhook(body: unknown, options: ParseWebhookOptions = {}): ParsedWebhook {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) throw new WebhookShapeError(envelope.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));

  const receivedAt = options.receivedAt ?? new Date();
  const ours = options.phoneNumberId ?? null;
  const result: ParsedWebhook = { inbound: [], statuses: [], templateStatuses: [], problems: [], foreign: [] };
  const { problems } = result;

  envelope.data.entry.forEach((entry, e) => {
    entry.changes.forEach((change, c) => {
      const where = `entry[${e}].changes[${c}]`;
      if (change.field === 'message_template_status_update') {
        const update = templateStatusSchema.safeParse(change.value);
        if (!update.success) problems.push(`${where}.value: ${describeIssues(update.error)}; skipped`);
        else {
          const u = update.data;
          result.templateStatuses.push({
            name: u.message_template_name,
            language: u.message_template_language,
            status: u.event.toUpperCase(),
            reason: u.reason && u.reason !== 'NONE' ? u.reason : null,
            templateId: u.message_template_id === undefined ? null : String(u.message_template_id),
          });
        }
        return;
      }
      // Other fields (account updates, quality, ...) are subscriptions this desk does not act on.
      if (change.field !== 'messages') {
        problems.push(`${where}: field "${change.field}" ignored`);
        return;
      }
      const value = changeValueSchema.safeParse(change.value);
      if (!value.success) {
        problems.push(`${where}.value: ${describeIssues(value.error)}; skipped`);
        return;
      }
      const { metadata, contacts = [], messages = [], statuses = [], errors } = value.data;
      if (ours !== null && metadata.phone_number_id !== ours) {
        result.foreign.push({ phoneNumberId: metadata.phone_number_id, messages: messages.length, statuses: statuses.length });
        return;
      }

      const names = new Map<string, string>();
      contacts.forEach((raw, k) => {
        const contact = contactSchema.safeParse(raw);
        if (!contact.success) problems.push(`${where}.value.contacts[${k}]: ${describeIssues(contact.error)}; ignored`);
        else if (contact.data.profile?.name !== undefined) names.set(contact.data.wa_id, contact.data.profile.name);
      });

      messages.forEach((raw, m) => {
        const message = parseMessage(raw, `${where}.value.messages[${m}]`, metadata.phone_number_id, names, receivedAt, problems);
        if (message) result.inbound.push(message);
      });
      statuses.forEach((raw, s) => {
        const status = parseStatus(raw, `${where}.value.statuses[${s}]`, metadata.phone_number_id, receivedAt, problems);
        if (status) result.statuses.push(status);
      });
      for (const error of parseErrors(errors, `${where}.value`, problems)) {
        problems.push(`${where}.value: Meta reported error ${error.code} ${error.title}${error.details ? `: ${error.details}` : ''}`);
      }
    });
  });
  return result;
}

// ---------------------------------------------------------------------------
// Webhook statuses as the desk's delivery statuses; which of them may replace
// which is the domain's rule (src/domain/deliveryStatus.ts).

export function mapStatus(status: WebhookStatus): DeliveryStatus {
  switch (status) {
    case 'sent':
      return 'SENT';
    case 'delivered':
      return 'DELIVERED';
    case 'read':
    case 'played':
      return 'READ';
    case 'failed':
      return 'FAILED';
  }
}
