import { describe, expect, it } from 'vitest';
import {
  mapStatus,
  parseWebhook,
  WebhookShapeError,
  type InboundMessage,
} from '../src/whatsapp/webhook.js';
import { inboundWebhook, statusWebhook } from './emulators/whatsappCloud.js';
import { whatsappFixture } from './support/fixtures.js';

// Meta's payload shapes (docs/whatsapp.md), from test/fixtures/whatsapp.
const reference = async (name: string): Promise<unknown> => whatsappFixture(name);

const PHONE_NUMBER_ID = '106540352242922';
const at = (seconds: number) => new Date(seconds * 1000);

/** One change holding the given value fields, the way Meta wraps it. */
function notification(value: Record<string, unknown>, phoneNumberId = PHONE_NUMBER_ID) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId }, ...value } }],
      },
    ],
  };
}

function message(id: string, type: string, extra: Record<string, unknown>, from = '16505551234') {
  return { from, id, timestamp: '1749416383', type, ...extra };
}

function only(parsed: ReturnType<typeof parseWebhook>): InboundMessage {
  expect(parsed.inbound).toHaveLength(1);
  return parsed.inbound[0]!;
}

describe('reference payloads', () => {
  it('inbound-text.json', async () => {
    const parsed = parseWebhook(await reference('inbound-text.json'));
    expect(parsed).toEqual({
      inbound: [
        {
          whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          from: '16505551234',
          profileName: 'Sheena Nelson',
          phoneNumberId: PHONE_NUMBER_ID,
          timestamp: at(1749416383),
          type: 'TEXT',
          whatsappType: 'text',
          text: 'Hi, my order #1234 never arrived',
          media: null,
          payload: null,
          replyToWhatsappId: null,
          interactiveReplyId: null,
          errors: [],
        },
      ],
      statuses: [],
      templateStatuses: [],
      problems: [],
      foreign: [],
    });
  });

  it('inbound-image.json: media id, mime type, sha256 and caption', async () => {
    const parsed = parseWebhook(await reference('inbound-image.json'));
    expect(parsed.problems).toEqual([]);
    expect(only(parsed)).toMatchObject({
      whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQ0QkIxQzk5RkE3RjI0NjlFMTYA',
      type: 'IMAGE',
      text: 'This is what arrived',
      timestamp: at(1749416420),
      media: {
        id: '1003383421387256',
        mimeType: 'image/jpeg',
        sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
        caption: 'This is what arrived',
        filename: null,
        voice: null,
      },
      payload: { caption: 'This is what arrived', mime_type: 'image/jpeg', sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=', id: '1003383421387256' },
      interactiveReplyId: null,
    });
  });

  it('inbound-button-reply.json: the survey answer id and the message it answers', async () => {
    const parsed = parseWebhook(await reference('inbound-button-reply.json'));
    expect(parsed.problems).toEqual([]);
    expect(only(parsed)).toEqual({
      whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQ1MkE0QjE2OTdEOUE3MDE0QjYA',
      from: '16505551234',
      profileName: 'Sheena Nelson',
      phoneNumberId: PHONE_NUMBER_ID,
      timestamp: at(1749420003),
      type: 'INTERACTIVE',
      whatsappType: 'interactive',
      text: 'Good',
      media: null,
      payload: { type: 'button_reply', button_reply: { id: 'survey-good', title: 'Good' } },
      replyToWhatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
      interactiveReplyId: 'survey-good',
      errors: [],
    });
  });

  it('inbound-list-reply.json', async () => {
    const parsed = parseWebhook(await reference('inbound-list-reply.json'));
    expect(parsed.problems).toEqual([]);
    expect(only(parsed)).toMatchObject({
      type: 'INTERACTIVE',
      text: '5 - Excellent',
      interactiveReplyId: 'rating-5',
      replyToWhatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
      payload: { type: 'list_reply', list_reply: { id: 'rating-5', title: '5 - Excellent', description: 'Very satisfied' } },
      timestamp: at(1749420010),
    });
  });

  it('inbound-unsupported.json: stored as UNSUPPORTED with the raw message and its errors', async () => {
    const body = (await reference('inbound-unsupported.json')) as ReturnType<typeof notification>;
    const raw = (body.entry[0]!.changes[0]!.value as unknown as { messages: unknown[] }).messages[0];
    const parsed = parseWebhook(body);
    // Meta's own "unsupported" type is expected traffic, not a parsing problem.
    expect(parsed.problems).toEqual([]);
    expect(only(parsed)).toMatchObject({
      whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQ5OUMxRTNBMjA0QkQ2RjU1NkMA',
      type: 'UNSUPPORTED',
      whatsappType: 'unsupported',
      text: null,
      payload: raw as Record<string, unknown>,
      errors: [{ code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' }],
      timestamp: at(1750090702),
    });
  });

  it('status-sent.json: with the billing objects passed through', async () => {
    const parsed = parseWebhook(await reference('status-sent.json'));
    expect(parsed).toEqual({
      inbound: [],
      templateStatuses: [],
      statuses: [
        {
          whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
          status: 'sent',
          timestamp: at(1750030073),
          recipientId: '16505551234',
          phoneNumberId: PHONE_NUMBER_ID,
          errors: [],
          conversation: { id: '72b14d6bd5407799e66f64d1b338e567', expiration_timestamp: '1750116480', origin: { type: 'service' } },
          pricing: { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' },
        },
      ],
      problems: [],
      foreign: [],
    });
  });

  it('status-read.json', async () => {
    const parsed = parseWebhook(await reference('status-read.json'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.statuses).toEqual([
      {
        whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        status: 'read',
        timestamp: at(1750030190),
        recipientId: '16505551234',
        phoneNumberId: PHONE_NUMBER_ID,
        errors: [],
        conversation: null,
        pricing: null,
      },
    ]);
  });

  it('status-failed-131047.json: keeps the code, title and details', async () => {
    const parsed = parseWebhook(await reference('status-failed-131047.json'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.statuses).toHaveLength(1);
    expect(parsed.statuses[0]).toMatchObject({
      whatsappId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCRjA1NjE5QkFFNTk4OEQ5RDQA',
      status: 'failed',
      timestamp: at(1751142888),
      errors: [
        {
          code: 131047,
          title: 'Re-engagement message',
          details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        },
      ],
    });
    expect(mapStatus(parsed.statuses[0]!.status)).toBe('FAILED');
  });

  it('the send-* and error-* references are not webhooks', async () => {
    for (const name of ['send-text-request.json', 'send-buttons-request.json', 'send-response.json', 'error-131047.json', 'error-130429.json']) {
      const body = await reference(name);
      expect(() => parseWebhook(body), name).toThrow(WebhookShapeError);
    }
  });
});

describe('every message type', () => {
  const parseOne = (type: string, extra: Record<string, unknown>) => parseWebhook(notification({ messages: [message('wamid.1', type, extra)] }));

  it('video, audio (voice), document (filename), sticker', () => {
    const video = only(parseOne('video', { video: { id: 'v1', mime_type: 'video/mp4', sha256: 'h', caption: 'unboxing' } }));
    expect(video).toMatchObject({ type: 'VIDEO', text: 'unboxing', media: { id: 'v1', mimeType: 'video/mp4', caption: 'unboxing', voice: null } });

    const audio = only(parseOne('audio', { audio: { id: 'a1', mime_type: 'audio/ogg; codecs=opus', sha256: 'h', voice: true } }));
    expect(audio).toMatchObject({ type: 'AUDIO', text: null, media: { id: 'a1', mimeType: 'audio/ogg; codecs=opus', voice: true, caption: null } });

    const doc = only(parseOne('document', { document: { id: 'd1', mime_type: 'application/pdf', sha256: 'h', filename: 'invoice.pdf', caption: 'my invoice' } }));
    expect(doc).toMatchObject({ type: 'DOCUMENT', text: 'my invoice', media: { id: 'd1', filename: 'invoice.pdf', caption: 'my invoice' } });

    const sticker = only(parseOne('sticker', { sticker: { id: 's1', mime_type: 'image/webp', sha256: 'h', animated: false } }));
    expect(sticker).toMatchObject({ type: 'STICKER', text: null, media: { id: 's1', mimeType: 'image/webp' }, payload: { animated: false } });
  });

  it('location: the name and address as text, coordinates in the payload', () => {
    const location = { latitude: 52.52, longitude: 13.405, name: 'Depot', address: 'Main St 1' };
    expect(only(parseOne('location', { location }))).toMatchObject({ type: 'LOCATION', text: 'Depot, Main St 1', payload: location, media: null });
    expect(only(parseOne('location', { location: { latitude: 1, longitude: 2 } }))).toMatchObject({ type: 'LOCATION', text: null });
  });

  it('contacts: the cards under payload.contacts, names as text', () => {
    const contacts = [
      { name: { formatted_name: 'Ann Lee', first_name: 'Ann' }, phones: [{ phone: '+1 555 0100', type: 'CELL', wa_id: '15550100' }] },
      { name: { formatted_name: 'Bo Kim' } },
    ];
    expect(only(parseOne('contacts', { contacts }))).toMatchObject({ type: 'CONTACTS', text: 'Ann Lee, Bo Kim', payload: { contacts } });
  });

  it('button (template quick reply): the payload is the reply id', () => {
    expect(only(parseOne('button', { button: { payload: 'rate-5', text: 'Excellent' } }))).toMatchObject({
      type: 'BUTTON',
      text: 'Excellent',
      interactiveReplyId: 'rate-5',
    });
  });

  it('reaction: the emoji as text, replying to the message reacted to; a removed reaction has no text', () => {
    expect(only(parseOne('reaction', { reaction: { message_id: 'wamid.ours', emoji: '👍' } }))).toMatchObject({
      type: 'REACTION',
      text: '👍',
      replyToWhatsappId: 'wamid.ours',
      payload: { message_id: 'wamid.ours', emoji: '👍' },
    });
    expect(only(parseOne('reaction', { reaction: { message_id: 'wamid.ours' } }))).toMatchObject({ type: 'REACTION', text: null });
  });

  it('order, system and a Flows reply', () => {
    const order = { catalog_id: 'cat1', text: 'for Friday', product_items: [{ product_retailer_id: 'sku1', quantity: 2, item_price: 9.5, currency: 'USD' }] };
    expect(only(parseOne('order', { order }))).toMatchObject({ type: 'ORDER', text: 'for Friday', payload: order });

    const system = { body: 'User A changed from 1650 to 1651', new_wa_id: '16505551235', type: 'user_changed_number' };
    expect(only(parseOne('system', { system }))).toMatchObject({ type: 'SYSTEM', text: system.body, payload: system });

    const nfm = { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"a":1}' } };
    expect(only(parseOne('interactive', { interactive: nfm }))).toMatchObject({ type: 'INTERACTIVE', text: 'Sent', interactiveReplyId: null, payload: nfm });
  });

  it('a text from a click-to-WhatsApp ad keeps its referral', () => {
    const referral = { source_url: 'https://fb.me/x', source_type: 'ad', source_id: '1' };
    expect(only(parseOne('text', { text: { body: 'Is this available?' }, referral }))).toMatchObject({ type: 'TEXT', payload: { referral } });
  });

  it("Meta's `unknown` type is UNSUPPORTED with its errors", () => {
    const parsed = parseOne('unknown', { errors: [{ code: 131051, title: 'Message type unknown' }] });
    expect(only(parsed)).toMatchObject({ type: 'UNSUPPORTED', errors: [{ code: 131051, title: 'Message type unknown', details: null }] });
    expect(parsed.problems).toEqual([]);
  });
});

describe('batches', () => {
  it('many entries, changes, messages and statuses, each parsed in body order', () => {
    const second = notification({
      contacts: [
        { profile: { name: 'Ann' }, wa_id: '111' },
        { profile: { name: 'Bo' }, wa_id: '222' },
      ],
      messages: [message('wamid.b1', 'text', { text: { body: 'from Ann' } }, '111'), message('wamid.b2', 'text', { text: { body: 'from Bo' } }, '222')],
      statuses: [{ id: 'wamid.s2', status: 'delivered', timestamp: '1750030100', recipient_id: '333' }],
    });
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba-1',
          changes: [
            notification({ contacts: [{ profile: { name: 'Cy' }, wa_id: '333' }], messages: [message('wamid.a1', 'text', { text: { body: 'from Cy' } }, '333')] }).entry[0]!.changes[0]!,
            notification({ statuses: [{ id: 'wamid.s1', status: 'sent', timestamp: '1750030000', recipient_id: '333' }] }).entry[0]!.changes[0]!,
          ],
        },
        { id: 'waba-2', changes: [...second.entry[0]!.changes, notification({ messages: [message('wamid.c1', 'text', { text: { body: 'no contact' } }, '444')] }, 'other-number').entry[0]!.changes[0]!] },
      ],
    };
    const parsed = parseWebhook(body);
    expect(parsed.problems).toEqual([]);
    expect(parsed.inbound.map((m) => [m.whatsappId, m.from, m.profileName, m.text, m.phoneNumberId])).toEqual([
      ['wamid.a1', '333', 'Cy', 'from Cy', PHONE_NUMBER_ID],
      ['wamid.b1', '111', 'Ann', 'from Ann', PHONE_NUMBER_ID],
      ['wamid.b2', '222', 'Bo', 'from Bo', PHONE_NUMBER_ID],
      ['wamid.c1', '444', null, 'no contact', 'other-number'],
    ]);
    expect(parsed.statuses.map((s) => [s.whatsappId, s.status, s.recipientId])).toEqual([
      ['wamid.s1', 'sent', '333'],
      ['wamid.s2', 'delivered', '333'],
    ]);
  });

  it('a type nobody knows yet is stored as UNSUPPORTED with its raw JSON while the rest of the batch parses', () => {
    const future = message('wamid.future', 'some_future_type', { some_future_type: { hologram: { id: 'h1' } }, context: { id: 'wamid.prev' } });
    const parsed = parseWebhook(
      notification({
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
        messages: [message('wamid.before', 'text', { text: { body: 'first' } }), future, message('wamid.after', 'text', { text: { body: 'last' } })],
      }),
    );
    expect(parsed.inbound.map((m) => m.whatsappId)).toEqual(['wamid.before', 'wamid.future', 'wamid.after']);
    expect(parsed.inbound[1]).toMatchObject({
      type: 'UNSUPPORTED',
      whatsappType: 'some_future_type',
      payload: future,
      text: null,
      profileName: 'Sheena Nelson',
      replyToWhatsappId: 'wamid.prev',
      timestamp: at(1749416383),
    });
    expect(parsed.problems).toEqual(['entry[0].changes[0].value.messages[1] (wamid.future): unknown type "some_future_type"; stored as UNSUPPORTED']);
  });

  it('a known type whose body breaks its schema is kept as UNSUPPORTED, never dropped', () => {
    const brokenImage = message('wamid.img', 'image', { image: { caption: 'no id here' } });
    const brokenText = message('wamid.txt', 'text', { text: { body: 42 } });
    const noType = { from: '16505551234', id: 'wamid.notype', timestamp: '1749416383' };
    const parsed = parseWebhook(notification({ messages: [brokenImage, brokenText, noType] }));
    expect(parsed.inbound.map((m) => [m.whatsappId, m.type, m.payload])).toEqual([
      ['wamid.img', 'UNSUPPORTED', brokenImage],
      ['wamid.txt', 'UNSUPPORTED', brokenText],
      ['wamid.notype', 'UNSUPPORTED', noType],
    ]);
    expect(parsed.problems).toHaveLength(3);
    expect(parsed.problems[0]).toContain('"image" body does not match its schema');
  });

  it('items that cannot be stored at all are reported and skipped; the others survive', () => {
    const parsed = parseWebhook(
      notification({
        messages: [
          { id: 'wamid.nofrom', timestamp: '1', type: 'text', text: { body: 'x' } },
          { from: '1', timestamp: '1', type: 'text', text: { body: 'x' } },
          'not an object',
          null,
          message('wamid.ok', 'text', { text: { body: 'fine' } }),
        ],
        statuses: [
          { status: 'read', timestamp: '1' },
          { id: 'wamid.s', status: 'deleted', timestamp: '1' },
          { id: 'wamid.s', status: 'read', timestamp: '1750030190', recipient_id: '1', errors: [{ title: 'no code' }] },
        ],
        contacts: [{ profile: { name: 'nobody' } }],
      }),
    );
    expect(parsed.inbound.map((m) => m.whatsappId)).toEqual(['wamid.ok']);
    expect(parsed.statuses.map((s) => [s.whatsappId, s.status, s.errors])).toEqual([['wamid.s', 'read', []]]);
    const problems = parsed.problems.join('\n');
    expect(problems).toContain('messages[0]: no message id or sender');
    expect(problems).toContain('messages[1]: no message id or sender');
    expect(problems).toContain('messages[2]');
    expect(problems).toContain('messages[3]');
    expect(problems).toContain('statuses[0]');
    expect(problems).toContain('unknown status "deleted"');
    expect(problems).toContain('statuses[2].errors[0]');
    expect(problems).toContain('contacts[0]');
  });

  it('a missing timestamp falls back to the time received, and says so', () => {
    const receivedAt = new Date('2025-06-01T12:00:00Z');
    const parsed = parseWebhook(notification({ messages: [{ from: '1', id: 'wamid.t', type: 'text', text: { body: 'x' } }] }), { receivedAt });
    expect(only(parsed).timestamp).toEqual(receivedAt);
    expect(parsed.problems).toEqual([expect.stringContaining('timestamp')]);
  });

  it('other subscription fields, unreadable template updates and changes without metadata are skipped, not fatal', () => {
    const body = notification({ messages: [message('wamid.ok', 'text', { text: { body: 'x' } })] });
    body.entry[0]!.changes.push(
      { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } } as never,
      { field: 'message_template_status_update', value: { event: 'APPROVED' } } as never,
      { field: 'messages', value: { messages: [message('wamid.lost', 'text', { text: { body: 'x' } })] } } as never,
    );
    const parsed = parseWebhook(body);
    expect(parsed.inbound.map((m) => m.whatsappId)).toEqual(['wamid.ok']);
    expect(parsed.problems).toEqual([
      'entry[0].changes[1]: field "account_update" ignored',
      expect.stringContaining('entry[0].changes[2].value: message_template_name'),
      expect.stringContaining('entry[0].changes[3].value: metadata'),
    ]);
  });

  it("reports Meta's change-level errors", () => {
    const parsed = parseWebhook(notification({ errors: [{ code: 131000, title: 'Something went wrong', error_data: { details: 'try later' } }] }));
    expect(parsed.problems).toEqual(['entry[0].changes[0].value: Meta reported error 131000 Something went wrong: try later']);
  });
});

describe('template status updates', () => {
  it('webhook-template-status.json: the new status, name, language and reason', async () => {
    const parsed = parseWebhook(await reference('webhook-template-status.json'));
    expect(parsed.templateStatuses).toEqual([{ name: 'order_update', language: 'en_US', status: 'REJECTED', reason: 'INCORRECT_CATEGORY', templateId: '1473688840035974' }]);
    expect(parsed.problems).toEqual([]);
  });
});

describe('the envelope', () => {
  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', []],
    ['another object type', { object: 'page', entry: [] }],
    ['no entry', { object: 'whatsapp_business_account' }],
    ['entry not a list', { object: 'whatsapp_business_account', entry: {} }],
    ['changes missing', { object: 'whatsapp_business_account', entry: [{ id: '1' }] }],
    ['a change without field', { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ value: {} }] }] }],
  ])('rejects %s with WebhookShapeError', (_name, body) => {
    expect(() => parseWebhook(body)).toThrow(WebhookShapeError);
  });

  it('accepts an empty notification', () => {
    expect(parseWebhook({ object: 'whatsapp_business_account', entry: [] })).toEqual({ inbound: [], statuses: [], templateStatuses: [], problems: [], foreign: [] });
  });

  it("parses the emulator's payloads the same way (so end-to-end tests stand on the reference shapes)", () => {
    const inbound = parseWebhook(
      inboundWebhook(PHONE_NUMBER_ID, [
        { type: 'text', text: 'hello', id: 'wamid.e1', timestamp: 1749416383000 },
        { type: 'list_reply', replyId: 'rating-4', title: '4 - Good', replyTo: 'wamid.survey', from: '222', name: 'Bo' },
        { type: 'audio', voice: true, mediaId: 'm1' },
        { type: 'raw', message: { type: 'some_future_type', some_future_type: {} } },
      ]),
    );
    expect(inbound.problems).toHaveLength(1); // the future type
    expect(inbound.inbound.map((m) => [m.type, m.text, m.profileName, m.interactiveReplyId, m.replyToWhatsappId])).toEqual([
      ['TEXT', 'hello', 'Sheena Nelson', null, null],
      ['INTERACTIVE', '4 - Good', 'Bo', 'rating-4', 'wamid.survey'],
      ['AUDIO', null, 'Sheena Nelson', null, null],
      ['UNSUPPORTED', null, 'Sheena Nelson', null, null],
    ]);
    expect(inbound.inbound[0]!.timestamp).toEqual(at(1749416383));

    const statuses = parseWebhook(
      statusWebhook(PHONE_NUMBER_ID, [
        { whatsappId: 'wamid.x', status: 'delivered', recipientId: '1' },
        { whatsappId: 'wamid.x', status: 'failed', recipientId: '1', errors: [{ code: 131047 }] },
      ]),
    );
    expect(statuses.problems).toEqual([]);
    expect(statuses.statuses[0]!.conversation).not.toBeNull();
    expect(statuses.statuses[1]!.errors).toEqual([
      { code: 131047, title: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
    ]);
  });
});

