// Media both ways and the template catalog, end to end on both job runners
// (in-process, and BullMQ when REDIS_URL answers): the real app over
// loopback, the WhatsApp emulator playing Meta (media hosting, uploads,
// template catalog), GraphQL over HTTP (multipart for uploads).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MessageMediaDocument,
  SendCatalogTemplateDocument,
  SendMediaDocument,
  SyncTemplatesDocument,
  TemplatesDocument,
} from '../src/generated/graphql.js';
import type { ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { createMediaUrlSigner } from '../src/media/signedUrl.js';
import { COLLECTIONS } from '../src/store/collections.js';
import type { EmulatedTemplate } from './emulators/whatsappMedia.js';
import { gqlUpload } from './support/gqlClient.js';
import { deleteKeys, redisUnavailable } from './support/redis.js';
import { eventually, startDesk, type Desk } from './support/desk.js';

const redisUrl = process.env.REDIS_URL;
const redisSkip = await redisUnavailable(redisUrl);
if (redisSkip) console.warn(`!!! media and templates on the BullMQ runner were NOT tested: ${redisSkip}.`);

const MEDIA_URL_SECRET = 'media-url-secret-for-tests-0123456789';
const fixture = async (name: string) => JSON.parse(await readFile(new URL(`./fixtures/whatsapp/${name}`, import.meta.url), 'utf8'));

/** A real PNG signature and header, then filler: enough for any content sniffing. */
function png(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(bytes);
  return bytes;
}

const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(40_000), Buffer.from('\n%%EOF\n')]);

/** Many templates, so the catalog takes more than one page (the client asks 100 a page). */
async function catalog(): Promise<EmulatedTemplate[]> {
  const reference = (await fixture('templates-list-response.json')).data as EmulatedTemplate[];
  const filler = Array.from({ length: 140 }, (_, i) => ({
    name: `notice_${String(i).padStart(3, '0')}`,
    language: 'en_US',
    status: i % 7 === 0 ? 'PAUSED' : 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Notice {{1}}' }],
  }));
  return [...reference, ...filler];
}

const runners = [
  { name: 'in-process', env: {} as Record<string, string>, skip: null as string | null },
  { name: 'BullMQ', env: { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: `m${randomUUID().slice(0, 8)}` }, skip: redisSkip },
];

