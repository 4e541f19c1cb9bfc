// Issue 14's bounded inputs and secret strength: text counted in characters
// (code points), blank text (zero-width and format characters too) refused,
// template components bounded, secrets with minimum lengths in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { characterCount, isBlank, textProblem } from '../src/domain/text.js';
import { AssignConversationDocument, SendMediaDocument, SendReplyDocument, SendTemplateDocument, ViewerDocument } from '../src/generated/graphql.js';
import { checkSecretStrength, pluginSecrets } from '../src/secretStrength.js';
import { builtInPlugins } from '../src/plugins/builtIns.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';
import { gql, gqlUpload } from './support/gqlClient.js';

describe('text limits', () => {
  it('counts characters as code points and treats invisible text as blank', () => {
    expect(characterCount('😀'.repeat(2049))).toBe(2049);
    expect(isBlank('\u200B\u200B\u200B')).toBe(true);
    expect(isBlank(' \u2060\uFEFF\u200D\u00AD\t\n')).toBe(true);
    expect(isBlank('\u200Bhi')).toBe(false);
    expect(textProblem('😀'.repeat(4096), 4096)).toBeNull();
    expect(textProblem('😀'.repeat(4097), 4096)).toBe('text has 4097 characters; at most 4096 are allowed');
  });
});

describe('replies and templates through GraphQL', () => {
  let desk: Desk;
  let conversationId: string;
  beforeAll(async () => {
    desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' } });
    await desk.customerSays('hello', { from: '15550990001' });
    conversationId = (await eventually('conversation', () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15550990001' })))._id;
  });
  afterAll(async () => desk?.close());

  it('refuses a reply of zero-width spaces, and sends 2,049 emoji (4,098 UTF-16 units, 2,049 characters)', async () => {
    const blank = await desk.admin.try(SendReplyDocument, { conversationId, text: '\u200B\u200B\u200B' });
    expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const emoji = await desk.admin.run(SendReplyDocument, { conversationId, text: '😀'.repeat(2049) });
    expect(emoji.sendReply.text).toBe('😀'.repeat(2049));
  });

  it('refuses template components over 16 KB serialized, sending nothing', async () => {
    const big = [{ type: 'body', parameters: [{ type: 'text', text: 'x'.repeat(17 * 1024) }] }];
    // The previous test's reply may still be on its way: count from a drained outbox.
    await desk.settle();
    const sentBefore = desk.emulator.sent.length;
    const refused = await desk.admin.try(SendTemplateDocument, { conversationId, name: 'order_update', language: 'en_US', components: big });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'components' });
    expect(refused.errors?.[0]?.message).toMatch(/at most 16384 are allowed/);
    await desk.settle();
    expect(desk.emulator.sent.length).toBe(sentBefore);
  });
});

describe('texts the desk sends customers on its own (settings)', () => {
  it.each(['GREETING_TEXT', 'OUT_OF_OFFICE_TEXT', 'SURVEY_TEXT', 'SURVEY_THANKS_TEXT'])('%s: blank or over 4,096 characters stops start-up naming it', (setting) => {
    expect(() => loadConfig({ [setting]: '\u200b\u200b' })).toThrow(new RegExp(`^Invalid configuration: ${setting}: the text must not be empty or blank`));
    expect(() => loadConfig({ [setting]: 'x'.repeat(4_097) })).toThrow(new RegExp(`^Invalid configuration: ${setting}: the text has 4097 characters; at most 4096`));
    // Counted as a person counts: 4,096 emoji (8,192 UTF-16 units) fit.
    expect(() => loadConfig({ [setting]: '🙂'.repeat(4_096) })).not.toThrow();
  });
});

