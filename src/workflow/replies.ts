import { DeskError, badInput } from '../domain/errors.js';
import type { AgentDoc, ConversationDoc, MessageDoc } from '../domain/model.js';
import { isServiceWindowOpen, serviceWindowExpiresAt } from '../domain/serviceWindow.js';
import { missingWhatsAppSettings } from '../config.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';
import { deskMessage } from './messageFactory.js';
import { READ_QUEUE, queueOutbound } from './outbound.js';
import { loadActionable } from './access.js';
import { characterCount, isBlank, textProblem } from '../domain/text.js';

/** Meta's limit on a text body, in characters. */
export const MAX_TEXT = 4096;
/** Notes never leave the desk, so Meta's limit is not theirs: this one only keeps a conversation readable. */
export const MAX_NOTE_TEXT = 10_000;
/** A CRM agent's display name is shown, not trusted: longer ones are cut rather than refused, so the reply still goes out. */
const MAX_AUTHOR_NAME = 200;

function requireSender(deps: WorkflowDeps): void {
  if (!deps.sender) {
    const missing = missingWhatsAppSettings(deps.whatsapp);
    throw new DeskError('WHATSAPP_NOT_CONFIGURED', `WhatsApp sending is not configured: set ${missing.join(' and ')}`, { missing });
  }
}

function checkText(text: string): string {
  const problem = textProblem(text, MAX_TEXT);
  if (problem) throw badInput(problem, 'text');
  return text;
}

function requireWindow(deps: WorkflowDeps, conversation: ConversationDoc): void {
  if (!isServiceWindowOpen(conversation.lastCustomerMessageAt, deps.clock.now())) {
    throw new DeskError('SERVICE_WINDOW_CLOSED', 'the 24-hour customer service window is closed: send an approved template instead', {
      expiredAt: serviceWindowExpiresAt(conversation.lastCustomerMessageAt)?.toISOString() ?? null,
    });
  }
}

/** The first human reply of a cycle is its first response (greetings, surveys and notes never are). */
async function noteFirstResponse(deps: WorkflowDeps, conversation: ConversationDoc, agentId: string | null, at: Date): Promise<void> {
  if (conversation.status === 'RESOLVED' || conversation.firstResponseAt) return;
  await transitions.markFirstResponse(deps, conversation._id, agentId, at);
}

/** WhatsApp's read receipt (blue ticks) for the customer's latest message; one per message. */
async function markCustomerRead(deps: WorkflowDeps, conversationId: string): Promise<void> {
  const last = await deps.repos.messages.lastInbound(conversationId);
  if (!last?.whatsappId) return;
  try {
    await deps.queue.enqueue(READ_QUEUE, { whatsappId: last.whatsappId }, { jobId: `read-${last._id}` });
  } catch (error) {
    // A blue tick is not worth failing the reply over.
    deps.dependencyFailed('job queue', error, { during: 'mark as read' });
  }
}

/**
 * Anything the desk says inside the 24-hour window: checked, queued by
 * `queue`, counted as the cycle's first response, and the customer's latest
 * message marked read.
 */
export async function noteReply(deps: WorkflowDeps, conversation: ConversationDoc, agentId: string | null, now: Date, queue: () => Promise<MessageDoc>): Promise<MessageDoc> {
  requireSender(deps);
  requireWindow(deps, conversation);
  // Whoever replies has read what the customer wrote.
  await transitions.markConversationRead(deps, conversation._id, now);
  const message = await queue();
  await noteFirstResponse(deps, conversation, agentId, now);
  await markCustomerRead(deps, conversation._id);
  return message;
}

async function reply(deps: WorkflowDeps, conversation: ConversationDoc, text: string, author: { agentId: string | null; origin: string | null; authorName?: string | null }): Promise<MessageDoc> {
  requireSender(deps);
  checkText(text);
  const now = deps.clock.now();
  return noteReply(deps, conversation, author.agentId, now, () =>
    queueOutbound(
      deps,
      deskMessage({ conversation, author: author.origin ? 'INTEGRATION' : 'AGENT', agentId: author.agentId, origin: author.origin, authorName: author.authorName ?? null, type: 'TEXT', text, now }),
    ),
  );
}

export async function sendReply(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, text: string): Promise<MessageDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  return reply(deps, conversation, text, { agentId: viewer._id, origin: null });
}

/** A reply written by a human in a CRM, arriving through its plugin. */
export async function postIntegrationReply(deps: WorkflowDeps, plugin: string, conversation: ConversationDoc, text: string, authorName: string | null = null): Promise<MessageDoc> {
  return reply(deps, conversation, text, { agentId: null, origin: plugin, authorName: authorName?.trim().slice(0, MAX_AUTHOR_NAME) || null });
}

/** Internal: never sent to WhatsApp, never a first response. */
export async function addNote(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, text: string): Promise<MessageDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  if (isBlank(text)) throw badInput('a note must not be empty or blank', 'text');
  const length = characterCount(text);
  if (length > MAX_NOTE_TEXT) throw badInput(`a note holds at most ${MAX_NOTE_TEXT} characters (notes stay in the desk); this one has ${length}`, 'text');
  const now = deps.clock.now();
  return transitions.addNote(deps, deskMessage({ conversation, author: 'AGENT', agentId: viewer._id, type: 'NOTE', text, now }), conversation);
}

/** The assignee (or an admin) has read the conversation: nothing unread, and the customer sees the blue ticks. */
export async function markConversationRead(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string): Promise<ConversationDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  const read = await transitions.markConversationRead(deps, conversationId, deps.clock.now());
  await markCustomerRead(deps, conversationId);
  return read ?? conversation;
}
