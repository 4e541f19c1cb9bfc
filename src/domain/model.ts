import type { LoggedEventType } from './events.js';
// The records the desk keeps. These are the stored document shapes: every
// engine (MongoDB through mongoose, or the embedded mingo engine) stores and
// returns exactly these, with Date objects for times and string ids.
import type { MediaStatus } from './media.js';

export const AGENT_ROLES = ['ADMIN', 'AGENT'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const AGENT_STATUSES = ['ONLINE', 'AWAY', 'OFFLINE'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const CONVERSATION_STATUSES = ['QUEUED', 'ASSIGNED', 'RESOLVED'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** INTERNAL: a note, which never leaves the desk. */
export const MESSAGE_DIRECTIONS = ['INBOUND', 'OUTBOUND', 'INTERNAL'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

export const MESSAGE_AUTHORS = ['CUSTOMER', 'AGENT', 'SYSTEM', 'INTEGRATION'] as const;
export type MessageAuthor = (typeof MESSAGE_AUTHORS)[number];

export const DELIVERY_STATUSES = ['RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const MESSAGE_TYPES = [
  'TEXT',
  'IMAGE',
  'VIDEO',
  'AUDIO',
  'DOCUMENT',
  'STICKER',
  'LOCATION',
  'CONTACTS',
  'INTERACTIVE',
  'BUTTON',
  'REACTION',
  'ORDER',
  'SYSTEM',
  'TEMPLATE',
  'NOTE',
  'UNSUPPORTED',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface AgentDoc {
  _id: string;
  name: string;
  email: string;
  role: AgentRole;
  status: AgentStatus;
  capacity: number;
  /** Conversations currently ASSIGNED to this agent; changed only by atomic $inc with a capacity precondition. */
  activeConversations: number;
  /** sha256 of the bearer token; the token itself is never stored. */
  tokenHash: string;
  /** scrypt hash for signIn (see workflow/passwords.ts); null: this agent signs in with its API token only. */
  passwordHash: string | null;
  /** False once an admin deactivated the agent: every credential refused, never assigned. */
  active: boolean;
  lastAssignedAt: Date | null;
  statusChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A signed-in browser: the session token is handed out once and stored only as its sha256. */
export interface SessionDoc {
  _id: string;
  agentId: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** A reply an agent inserts by its shortcut ("/refund"). */
export interface CannedResponseDoc {
  _id: string;
  /** Lower case letters, digits, "-" and "_"; unique. */
  shortcut: string;
  text: string;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CustomerDoc {
  _id: string;
  /** WhatsApp id (the phone number in international form, no '+'). Unique. */
  waId: string;
  name: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ExternalLink {
  system: string;
  externalId: string;
  url: string | null;
}

export interface Feedback {
  score: number;
  comment: string | null;
  receivedAt: Date;
}

export interface SurveyState {
  /** When the survey was sent, or null when it could not be sent. */
  sentAt: Date | null;
  messageId: string | null;
  /** Why no survey went out (window closed and no template configured, ...). */
  skippedReason: string | null;
  /** Set when the rating arrives: one rating per survey. */
  ratedAt: Date | null;
  thankedAt: Date | null;
  /** Set at resolution when a survey is owed and not yet sent: the survey sweep sends it after a crash. */
  owedAt?: Date | null;
}

export interface ConversationDoc {
  _id: string;
  customerId: string;
  /** Denormalised customer WhatsApp id, so sends need no join. */
  waId: string;
  status: ConversationStatus;
  /**
   * customerId while the conversation is not RESOLVED, null after. A unique
   * sparse index on it lets only one open conversation exist per customer,
   * even when two of their messages arrive at once on two instances.
   */
  activeKey: string | null;
  assigneeId: string | null;
  /** The agent who held it when it was last resolved: reopen goes back to them when possible. */
  previousAssigneeId: string | null;
  /** 1 for the first open, +1 per reopen. Metrics treat each cycle separately. */
  cycle: number;
  openedAt: Date;
  /** Start of the current cycle (openedAt or the last reopen). */
  cycleStartedAt: Date;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  assignedAt: Date | null;
  /** From the customer's own message timestamp: the 24-hour window runs from here. */
  lastCustomerMessageAt: Date | null;
  lastMessageAt: Date | null;
  lastMessageId: string | null;
  /**
   * What the inbox orders by: opening, reopening and every customer or desk
   * message (notes excluded) move it forward, never back.
   */
  lastActivityAt: Date;
  /** The customer's latest message: the inbox previews it (never the greeting). */
  lastCustomerMessageId: string | null;
  /** Customer messages since an agent last read the conversation. */
  unreadCount: number;
  /** Free-form tags, trimmed, at most MAX_LABELS. */
  labels: string[];
  /** Every agent who has held the conversation: they keep read access after it moves on. */
  handlerIds: string[];
  greetingSentAt: Date | null;
  survey: SurveyState | null;
  feedback: Feedback | null;
  externalLinks: ExternalLink[];
  createdAt: Date;
  updatedAt: Date;
}

export interface MediaRef {
  /** Meta's media id: the customer's upload for inbound, ours (after upload) for outbound. */
  id: string | null;
  mimeType: string | null;
  /** Lower-case hex SHA-256 of the file (Meta's base64 is converted). */
  sha256: string | null;
  caption: string | null;
  filename: string | null;
  voice: boolean | null;
  /**
   * PENDING until the desk holds the bytes (inbound: downloaded and
   * verified); READY; FAILED with `failureReason`. Absent on records written
   * before media were stored, read as PENDING.
   */
  status?: MediaStatus;
  size?: number | null;
  failureReason?: string | null;
}

export interface MessageError {
  code: number;
  title: string;
  details: string | null;
  /** The send gave up after exhausting its retries: an admin retrying the dead letter sends it again. */
  exhausted?: boolean;
}

/**
 * Where an outbound message stands in the outbox (the store is the truth; a
 * job runner only wakes workers). QUEUED → SENDING (leased) → SENT, or FAILED
 * (Meta refused it for good), or DEAD (retries exhausted; an admin may retry).
 */
export const OUTBOX_STATES = ['QUEUED', 'SENDING', 'SENT', 'FAILED', 'DEAD'] as const;
export type OutboxStateName = (typeof OUTBOX_STATES)[number];

export interface OutboxState {
  state: OutboxStateName;
  /** Tries started (leases taken). */
  attempts: number;
  /** Not tried before this (backoff, Retry-After). */
  nextAttemptAt: Date;
  /** The instance holding the lease while SENDING. */
  leaseOwner: string | null;
  /** Past this a SENDING message counts as abandoned (its sender died) and is sent again. */
  leaseUntil: Date | null;
  lastError: string | null;
}

export interface MessageDoc {
  _id: string;
  conversationId: string;
  customerId: string;
  direction: MessageDirection;
  author: MessageAuthor;
  agentId: string | null;
  /** Plugin name when the message came from an integration, so it is never echoed back to it. */
  origin: string | null;
  /** Who wrote it when the desk has no agent record for them: the CRM agent behind an integration's reply. Absent on older messages. */
  authorName?: string | null;
  type: MessageType;
  text: string | null;
  media: MediaRef | null;
  /** The type-specific object as WhatsApp sent it (interactive, location, contacts, unsupported, ...) or as we sent it. */
  payload: Record<string, unknown> | null;
  status: DeliveryStatus;
  statusAt: Date;
  error: MessageError | null;
  /** WhatsApp message id (wamid). Unique when set. */
  whatsappId: string | null;
  /** The wamid this message replies to (context.id). */
  replyToWhatsappId: string | null;
  /** For inbound: the customer's timestamp. For outbound: creation time. */
  sentAt: Date;
  /** Outbound messages that travel to WhatsApp; absent on inbound messages and notes. */
  outbox?: OutboxState | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The reporting log's entry types: the domain events it keeps (domain/events.ts). */
export type ConversationEventType = LoggedEventType;

export interface ConversationEventDoc {
  _id: string;
  type: ConversationEventType;
  /** null for agent.status. */
  conversationId: string | null;
  agentId: string | null;
  cycle: number | null;
  at: Date;
  /**
   * type-specific (written by src/events/listeners/eventLog.ts): conversation.opened/reopened {};
   * conversation.assigned {by, fromAgentId, actorId?, note?}; conversation.unassigned {reason, actorId?};
   * conversation.reopened {by?};
   * conversation.first_response {cycleStartedAt}; conversation.resolved {cycleStartedAt, by};
   * feedback.received {score}; feedback.commented {comment}; agent.status {from, to}
   */
  data: Record<string, unknown>;
}
