// Mongoose schemas for the desk's collections: the shapes of src/domain/model.ts
// with their types, enums and required fields, so MongoDB refuses what the
// domain would never write. Each field list is checked against its domain
// type (`satisfies Fields<...>`): a field added to the model and not here is
// a compile error, not a field silently dropped in production.
//
// `strict: 'throw'`: a write naming a field the schema does not know fails
// loudly instead of losing the field. Timestamps are the desk's own fields,
// set by its code; mongoose's `timestamps` and `__v` are off.
import { Schema, type SchemaDefinition, type SchemaOptions } from 'mongoose';
import { LOGGED_EVENT_TYPES } from '../domain/events.js';
import {
  AGENT_ROLES,
  AGENT_STATUSES,
  CONVERSATION_STATUSES,
  DELIVERY_STATUSES,
  MESSAGE_AUTHORS,
  MESSAGE_DIRECTIONS,
  MESSAGE_TYPES,
  type AgentDoc,
  type CannedResponseDoc,
  type ConversationDoc,
  type ConversationEventDoc,
  type CustomerDoc,
  type ExternalLink,
  type Feedback,
  type MediaRef,
  type MessageDoc,
  type MessageError,
  type SessionDoc,
  type SurveyState,
} from '../domain/model.js';
import { MEDIA_STATUSES } from '../domain/media.js';
import { COLLECTIONS } from './collections.js';
import type { IndexSpec } from './port.js';

type Fields<T> = Record<keyof T, unknown>;

const documentOptions: SchemaOptions = {
  _id: false,
  versionKey: false,
  // Keep `{}` (an event's empty `data`) as stored, like the embedded engine does.
  minimize: false,
  strict: 'throw',
  // Filters may name any path (`$expr`, Mixed sub-fields): mongoose does not rewrite them.
  strictQuery: false,
  // Indexes are built once at start-up by createMongoStore, awaited, not in the background per model.
  autoIndex: false,
};

const id = { type: String, required: true };
const requiredString = { type: String, required: true };
const nullableString = { type: String };
const requiredDate = { type: Date, required: true };
const nullableDate = { type: Date };
const oneOf = (values: readonly string[]) => ({ type: String, enum: [...values], required: true });

function subdocument<T>(fields: Fields<T>): Schema {
  return new Schema(fields as SchemaDefinition, { ...documentOptions, _id: false });
}

const externalLink = subdocument<ExternalLink>({ system: requiredString, externalId: requiredString, url: nullableString });
const feedback = subdocument<Feedback>({
  score: { type: Number, required: true, min: 1, max: 5 },
  comment: nullableString,
  receivedAt: requiredDate,
});
const survey = subdocument<SurveyState>({
  owedAt: nullableDate,
  sentAt: nullableDate,
  messageId: nullableString,
  skippedReason: nullableString,
  ratedAt: nullableDate,
  thankedAt: nullableDate,
});
const media = subdocument<MediaRef>({
  id: nullableString,
  mimeType: nullableString,
  sha256: nullableString,
  caption: nullableString,
  filename: nullableString,
  voice: { type: Boolean },
  status: { type: String, enum: [...MEDIA_STATUSES] },
  size: { type: Number },
  failureReason: nullableString,
});
const messageError = subdocument<MessageError>({
  code: { type: Number, required: true },
  title: { type: String },
  details: nullableString,
  exhausted: { type: Boolean },
});

const agentFields = {
  _id: id,
  name: requiredString,
  email: requiredString,
  role: oneOf(AGENT_ROLES),
  status: oneOf(AGENT_STATUSES),
  capacity: { type: Number, required: true, min: 0 },
  activeConversations: { type: Number, required: true, min: 0 },
  tokenHash: requiredString,
  passwordHash: nullableString,
  active: { type: Boolean, required: true },
  lastAssignedAt: nullableDate,
  statusChangedAt: requiredDate,
  createdAt: requiredDate,
  updatedAt: requiredDate,
} satisfies Fields<AgentDoc>;

const customerFields = {
  _id: id,
  waId: requiredString,
  name: nullableString,
  createdAt: requiredDate,
  updatedAt: requiredDate,
} satisfies Fields<CustomerDoc>;

