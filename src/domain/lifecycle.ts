// Conversation lifecycle: every status change the desk makes is checked here,
// so the rules live in one place and the workflow cannot drift from them.
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

export class TransitionError extends Error {
  constructor(
    readonly transition: Transition,
    readonly from: ConversationStatus,
  ) {
    super(`cannot ${transition} a conversation that is ${from}`);
    this.name = 'TransitionError';
  }
}

/** The statuses a transition may start from: use as the precondition of the atomic update. */
export function allowedFrom(transition: Transition): ConversationStatus[] {
  return [...ALLOWED[transition]];
}

export function targetOf(transition: Transition): ConversationStatus {
  return TARGET[transition];
}

export function assertTransition(transition: Transition, from: ConversationStatus): void {
  if (!ALLOWED[transition].includes(from)) throw new TransitionError(transition, from);
}

export type ReopenDecision = 'reopen' | 'open_new';

/**
 * A customer writing after resolution reopens the same conversation inside
 * REOPEN_WINDOW, otherwise starts a new one.
 */
export function decideOnCustomerReturn(resolvedAt: Date, messageAt: Date, reopenWindowMs: number): ReopenDecision {
  return messageAt.getTime() - resolvedAt.getTime() <= reopenWindowMs ? 'reopen' : 'open_new';
}
