// The embedded engine's range index on dates (RangeIndex in
// src/store/embedded/indexes.ts) against a scan: the same seeded random
// documents, inserted out of time order, updated and deleted, in a store
// declaring date indexes and in one declaring none, and against mingo over
// the same documents. Every range query gives the same documents in the same
// (natural) order, the same counts and the same groups.
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../src/store/embedded.js';
import type { Doc, Filter } from '../src/store/port.js';
import { mulberry32 } from './support/random.js';

const MISSING = Symbol('missing');
const T0 = Date.UTC(2025, 2, 1);
const MINUTE = 60_000;
type Pool = (() => unknown)[];
type Item = Doc & { at?: unknown; o?: unknown; k?: unknown; j?: unknown; u?: unknown };

/** Mostly dates, in a ten-hour band so ranges select few; then what a date field should not hold, and what only mingo decides. */
function atPool(next: () => number, clean: boolean): Pool {
  const date = () => new Date(T0 + Math.floor(next() * 600) * MINUTE);
  return [
    date, date, date, date, date, date, date, date, date, date,
    () => new Date(T0), () => new Date(T0 + 300 * MINUTE),
    () => MISSING, () => null, () => '2025-03-01T01:00:00.000Z', () => T0 + 60 * MINUTE, () => true,
    ...(clean ? [] : [() => NaN]),
    ...(clean ? [] : [() => [date(), date()], () => [], () => [null], () => ({ at: date() })]),
  ];
}

/** Clean: nothing the compiled filters leave to mingo (no arrays, objects or NaN on an indexed path), so range indexes answer exactly. */
function randomDoc(next: () => number, id: string, clean: boolean): Item {
  const pick = (pool: Pool) => (pool[Math.floor(next() * pool.length)] as () => unknown)();
  const dates = atPool(next, clean);
  const doc: Item = { _id: id };
  const at = pick(dates);
  if (at !== MISSING) doc.at = at;
  const k = pick([() => 'a', () => 'b', () => MISSING, () => 1, ...(clean ? [] : [() => ['a', 'b']])]);
  if (k !== MISSING) doc.k = k;
  const o = pick([() => MISSING, () => ({}), () => ({ at: pick(dates) }), () => ({ at: pick(dates) }), ...(clean ? [] : [() => null, () => 'scalar', () => [{ at: pick(dates) }]])]);
  if (o !== MISSING) doc.o = o;
  const j = pick([() => 'x', () => 'y', () => MISSING, () => true, () => 0, () => -0, () => null, () => new Date(T0)]);
  if (j !== MISSING) doc.j = j;
  // One value per document: a prefix with too many values for a range index.
  doc.u = `u${Math.floor(next() * 2000)}`;
  return doc;
}

function randomFilter(next: () => number): Filter {
  const time = () => new Date(T0 + Math.floor(next() * 620 - 10) * MINUTE);
  const path = next() < 0.7 ? 'at' : 'o.at';
  const bounds = (): Record<string, unknown> => {
    const low = time();
    const high = new Date(+low + Math.floor(next() * 120) * MINUTE);
    switch (Math.floor(next() * 8)) {
      case 7:
        // Bounds and more: not answered by the index alone.
        return { $gte: new Date(T0), $ne: new Date(T0), $lte: high };
      case 0:
        return { $gte: low, $lt: high };
      case 1:
        return { $gt: low, $lte: high };
      case 2:
        return { $lt: low };
      case 3:
        return { $gte: high };
      case 4:
        return { $eq: new Date(T0 + 300 * MINUTE) };
      case 5:
        return { $gte: low, $lt: high, $ne: new Date(T0) };
      default:
        return { $gte: low, $lte: low };
    }
  };
  const filter: Filter = { [path]: next() < 0.1 ? new Date(T0) : bounds() };
  if (next() < 0.3) filter.k = next() < 0.5 ? 'a' : { $in: ['b', 1] };
  if (next() < 0.3) filter.j = next() < 0.5 ? 'x' : { $in: ['y', 0, true] };
  if (next() < 0.1) filter.u = { $in: ['u1', 'u2', 'u3'] };
  if (next() < 0.1) filter.at = { $in: [new Date(T0), new Date(T0 + 300 * MINUTE), new Date(T0 + Math.floor(next() * 600) * MINUTE)] };
  if (next() < 0.2) filter.$and = [{ at: { $lt: time() } }, { at: { $gte: time() } }];
  return filter;
}

