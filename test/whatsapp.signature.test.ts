import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature, verifySubscription } from '../src/whatsapp/signature.js';
import { whatsappFixtureBytes } from './support/fixtures.js';

const secret = 'app-secret-for-tests';

describe('X-Hub-Signature-256', () => {
  it('signs as Meta does: sha256= and the lowercase hex HMAC of the raw bytes', () => {
    const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(signBody(body, secret)).toBe(`sha256=${expected}`);
    expect(signBody(body.toString('utf8'), secret)).toBe(`sha256=${expected}`);
  });

  it('accepts the right signature over a reference payload, bytes as received', async () => {
    const raw = whatsappFixtureBytes('inbound-text.json');
    expect(verifySignature(raw, signBody(raw, secret), secret)).toBe(true);
    // Meta sends lowercase; upper-case hex is the same number.
    expect(verifySignature(raw, signBody(raw, secret).toUpperCase().replace('SHA256=', 'sha256='), secret)).toBe(true);
  });

  it('rejects a body that was re-serialised after signing', async () => {
    const raw = whatsappFixtureBytes('inbound-text.json');
    const header = signBody(raw, secret);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(reserialised.equals(raw)).toBe(false);
    expect(verifySignature(reserialised, header, secret)).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    const body = Buffer.from('{"a":1}');
    expect(verifySignature(body, signBody(body, 'someone-else'), secret)).toBe(false);
  });

  it('rejects a body changed by one byte', () => {
    const body = Buffer.from('{"amount":100}');
    const header = signBody(body, secret);
    expect(verifySignature(Buffer.from('{"amount":900}'), header, secret)).toBe(false);
  });

  it('rejects a missing, empty or malformed header', () => {
    const body = Buffer.from('{}');
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    expect(verifySignature(body, undefined, secret)).toBe(false);
    expect(verifySignature(body, '', secret)).toBe(false);
    expect(verifySignature(body, hex, secret)).toBe(false); // no sha256= prefix
    expect(verifySignature(body, `sha1=${hex}`, secret)).toBe(false);
    expect(verifySignature(body, `sha256=${hex.slice(0, 63)}z`, secret)).toBe(false); // not hex
    expect(verifySignature(body, `sha256= ${hex}`, secret)).toBe(false);
  });

  it('rejects a signature of the wrong length without throwing', () => {
    const body = Buffer.from('{}');
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    expect(verifySignature(body, `sha256=${hex.slice(0, 62)}`, secret)).toBe(false);
    expect(verifySignature(body, `sha256=${hex}00`, secret)).toBe(false);
    expect(verifySignature(body, 'sha256=', secret)).toBe(false);
  });

  it('rejects a repeated header, and never verifies with an empty secret', () => {
    const body = Buffer.from('{}');
    const header = signBody(body, secret);
    expect(verifySignature(body, [header], secret)).toBe(true);
    expect(verifySignature(body, [header, header], secret)).toBe(false);
    expect(verifySignature(body, signBody(body, ''), '')).toBe(false);
  });
});

describe('subscription handshake', () => {
  const token = 'verify-me';

  it('answers the challenge when mode is subscribe and the token matches', () => {
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1158201444' }, token)).toEqual({
      ok: true,
      challenge: '1158201444',
    });
  });

  it('refuses a wrong token, a token of another length, or a wrong mode', () => {
    const query = { 'hub.mode': 'subscribe', 'hub.challenge': 'c' };
    expect(verifySubscription({ ...query, 'hub.verify_token': 'verify-mf' }, token)).toEqual({ ok: false });
    expect(verifySubscription({ ...query, 'hub.verify_token': 'verify-me-too' }, token)).toEqual({ ok: false });
    expect(verifySubscription({ ...query, 'hub.verify_token': token, 'hub.mode': 'unsubscribe' }, token)).toEqual({ ok: false });
  });

  it('refuses missing parameters, repeated parameters and an unconfigured token', () => {
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.challenge': 'c' }, token)).toEqual({ ok: false });
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.verify_token': token }, token)).toEqual({ ok: false });
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.verify_token': [token, 'x'], 'hub.challenge': 'c' }, token)).toEqual({ ok: false });
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': 'c' }, '')).toEqual({ ok: false });
    expect(verifySubscription({ 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': 'c' }, null)).toEqual({ ok: false });
  });
});
