import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buttonsMessage,
  classifyError,
  createCloudApiClient,
  isRetryable,
  parseRetryAfter,
  textMessage,
  WhatsAppApiError,
  WhatsAppInputError,
  WhatsAppNotConfiguredError,
  type CloudApiClient,
  type CloudApiClientOptions,
  type OutboundMessage,
} from '../src/whatsapp/cloudApi.js';
import { verifySignature } from '../src/whatsapp/signature.js';
import { parseWebhook } from '../src/whatsapp/webhook.js';
import { startWhatsAppEmulator, type WhatsAppEmulator } from './emulators/whatsappCloud.js';
import { whatsappFixture } from './support/fixtures.js';

const reference = async (name: string): Promise<Record<string, unknown>> => whatsappFixture(name);

const CUSTOMER = '16505551234';

let wa: WhatsAppEmulator;
let client: CloudApiClient;
/** Reply buttons go out through sendMessage (the desk itself sends lists; buttons stay a builder). */
const sendButtons = async (...args: Parameters<typeof buttonsMessage>) => client.sendMessage(buttonsMessage(...args));
const clientFor = (overrides: Partial<CloudApiClientOptions> = {}) =>
  createCloudApiClient({ apiUrl: wa.url, phoneNumberId: wa.phoneNumberId, accessToken: wa.accessToken, timeoutMs: 2000, ...overrides });

beforeAll(async () => {
  wa = await startWhatsAppEmulator();
  client = clientFor();
});
afterAll(async () => {
  await wa.close();
});
beforeEach(() => wa.reset());

/** The rejection of `promise`, which must reject with a WhatsAppApiError. */
async function apiError(promise: Promise<unknown>): Promise<WhatsAppApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WhatsAppApiError);
  return error as WhatsAppApiError;
}

