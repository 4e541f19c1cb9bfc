// The satisfaction survey: an interactive list rated 1–5 inside the 24-hour
// window, the configured template outside it, otherwise a recorded reason.
import type { ConversationDoc, MessageDoc } from '../domain/model.js';
import { isServiceWindowOpen } from '../domain/serviceWindow.js';
import type { WorkflowDeps } from './deps.js';
import { deskMessage } from './messageFactory.js';
import { queueOutbound } from './outbound.js';

const RATINGS: Array<{ score: number; title: string; description: string }> = [
  { score: 5, title: '5 - Excellent', description: 'Very satisfied' },
  { score: 4, title: '4 - Good', description: 'Satisfied' },
  { score: 3, title: '3 - Okay', description: 'Neither satisfied nor dissatisfied' },
  { score: 2, title: '2 - Poor', description: 'Dissatisfied' },
  { score: 1, title: '1 - Very poor', description: 'Very dissatisfied' },
];

/** Reply ids we understand: our list's `rating-N`, and the three-button form (`survey-good|okay|bad`). */
export function ratingFromReplyId(replyId: string | null | undefined): number | null {
  if (!replyId) return null;
  const list = /^rating-([1-5])$/.exec(replyId);
  if (list) return Number(list[1]);
  return ({ 'survey-good': 5, 'survey-okay': 3, 'survey-bad': 1 } as Record<string, number>)[replyId] ?? null;
}

/** Sends the survey a resolved conversation is owed (see conversations.resolve); null when it is not owed (any more). */
export async function sendSurvey(deps: WorkflowDeps, owed: ConversationDoc): Promise<ConversationDoc | null> {
  const now = deps.clock.now();
  const conversation = await deps.repos.conversations.claimSurvey(owed._id, now);
  if (!conversation) return null;
  const survey = deps.config.survey;
  const skip = (reason: string) =>
    deps.repos.conversations.setSurvey(conversation._id, { sentAt: null, messageId: null, skippedReason: reason, ratedAt: null, thankedAt: null }, now);

  if (!deps.sender) return skip('WhatsApp sending is not configured');
  let message: MessageDoc;
  if (isServiceWindowOpen(conversation.lastCustomerMessageAt, now)) {
    message = deskMessage({
      conversation,
      author: 'SYSTEM',
      type: 'INTERACTIVE',
      text: survey.text,
      payload: {
        purpose: 'survey',
        body: survey.text,
        button: 'Rate us',
        sections: [{ title: 'Your rating', rows: RATINGS.map((r) => ({ id: `rating-${r.score}`, title: r.title, description: r.description })) }],
      },
      now,
    });
  } else if (survey.templateName) {
    message = deskMessage({
      conversation,
      author: 'SYSTEM',
      type: 'TEMPLATE',
      text: survey.text,
      payload: { purpose: 'survey', name: survey.templateName, language: survey.templateLanguage, components: [] },
      now,
    });
  } else {
    return skip('the 24-hour window is closed and no SURVEY_TEMPLATE_NAME is configured');
  }
  const sent = await queueOutbound(deps, message);
  return deps.repos.conversations.setSurvey(conversation._id, { sentAt: now, messageId: sent._id, skippedReason: null, ratedAt: null, thankedAt: null }, now);
}
