// Issue 12, finding 10's survey half: feedback belongs to a cycle. The
// thank-you message invites a comment, the comment shows in the timeline, a
// further message reopens as usual, and a reopened and re-resolved
// conversation keeps both cycles' ratings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationScreenDocument, ResolveConversationDocument } from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'least_loaded' } });
});
afterAll(async () => {
  await desk.close();
});

const CUSTOMER = '15550006001';
const textOf = (sent: { body: Record<string, unknown> }) => (sent.body['text'] as { body?: string } | undefined)?.body;

/** Resolves with the survey, waits for it at WhatsApp, and rates it `score`. */
async function resolveAndRate(conversationId: string, agent: Desk['admin'], score: number): Promise<void> {
  const surveysBefore = desk.emulator.sent.filter((s) => s.type === 'interactive').length;
  await agent.run(ResolveConversationDocument, { conversationId, sendSurvey: true });
  const survey = await eventually('the survey', () => desk.emulator.sent.filter((s) => s.type === 'interactive')[surveysBefore]);
  await desk.sendInbound({ type: 'list_reply', from: CUSTOMER, replyId: `rating-${score}`, title: `${score}`, replyTo: survey.whatsappId });
}

describe('feedback per cycle', () => {
  it('thanks invites a comment, the comment is in the timeline, the next message reopens, and each cycle keeps its own rating', async () => {
    const ana = await desk.agent('Ana');
    await desk.customerSays('my parcel is late', { from: CUSTOMER });
    await desk.settle();
    const conversation = await eventually('assigned to Ana', () =>
      desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: CUSTOMER, status: 'ASSIGNED' }),
    );
    const id = conversation._id;
    const screen = async () => (await ana.client.run(ConversationScreenDocument, { id })).conversation!;

    // Cycle 1: rated 5; the thank-you invites a comment; the comment arrives and shows in the timeline.
    await resolveAndRate(id, ana.client, 5);
    const thanks = await eventually('the thank-you', () => desk.emulator.sent.find((s) => textOf(s)?.startsWith('Thank you for your feedback!')));
    expect(textOf(thanks)).toMatch(/reply with a comment/);
    await desk.customerSays('Quick and friendly', { from: CUSTOMER });
    await desk.settle();
    const commented = await screen();
    expect(commented.status).toBe('RESOLVED'); // the invited comment does not reopen
    expect(commented.feedback).toMatchObject({ cycle: 1, score: 5, comment: 'Quick and friendly' });
    const lines = commented.events.edges.map((e) => e.node);
    expect(lines.find((e) => e.kind === 'RATED')).toMatchObject({ score: 5, cycle: 1, actorType: 'CUSTOMER' });
    expect(lines.find((e) => e.kind === 'COMMENTED')).toMatchObject({ comment: 'Quick and friendly', cycle: 1, actorType: 'CUSTOMER' });

    // A further message reopens as usual: cycle 2 starts without a rating.
    await desk.customerSays('Actually, one more thing', { from: CUSTOMER });
    await desk.settle();
    const reopened = await eventually('reopened', async () => {
      const c = await screen();
      return c.cycle === 2 && c.status !== 'RESOLVED' ? c : null;
    });
    expect(reopened.feedback).toBeNull();
    expect(reopened.feedbackHistory).toEqual([expect.objectContaining({ cycle: 1, score: 5, comment: 'Quick and friendly' })]);

    // Cycle 2: rated 2, no comment. Both cycles are kept; `feedback` is cycle 2's.
    await eventually('assigned again', async () => (await screen()).status === 'ASSIGNED');
    await resolveAndRate(id, ana.client, 2);
    const rerated = await eventually('cycle 2 rated', async () => {
      const c = await screen();
      return c.feedback?.cycle === 2 ? c : null;
    });
    expect(rerated.feedback).toMatchObject({ cycle: 2, score: 2, comment: null });
    expect(rerated.feedbackHistory.map((f) => [f.cycle, f.score, f.comment])).toEqual([
      [1, 5, 'Quick and friendly'],
      [2, 2, null],
    ]);
  });
});