describe('range index on dates', () => {
  it.each([
    ['with documents kept aside (arrays, objects, NaN on the paths)', false],
    ['answering exactly (no document kept aside)', true],
  ])('answers range queries like a scan and like mingo while documents are inserted out of order, updated and deleted: %s', async (_, clean) => {
    const next = mulberry32(20261202);
    const indexed = createEmbeddedStore({ indexes: { items: [{ key: { at: 1 } }, { key: { k: 1, 'o.at': 1 } }, { key: { k: 1, j: 1, at: 1 } }, { key: { u: 1, at: 1 } }] } }).collection<Item>('items');
    const scanned = createEmbeddedStore({ indexes: {} }).collection<Item>('items');
    let serial = 0;
    let checked = 0;
    for (let round = 0; round < 10; round++) {
      // Inserts: mostly in time order (how messages and events arrive), some not.
      const batch: Item[] = [];
      for (let i = 0; i < 150; i++) batch.push(randomDoc(next, `d${serial++}`, clean));
      if (round % 3 !== 0) batch.sort((a, b) => (a.at instanceof Date && b.at instanceof Date ? +a.at - +b.at : 0));
      await indexed.insertMany(batch);
      await scanned.insertMany(batch);
      // Updates that move dates, turn them into other values, and back.
      for (let i = 0; i < 30; i++) {
        const id = `d${Math.floor(next() * serial)}`;
        const replacement = randomDoc(next, id, clean);
        const update = { $set: { at: replacement.at ?? null, o: replacement.o ?? {} } };
        await indexed.updateOne({ _id: id }, update);
        await scanned.updateOne({ _id: id }, update);
        // ...and updates that keep the dates: the index must hand out the updated document.
        const touched = { $set: { k: next() < 0.5 ? 'a' : 'b', n: i } };
        const other = `d${Math.floor(next() * serial)}`;
        await indexed.updateOne({ _id: other }, touched);
        await scanned.updateOne({ _id: other }, touched);
      }
      // Deletes, by id and by range.
      const gone = [`d${Math.floor(next() * serial)}`, `d${Math.floor(next() * serial)}`];
      await indexed.deleteMany({ _id: { $in: gone } });
      await scanned.deleteMany({ _id: { $in: gone } });
      if (round % 10 === 9) {
        const filter = randomFilter(next);
        expect(await indexed.deleteMany(filter)).toBe(await scanned.deleteMany(filter));
      }

      const all = await scanned.find({});
      for (let q = 0; q < 25; q++) {
        const filter = randomFilter(next);
        const expected = await scanned.find(filter);
        const described = JSON.stringify(filter);
        expect(await indexed.find(filter), described).toEqual(expected);
        expect(new Query(filter).find(all).all(), described).toEqual(expected);
        expect(await indexed.countDocuments(filter), described).toBe(expected.length);
        const pipeline = [{ $match: filter }, { $group: { _id: '$k', n: { $sum: 1 }, first: { $first: '$_id' } } }];
        expect(await indexed.aggregate(pipeline), described).toEqual(await scanned.aggregate(pipeline));
        checked += expected.length;
      }
    }
    expect(await indexed.find({})).toEqual(await scanned.find({}));
    expect(checked).toBeGreaterThan(3_000);
  });

  it('hands out a span in natural order when a date arrives later on an earlier document (no blank left to slow it down)', async () => {
    const items = createEmbeddedStore({ indexes: { items: [{ key: { at: 1 } }] } }).collection<Item>('items');
    // a has no date yet, so it is not in the run; b and c are appended in time and insertion order.
    await items.insertMany([{ _id: 'a' }, { _id: 'b', at: new Date(T0) }, { _id: 'c', at: new Date(T0 + MINUTE) }]);
    // a's date is the latest: appended at the run's end with the lowest insertion sequence.
    await items.updateOne({ _id: 'a' }, { $set: { at: new Date(T0 + 2 * MINUTE) } });
    const ids = (docs: Item[]) => docs.map((doc) => doc._id);
    expect(ids(await items.find({ at: { $gte: new Date(T0) } }))).toEqual(['a', 'b', 'c']);
    expect(ids(await items.find({ at: { $gt: new Date(T0) } }))).toEqual(['a', 'c']);
    // Later documents in time order after it: still natural order.
    await items.insertOne({ _id: 'd', at: new Date(T0 + 3 * MINUTE) });
    expect(ids(await items.find({ at: { $gte: new Date(T0) } }))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands out a span in natural order after the out-of-order buffer was merged in', async () => {
    const items = createEmbeddedStore({ indexes: { items: [{ key: { at: 1 } }] } }).collection<Item>('items');
    // The first document is the latest; the 257 after it go to the buffer, merged in as it passes 256 (and left empty).
    const late: Item = { _id: 'late', at: new Date(T0 + 1000 * MINUTE) };
    const early: Item[] = Array.from({ length: 257 }, (_, i) => ({ _id: `e${i}`, at: new Date(T0 + i * MINUTE) }));
    await items.insertMany([late, ...early]);
    const found = (await items.find({ at: { $gte: new Date(T0) } })).map((doc) => doc._id);
    expect(found).toEqual(['late', ...early.map((doc) => doc._id)]);
  });
});
