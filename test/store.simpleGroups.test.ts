// The embedded engine's compiled $group stages (src/store/embedded/simpleGroups.ts)
// against mingo's own $group on the same documents: seeded random documents
// (missing fields, nulls, mixed numbers, Dates, strings) for every supported
// shape, a few results worked out by hand from MongoDB's documented rules,
// and the shapes and values left to mingo.
import { Aggregator } from 'mingo';
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { compileSimpleGroup } from '../src/store/embedded/simpleGroups.js';
import type { Doc } from '../src/store/port.js';
import { mulberry32 } from './support/random.js';

const MISSING = Symbol('missing');
const T0 = Date.UTC(2025, 2, 3, 10, 0, 0);
const QUARTER_HOUR = 900_000;
const at = (ms: number) => new Date(T0 + ms);

const random = mulberry32;

type Pool = (() => unknown)[];

/** Value makers per field; a Date is a new object every time (equal instants, distinct objects). */
const CLEAN: Record<string, Pool> = {
  k: [() => 'a', () => 'b', () => 'B', () => '', () => 1, () => 2, () => 2.5, () => NaN, () => true, () => false, () => null, () => MISSING, () => at(0), () => at(3_600_000)],
  j: [() => 'x', () => 'y', () => 0, () => null, () => MISSING, () => at(0)],
  nested: [() => MISSING, () => null, () => 'scalar', () => 7, () => ({}), () => ({ sub: 'p' }), () => ({ sub: 'q' }), () => ({ sub: null }), () => ({ sub: 3 }), () => ({ sub: at(0) })],
  // Summed and averaged: whole numbers, and what $sum ignores (arrays and objects included).
  n: [() => 0, () => 1, () => 5, () => -3, () => 17, () => 1_000_000, () => '4', () => null, () => MISSING, () => true, () => at(5), () => [1, 2], () => ({ v: 1 })],
  // Compared by $max/$min across BSON types.
  x: [() => 3, () => -2.5, () => 1e-9, () => Infinity, () => -Infinity, () => 'apple', () => 'Zebra', () => '', () => 'é', () => true, () => false, () => at(-60_000), () => at(60_000), () => null, () => MISSING],
  // Taken as they are by $first/$last.
  v: [() => 1, () => 'one', () => null, () => MISSING, () => at(7), () => [1, 'two', { three: 3 }], () => ({ deep: { er: [at(1)] } }), () => NaN, () => -0],
  // Pushed: always present (a missing one is left to mingo).
  p: [() => 1, () => 'two', () => null, () => at(2), () => [3], () => ({ four: 4 }), () => 2.75],
  num: [() => 0, () => 7, () => -1.5, () => 2.5, () => 1e6, () => 900_001.75, () => null, () => MISSING],
  flag: [() => true, () => false, () => null, () => MISSING, () => 12],
};

/** What only mingo may decide: arrays or objects where a key or comparison meets them, fractions summed, NaN and -0 compared, surrogate pairs, missing values pushed, strings converted. */
const MESSY: Record<string, Pool> = {
  k: [...(CLEAN.k as Pool), () => ['a'], () => ({ o: 1 }), () => -0],
  j: [...(CLEAN.j as Pool), () => [1, 2]],
  nested: [...(CLEAN.nested as Pool), () => [{ sub: 'p' }], () => at(9)],
  n: [...(CLEAN.n as Pool), () => 0.1, () => NaN, () => 2 ** 60],
  x: [...(CLEAN.x as Pool), () => NaN, () => -0, () => '\u{1F600}', () => [1], () => ({ o: 1 })],
  v: CLEAN.v as Pool,
  p: [...(CLEAN.p as Pool), () => MISSING],
  num: [...(CLEAN.num as Pool), () => '12', () => NaN, () => -0.5],
  flag: [...(CLEAN.flag as Pool), () => 'yes'],
};

function documents(seed: number, count: number, pools: Record<string, Pool>): Doc[] {
  const next = random(seed);
  const pick = (pool: Pool) => (pool[Math.floor(next() * pool.length)] as () => unknown)();
  const docs: Doc[] = [];
  for (let i = 0; i < count; i++) {
    const doc: Record<string, unknown> = { _id: `doc-${seed}-${i}` };
    for (const [field, pool] of Object.entries(pools)) {
      const value = pick(pool);
      if (value !== MISSING) doc[field] = value;
    }
    // Times over two days, on quarter-hour boundaries now and then; sometimes missing or null.
    const roll = next();
    if (roll < 0.9) doc.at = at(Math.floor(next() * 48) * 3_600_000 + (next() < 0.3 ? 0 : Math.floor(next() * 3_600_000)));
    else if (roll < 0.95) doc.at = null;
    if (next() < 0.8) doc.at2 = at(Math.floor(next() * 10) * 60_000);
    docs.push(doc as Doc);
  }
  return docs;
}

