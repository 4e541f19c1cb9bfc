// Conversation lifecycle: which status each change may start from and where it
// leads. The repository states these as the precondition of its atomic updates
// (store/repositories/conversations.ts), so the rules live in one place.
import type { ConversationStatus } from './model.js';

export type Transition = 'assign' | 'requeue' | 'resolve' | 'reopen' | 'transfer';

const ALLOWED: Record<Transition, readonly ConversationStatus[]> = {
  assign: ['QUEUED'],
  transfer: ['ASSIGNED'],
  requeue: ['ASSIGNED'],
  resolve: ['QUEUED', 'ASSIGNED'],
  reopen: ['RESOLVED'],
};

const TARGET: Record<Transition, ConversationStatus> = {
  assign: 'ASSIGNED',
  transfer: 'ASSIGNED',
  requeue: 'QUEUED',
  resolve: 'RESOLVED',
  reopen: 'QUEUED',
};

/** The statuses a transition may start from: use as the precondition of the atomic update. */
export function allowedFrom(transition: Transition): ConversationStatus[] {
  return [...ALLOWED[transition]];
}

export function targetOf(transition: Transition): ConversationStatus {
  return TARGET[transition];
}

export type ReopenDecision = 'reopen' | 'open_new';

/**
 * A customer writing after resolution reopens the same conversation inside
 * REOPEN_WINDOW, otherwise starts a new one.
 */
export function decideOnCustomerReturn(resolvedAt: Date, messageAt: Date, reopenWindowMs: number): ReopenDecision {
  return messageAt.getTime() - resolvedAt.getTime() <= reopenWindowMs ? 'reopen' : 'open_new';
}
