// Which delivery status may replace which (src/domain/deliveryStatus.ts).
import { describe, expect, it } from 'vitest';
import { movesForward, statusesBefore } from '../src/domain/deliveryStatus.js';
import { DELIVERY_STATUSES } from '../src/domain/model.js';

describe('delivery status order', () => {
  it('moves only forward along QUEUED < SENT < DELIVERED < READ, skipping is fine', () => {
    expect(movesForward('QUEUED', 'SENT')).toBe(true);
    expect(movesForward('SENT', 'READ')).toBe(true); // delivered may be skipped
    expect(movesForward('QUEUED', 'READ')).toBe(true); // a status can beat the send call's answer
    expect(movesForward('READ', 'DELIVERED')).toBe(false); // the late delivered
    expect(movesForward('DELIVERED', 'SENT')).toBe(false);
    expect(movesForward('READ', 'READ')).toBe(false); // a duplicate changes nothing
  });

  it('FAILED wins over anything short of READ, and is terminal', () => {
    expect(movesForward('QUEUED', 'FAILED')).toBe(true);
    expect(movesForward('SENT', 'FAILED')).toBe(true); // 131047 arrives after `sent`
    expect(movesForward('DELIVERED', 'FAILED')).toBe(true);
    expect(movesForward('READ', 'FAILED')).toBe(false);
    for (const next of DELIVERY_STATUSES) expect(movesForward('FAILED', next), next).toBe(false);
  });

  it('inbound messages (RECEIVED) take no delivery statuses', () => {
    for (const s of DELIVERY_STATUSES) {
      expect(movesForward('RECEIVED', s)).toBe(false);
      expect(movesForward(s, 'RECEIVED')).toBe(false);
    }
  });

  it('states the precondition of an atomic update: the statuses a status may replace', () => {
    expect(statusesBefore('SENT')).toEqual(['QUEUED']);
    expect(statusesBefore('DELIVERED')).toEqual(['QUEUED', 'SENT']);
    expect(statusesBefore('READ')).toEqual(['QUEUED', 'SENT', 'DELIVERED']);
    expect(statusesBefore('FAILED')).toEqual(['QUEUED', 'SENT', 'DELIVERED']);
    expect(statusesBefore('QUEUED')).toEqual([]);
    expect(statusesBefore('RECEIVED')).toEqual([]);
  });
});
