// The embedded engine's stored form (src/store/embedded/values.ts
// compactStored, indexes.ts): documents share interned strings and, within a
// document, one Date per time; indexes key values by themselves. None of it
// may show: callers get copies with a Date of their own per field, and keys
// of different types never collide.
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { DuplicateKeyError } from '../src/store/port.js';
import { interned } from '../src/store/embedded/values.js';

const T = new Date('2025-01-01T10:00:00Z');

describe('embedded stored form', () => {
  it('Dates of one time stored once still come back as separate Dates, in reads, updates and aggregations', async () => {
    const store = createEmbeddedStore();
    const items = store.collection<{ _id: string; createdAt: Date; updatedAt: Date; nested: { at: Date }; list: Date[] }>('items');
    await items.insertOne({ _id: 'a', createdAt: new Date(T), updatedAt: new Date(T), nested: { at: new Date(T) }, list: [new Date(T), new Date(T)] });

    const found = (await items.findOne({ _id: 'a' }))!;
    expect(found.createdAt).not.toBe(found.updatedAt);
    expect(found.list[0]).not.toBe(found.list[1]);
    found.createdAt.setTime(0);
    found.list[0]!.setTime(0);
    expect(found.updatedAt).toEqual(T);
    expect(found.nested.at).toEqual(T);
    expect(found.list[1]).toEqual(T);

    const later = new Date(T.getTime() + 60_000);
    const after = (await items.findOneAndUpdate({ _id: 'a' }, { $set: { updatedAt: later } }, { returnDocument: 'after' }))!;
    expect(after.createdAt).toEqual(T);
    expect(after.updatedAt).toEqual(later);
    after.nested.at.setTime(1);

    const [projected] = await items.aggregate<{ c: Date; u: Date; n: Date }>([{ $project: { c: '$createdAt', u: '$updatedAt', n: '$nested.at' } }]);
    expect(projected!.c).not.toBe(projected!.n);
    projected!.c.setTime(2);
    expect(await items.findOne({ _id: 'a' })).toEqual({ _id: 'a', createdAt: T, updatedAt: later, nested: { at: T }, list: [T, T] });
  });

  it('interned strings are equal to what went in, long ones and number-like ones too', async () => {
    const store = createEmbeddedStore({ indexes: { notes: [{ key: { tag: 1 } }] } });
    const notes = store.collection<{ _id: string; tag: string; text: string }>('notes');
    const long = 'x'.repeat(5_000);
    const odd = ['', '0', '12', '-1', '1e3', '__proto__', 'constructor', 'toString', 'a b', 'é', '😀'];
    await notes.insertMany(odd.map((tag, i) => ({ _id: `n${i}`, tag, text: i === 0 ? long : `${tag}!` })));
    for (const [i, tag] of odd.entries()) {
      expect(interned(tag)).toBe(tag);
      expect((await notes.find({ tag })).map((doc) => doc._id)).toEqual([`n${i}`]);
    }
    expect((await notes.findOne({ _id: 'n0' }))!.text).toBe(long);
    expect(await notes.countDocuments({ text: '__proto__!' })).toBe(1);
  });

  it('a unique index tells values of different types apart, and equal numbers alike', async () => {
    const store = createEmbeddedStore({ indexes: { keys: [{ key: { k: 1 }, unique: true }] } });
    const keys = store.collection<{ _id: string; k?: unknown }>('keys');
    const distinct: unknown[] = ['null', null, '1', 1, true, 'true', new Date(5), 'd5', 'n1', 's1', [1], '[1]', 0];
    await keys.insertMany(distinct.map((k, i) => ({ _id: `k${i}`, k })));
    expect(await keys.countDocuments()).toBe(distinct.length);
    await expect(keys.insertOne({ _id: 'dup1', k: 1.0 })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(keys.insertOne({ _id: 'dup2', k: -0 })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(keys.insertOne({ _id: 'dup3', k: new Date(5) })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(keys.insertOne({ _id: 'dup4', k: 'null' })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(keys.insertOne({ _id: 'dup5' })).rejects.toBeInstanceOf(DuplicateKeyError);
    // Moving a key frees it for another document.
    await keys.updateOne({ _id: 'k0' }, { $set: { k: 'moved' } });
    await keys.insertOne({ _id: 'again', k: 'null' });
    await expect(keys.updateOne({ _id: 'k2' }, { $set: { k: 'moved' } })).rejects.toBeInstanceOf(DuplicateKeyError);
  });

  it('an equality lookup stays right as a value gains and loses many documents, in natural order', async () => {
    const store = createEmbeddedStore({ indexes: { rows: [{ key: { g: 1 } }] } });
    const rows = store.collection<{ _id: string; g: string | number; n: number }>('rows');
    // Far more documents than any value holds, so the lookup is used rather than a scan.
    await rows.insertMany(Array.from({ length: 1_000 }, (_, n) => ({ _id: `r${String(n).padStart(4, '0')}`, g: n < 100 ? 'big' : `other${n}`, n })));
    const big = async () => (await rows.find({ g: 'big' })).map((doc) => doc.n);
    expect(await big()).toEqual(Array.from({ length: 100 }, (_, n) => n));

    await rows.deleteMany({ g: 'big', n: { $gte: 2 } });
    expect(await big()).toEqual([0, 1]);
    await rows.deleteMany({ _id: 'r0000' });
    expect(await big()).toEqual([1]);
    await rows.updateMany({ n: { $gte: 500, $lt: 560 } }, { $set: { g: 'big' } });
    expect(await big()).toEqual([1, ...Array.from({ length: 60 }, (_, n) => 500 + n)]);
    await rows.updateMany({ g: 'big', n: { $gte: 510 } }, { $set: { g: 7 } });
    expect(await big()).toEqual([1, ...Array.from({ length: 10 }, (_, n) => 500 + n)]);
    expect(await rows.countDocuments({ g: 7 })).toBe(50);
    expect(await rows.countDocuments({ g: '7' })).toBe(0);
  });

  it('a lookup on a unique field finds scalar values through the unique index and array values through its own', async () => {
    const store = createEmbeddedStore({ indexes: { wams: [{ key: { w: 1 }, unique: true, sparse: true }, { key: { 'x.y': 1 }, unique: true }] } });
    const wams = store.collection<{ _id: string; w?: string | string[] | null; x?: unknown }>('wams');
    await wams.insertMany(Array.from({ length: 100 }, (_, n) => ({ _id: `f${n}`, w: `filler${n}`, x: { y: n } })));
    await wams.insertMany([
      { _id: 's', w: 'a', x: { y: 'a' } },
      { _id: 'arr', w: ['a', 'b'], x: [{ y: 'a' }, { y: 'c' }] },
      { _id: 'none', w: null, x: { y: ['a'] } },
    ]);
    const ids = async (filter: Record<string, unknown>) => (await wams.find(filter)).map((doc) => doc._id);
    expect(await ids({ w: 'a' })).toEqual(['s', 'arr']);
    expect(await ids({ w: { $in: ['b', 'filler3'] } })).toEqual(['f3', 'arr']);
    expect(await ids({ 'x.y': 'a' })).toEqual(['s', 'arr', 'none']);
    expect(await ids({ 'x.y': 7 })).toEqual(['f7']);
    await wams.updateOne({ _id: 's' }, { $set: { w: ['z'], 'x.y': 'q' } });
    await wams.updateOne({ _id: 'arr' }, { $set: { w: 'a' } });
    expect(await ids({ w: 'a' })).toEqual(['arr']);
    expect(await ids({ w: 'z' })).toEqual(['s']);
    expect(await ids({ 'x.y': 'a' })).toEqual(['arr', 'none']);
    await wams.deleteMany({ _id: { $in: ['arr', 'f7'] } });
    expect(await ids({ w: 'a' })).toEqual([]);
    expect(await ids({ 'x.y': 7 })).toEqual([]);
    await expect(wams.insertOne({ _id: 'dup', w: 'filler5' })).rejects.toBeInstanceOf(DuplicateKeyError);
  });
});
