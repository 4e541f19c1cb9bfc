import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkUpload, isAnimatedWebp, sha256Hex } from '../src/domain/media.js';
import { TemplateParameterError, checkTemplateParameters, placeholdersOf, renderTemplate } from '../src/domain/templates.js';
import { createMediaUrlSigner } from '../src/media/signedUrl.js';

const MB = 1024 * 1024;

describe("Meta's media limits", () => {
  it.each([
    ['image/jpeg', 5 * MB, true],
    ['image/png', 5 * MB + 1, false],
    ['video/mp4', 16 * MB, true],
    ['video/3gpp', 16 * MB + 1, false],
    ['audio/ogg; codecs=opus', 16 * MB, true],
    ['audio/amr', 16 * MB + 1, false],
    ['application/pdf', 100 * MB, true],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 100 * MB + 1, false],
  ])('%s of %i bytes: accepted %s', (type, size, ok) => {
    expect(checkUpload(type, size).ok).toBe(ok);
  });

  it('names the limit it refuses by, and refuses types WhatsApp does not take', () => {
    expect(checkUpload('video/mp4', 17 * MB)).toEqual({ ok: false, message: 'the file is 17 MB; WhatsApp allows at most 16 MB for a video (video (mp4, 3gpp): 16 MB)' });
    const gif = checkUpload('image/gif', 10);
    expect(gif.ok).toBe(false);
    expect(!gif.ok && gif.message).toMatch(/does not accept files of type "image\/gif"/);
    expect(checkUpload('image/png', 0).ok).toBe(false);
  });

  it('a static sticker may be 100 KB, an animated one 500 KB', () => {
    const riff = (chunks: string) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8X'), Buffer.from(chunks), Buffer.alloc(10)]);
    const animated = riff('ANIM');
    const still = riff('VP8L');
    expect(isAnimatedWebp(animated)).toBe(true);
    expect(isAnimatedWebp(still)).toBe(false);
    expect(checkUpload('image/webp', 200 * 1024, still)).toMatchObject({ ok: false, message: expect.stringContaining('100 KB for a static sticker') });
    expect(checkUpload('image/webp', 200 * 1024, animated)).toMatchObject({ ok: true, kind: 'sticker' });
    expect(checkUpload('image/webp', 501 * 1024, animated)).toMatchObject({ ok: false, message: expect.stringContaining('500 KB for an animated sticker') });
  });

  it("keeps SHA-256 as hex whether Meta gave base64 (webhook) or hex (lookup)", () => {
    const digest = createHash('sha256').update('the file').digest();
    const hex = digest.toString('hex');
    expect(sha256Hex(digest.toString('base64'))).toBe(hex);
    expect(sha256Hex(hex.toUpperCase())).toBe(hex);
    expect(sha256Hex('not a digest')).toBeNull();
  });
});

describe('template parameters', () => {
  const orderUpdate = {
    name: 'order_update',
    language: 'en_US',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped and arrives {{3}}.' },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Talk to support' }, { type: 'URL', text: 'Track', url: 'https://example.com/t/{{1}}' }] },
    ],
  };
  const text = (...values: string[]) => values.map((t) => ({ type: 'text', text: t }));
  const good = [
    { type: 'header', parameters: text('#4512') },
    { type: 'body', parameters: text('Sheena', '#4512', 'Friday') },
    { type: 'button', sub_type: 'url', index: '1', parameters: text('4512') },
  ];

  it('counts distinct placeholders', () => {
    expect(placeholdersOf('{{1}} and {{2}} and {{1}} again, {{ name }}')).toEqual(['1', '2', 'name']);
  });

  it('accepts one parameter per placeholder in every component and renders what the customer sees', () => {
    expect(() => checkTemplateParameters(orderUpdate, good)).not.toThrow();
    expect(renderTemplate(orderUpdate, good)).toBe('Order #4512\nHi Sheena, your order #4512 has shipped and arrives Friday.\nReply STOP to opt out');
  });

  it.each([
    ['a missing body parameter', [good[0], { type: 'body', parameters: text('a', 'b') }, good[2]], /the body has 3 placeholders .* but 2 parameters were given/],
    ['a missing URL button parameter', [good[0], good[1]], /button 1 \(url\) has 1 placeholder .* but 0 parameters were given/],
    ['a button that does not exist', [...good, { type: 'button', sub_type: 'quick_reply', index: 5, parameters: [] }], /button index 5 does not exist/],
    ['an unknown component type', [{ type: 'footer', parameters: [] }], /type must be "header", "body" or "button"/],
    ['components that are not a list', { body: 1 }, /must be a list/],
  ])('refuses %s', (_name, components, message) => {
    expect(() => checkTemplateParameters(orderUpdate, components)).toThrow(TemplateParameterError);
    expect(() => checkTemplateParameters(orderUpdate, components)).toThrow(message);
  });

  it('a media header takes exactly one parameter of its format', () => {
    const withImage = { name: 'promo', language: 'en', components: [{ type: 'HEADER', format: 'IMAGE' }, { type: 'BODY', text: 'Look' }] };
    expect(() => checkTemplateParameters(withImage, [{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/a.png' } }] }])).not.toThrow();
    expect(() => checkTemplateParameters(withImage, [])).toThrow('the header is a IMAGE header: give exactly one "image" parameter (got 0)');
    expect(() => checkTemplateParameters(withImage, [{ type: 'header', parameters: [{ type: 'video', video: { id: '1' } }] }])).toThrow(/exactly one "image"/);
  });
});

describe('signed media URLs', () => {
  const signer = createMediaUrlSigner({ secret: 'a-secret-of-enough-length', ttlMs: 3_600_000 });
  const query = (url: string) => Object.fromEntries(new URL(url, 'http://desk').searchParams);

  it('bind the message, the agent and the expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const url = signer.urlFor('msg1', 'agentA', now);
    expect(signer.verify('msg1', query(url), now)).toEqual({ ok: true, agentId: 'agentA' });
    expect(signer.verify('msg2', query(url), now).ok).toBe(false);
    expect(signer.verify('msg1', { ...query(url), agent: 'agentB' }, now).ok).toBe(false);
    expect(signer.verify('msg1', { ...query(url), expires: String(Number(query(url).expires) + 60) }, now).ok).toBe(false);
    expect(signer.verify('msg1', query(url), new Date(now.getTime() + 2 * 3_600_000))).toEqual({ ok: false, reason: expect.stringContaining('expired') });
    expect(createMediaUrlSigner({ secret: 'another-secret-entirely', ttlMs: 1 }).verify('msg1', query(url), now).ok).toBe(false);
  });
});
