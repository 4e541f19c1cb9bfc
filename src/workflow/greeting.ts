import { isOpen } from '../domain/businessHours.js';
import type { ConversationDoc } from '../domain/model.js';
import type { WorkflowDeps } from './deps.js';
import { deskMessage } from './messageFactory.js';
import { queueOutbound } from './outbound.js';

/**
 * The first time a conversation opens it greets the customer, or tells them
 * the desk is closed. `claimGreeting` is an atomic slot, so a redelivered
 * webhook or a second instance never greets twice. A greeting is SYSTEM-authored
 * and never counts as a first response.
 */
export async function greet(deps: WorkflowDeps, conversation: ConversationDoc): Promise<boolean> {
  if (!deps.sender) {
    deps.logger.warn({ conversationId: conversation._id }, 'greeting not sent: WhatsApp sending is not configured');
    return false;
  }
  const now = deps.clock.now();
  const claimed = await deps.repos.conversations.claimGreeting(conversation._id, now);
  if (!claimed) return false;
  const open = isOpen(deps.config.businessHours, now);
  await queueOutbound(
    deps,
    deskMessage({
      conversation: claimed,
      author: 'SYSTEM',
      type: 'TEXT',
      text: open ? deps.config.greetingText : deps.config.outOfOfficeText,
      payload: { purpose: open ? 'greeting' : 'out_of_office' },
      now,
    }),
  );
  return true;
}
