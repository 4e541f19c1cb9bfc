import type { DeliveryStatus, MessageError } from '../domain/model.js';
import type { WorkflowDeps } from './deps.js';
import { applyHeldStatuses } from './outbound.js';
import * as transitions from './transitions.js';

export interface StatusInput {
  whatsappId: string;
  status: DeliveryStatus;
  at: Date;
  error: MessageError | null;
}

/**
 * A delivery receipt. Forward-only (a late `delivered` after `read` changes
 * nothing) and idempotent; a receipt for a message we don't know yet is held
 * and applied when the send call's answer names that wamid.
 */
export async function ingestStatus(deps: WorkflowDeps, input: StatusInput): Promise<'applied' | 'ignored' | 'held'> {
  const { messages } = deps.repos;
  const moved = await transitions.advanceMessageStatus(deps, input.whatsappId, input.status, input.at, input.error);
  if (moved) {
    if (moved.status === 'FAILED') deps.meters.sendFailed(input.error?.code ?? 0);
    return 'applied';
  }
  if (await messages.byWhatsappId(input.whatsappId)) return 'ignored';
  await messages.holdStatus(input.whatsappId, input.status, input.at, input.error);
  // The send may have finished between our two looks: apply now rather than wait forever.
  if (await messages.byWhatsappId(input.whatsappId)) await applyHeldStatuses(deps, input.whatsappId);
  return 'held';
}
