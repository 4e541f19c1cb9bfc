// The embedded engine's direct path for plain $set / $unset / $inc / $max /
// $min / $addToSet
// (src/store/embedded/simpleUpdate.ts) against mingo's updater on the same
// seeded random documents and updates: the same document afterwards and the
// same "changed or not", and every shape it does not handle left to mingo.
import { update as mingoUpdate, type Modifier } from 'mingo/updater';
import type { AnyObject } from 'mingo/types';
import { describe, expect, it } from 'vitest';
import { applySimpleUpdate } from '../src/store/embedded/simpleUpdate.js';
import { copyValue } from '../src/store/embedded/values.js';
import { mulberry32 } from './support/random.js';

const MISSING = Symbol('missing');
const values: Array<() => unknown> = [
  () => MISSING, () => null, () => 0, () => 1, () => 2.5, () => -4, () => 'a', () => 'b', () => '', () => true, () => false,
  () => new Date(Date.UTC(2026, 0, 1)), () => new Date(Date.UTC(2026, 0, 2)), () => ({ x: 1 }), () => ({ x: 1, y: { z: 'deep' } }), () => [1, 2], () => [], () => ['a', 'b'],
];
const paths = ['a', 'b', 'n', 'o.x', 'o.y', 'o.y.z', 'p.q'];

function randomDoc(next: () => number): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: 'd1' };
  for (const key of ['a', 'b', 'n', 'o', 'p']) {
    const pick = values[Math.floor(next() * values.length)]!();
    if (pick !== MISSING) doc[key] = pick;
  }
  return doc;
}

function randomUpdate(next: () => number): Record<string, Record<string, unknown>> {
  const update: Record<string, Record<string, unknown>> = {};
  const count = 1 + Math.floor(next() * 3);
  for (let i = 0; i < count; i++) {
    const op = (['$set', '$unset', '$inc', '$max', '$min', '$addToSet'] as const)[Math.floor(next() * 6)]!;
    const path = paths[Math.floor(next() * paths.length)]!;
    let value = values[Math.floor(next() * values.length)]!();
    if (value === MISSING) value = '';
    if (op === '$inc') value = [1, -1, 0, 2.5][Math.floor(next() * 4)];
    if ((op === '$max' || op === '$min') && next() < 0.7) value = [0, 1, 2.5, -4, new Date(Date.UTC(2026, 0, 1)), new Date(Date.UTC(2026, 0, 2))][Math.floor(next() * 6)];
    if (op === '$addToSet' && next() < 0.5) value = { $each: [...new Set([1, 'a', value === '' ? 'b' : value])] };
    (update[op] ??= {})[path] = value;
  }
  return update;
}

/** What mingo does, or the error it raises. */
function byMingo(doc: Record<string, unknown>, update: Record<string, unknown>): { doc: unknown; changed: boolean } | { error: true } {
  const copy = copyValue(doc);
  try {
    const changed = mingoUpdate(copy as AnyObject, update as Modifier<AnyObject>, undefined, undefined, { cloneMode: 'copy' });
    return { doc: copy, changed: changed.length > 0 };
  } catch {
    return { error: true };
  }
}

describe('plain $set / $unset / $inc / $max / $min / $addToSet applied directly', () => {
  it('matches mingo on 10,000 seeded random documents and updates, or leaves them to mingo', () => {
    const next = mulberry32(20261202);
    let direct = 0;
    const directByOperator = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const doc = randomDoc(next);
      const update = randomUpdate(next);
      const expected = byMingo(doc, update);
      const copy = copyValue(doc);
      const changed = applySimpleUpdate(copy, update);
      if (changed === null) {
        // Left to mingo: the document is untouched.
        expect(copy).toEqual(doc);
        continue;
      }
      direct++;
      for (const op of Object.keys(update)) directByOperator.set(op, (directByOperator.get(op) ?? 0) + 1);
      expect('error' in expected, `mingo refused ${JSON.stringify(update)} on ${JSON.stringify(doc)}, the direct path did not`).toBe(false);
      if ('error' in expected) continue;
      expect({ changed, doc: copy }, `${JSON.stringify(update)} on ${JSON.stringify(doc)}`).toEqual(expected);
    }
    // The direct path really ran (the random shapes often have a scalar where a path needs an object: mingo's).
    expect(direct).toBeGreaterThan(1_000);
    for (const op of ['$set', '$unset', '$inc', '$max', '$min', '$addToSet']) expect(directByOperator.get(op) ?? 0, op).toBeGreaterThan(50);
  });

  it('leaves array indexes, positional paths, other operators and overlapping paths to mingo', () => {
    const doc = { _id: 'd', list: [1, 2], o: { x: 1 } };
    for (const update of [{ $set: { 'list.0': 5 } }, { $set: { 'list.$': 5 } }, { $push: { list: 3 } }, { $set: { o: {}, 'o.x': 2 } }, { $inc: { 'o.x': '1' } }, { $set: { 'list.x': 1 } }, { $max: { o: 5 } }, { $min: { list: new Date(0) } }, { $addToSet: { list: { x: 1 } } }, { $addToSet: { o: 1 } }]) {
      const copy = copyValue(doc);
      expect(applySimpleUpdate(copy, update)).toBeNull();
      expect(copy).toEqual(doc);
    }
  });

  it('a value set on two documents is two copies, never one shared object', () => {
    const update = { $set: { tags: { list: ['a'] } } };
    const [one, two] = [{ _id: '1' } as Record<string, unknown>, { _id: '2' } as Record<string, unknown>];
    applySimpleUpdate(one, update);
    applySimpleUpdate(two, update);
    expect(one['tags']).not.toBe(two['tags']);
    expect(one['tags']).not.toBe(update.$set.tags);
  });
});