const conversationFields = {
  _id: id,
  customerId: requiredString,
  waId: requiredString,
  status: oneOf(CONVERSATION_STATUSES),
  activeKey: nullableString,
  assigneeId: nullableString,
  previousAssigneeId: nullableString,
  cycle: { type: Number, required: true, min: 1 },
  openedAt: requiredDate,
  cycleStartedAt: requiredDate,
  firstResponseAt: nullableDate,
  resolvedAt: nullableDate,
  assignedAt: nullableDate,
  lastCustomerMessageAt: nullableDate,
  lastMessageAt: nullableDate,
  lastMessageId: nullableString,
  lastActivityAt: requiredDate,
  lastCustomerMessageId: nullableString,
  unreadCount: { type: Number, required: true, min: 0 },
  labels: { type: [String], default: undefined },
  handlerIds: { type: [String], default: undefined },
  greetingSentAt: nullableDate,
  survey: { type: survey },
  feedback: { type: feedback },
  // No implicit `[]` on upserts: the document is exactly what the desk wrote, as on the embedded engine.
  externalLinks: { type: [externalLink], default: undefined },
  createdAt: requiredDate,
  updatedAt: requiredDate,
} satisfies Fields<ConversationDoc>;

const messageFields = {
  _id: id,
  conversationId: requiredString,
  customerId: requiredString,
  direction: oneOf(MESSAGE_DIRECTIONS),
  author: oneOf(MESSAGE_AUTHORS),
  agentId: nullableString,
  origin: nullableString,
  authorName: nullableString,
  type: oneOf(MESSAGE_TYPES),
  text: nullableString,
  media: { type: media },
  payload: { type: Schema.Types.Mixed },
  status: oneOf(DELIVERY_STATUSES),
  statusAt: requiredDate,
  error: { type: messageError },
  whatsappId: nullableString,
  replyToWhatsappId: nullableString,
  sentAt: requiredDate,
  outbox: { type: Schema.Types.Mixed },
  createdAt: requiredDate,
  updatedAt: requiredDate,
} satisfies Fields<MessageDoc>;

const conversationEventFields = {
  _id: id,
  type: oneOf(LOGGED_EVENT_TYPES),
  conversationId: nullableString,
  agentId: nullableString,
  cycle: { type: Number },
  at: requiredDate,
  data: { type: Schema.Types.Mixed },
} satisfies Fields<ConversationEventDoc>;

const sessionFields = {
  _id: id,
  agentId: requiredString,
  tokenHash: requiredString,
  createdAt: requiredDate,
  expiresAt: requiredDate,
} satisfies Fields<SessionDoc>;

const cannedResponseFields = {
  _id: id,
  shortcut: requiredString,
  text: requiredString,
  createdBy: nullableString,
  createdAt: requiredDate,
  updatedAt: requiredDate,
} satisfies Fields<CannedResponseDoc>;

/** The collections with a domain shape; any other (plugin state, dedupe ids, pending statuses) is free-form. */
const DOMAIN_FIELDS: Record<string, Record<string, unknown>> = {
  [COLLECTIONS.agents]: agentFields,
  [COLLECTIONS.customers]: customerFields,
  [COLLECTIONS.conversations]: conversationFields,
  [COLLECTIONS.messages]: messageFields,
  [COLLECTIONS.conversationEvents]: conversationEventFields,
  [COLLECTIONS.sessions]: sessionFields,
  [COLLECTIONS.cannedResponses]: cannedResponseFields,
};

/** The schema of a collection, with its indexes declared (built by createMongoStore). */
export function schemaFor(collection: string, indexes: IndexSpec[]): Schema {
  const fields = DOMAIN_FIELDS[collection];
  const schema = fields
    ? new Schema(fields as SchemaDefinition, { ...documentOptions, collection })
    : new Schema({ _id: id }, { ...documentOptions, collection, strict: false });
  for (const index of indexes) {
    schema.index(index.key, {
      ...(index.unique ? { unique: true } : {}),
      ...(index.sparse ? { partialFilterExpression: nonNullKeys(schema, Object.keys(index.key)) } : {}),
    });
  }
  return schema;
}

const BSON_TYPES: Record<string, string> = { String: 'string', Number: 'number', Date: 'date', Boolean: 'bool' };

/**
 * IndexSpec's `sparse`: unique only among documents whose key fields all
 * hold a value. MongoDB's `sparse` option would still index explicit nulls,
 * so it is a partial index on the fields' BSON type ($type never matches null).
 */
function nonNullKeys(schema: Schema, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((field) => {
      const instance = schema.path(field)?.instance;
      const type = instance ? BSON_TYPES[instance] : undefined;
      return [field, { $type: type ?? ['string', 'number', 'date', 'bool', 'object', 'array', 'objectId', 'binData'] }];
    }),
  );
}