describe('secret strength', () => {
  const strong = 'a'.repeat(32);
  it.each([
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'a' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'x'.repeat(31) }],
    ['WHATSAPP_APP_SECRET', { ADMIN_TOKEN: strong, WHATSAPP_APP_SECRET: 'x' }],
    ['WHATSAPP_VERIFY_TOKEN', { ADMIN_TOKEN: strong, WHATSAPP_VERIFY_TOKEN: 'short' }],
    ['METRICS_TOKEN', { ADMIN_TOKEN: strong, METRICS_TOKEN: 'short' }],
  ])('production refuses a short %s, naming it', (setting, env) => {
    expect(() => loadConfig({ NODE_ENV: 'production', ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', ...env })).toThrow(new RegExp(`^Invalid configuration: ${setting}: must be at least \\d+ characters in production`));
  });

  it('accepts strong secrets in production and only warns in development', () => {
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: strong, WHATSAPP_APP_SECRET: 'b'.repeat(16) }).secretWarnings).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'development', ADMIN_TOKEN: 'a' }).secretWarnings).toEqual([
      'ADMIN_TOKEN is shorter than 32 characters: start-up will refuse it with NODE_ENV=production',
    ]);
  });

  it('holds every built-in plugin secret to 16 characters in production', () => {
    const plugins = Object.values(builtInPlugins);
    expect(pluginSecrets(plugins, {}).map((s) => s.setting).sort()).toEqual(
      ['HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_SECRET', 'WEBHOOK_SECRET', 'ZENDESK_API_TOKEN', 'ZENDESK_WEBHOOK_SECRET'].sort(),
    );
    expect(() => checkSecretStrength(pluginSecrets(plugins, { ZENDESK_WEBHOOK_SECRET: 'z' }), true)).toThrow(/^Invalid configuration: ZENDESK_WEBHOOK_SECRET: /);
    expect(() => checkSecretStrength(pluginSecrets(plugins, { HUBSPOT_CLIENT_SECRET: 'h' }), true)).toThrow(/HUBSPOT_CLIENT_SECRET/);
    expect(checkSecretStrength(pluginSecrets(plugins, { HUBSPOT_CLIENT_SECRET: 'h' }), false)).toHaveLength(1);
  });
});