describe('request bodies, as in test/fixtures/whatsapp/send-*.json', () => {
  it('text: exactly send-text-request.json, with the bearer token, answering the wamid', async () => {
    const expected = await reference('send-text-request.json');
    const { whatsappId } = await client.sendText(CUSTOMER, 'Thanks for reaching out! An agent will be with you shortly.');
    expect(wa.sent).toHaveLength(1);
    const sent = wa.sent[0]!;
    expect(sent.body).toEqual(expected);
    expect(sent.headers.authorization).toBe(`Bearer ${wa.accessToken}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(whatsappId).toBe(sent.whatsappId);
    expect(whatsappId).toMatch(/^wamid\./);
    expect(wa.requests[0]!.path).toBe(`/v21.0/${wa.phoneNumberId}/messages`);
  });

  it('text as a reply, with link preview', async () => {
    await client.sendText(CUSTOMER, 'See https://example.com', { replyTo: 'wamid.customer', previewUrl: true });
    expect(wa.sent[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: CUSTOMER,
      type: 'text',
      context: { message_id: 'wamid.customer' },
      text: { preview_url: true, body: 'See https://example.com' },
    });
  });

  it('reply buttons: exactly send-buttons-request.json', async () => {
    const expected = await reference('send-buttons-request.json');
    await sendButtons(CUSTOMER, 'How would you rate the help you received today?', [
      { id: 'survey-good', title: 'Good' },
      { id: 'survey-okay', title: 'Okay' },
      { id: 'survey-bad', title: 'Bad' },
    ]);
    expect(wa.sent[0]!.body).toEqual(expected);
  });

  it('reply buttons with header, footer and reply context', async () => {
    await sendButtons(CUSTOMER, 'Pick one', [{ id: 'a', title: 'A' }], { header: 'Survey', footer: 'Thanks!', replyTo: 'wamid.q' });
    expect(wa.sent[0]!.body).toMatchObject({
      context: { message_id: 'wamid.q' },
      interactive: { type: 'button', header: { type: 'text', text: 'Survey' }, body: { text: 'Pick one' }, footer: { text: 'Thanks!' } },
    });
  });

  it('list', async () => {
    await client.sendList(
      CUSTOMER,
      'Rate us',
      'Choose',
      [
        { title: 'Happy', rows: [{ id: 'rating-5', title: '5 - Excellent', description: 'Very satisfied' }, { id: 'rating-4', title: '4 - Good' }] },
        { title: 'Unhappy', rows: [{ id: 'rating-1', title: '1 - Poor' }] },
      ],
      { footer: 'Takes a second' },
    );
    expect(wa.sent[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: CUSTOMER,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Rate us' },
        footer: { text: 'Takes a second' },
        action: {
          button: 'Choose',
          sections: [
            { title: 'Happy', rows: [{ id: 'rating-5', title: '5 - Excellent', description: 'Very satisfied' }, { id: 'rating-4', title: '4 - Good' }] },
            { title: 'Unhappy', rows: [{ id: 'rating-1', title: '1 - Poor' }] },
          ],
        },
      },
    });
  });

  it('template, components passed through', async () => {
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Sheena' }] }];
    const { whatsappId } = await client.sendTemplate(CUSTOMER, 'csat_survey', 'en_US', components);
    expect(wa.sent[0]!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: CUSTOMER,
      type: 'template',
      template: { name: 'csat_survey', language: { code: 'en_US' }, components },
    });
    expect(whatsappId).toBe(wa.sent[0]!.whatsappId);
    await client.sendTemplate(CUSTOMER, 'hello_world', 'en_US');
    expect(wa.sent[1]!.body['template']).toEqual({ name: 'hello_world', language: { code: 'en_US' } });
  });

  it('mark as read', async () => {
    await client.markRead('wamid.customer-message');
    expect(wa.reads.map((r) => r.messageId)).toEqual(['wamid.customer-message']);
    expect(wa.requests[0]!.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.customer-message' });
    expect(wa.sent).toHaveLength(0);
  });

  it('a stored body (the outbox payload) sends as built, after a JSON round trip', async () => {
    const stored = JSON.parse(JSON.stringify(textMessage(CUSTOMER, 'queued earlier'))) as OutboundMessage;
    await client.sendMessage(stored);
    expect(wa.sent[0]!.body).toEqual(textMessage(CUSTOMER, 'queued earlier'));
  });
});

describe("Meta's limits, checked before any call", () => {
  const rows = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
  const button = (id: string, title = id) => ({ id, title });

  const violations: [string, () => Promise<unknown>, string, RegExp][] = [
    ['empty text', () => client.sendText(CUSTOMER, ''), 'body', /must not be empty/],
    ['blank text', () => client.sendText(CUSTOMER, '  \n '), 'body', /must not be empty/],
    ['text of 4097 characters', () => client.sendText(CUSTOMER, 'x'.repeat(4097)), 'body', /4097 characters; WhatsApp allows at most 4096/],
    ['no recipient', () => client.sendText('', 'hi'), 'to', /recipient must not be empty/],
    ['no buttons', () => sendButtons(CUSTOMER, 'Pick', []), 'buttons', /1 to 3 buttons; got 0/],
    ['four buttons', () => sendButtons(CUSTOMER, 'Pick', [button('a'), button('b'), button('c'), button('d')]), 'buttons', /1 to 3 buttons; got 4/],
    ['a 21-character button title', () => sendButtons(CUSTOMER, 'Pick', [button('a', 'x'.repeat(21))]), 'buttons[0].title', /Button 1's title has 21 characters; WhatsApp allows at most 20/],
    ['an empty button title', () => sendButtons(CUSTOMER, 'Pick', [button('a'), button('b', '')]), 'buttons[1].title', /Button 2's title must not be empty/],
    ['duplicate button titles', () => sendButtons(CUSTOMER, 'Pick', [button('a', 'Same'), button('b', 'Same')]), 'buttons.title[1]', /"Same" is used twice/],
    ['duplicate button ids', () => sendButtons(CUSTOMER, 'Pick', [button('a', 'One'), button('a', 'Two')]), 'buttons.id[1]', /"a" is used twice/],
    ['a 257-character button id', () => sendButtons(CUSTOMER, 'Pick', [button('i'.repeat(257), 'ok')]), 'buttons[0].id', /257 characters; WhatsApp allows at most 256/],
    ['a button body of 1025 characters', () => sendButtons(CUSTOMER, 'b'.repeat(1025), [button('a')]), 'body', /1025 characters; WhatsApp allows at most 1024/],
    ['a 61-character header', () => sendButtons(CUSTOMER, 'Pick', [button('a')], { header: 'h'.repeat(61) }), 'header', /at most 60/],
    ['a 21-character list label', () => client.sendList(CUSTOMER, 'Pick', 'l'.repeat(21), [{ rows: rows(1) }]), 'buttonLabel', /at most 20/],
    ['11 rows across sections', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ title: 'A', rows: rows(6, 'a') }, { title: 'B', rows: rows(5, 'b') }]), 'sections', /1 to 10 rows in total.*got 11/],
    ['11 sections', () => client.sendList(CUSTOMER, 'Pick', 'Open', Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}`) }))), 'sections', /1 to 10 sections; got 11/],
    ['no sections', () => client.sendList(CUSTOMER, 'Pick', 'Open', []), 'sections', /1 to 10 sections; got 0/],
    ['a 25-character row title', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ rows: [{ id: 'r', title: 't'.repeat(25) }] }]), 'sections[0].rows[0].title', /25 characters; WhatsApp allows at most 24/],
    ['a 73-character row description', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ rows: [{ id: 'r', title: 't', description: 'd'.repeat(73) }] }]), 'sections[0].rows[0].description', /73 characters; WhatsApp allows at most 72/],
    ['a 201-character row id', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ rows: [{ id: 'i'.repeat(201), title: 't' }] }]), 'sections[0].rows[0].id', /201 characters; WhatsApp allows at most 200/],
    ['untitled sections in a multi-section list', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ rows: rows(1, 'a') }, { title: 'B', rows: rows(1, 'b') }]), 'sections[0].title', /needs a title/],
    ['duplicate row ids', () => client.sendList(CUSTOMER, 'Pick', 'Open', [{ title: 'A', rows: rows(1) }, { title: 'B', rows: rows(1) }]), 'sections.rows.id[1]', /"r0" is used twice/],
    ['a template without a name', () => client.sendTemplate(CUSTOMER, '', 'en_US'), 'name', /must not be empty/],
    ['a template without a language', () => client.sendTemplate(CUSTOMER, 'hello_world', ''), 'language', /must not be empty/],
    ['mark-read without an id', () => client.markRead(''), 'whatsappId', /must not be empty/],
  ];

  it.each(violations)('%s → WhatsAppInputError, nothing reaches the API', async (_name, call, field, message) => {
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WhatsAppInputError);
    expect((error as WhatsAppInputError).field).toBe(field);
    expect((error as WhatsAppInputError).message).toMatch(message);
    expect(wa.requests).toHaveLength(0);
  });

  it('exactly at every limit is accepted, by the client and by the emulator', async () => {
    await client.sendText(CUSTOMER, 'x'.repeat(4096));
    // Characters, not UTF-16 units: 4096 emoji are 4096 characters.
    await client.sendText(CUSTOMER, '👍'.repeat(4096));
    await sendButtons(CUSTOMER, 'b'.repeat(1024), [button('i'.repeat(256), 't'.repeat(20)), button('b', 'Two'), button('c', 'Three')], {
      header: 'h'.repeat(60),
      footer: 'f'.repeat(60),
    });
    await client.sendList(
      CUSTOMER,
      'Pick',
      'l'.repeat(20),
      Array.from({ length: 10 }, (_, s) => ({ title: `${'s'.repeat(22)}${s}`.slice(-24), rows: [{ id: `${s}`.padStart(200, 'i'), title: 't'.repeat(24), description: 'd'.repeat(72) }] })),
    );
    expect(wa.sent).toHaveLength(4);
  });
});

