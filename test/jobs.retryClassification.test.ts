// The one retry classification both runners and the send handler share.
import { describe, expect, it } from 'vitest';
import { PermanentJobError, RetryableError } from '../src/jobs/port.js';
import { classifyFailure, InputError, retryDelay } from '../src/jobs/retryClassification.js';
import { PermanentDeliveryError, RetryLaterError } from '../src/plugins/contract.js';
import { WhatsAppApiError, WhatsAppInputError } from '../src/whatsapp/cloudApi.js';
import { badInput } from '../src/domain/errors.js';

const backoff = { baseMs: 100, maxMs: 1_000 };

describe('classifyFailure', () => {
  it.each([
    ['PermanentJobError', new PermanentJobError('gone'), false],
    ['PermanentDeliveryError (plugins)', new PermanentDeliveryError('422 from CRM'), false],
    ['InputError', new InputError('cannot send a LOCATION message'), false],
    ['WhatsAppInputError (message builders)', new WhatsAppInputError('too long', 'body'), false],
    ['BAD_USER_INPUT', badInput('text must not be empty', 'text'), false],
    ['Meta 131026 (permanent)', new WhatsAppApiError({ httpStatus: 400, code: 131026, title: 'undeliverable' }), false],
    ['Meta 190 (auth)', new WhatsAppApiError({ httpStatus: 401, code: 190, title: 'token expired' }), false],
    ['Meta 131047 (window closed)', new WhatsAppApiError({ httpStatus: 400, code: 131047, title: 're-engagement' }), false],
    ['Meta 503', new WhatsAppApiError({ httpStatus: 503, code: null, title: 'unavailable' }), true],
    ['Meta 130429', new WhatsAppApiError({ httpStatus: 400, code: 130429, title: 'rate limit' }), true],
    ['Meta 131056 (pair rate)', new WhatsAppApiError({ httpStatus: 400, code: 131056, title: 'pair rate' }), true],
    ['RetryableError', new RetryableError('later'), true],
    ['RetryLaterError (plugins)', new RetryLaterError('later', 5_000), true],
    ['a plain Error (network, store hiccup)', new Error('socket hang up'), true],
    ['a thrown string', 'boom', true],
  ])('%s → retryable %s, with a reason', (_label, error, retryable) => {
    const verdict = classifyFailure(error);
    expect(verdict.retryable).toBe(retryable);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });

  it('recognises errors by name, as when they crossed a module copy', () => {
    const foreign = Object.assign(new Error('no'), { name: 'PermanentJobError' });
    expect(classifyFailure(foreign)).toMatchObject({ retryable: false });
  });

  it('looks through causes: a wrapped input error is still permanent', () => {
    const wrapped = new Error('job failed', { cause: new WhatsAppInputError('bad', 'x') });
    expect(classifyFailure(wrapped)).toMatchObject({ retryable: false, reason: expect.stringContaining('invalid input') });
  });

  it("the outermost classified error decides: a RetryableError's delay wins over its cause's", () => {
    const cause = new WhatsAppApiError({ httpStatus: 429, code: null, title: 'slow down', retryAfterMs: 9_000 });
    const retry = new RetryableError(cause.message, 1_500);
    retry.cause = cause;
    expect(classifyFailure(retry)).toEqual({ retryable: true, reason: expect.any(String), retryAfterMs: 1_500 });
  });

  it("carries Meta's Retry-After", () => {
    const error = new WhatsAppApiError({ httpStatus: 429, code: null, title: 'slow down', retryAfterMs: 2_000 });
    expect(classifyFailure(error)).toMatchObject({ retryable: true, retryAfterMs: 2_000 });
  });
});

describe('retryDelay', () => {
  it('uses the Retry-After when there is one, else the jittered backoff', () => {
    expect(retryDelay({ retryable: true, reason: 'x', retryAfterMs: 700 }, backoff, 1, () => 0)).toBe(700);
    expect(retryDelay({ retryable: true, reason: 'x' }, backoff, 1, () => 0)).toBe(50);
    expect(retryDelay({ retryable: true, reason: 'x' }, backoff, 3, () => 1)).toBe(400);
    expect(retryDelay({ retryable: true, reason: 'x' }, backoff, 10, () => 1)).toBe(1_000);
  });
});
