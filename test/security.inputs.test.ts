// Issue 14's bounded inputs and secret strength: text counted in characters
// (code points), blank text (zero-width and format characters too) refused,
// template components bounded, secrets with minimum lengths in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { characterCount, isBlank, textProblem } from '../src/domain/text.js';
import { SendReplyDocument, SendTemplateDocument } from '../src/generated/graphql.js';
import { checkSecretStrength, pluginSecrets } from '../src/secretStrength.js';
import { builtInPlugins } from '../src/plugins/builtIns.js';
import type { ConversationDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

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
