// Issue 12, finding 7's customer half: `Customer` carries what a customer
// panel shows, and `customer(id)` answers whoever may see one of their
// conversations (null otherwise, as for an id that does not exist).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignConversationDocument, CustomerPanelDocument, InboxDocument, ResolveConversationDocument } from '../src/generated/graphql.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false', REOPEN_WINDOW: '50ms' } });
});
afterAll(async () => {
  await desk.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const openConversation = (waId: string) =>
  eventually('an open conversation', () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId, status: { $ne: 'RESOLVED' } }));

describe('customer(id)', () => {
  it('shows the number as people write it, the country, first and last seen, and the conversations the viewer may see', async () => {
    const ana = await desk.agent('Ana');
    const bob = await desk.agent('Bob');
    await desk.customerSays('first visit', { from: '16505551234', name: 'Sheena Nelson' });
    const first = await openConversation('16505551234');
    await desk.admin.run(ResolveConversationDocument, { conversationId: first._id, sendSurvey: false });
    // Past REOPEN_WINDOW (WhatsApp stamps messages in whole seconds): the next message opens a new conversation.
    await pause(100);
    await desk.customerSays('back again', { from: '16505551234', timestamp: new Date(Date.now() + 2_000) });
    const second = await openConversation('16505551234');
    expect(second._id).not.toBe(first._id);
    await desk.admin.run(AssignConversationDocument, { conversationId: second._id, agentId: ana.id });

    const inbox = await desk.admin.run(InboxDocument, { filter: { customerWaId: '+1 (650) 555-1234' }, messages: 1 });
    const customerId = inbox.conversations.edges[0]!.node.customer.id;

    const forAdmin = (await desk.admin.run(CustomerPanelDocument, { id: customerId })).customer!;
    expect(forAdmin).toMatchObject({ name: 'Sheena Nelson', waId: '16505551234', phone: '+1 650-555-1234', country: 'US', conversationCount: 2 });
    expect(new Date(forAdmin.lastSeenAt).getTime()).toBeGreaterThan(new Date(forAdmin.firstSeenAt).getTime());
    expect(forAdmin.conversations.totalCount).toBe(2);
    expect(forAdmin.conversations.edges.map((e) => e.node.id)).toEqual([second._id, first._id]); // most recently opened first

    // Ana holds the second conversation only; Bob holds none of theirs.
    const forAna = (await ana.client.run(CustomerPanelDocument, { id: customerId })).customer!;
    expect(forAna.conversationCount).toBe(1);
    expect(forAna.conversations.edges.map((e) => e.node.id)).toEqual([second._id]);
    expect((await bob.client.run(CustomerPanelDocument, { id: customerId })).customer).toBeNull();
    expect((await desk.admin.run(CustomerPanelDocument, { id: 'no-such-customer' })).customer).toBeNull();
  });
});