describe('the emulator refuses what Meta refuses', () => {
  const send = (body: Record<string, unknown>) => client.sendMessage(body as unknown as OutboundMessage);
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: CUSTOMER };

  it.each([
    ['a 4097-character text', { ...base, type: 'text', text: { body: 'x'.repeat(4097) } }],
    ['four buttons', { ...base, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: ['a', 'b', 'c', 'd'].map((id) => ({ type: 'reply', reply: { id, title: id } })) } } }],
    ['duplicate button titles', { ...base, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: ['a', 'b'].map((id) => ({ type: 'reply', reply: { id, title: 'T' } })) } } }],
    ['11 list rows', { ...base, type: 'interactive', interactive: { type: 'list', body: { text: 'b' }, action: { button: 'Open', sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: 't' })) }] } } }],
    ['no messaging_product', { recipient_type: 'individual', to: CUSTOMER, type: 'text', text: { body: 'x' } }],
    ['an unknown type', { ...base, type: 'hologram' }],
    ['a template without language', { ...base, type: 'template', template: { name: 'x' } }],
  ])('%s → 400, code 100, permanent', async (_name, body) => {
    const error = await apiError(send(body));
    expect(error).toMatchObject({ httpStatus: 400, code: 100, kind: 'permanent', title: 'Invalid parameter' });
    expect(error.details).toBeTruthy();
    expect(wa.sent).toHaveLength(0);
  });
});