describe.each(runners)('media and templates on the $name runner', (runner) => {
  describe.skipIf(runner.skip !== null)('', () => {
    let desk: Desk;
    let agent: Awaited<ReturnType<Desk['agent']>>;
    let other: Awaited<ReturnType<Desk['agent']>>;
    const signer = createMediaUrlSigner({ secret: MEDIA_URL_SECRET, ttlMs: 3_600_000 });

    beforeAll(async () => {
      const { startWhatsAppEmulator } = await import('./emulators/whatsappCloud.js');
      const emulator = await startWhatsAppEmulator();
      emulator.media.templates = await catalog();
      desk = await startDesk({
        emulator,
        env: {
          ...runner.env,
          MEDIA_URL_SECRET,
          MEDIA_DOWNLOAD_ATTEMPTS: '3',
          WHATSAPP_BUSINESS_ACCOUNT_ID: emulator.businessAccountId,
          SURVEY_ENABLED: 'false',
        },
      });
      // Least-loaded assignment: the first agent online takes the customers.
      agent = await desk.agent('Media Agent', { capacity: 50 });
      other = await desk.agent('Other Agent', { online: false });
    });
    afterAll(async () => {
      await desk?.close();
      await desk?.emulator.close();
      if (runner.env.REDIS_URL && runner.env.REDIS_KEY_PREFIX) await deleteKeys(runner.env.REDIS_URL, `${runner.env.REDIS_KEY_PREFIX}*`);
    });

    const conversationOf = (waId: string) =>
      eventually('the conversation, assigned', () =>
        desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId, status: 'ASSIGNED' }),
      );
    const messages = () => desk.app.store.collection<MessageDoc>(COLLECTIONS.messages);

    async function mediaOf(conversationId: string, token: string) {
      const result = await desk.as(token).run(MessageMediaDocument, { id: conversationId });
      return result.conversation?.messages.edges.map((e) => e.node).filter((m) => m.media) ?? [];
    }

    it('an inbound image is downloaded, checked against both SHA-256s and served at its url to the assignee only', async () => {
      const from = '15550001001';
      const image = png(48_000);
      const hosted = desk.emulator.media.host({ bytes: image, mimeType: 'image/png' });
      const webhookSha = createHash('sha256').update(image).digest('base64');
      const [wamid] = await desk.sendInbound({ type: 'image', from, mediaId: hosted.id, mimeType: 'image/png', sha256: webhookSha, caption: 'This is what arrived' });
      const conversation = await conversationOf(from);
      expect(conversation.assigneeId).toBe(agent.id);

      const [media] = await eventually('media READY', async () => {
        const found = await mediaOf(conversation._id, agent.token);
        return found[0]?.media?.status === 'READY' ? found : null;
      });
      expect(media!.media).toMatchObject({
        id: hosted.id,
        mimeType: 'image/png',
        sha256: hosted.sha256,
        size: image.length,
        caption: 'This is what arrived',
        status: 'READY',
        failureReason: null,
      });
      const stored = await messages().findOne({ whatsappId: wamid });
      const url = new URL(media!.media!.url!, desk.url);
      expect(url.pathname).toBe(`/media/${stored!._id}`);

      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('content-disposition')).toMatch(/^inline; filename="[^"]+\.png"/);
      expect(Buffer.from(await served.arrayBuffer()).equals(image)).toBe(true);

      // No signature, a forged one, a signature for someone else, an expired one.
      expect((await fetch(new URL(url.pathname, desk.url))).status).toBe(401);
      const forged = new URL(url);
      forged.searchParams.set('signature', randomBytes(32).toString('base64url'));
      expect((await fetch(forged)).status).toBe(401);
      const reassigned = new URL(url);
      reassigned.searchParams.set('agent', other.id);
      expect((await fetch(reassigned)).status).toBe(401);
      const expired = new URL(signer.urlFor(stored!._id, agent.id, new Date(Date.now() - 2 * 3_600_000)), desk.url);
      const expiredAnswer = await fetch(expired);
      expect(expiredAnswer.status).toBe(401);
      expect((await expiredAnswer.json()).error).toMatch(/expired/);

      // Validly signed, but for an agent who may not see the conversation: as if it did not exist.
      const forOther = new URL(signer.urlFor(stored!._id, other.id), desk.url);
      const missingId = 'm_does_not_exist_0000000';
      const forMissing = new URL(signer.urlFor(missingId, other.id), desk.url);
      const answer = async (target: URL, id: string) => {
        const response = await fetch(target);
        return { status: response.status, type: response.headers.get('content-type'), body: (await response.text()).replaceAll(id, '<id>') };
      };
      const [hidden, missing] = [await answer(forOther, stored!._id), await answer(forMissing, missingId)];
      expect(hidden.status).toBe(404);
      expect(hidden).toEqual(missing);
      expect(await mediaOf(conversation._id, other.token)).toEqual([]);
      // The admin sees every conversation; their URL works too.
      const asAdmin = await mediaOf(conversation._id, desk.admin.token);
      expect((await fetch(new URL(asAdmin[0]!.media!.url!, desk.url))).status).toBe(200);
    });

    it('an expired download URL is looked up again; a file that does not match its SHA-256 ends FAILED with the reason', async () => {
      const fresh = png(9_000);
      const hosted = desk.emulator.media.host({ bytes: fresh, mimeType: 'image/jpeg' });
      desk.emulator.media.script({ on: 'download', code: 0, times: 1 });
      const before = desk.emulator.requests.filter((r) => r.path.endsWith(`/${hosted.id}`)).length;
      await desk.sendInbound({ type: 'image', from: '15550001002', mediaId: hosted.id, sha256: createHash('sha256').update(fresh).digest('base64') });
      const conversation = await conversationOf('15550001002');
      await eventually('READY after a fresh URL', async () => (await mediaOf(conversation._id, agent.token))[0]?.media?.status === 'READY', 10_000);
      expect(desk.emulator.requests.filter((r) => r.path.endsWith(`/${hosted.id}`)).length - before).toBe(2);

      const tampered = desk.emulator.media.host({ bytes: png(5_000), mimeType: 'image/png' });
      await desk.sendInbound({ type: 'image', from: '15550001003', mediaId: tampered.id, sha256: randomBytes(32).toString('base64') });
      const second = await conversationOf('15550001003');
      const failed = await eventually('FAILED', async () => {
        const [m] = await mediaOf(second._id, agent.token);
        return m?.media?.status === 'FAILED' ? m : null;
      }, 15_000);
      expect(failed.media!.failureReason).toMatch(/gave up after 3 tries: .*SHA-256 the webhook gave/);
      expect(failed.media!.url).toBeNull();
    });

    it('sendMedia of a PDF is uploaded and reaches WhatsApp as a document by media id; the desk serves its own copy', async () => {
      const from = '15550001004';
      await desk.customerSays('please send the invoice', { from });
      const conversation = await conversationOf(from);
      const sentBefore = desk.emulator.sent.length;
      const answer = await gqlUpload(
        `${desk.url}/graphql`,
        SendMediaDocument,
        { conversationId: conversation._id, caption: 'Your invoice for June' },
        { file: { bytes: pdf, type: 'application/pdf', name: 'invoice-2025-06.pdf' } },
        agent.token,
      );
      expect(answer.errors).toBeUndefined();
      const message = answer.data!.sendMedia;
      expect(message).toMatchObject({ type: 'DOCUMENT', text: 'Your invoice for June', status: 'QUEUED' });
      expect(message.media).toMatchObject({ mimeType: 'application/pdf', filename: 'invoice-2025-06.pdf', size: pdf.length, status: 'READY' });

      const sent = await eventually('the document sent', () => desk.emulator.sent.slice(sentBefore).find((s) => s.to === from && s.type === 'document'), 10_000);
      const upload = desk.emulator.media.uploads.find((u) => u.id === (sent.body['document'] as { id: string }).id);
      expect(upload?.bytes.equals(pdf)).toBe(true);
      expect(upload?.mimeType).toBe('application/pdf');
      const reference = await fixture('send-document-request.json');
      expect(Object.keys(sent.body).sort()).toEqual(Object.keys(reference).sort());
      expect(sent.body['document']).toEqual({ id: upload!.id, caption: 'Your invoice for June', filename: 'invoice-2025-06.pdf' });
      await eventually('SENT with its media id', async () => {
        const stored = await messages().findOne({ _id: message.id });
        return stored?.status === 'SENT' && stored.media?.id === upload!.id;
      });

      const served = await fetch(new URL(message.media!.url!, desk.url));
      expect(served.headers.get('content-type')).toBe('application/pdf');
      expect(served.headers.get('content-disposition')).toBe(`attachment; filename="invoice-2025-06.pdf"; filename*=UTF-8''invoice-2025-06.pdf`);
      expect(Buffer.from(await served.arrayBuffer()).equals(pdf)).toBe(true);
    });

    it('a 6 MB PNG is refused naming the limit, and nothing is stored or uploaded; a 131053 upload error fails the message', async () => {
      const from = '15550001005';
      await desk.customerSays('a big picture?', { from });
      const conversation = await conversationOf(from);
      const before = await messages().countDocuments({ conversationId: conversation._id });
      const uploadsBefore = desk.emulator.media.uploads.length;
      const refused = await gqlUpload(
        `${desk.url}/graphql`,
        SendMediaDocument,
        { conversationId: conversation._id },
        { file: { bytes: png(6 * 1024 * 1024), type: 'image/png', name: 'big.png' } },
        agent.token,
      );
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
      expect(refused.errors?.[0]?.message).toBe('the file is 6 MB; WhatsApp allows at most 5 MB for an image (image (jpeg, png): 5 MB)');
      const wrongType = await gqlUpload(`${desk.url}/graphql`, SendMediaDocument, { conversationId: conversation._id }, { file: { bytes: pdf, type: 'application/zip', name: 'x.zip' } }, agent.token);
      expect(wrongType.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(await messages().countDocuments({ conversationId: conversation._id })).toBe(before);
      expect(desk.emulator.media.uploads.length).toBe(uploadsBefore);

      const unauthenticated = await gqlUpload(`${desk.url}/graphql`, SendMediaDocument, { conversationId: conversation._id }, { file: { bytes: pdf, type: 'application/pdf', name: 'a.pdf' } });
      expect(unauthenticated.status).toBe(401);

      desk.emulator.media.script({ on: 'upload', code: 131053 });
      const answer = await gqlUpload(`${desk.url}/graphql`, SendMediaDocument, { conversationId: conversation._id }, { file: { bytes: png(2_000), type: 'image/png', name: 'ok.png' } }, agent.token);
      const failed = await eventually('FAILED with 131053', async () => {
        const stored = await messages().findOne({ _id: answer.data!.sendMedia.id });
        return stored?.status === 'FAILED' ? stored : null;
      }, 10_000);
      expect(failed.error).toMatchObject({ code: 131053, title: 'Media upload error' });
    });

    it('the catalog syncs across pages at start and on syncTemplates (admins only)', async () => {
      const expected = desk.emulator.media.templates.length;
      const synced = await eventually('the catalog synced at start', async () => {
        const { templates } = await desk.as(agent.token).run(TemplatesDocument, {});
        return templates.length === expected ? templates : null;
      }, 10_000);
      expect(synced.find((t) => t.name === 'order_update')).toMatchObject({ language: 'en_US', status: 'APPROVED', category: 'UTILITY' });
      const pages = desk.emulator.requests.filter((r) => r.path.endsWith('/message_templates'));
      expect(pages.length).toBeGreaterThanOrEqual(2);

      const refused = await desk.as(agent.token).try(SyncTemplatesDocument, {});
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      desk.emulator.media.templates = desk.emulator.media.templates.filter((t) => t.name !== 'notice_001');
      const result = await desk.admin.run(SyncTemplatesDocument, {});
      expect(result.syncTemplates).toEqual({ templates: expected - 1, removed: 1 });
      const paused = await desk.admin.run(TemplatesDocument, { status: 'PAUSED', search: 'NOTICE_00' });
      expect(paused.templates.map((t) => t.name)).toEqual(['notice_000', 'notice_007']);
    });

    it('sendTemplate is refused before queueing when the parameters do not match; a good one keeps its rendered text', async () => {
      const from = '15550001006';
      await desk.customerSays('where is my order?', { from });
      const conversation = await conversationOf(from);
      await eventually('catalog', async () => (await desk.app.repos.templates.find('order_update', 'en_US')) !== null, 10_000);
      const before = await messages().countDocuments({ conversationId: conversation._id });
      const sentBefore = desk.emulator.sent.length;
      const client = desk.as(agent.token);
      const body = (...values: string[]) => ({ type: 'body', parameters: values.map((text) => ({ type: 'text', text })) });
      const header = { type: 'header', parameters: [{ type: 'text', text: '#4512' }] };

      const cases: Array<[unknown, RegExp, string]> = [
        [[header, body('Sheena', '#4512')], /the body has 3 placeholders \(\{\{1\}\}, \{\{2\}\}, \{\{3\}\}\) but 2 parameters were given/, 'components'],
        [[body('Sheena', '#4512', 'Friday')], /the header has 1 placeholder \(\{\{1\}\}\) but 0 parameters were given/, 'components'],
      ];
      for (const [components, message, field] of cases) {
        const answer = await client.try(SendCatalogTemplateDocument, { conversationId: conversation._id, name: 'order_update', language: 'en_US', components });
        expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
        expect(answer.errors?.[0]?.message).toMatch(message);
      }
      const unknown = await client.try(SendCatalogTemplateDocument, { conversationId: conversation._id, name: 'order_update', language: 'pt_BR' });
      expect(unknown.errors?.[0]?.message).toBe('template "order_update" does not exist in language pt_BR; it exists in en_US');
      const paused = await client.try(SendCatalogTemplateDocument, { conversationId: conversation._id, name: 'notice_007', language: 'en_US', components: [body('x')] });
      expect(paused.errors?.[0]?.message).toMatch(/is PAUSED; only APPROVED templates can be sent/);
      expect(await messages().countDocuments({ conversationId: conversation._id })).toBe(before);

      const good = await client.run(SendCatalogTemplateDocument, {
        conversationId: conversation._id,
        name: 'order_update',
        language: 'en_US',
        components: [header, body('Sheena', '#4512', 'Friday')],
      });
      expect(good.sendTemplate).toMatchObject({
        type: 'TEMPLATE',
        text: 'Order #4512\nHi Sheena, your order #4512 has shipped and arrives Friday.',
        template: { name: 'order_update', language: 'en_US' },
      });
      const sent = await eventually('the template sent', () => desk.emulator.sent.slice(sentBefore).find((s) => s.type === 'template' && s.to === from), 10_000);
      expect((sent.body['template'] as { name: string }).name).toBe('order_update');
    });

    it('a template status webhook updates the catalog at once', async () => {
      await eventually('catalog', async () => (await desk.app.repos.templates.find('order_update', 'en_US'))?.status === 'APPROVED', 10_000);
      const answers = await desk.emulator.postWebhook(desk.webhookUrl, await fixture('webhook-template-status.json'));
      expect(answers.map((a) => a.status)).toEqual([200]);
      const { templates } = await desk.admin.run(TemplatesDocument, { search: 'order_update' });
      expect(templates).toEqual([expect.objectContaining({ name: 'order_update', language: 'en_US', status: 'REJECTED', reason: 'INCORRECT_CATEGORY' })]);
      const from = '15550001007';
      await desk.customerSays('hello', { from });
      const conversation = await conversationOf(from);
      const refused = await desk.as(agent.token).try(SendCatalogTemplateDocument, { conversationId: conversation._id, name: 'order_update', language: 'en_US' });
      expect(refused.errors?.[0]?.message).toMatch(/is REJECTED/);
    });
  });
});

