// Issue 12 "Canned responses": admins write, everyone reads, shortcuts are unique.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CannedResponsesDocument,
  CreateCannedResponseDocument,
  DeleteCannedResponseDocument,
  UpdateCannedResponseDocument,
} from '../src/generated/graphql.js';
import { startDesk, type Desk } from './support/desk.js';

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk();
});
afterAll(async () => {
  await desk.close();
});

describe('canned responses', () => {
  it('admins create, update and delete; agents read and search', async () => {
    const agent = await desk.agent('Reader', { online: false });
    const refund = (await desk.admin.run(CreateCannedResponseDocument, { input: { shortcut: '/Refund', text: 'Your refund is on its way.' } })).createCannedResponse;
    expect(refund).toMatchObject({ shortcut: 'refund', text: 'Your refund is on its way.' });
    await desk.admin.run(CreateCannedResponseDocument, { input: { shortcut: 'hours', text: 'We are open 9 to 5.' } });

    expect((await agent.client.run(CannedResponsesDocument, {})).cannedResponses.map((c) => c.shortcut)).toEqual(['hours', 'refund']);
    expect((await agent.client.run(CannedResponsesDocument, { search: 'OPEN 9' })).cannedResponses.map((c) => c.shortcut)).toEqual(['hours']);
    expect((await agent.client.run(CannedResponsesDocument, { search: 'ref' })).cannedResponses.map((c) => c.shortcut)).toEqual(['refund']);
    // Search text is literal, not a pattern.
    expect((await agent.client.run(CannedResponsesDocument, { search: '.*' })).cannedResponses).toEqual([]);

    const denied = await agent.client.try(CreateCannedResponseDocument, { input: { shortcut: 'mine', text: 'no' } });
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await agent.client.try(DeleteCannedResponseDocument, { id: refund.id })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    const updated = await desk.admin.run(UpdateCannedResponseDocument, { id: refund.id, input: { text: 'Refunds take 3 days.' } });
    expect(updated.updateCannedResponse).toMatchObject({ id: refund.id, shortcut: 'refund', text: 'Refunds take 3 days.' });

    expect((await desk.admin.run(DeleteCannedResponseDocument, { id: refund.id })).deleteCannedResponse).toBe(true);
    expect((await desk.admin.try(DeleteCannedResponseDocument, { id: refund.id })).errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect((await agent.client.run(CannedResponsesDocument, {})).cannedResponses.map((c) => c.shortcut)).toEqual(['hours']);
  });

  it('a duplicate shortcut is CONFLICT, on create and on update; bad input names its field', async () => {
    await desk.admin.run(CreateCannedResponseDocument, { input: { shortcut: 'greet', text: 'Hello!' } });
    const dup = await desk.admin.try(CreateCannedResponseDocument, { input: { shortcut: '/GREET', text: 'Hi again' } });
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'shortcut' });
    const other = (await desk.admin.run(CreateCannedResponseDocument, { input: { shortcut: 'bye', text: 'Goodbye!' } })).createCannedResponse;
    const clash = await desk.admin.try(UpdateCannedResponseDocument, { id: other.id, input: { shortcut: 'greet' } });
    expect(clash.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'shortcut' });

    const badShortcut = await desk.admin.try(CreateCannedResponseDocument, { input: { shortcut: 'two words', text: 'x' } });
    expect(badShortcut.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shortcut' });
    const emptyText = await desk.admin.try(CreateCannedResponseDocument, { input: { shortcut: 'empty', text: '   ' } });
    expect(emptyText.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const missing = await desk.admin.try(UpdateCannedResponseDocument, { id: 'nope', input: { text: 'x' } });
    expect(missing.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });
});