describe('errors, classified for the outbox', () => {
  it('a bare 503 from a proxy: transient, no Meta code', async () => {
    wa.script({ httpStatus: 503 });
    const error = await apiError(client.sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: 503, code: null, kind: 'transient', title: 'HTTP 503', retryAfterMs: null });
    expect(error.retryable).toBe(true);
    // The script was used up: the next send goes through.
    await client.sendText(CUSTOMER, 'hi');
    expect(wa.sent).toHaveLength(1);
  });

  it("130429 with Meta's body and a Retry-After: rate_limited, delay taken from the header", async () => {
    wa.script({ code: 130429, retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await apiError(client.sendText(CUSTOMER, 'hi'));
      expect(error).toMatchObject({
        httpStatus: 400,
        code: 130429,
        kind: 'rate_limited',
        title: 'Rate limit hit',
        details: 'Cloud API message throughput has been reached.',
        retryAfterMs: 7000,
      });
      expect(error.fbtraceId).toBeTruthy();
    }
    await client.sendText(CUSTOMER, 'hi');
    expect(wa.requests.map((r) => r.status)).toEqual([400, 400, 200]);
  });

  it('131047 (window closed), synchronous 400: the same title a failed status carries', async () => {
    const reference131047 = (await reference('error-131047.json'))['error'] as { error_data: { details: string } };
    wa.script({ code: 131047 });
    const error = await apiError(client.sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: 400, code: 131047, kind: 'window_closed', title: 'Re-engagement message', details: reference131047.error_data.details });
    expect(error.retryable).toBe(false);
    expect(error.toMessageError()).toEqual({ code: 131047, title: 'Re-engagement message', details: reference131047.error_data.details });
  });

  it('131056 for one recipient only: pair_rate_limited there, others unaffected', async () => {
    wa.script({ code: 131056, to: '15550001111' });
    await client.sendText(CUSTOMER, 'to someone else');
    const error = await apiError(client.sendText('15550001111', 'hi'));
    expect(error).toMatchObject({ code: 131056, kind: 'pair_rate_limited' });
    expect(error.retryable).toBe(true);
    expect(wa.sent.map((s) => s.to)).toEqual([CUSTOMER]);
  });

  it('131026 (undeliverable): permanent', async () => {
    wa.script({ code: 131026 });
    expect(await apiError(client.sendText(CUSTOMER, 'hi'))).toMatchObject({ code: 131026, kind: 'permanent', title: 'Message undeliverable' });
  });

  it('a wrong access token: 401, code 190, auth', async () => {
    const error = await apiError(clientFor({ accessToken: 'expired' }).sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: 401, code: 190, kind: 'auth' });
    expect(error.retryable).toBe(false);
    expect(wa.sent).toHaveLength(0);
  });

  it('a phone number id the API does not know: 400, code 100', async () => {
    const error = await apiError(clientFor({ phoneNumberId: '999' }).sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: 400, code: 100, subcode: 33, kind: 'permanent' });
  });

  it('no answer within the timeout: transient, no HTTP status', async () => {
    wa.script({ delayMs: 400, httpStatus: 500 });
    const started = Date.now();
    const error = await apiError(clientFor({ timeoutMs: 100 }).sendText(CUSTOMER, 'hi'));
    expect(Date.now() - started).toBeLessThan(390);
    expect(error).toMatchObject({ httpStatus: null, code: null, kind: 'transient', title: 'No answer within 100 ms' });
    expect(error.toMessageError().code).toBe(-1);
  });

  it('nothing listening: transient network error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const error = await apiError(clientFor({ apiUrl: `http://127.0.0.1:${port}/v21.0` }).sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: null, kind: 'transient' });
    expect(error.title).toMatch(/^Network error: ECONNREFUSED/);
  });

  it('a 200 without a message id is not retried: Meta may have accepted it', async () => {
    const fakeFetch: typeof fetch = async () => new Response('{"messaging_product":"whatsapp"}', { status: 200 });
    const error = await apiError(clientFor({ fetch: fakeFetch }).sendText(CUSTOMER, 'hi'));
    expect(error).toMatchObject({ httpStatus: 200, kind: 'permanent' });
  });

  it('missing settings are named before any call', async () => {
    const error = await clientFor({ phoneNumberId: null, accessToken: '' })
      .sendText(CUSTOMER, 'hi')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppNotConfiguredError);
    expect((error as WhatsAppNotConfiguredError).missing).toEqual(['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_ACCESS_TOKEN']);
    expect((error as Error).message).toContain('WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN');
    const tokenOnly = await clientFor({ accessToken: null })
      .markRead('wamid.x')
      .catch((e: unknown) => e);
    expect((tokenOnly as WhatsAppNotConfiguredError).missing).toEqual(['WHATSAPP_ACCESS_TOKEN']);
    expect(wa.requests).toHaveLength(0);
  });
});