// Without WHATSAPP_BUSINESS_ACCOUNT_ID the desk has no catalog and sends
// templates unchecked: Meta's own refusals must then reach the message.
describe('templates sent without a catalog', () => {
  let desk: Desk;
  beforeAll(async () => {
    const { startWhatsAppEmulator } = await import('./emulators/whatsappCloud.js');
    const emulator = await startWhatsAppEmulator();
    emulator.media.templates = await catalog();
    desk = await startDesk({ emulator, env: { MEDIA_URL_SECRET, SURVEY_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await desk?.close();
    await desk?.emulator.close();
  });

  it("Meta's 132001 (no such template) and 132000 (parameter count) fail the message at once, with Meta's title", async () => {
    const agent = await desk.agent('Unchecked Agent');
    const from = '15550001008';
    await desk.customerSays('hello', { from });
    const conversation = await eventually('the conversation, assigned', () =>
      desk.app.store.collection<ConversationDoc>(COLLECTIONS.conversations).findOne({ waId: from, status: 'ASSIGNED' }),
    );
    const client = desk.as(agent.token);
    const missing = await client.run(SendCatalogTemplateDocument, { conversationId: conversation._id, name: 'no_such_template', language: 'en_US' });
    expect(missing.sendTemplate.text).toBe('[template no_such_template]');
    const short = await client.run(SendCatalogTemplateDocument, {
      conversationId: conversation._id,
      name: 'order_update',
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'only one' }] }],
    });
    const stored = (id: string) => desk.app.store.collection<MessageDoc>(COLLECTIONS.messages).findOne({ _id: id });
    const failedMissing = await eventually('132001 recorded', async () => ((await stored(missing.sendTemplate.id))?.status === 'FAILED' ? stored(missing.sendTemplate.id) : null));
    expect(failedMissing?.error).toMatchObject({ code: 132001, title: expect.stringMatching(/Template name does not exist/) });
    const failedShort = await eventually('132000 recorded', async () => ((await stored(short.sendTemplate.id))?.status === 'FAILED' ? stored(short.sendTemplate.id) : null));
    expect(failedShort?.error).toMatchObject({ code: 132000, title: expect.stringMatching(/Number of parameters does not match/) });
    // Permanent errors: each tried once, refused, and never retried.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const templateTries = desk.emulator.requests.filter((r) => (r.body as { type?: string } | null)?.type === 'template');
    expect(templateTries.map((r) => r.status)).toEqual([404, 400]);
    expect(desk.emulator.sent.filter((s) => s.type === 'template')).toHaveLength(0);
  });
});
