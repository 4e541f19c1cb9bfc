// Delivery statuses only move forward. WhatsApp may skip `delivered`, deliver
// statuses out of order or twice, so a late `delivered` after `read` is a no-op.
// FAILED can follow anything short of READ (131047 can arrive after `sent`),
// and nothing follows FAILED.
import type { DeliveryStatus } from './model.js';

const RANK: Record<DeliveryStatus, number> = { RECEIVED: 0, QUEUED: 1, SENT: 2, DELIVERED: 3, READ: 4, FAILED: 4 };

/** The statuses a message may be in for `next` to apply: the precondition of the atomic update. */
export function statusesBefore(next: DeliveryStatus): DeliveryStatus[] {
  if (next === 'FAILED') return ['QUEUED', 'SENT', 'DELIVERED'];
  return (['QUEUED', 'SENT', 'DELIVERED', 'READ'] as const).filter((s) => RANK[s] < RANK[next]);
}

export function movesForward(current: DeliveryStatus, next: DeliveryStatus): boolean {
  return statusesBefore(next).includes(current);
}