describe('every text input: a limit in characters, blank refused (issue 14, finding 7)', () => {
  // Each row: a value the rule refuses (with the field it names), and one that
  // only code-point counting accepts (emoji are two UTF-16 units each).
  interface Row {
    name: string;
    query: string;
    refused: Record<string, unknown>;
    field: string;
    accepted?: Record<string, unknown>;
  }
  let desk: Desk;
  let conversationId: string;
  let colleague: string;
  let cannedId: string;
  const zeroWidth = '\u200B\u2060\uFEFF';
  const emoji = (n: number) => '😀'.repeat(n);

  beforeAll(async () => {
    desk = await startDesk({ env: { ASSIGNMENT_POLICY: 'manual', SURVEY_ENABLED: 'false' } });
    await desk.customerSays('hello', { from: '15550990101' });
    conversationId = (await eventually('conversation', () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15550990101' })))._id;
    const admin = await desk.admin.try(ViewerDocument);
    await desk.admin.run(AssignConversationDocument, { conversationId, agentId: admin.data!.viewer!.id });
    colleague = (await desk.agent('Colleague', { capacity: 10 })).id;
    const canned = await gql(`${desk.url}/graphql`, 'mutation { createCannedResponse(input: { shortcut: "hello", text: "Hello!" }) { id } }', {}, desk.admin.token);
    cannedId = (canned.data as { createCannedResponse: { id: string } }).createCannedResponse.id;
  });
  afterAll(async () => desk?.close());

  const rows = (): Row[] => [
    { name: 'createCannedResponse text', query: 'mutation ($t: String!) { createCannedResponse(input: { shortcut: "x1", text: $t }) { id } }', refused: { t: zeroWidth }, field: 'text', accepted: { t: emoji(4096) } },
    { name: 'createCannedResponse text, too long', query: 'mutation ($t: String!) { createCannedResponse(input: { shortcut: "x2", text: $t }) { id } }', refused: { t: emoji(4097) }, field: 'text' },
    { name: 'updateCannedResponse text', query: `mutation ($t: String!) { updateCannedResponse(id: "${cannedId}", input: { text: $t }) { id } }`, refused: { t: ` ${zeroWidth}\n` }, field: 'text', accepted: { t: emoji(10) } },
    { name: 'cannedResponses search', query: 'query ($s: String) { cannedResponses(search: $s) { id } }', refused: { s: 'a'.repeat(201) }, field: 'search', accepted: { s: emoji(200) } },
    { name: 'templates search', query: 'query ($s: String) { templates(search: $s) { id } }', refused: { s: 'a'.repeat(201) }, field: 'search', accepted: { s: emoji(200) } },
    { name: 'conversations filter.search', query: 'query ($s: String) { conversations(filter: { search: $s }) { totalCount } }', refused: { s: 'a'.repeat(201) }, field: 'filter.search', accepted: { s: emoji(200) } },
    { name: 'conversations filter.customerWaId', query: 'query ($w: String) { conversations(filter: { customerWaId: $w }) { totalCount } }', refused: { w: '1'.repeat(51) }, field: 'filter.customerWaId', accepted: { w: '+1 (555) 099-0101' } },
    { name: 'conversations filter.labels', query: 'query ($l: [String!]) { conversations(filter: { labels: $l }) { totalCount } }', refused: { l: [zeroWidth] }, field: 'filter.labels', accepted: { l: ['🏷'.repeat(50)] } },
    { name: 'addLabels', query: `mutation ($l: [String!]!) { addLabels(conversationId: "${conversationId}", labels: $l) { id } }`, refused: { l: ['vip', zeroWidth] }, field: 'labels', accepted: { l: ['🏷'.repeat(50)] } },
    { name: 'addLabels, too long', query: `mutation ($l: [String!]!) { addLabels(conversationId: "${conversationId}", labels: $l) { id } }`, refused: { l: ['🏷'.repeat(51)] }, field: 'labels' },
    { name: 'transferConversation note', query: `mutation ($n: String) { transferConversation(conversationId: "${conversationId}", agentId: "${colleague}", note: $n) { id } }`, refused: { n: emoji(1001) }, field: 'note', accepted: { n: emoji(1000) } },
  ];

  it('refuses what each rule refuses, naming the field, and counts in code points', async () => {
    const outcomes: string[] = [];
    for (const row of rows()) {
      const refused = await gql(`${desk.url}/graphql`, row.query, row.refused, desk.admin.token);
      const error = refused.errors?.[0];
      if (error?.extensions?.['code'] !== 'BAD_USER_INPUT' || error.extensions['field'] !== row.field) outcomes.push(`${row.name}: not refused as BAD_USER_INPUT on ${row.field}: ${JSON.stringify(refused)}`.slice(0, 300));
      if (row.accepted) {
        const accepted = await gql(`${desk.url}/graphql`, row.query, row.accepted, desk.admin.token);
        if (accepted.errors?.length) outcomes.push(`${row.name}: refused a value within the limit: ${JSON.stringify(accepted.errors)}`.slice(0, 300));
      }
    }
    expect(outcomes).toEqual([]);
  });

  it('sendMedia: an invisible caption is refused (it would reach the customer as nothing); an empty one is no caption', async () => {
    const pdf = { bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000, 1), Buffer.from('\n%%EOF\n')]), type: 'application/pdf', name: 'a.pdf' };
    await desk.customerSays('send it', { from: '15550990102' });
    const id = (await eventually('conversation', () => desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: '15550990102' })))._id;
    const send = (caption: string) => gqlUpload(`${desk.url}/graphql`, SendMediaDocument, { conversationId: id, caption }, { file: pdf }, desk.admin.token);
    const invisible = await send(zeroWidth);
    expect(invisible.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'caption' });
    const tooLong = await send(emoji(1025));
    expect(tooLong.errors?.[0]?.message).toBe('the caption has 1025 characters; at most 1024 are allowed');
    const empty = await send('');
    expect(empty.errors).toBeUndefined();
    expect(empty.data?.sendMedia.text).toBeNull();
    const full = await send(emoji(1024));
    expect(full.errors).toBeUndefined();
  });
});