describe('classifyError follows the reference table', () => {
  it.each([
    [130429, 400, 'rate_limited'],
    [80007, 400, 'rate_limited'],
    [4, 400, 'rate_limited'],
    [131056, 400, 'pair_rate_limited'],
    [131000, 500, 'transient'],
    [131016, 503, 'transient'],
    [131057, 400, 'transient'],
    [2, 503, 'transient'],
    [131047, 400, 'window_closed'],
    [190, 401, 'auth'],
    [0, 401, 'auth'],
    [10, 403, 'auth'],
    [200, 403, 'auth'],
    [299, 403, 'auth'],
    [131005, 403, 'auth'],
    [368, 403, 'auth'],
    [131031, 403, 'auth'],
    [131026, 400, 'permanent'],
    [100, 400, 'permanent'],
    [131008, 400, 'permanent'],
    [131009, 400, 'permanent'],
    [131051, 400, 'permanent'],
    [132000, 400, 'permanent'],
    [132016, 400, 'permanent'],
    [300, 400, 'permanent'],
    [1, 500, 'transient'],
    [null, 502, 'transient'],
    [null, null, 'transient'],
    [null, 429, 'rate_limited'],
    [null, 404, 'permanent'],
  ] as const)('code %s, HTTP %s → %s', (code, status, kind) => {
    expect(classifyError(code, status)).toBe(kind);
  });

  it('retries only throughput, pacing and passing failures', () => {
    expect(['rate_limited', 'pair_rate_limited', 'transient', 'window_closed', 'auth', 'permanent'].filter((k) => isRetryable(k as never))).toEqual([
      'rate_limited',
      'pair_rate_limited',
      'transient',
    ]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('the emulator, for other tests', () => {
  it('waitForSent resolves on the nth message and fails loudly when it does not come', async () => {
    const waiting = wa.waitForSent(2, 2000);
    await client.sendText(CUSTOMER, 'one');
    await client.sendText(CUSTOMER, 'two');
    expect((await waiting).map((s) => s.body['text'])).toEqual([
      { preview_url: false, body: 'one' },
      { preview_url: false, body: 'two' },
    ]);
    await expect(wa.waitForSent(3, 50)).rejects.toThrow(/expected 3 sent messages within 50 ms, got 2/);
  });

  it('scripts apply in order and a slow success still counts as sent', async () => {
    wa.script({ code: 131000 });
    wa.script({ httpStatus: 502 });
    wa.script({ delayMs: 50 });
    expect((await apiError(client.sendText(CUSTOMER, 'a'))).code).toBe(131000);
    expect((await apiError(client.sendText(CUSTOMER, 'b'))).httpStatus).toBe(502);
    await client.sendText(CUSTOMER, 'c');
    expect(wa.sent.map((s) => (s.body['text'] as { body: string }).body)).toEqual(['c']);
  });

  it('posts signed status and inbound webhooks, duplicated on request', async () => {
    const received: { signature: string | undefined; body: string }[] = [];
    const hook = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push({ signature: req.headers['x-hub-signature-256'] as string | undefined, body: raw.toString() });
        res.writeHead(verifySignature(raw, req.headers['x-hub-signature-256'], wa.appSecret) ? 200 : 401).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/webhooks/whatsapp`;
    try {
      const { whatsappId } = await client.sendText('15550002222', 'hi');
      const statusAnswers = await wa.postStatus(url, { whatsappId, status: 'delivered' }, { duplicate: 3 });
      expect(statusAnswers.map((a) => a.status)).toEqual([200, 200, 200]);
      const status = parseWebhook(JSON.parse(received[0]!.body)).statuses[0]!;
      // The recipient defaults to whoever the emulator sent that wamid to.
      expect(status).toMatchObject({ whatsappId, status: 'delivered', recipientId: '15550002222', phoneNumberId: wa.phoneNumberId });

      const inbound = await wa.postInbound(url, [{ type: 'text', text: 'hello' }, { type: 'image', caption: 'pic' }]);
      expect(inbound.responses.map((a) => a.status)).toEqual([200]);
      expect(parseWebhook(JSON.parse(received[3]!.body)).inbound.map((m) => m.whatsappId)).toEqual(inbound.ids);

      const forged = await wa.postWebhook(url, { object: 'whatsapp_business_account', entry: [] }, { signature: 'sha256=' + '0'.repeat(64) });
      const unsigned = await wa.postWebhook(url, { object: 'whatsapp_business_account', entry: [] }, { signature: null });
      expect([forged[0]!.status, unsigned[0]!.status]).toEqual([401, 401]);
      expect(received[5]!.signature).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });
});