const quarterHour = { $floor: { $divide: [{ $toLong: '$at' }, QUARTER_HOUR] } };

/** Every supported shape, over the fields above. */
const SHAPES: Record<string, Record<string, unknown>> = {
  'null key, count': { _id: null, count: { $sum: 1 } },
  'field key, every accumulator': {
    _id: '$k',
    count: { $sum: 1 },
    threeEach: { $sum: 3 },
    total: { $sum: '$n' },
    mean: { $avg: '$n' },
    high: { $max: '$x' },
    low: { $min: '$x' },
    first: { $first: '$v' },
    last: { $last: '$v' },
    all: { $push: '$p' },
  },
  'null key, every accumulator': { _id: null, total: { $sum: '$n' }, mean: { $avg: '$n' }, high: { $max: '$x' }, low: { $min: '$x' }, first: { $first: '$v' }, last: { $last: '$v' }, all: { $push: '$p' } },
  'nested field key': { _id: '$nested.sub', count: { $sum: 1 }, high: { $max: '$at' }, firstSub: { $first: '$nested.sub' } },
  'Date key': { _id: '$at', count: { $sum: 1 }, low: { $min: '$x' } },
  'object key of field paths': { _id: { k: '$k', j: '$j', sub: '$nested.sub' }, count: { $sum: 1 }, total: { $sum: '$n' }, high: { $max: '$x' } },
  'holding moves shape': { _id: { type: '$k', agentId: '$j', fromAgentId: '$nested.sub' }, n: { $sum: 1 } },
  'last status shape': { _id: '$j', lastAt: { $max: '$at' } },
  'quarter-hour key': { _id: quarterHour, n: { $sum: 1 } },
  'object key with an hour bucket': { _id: { hour: { $floor: { $divide: [{ $toLong: '$at' }, 3_600_000] } }, k: '$k' }, n: { $sum: 1 }, latest: { $max: '$at' } },
  'Date minus Date key': { _id: { $subtract: ['$at', '$at2'] }, n: { $sum: 1 } },
  'Date minus milliseconds key': { _id: { $subtract: ['$at', 60_000] }, n: { $sum: 1 }, last: { $last: '$p' } },
  'numeric expression keys': { _id: { long: { $toLong: '$num' }, floor: { $floor: '$num' }, less: { $subtract: ['$num', 1] }, quarter: { $divide: ['$num', 4] } }, n: { $sum: 1 } },
  'boolean to long key': { _id: { $toLong: '$flag' }, n: { $sum: 1 }, total: { $sum: '$n' } },
};

/** mingo's $group, as the engine ran it before; the result as MongoDB shapes it (a missing value's field is left out of an object _id, where mingo sets it to undefined). */
function mingoGroup(docs: Doc[], spec: Record<string, unknown>): Record<string, unknown>[] {
  return (new Aggregator([{ $group: spec }]).run(docs) as Record<string, unknown>[]).map(withoutUndefined);
}

function withoutUndefined(row: Record<string, unknown>): Record<string, unknown> {
  const id = row._id;
  if (id === null || typeof id !== 'object' || id instanceof Date || Array.isArray(id)) return row;
  return { ...row, _id: Object.fromEntries(Object.entries(id).filter(([, value]) => value !== undefined)) };
}

