// Delivery statuses only move forward. An outbound message goes QUEUED →
// SENT → DELIVERED → READ (`played`, for voice messages, means READ to the
// desk). Meta delivers statuses late, twice and out of order, and may skip
// `delivered`, so an update applies only when it moves the message forward: a
// late `delivered` after `read` is a no-op.
//
// FAILED: a `failed` status can follow `sent` (131047 arrives that way) and
// even a `delivered` whose receipt overtook it, so it wins over everything
// short of READ: once the customer has read a message, no later report can
// make it undelivered. Nothing moves a message out of FAILED (retrying a
// dead-lettered send is a deliberate act of the workflow, not a status).
// RECEIVED belongs to inbound messages, which have no delivery statuses.
//
// The repositories state `statusesBefore` as the precondition of their
// atomic updates, so the rule is applied in one place.
import type { DeliveryStatus } from './model.js';

const RANK: Record<DeliveryStatus, number> = { RECEIVED: 0, QUEUED: 1, SENT: 2, DELIVERED: 3, READ: 4, FAILED: 4 };

/** The statuses a message may be in for `next` to apply: the precondition of the atomic update. */
export function statusesBefore(next: DeliveryStatus): DeliveryStatus[] {
  if (next === 'FAILED') return ['QUEUED', 'SENT', 'DELIVERED'];
  return (['QUEUED', 'SENT', 'DELIVERED', 'READ'] as const).filter((s) => RANK[s] < RANK[next]);
}

/** True when `next` moves a message currently at `current` forward. */
export function movesForward(current: DeliveryStatus, next: DeliveryStatus): boolean {
  return statusesBefore(next).includes(current);
}