describe('webhook statuses', () => {
  it('map to delivery statuses; played counts as read', () => {
    expect(['sent', 'delivered', 'read', 'played', 'failed'].map((s) => mapStatus(s as never))).toEqual(['SENT', 'DELIVERED', 'READ', 'READ', 'FAILED']);
  });
});

describe('changes for another business number (issue 14, finding 7)', () => {
  it('are left out of inbound and statuses and reported in foreign; ours in the same body are kept', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            notification({ messages: [message('wamid.theirs', 'text', { text: { body: 'not for us' } })], statuses: [{ id: 'wamid.s', status: 'read', timestamp: '1749416390' }] }, '999000111').entry[0]!.changes[0]!,
            notification({ messages: [message('wamid.ours', 'text', { text: { body: 'for us' } })] }).entry[0]!.changes[0]!,
          ],
        },
      ],
    };
    const parsed = parseWebhook(body, { phoneNumberId: PHONE_NUMBER_ID });
    expect(parsed.inbound.map((m) => m.whatsappId)).toEqual(['wamid.ours']);
    expect(parsed.statuses).toEqual([]);
    expect(parsed.foreign).toEqual([{ phoneNumberId: '999000111', messages: 1, statuses: 1 }]);
    expect(parsed.problems).toEqual([]);

    // Without a number of our own configured, every change is taken as ours.
    expect(parseWebhook(body).inbound.map((m) => m.whatsappId)).toEqual(['wamid.theirs', 'wamid.ours']);
  });
});