/** A total order on _id values for comparing results as sets: typed, so 1, '1' and a Date at 1 ms stay apart. */
function canonical(value: unknown): string {
  if (value === undefined) return 'u';
  if (value === null) return 'z';
  if (value instanceof Date) return `d${value.getTime()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${k}:${canonical(v)}`).join(',')}}`;
  return `${typeof value}:${String(value)}`;
}

const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => (canonical(a._id) < canonical(b._id) ? -1 : canonical(a._id) > canonical(b._id) ? 1 : 0));

function compiled(spec: Record<string, unknown>) {
  const group = compileSimpleGroup(spec);
  if (!group) throw new Error(`expected ${JSON.stringify(spec)} to compile`);
  return group;
}

/**
 * The store's answer to a pipeline equals plain mingo's, or both throw the
 * same error: where the compiled form stands aside, the engine behaves as it
 * did before (mingo's own differences from MongoDB included).
 */
async function expectStoreToAnswerAsMingo(input: Doc[], pipeline: Record<string, unknown>[]): Promise<void> {
  const store = createEmbeddedStore({ indexes: {} });
  const items = store.collection<Doc>('items');
  await items.insertMany(input);
  let expected: Record<string, unknown>[];
  try {
    expected = new Aggregator(pipeline).run(input) as Record<string, unknown>[];
  } catch (error) {
    await expect(items.aggregate(pipeline)).rejects.toThrow((error as Error).message);
    return;
  }
  expect(byId(await items.aggregate(pipeline))).toStrictEqual(byId(expected));
}

type Item = Doc & Record<string, unknown>;

const SEEDS = [1, 2, 3, 4, 5, 6];

describe('compiled $group stages equal mingo on seeded random documents', () => {
  for (const [name, spec] of Object.entries(SHAPES)) {
    it(`${name}: ${SEEDS.length} seeds × 300 documents`, () => {
      for (const seed of SEEDS) {
        const docs = documents(seed, 300, CLEAN);
        const before = structuredClone(docs);
        const rows = compiled(spec)(docs);
        // Clean documents hold nothing the compiled form leaves to mingo: it decides them all.
        expect(rows, `seed ${seed}`).not.toBeNull();
        const expected = mingoGroup(docs, spec);
        expect(byId(rows ?? []), `seed ${seed}`).toStrictEqual(byId(expected));
        // Groups come out in the order they first appear, as mingo's do.
        expect((rows ?? []).map((row) => canonical(row._id))).toEqual(expected.map((row) => canonical(row._id)));
        expect(docs, 'documents read, never changed').toStrictEqual(before);
      }
    });
  }

  it('leaves to mingo, or equals it on, documents holding arrays, objects, fractions, NaN, -0 and missing pushes', () => {
    let undecided = 0;
    let decided = 0;
    for (const [name, spec] of Object.entries(SHAPES)) {
      for (const seed of SEEDS) {
        // Few documents, so that some groups hold nothing messy and the compiled form decides some runs.
        for (const count of [3, 40]) {
          const docs = documents(seed * 97 + count, count, MESSY);
          const rows = compiled(spec)(docs);
          let expected: Record<string, unknown>[];
          try {
            expected = mingoGroup(docs, spec);
          } catch {
            // mingo refuses some of these values (a string to $toLong it will not parse): the compiled form must not answer them either.
            expect(rows, `${name}, seed ${seed}`).toBeNull();
            undecided++;
            continue;
          }
          if (rows === null) undecided++;
          else {
            decided++;
            expect(byId(rows), `${name}, seed ${seed}`).toStrictEqual(byId(expected));
          }
        }
      }
    }
    expect(undecided).toBeGreaterThan(20);
    expect(decided).toBeGreaterThan(20);
  });
});

describe('compiled $group stages, worked out by hand', () => {
  const docs: Item[] = [
    { _id: '1', agent: 'a', at: at(0), n: 2, x: 5, tag: 'first' },
    { _id: '2', agent: 'a', at: at(QUARTER_HOUR - 1), n: 'seven', x: 'five', tag: 'second' },
    { _id: '3', agent: null, at: at(QUARTER_HOUR), n: 4, x: true, tag: 'third' },
    { _id: '4', at: null, n: null, x: at(5), tag: 'fourth' },
    { _id: '5', agent: 'b', n: -1, x: null, tag: 'fifth' },
  ];

  it('groups missing with null, ignores non-numbers in sums, orders $max/$min across types, takes null for a missing $first/$last', () => {
    const rows = compiled({
      _id: '$agent',
      c: { $sum: 1 },
      s: { $sum: '$n' },
      a: { $avg: '$n' },
      mx: { $max: '$x' },
      mn: { $min: '$x' },
      f: { $first: '$at' },
      l: { $last: '$at' },
      tags: { $push: '$tag' },
    })(docs);
    expect(rows).toStrictEqual([
      { _id: 'a', c: 2, s: 2, a: 2, mx: 'five', mn: 5, f: at(0), l: at(QUARTER_HOUR - 1), tags: ['first', 'second'] },
      // number < string < boolean < Date, in BSON's order.
      { _id: null, c: 2, s: 4, a: 4, mx: at(5), mn: true, f: at(QUARTER_HOUR), l: null, tags: ['third', 'fourth'] },
      { _id: 'b', c: 1, s: -1, a: -1, mx: null, mn: null, f: null, l: null, tags: ['fifth'] },
    ]);
  });

  it('buckets by UTC quarter-hour; a missing or null time goes to the null bucket', () => {
    const q = T0 / QUARTER_HOUR;
    expect(Number.isInteger(q)).toBe(true);
    expect(compiled({ _id: quarterHour, n: { $sum: 1 } })(docs)).toStrictEqual([
      { _id: q, n: 2 },
      { _id: q + 1, n: 1 },
      { _id: null, n: 2 },
    ]);
  });

  it('leaves a missing value out of an object _id, apart from a null one', () => {
    const moves: Item[] = [
      { _id: '1', agentId: 'a' },
      { _id: '2', agentId: 'a', data: { fromAgentId: null } },
      { _id: '3', agentId: 'a', data: { fromAgentId: 'b' } },
      // A scalar on the path: the field is missing.
      { _id: '4', agentId: 'a', data: 'note' },
      { _id: '5', agentId: 'a', data: { fromAgentId: 'b' } },
    ];
    const rows = compiled({ _id: { agentId: '$agentId', fromAgentId: '$data.fromAgentId' }, n: { $sum: 1 } })(moves);
    expect(rows).toStrictEqual([
      { _id: { agentId: 'a' }, n: 2 },
      { _id: { agentId: 'a', fromAgentId: null }, n: 1 },
      { _id: { agentId: 'a', fromAgentId: 'b' }, n: 2 },
    ]);
    expect(Object.keys(rows?.[0]?._id as object)).toEqual(['agentId']);
  });

  it('subtracts Dates to milliseconds and milliseconds from a Date to a Date; counts k per document for {$sum: k}', () => {
    const spans: Item[] = [
      { _id: '1', start: at(0), end: at(90_000) },
      { _id: '2', start: at(30_000), end: at(120_000) },
      { _id: '3', start: at(0) },
    ];
    expect(compiled({ _id: { $subtract: ['$end', '$start'] }, k: { $sum: 3 } })(spans)).toStrictEqual([
      { _id: 90_000, k: 6 },
      { _id: null, k: 3 },
    ]);
    expect(compiled({ _id: { $subtract: ['$start', 60_000] }, n: { $sum: 1 } })(spans)).toStrictEqual([
      { _id: at(-60_000), n: 2 },
      { _id: at(-30_000), n: 1 },
    ]);
  });

  it('gives nothing for no documents, and averages to null when nothing is a number', () => {
    expect(compiled({ _id: null, n: { $sum: 1 } })([])).toStrictEqual([]);
    expect(compiled({ _id: null, a: { $avg: '$tag' }, s: { $sum: '$tag' } })(docs)).toStrictEqual([{ _id: null, a: null, s: 0 }]);
  });

  it('shares no value with the documents it read', () => {
    const stored: Item[] = [{ _id: '1', k: 'a', when: at(0), box: { inner: [1] } }];
    const [row] = compiled({ _id: '$when', f: { $first: '$box' }, p: { $push: '$box' }, m: { $max: '$when' } })(stored) ?? [];
    expect(row).toStrictEqual({ _id: at(0), f: { inner: [1] }, p: [{ inner: [1] }], m: at(0) });
    (row?._id as Date).setTime(0);
    ((row?.f as { inner: number[] }).inner).push(2);
    (row?.m as Date).setTime(0);
    expect(stored[0]).toStrictEqual({ _id: '1', k: 'a', when: at(0), box: { inner: [1] } });
  });
});

describe('what the compiled form leaves to mingo', () => {
  // Times all present: mingo's $hour throws on a null one (MongoDB's gives null).
  const docs = documents(42, 200, CLEAN).filter((doc) => (doc as Item).at instanceof Date);

  it.each([
    ['an expression it does not know', { _id: { $hour: '$at' }, n: { $sum: 1 } }],
    ['an accumulator it does not know', { _id: '$k', s: { $addToSet: '$n' } }],
    ['an accumulator of an expression', { _id: '$k', s: { $sum: { $multiply: ['$num', 2] } } }],
    ['a fractional constant sum', { _id: '$k', s: { $sum: 1.5 } }],
    ['a numeric path segment', { _id: '$nested.0', n: { $sum: 1 } }],
    ['a variable', { _id: '$$ROOT.k', n: { $sum: 1 } }],
    ['the one-element array form', { _id: { $floor: ['$num'] }, n: { $sum: 1 } }],
    ['a literal key', { _id: 'everything', n: { $sum: 1 } }],
    ['an empty object key', { _id: {}, n: { $sum: 1 } }],
    ['a literal inside an object key', { _id: { k: '$k', one: 1 }, n: { $sum: 1 } }],
    ['two operators in one accumulator', { _id: '$k', n: { $sum: 1, $max: '$x' } }],
  ])('%s: not compiled, and the store answers as mingo does', async (_name, spec) => {
    expect(compileSimpleGroup(spec)).toBeNull();
    await expectStoreToAnswerAsMingo(docs, [{ $group: spec }]);
  });

  it.each([
    ['an array key', { _id: '$k', n: { $sum: 1 } }, [{ _id: '1', k: ['a'] }]],
    ['an object key value', { _id: '$k', n: { $sum: 1 } }, [{ _id: '1', k: { a: 1 } }]],
    ['-0 in a key', { _id: '$k', n: { $sum: 1 } }, [{ _id: '1', k: -0 }, { _id: '2', k: 0 }]],
    ['a path through an array', { _id: '$a.b', n: { $sum: 1 } }, [{ _id: '1', a: [{ b: 1 }] }]],
    ['a fractional sum', { _id: null, s: { $sum: '$n' } }, [{ _id: '1', n: 0.1 }, { _id: '2', n: 0.2 }, { _id: '3', n: 0.3 }]],
    ['NaN summed', { _id: null, s: { $sum: '$n' } }, [{ _id: '1', n: NaN }, { _id: '2', n: 1 }]],
    ['a sum past 2^53', { _id: null, s: { $sum: '$n' } }, [{ _id: '1', n: Number.MAX_SAFE_INTEGER }, { _id: '2', n: 1 }]],
    ['NaN compared', { _id: null, m: { $max: '$n' } }, [{ _id: '1', n: NaN }, { _id: '2', n: 1 }]],
    ['an array compared', { _id: null, m: { $min: '$n' } }, [{ _id: '1', n: [0] }, { _id: '2', n: 1 }]],
    ['a surrogate pair compared', { _id: null, m: { $max: '$s' } }, [{ _id: '1', s: '\u{1F600}' }, { _id: '2', s: '\uFF21' }]],
    ['a missing value pushed', { _id: null, p: { $push: '$v' } }, [{ _id: '1', v: 1 }, { _id: '2' }]],
    ['a number string to $toLong', { _id: { $toLong: '$s' }, n: { $sum: 1 } }, [{ _id: '1', s: '12' }]],
  ])('%s: undecided, and the store answers as mingo does', async (_name, spec, input) => {
    expect(compiled(spec)(input as Doc[])).toBeNull();
    await expectStoreToAnswerAsMingo(input as Doc[], [{ $group: spec }]);
  });
});

describe('the embedded store runs compiled $group stages', () => {
  it('after a $match, before later stages, and without letting those stages change stored documents', async () => {
    const docs = documents(7, 500, CLEAN);
    const store = createEmbeddedStore({ indexes: {} });
    const items = store.collection<Doc>('items');
    await items.insertMany(docs);
    const match = { at: { $gte: at(3_600_000) } };
    const matched = docs.filter((doc) => { const time = (doc as Item).at; return time instanceof Date && time.getTime() >= T0 + 3_600_000; });
    for (const spec of Object.values(SHAPES)) {
      expect(byId(await items.aggregate([{ $match: match }, { $group: spec }]))).toStrictEqual(byId(mingoGroup(matched, spec)));
    }
    const spec = SHAPES['field key, every accumulator'] as Record<string, unknown>;
    const sorted = await items.aggregate([{ $group: spec }, { $sort: { count: -1, _id: 1 } }, { $limit: 3 }]);
    expect(sorted).toStrictEqual(new Aggregator([{ $group: spec }, { $sort: { count: -1, _id: 1 } }, { $limit: 3 }]).run(docs));

    const before = await items.find({});
    await items.aggregate([{ $group: { _id: '$k', box: { $first: '$nested' }, all: { $push: '$p' } } }, { $set: { 'box.sub': 'changed' } }, { $unwind: '$all' }, { $set: { 'all.four': 'changed' } }]);
    expect(await items.find({})).toStrictEqual(before);
  });
});
