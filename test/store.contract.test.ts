// The storage port's contract, run over every engine this machine has
// (test/support/engines.ts): the same documents must mean the same thing on
// the embedded engine (mingo) and on MongoDB (mongoose).
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentDoc, ConversationDoc, CustomerDoc, MessageDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { DuplicateKeyError, type Collection, type Store } from '../src/store/port.js';
import { find as mingoFind } from 'mingo';
import { availableEngines } from './support/engines.js';
import { buildAgentDoc, buildConversation, buildMessage } from './support/eventFactory.js';

const engines = await availableEngines();

/** A free-form collection (no schema, no indexes on either engine) for the query language itself. */
interface Item {
  _id: string;
  n: number;
  kind: string;
  tags: string[];
  nested: { x: number; label: string | null };
  lines: { sku: string; qty: number }[];
  at: Date;
  optional?: string | null;
}

const T0 = new Date('2024-03-10T12:00:00Z');
const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

function item(n: number, overrides: Partial<Item> = {}): Item {
  return {
    _id: `item-${String(n).padStart(3, '0')}`,
    n,
    kind: n % 2 === 0 ? 'even' : 'odd',
    tags: n % 3 === 0 ? ['three', 'any'] : ['any'],
    nested: { x: n * 10, label: n === 1 ? 'first' : null },
    lines: [
      { sku: `sku-${n}`, qty: n },
      { sku: 'common', qty: 1 },
    ],
    at: minutes(n),
    ...overrides,
  };
}

function agent(n: number, overrides: Partial<AgentDoc> = {}): AgentDoc {
  return buildAgentDoc({ _id: `agent-${n}`, name: `Agent ${n}`, email: `agent${n}@desk.test`, tokenHash: `hash-${n}`, statusChangedAt: T0, createdAt: T0, updatedAt: T0, ...overrides });
}

function customer(n: number, overrides: Partial<CustomerDoc> = {}): CustomerDoc {
  return { _id: `customer-${n}`, waId: `1555000${n}`, name: `Customer ${n}`, createdAt: T0, updatedAt: T0, ...overrides };
}

function conversation(n: number, overrides: Partial<ConversationDoc> = {}): ConversationDoc {
  return buildConversation(customer(n), {
    _id: `conversation-${n}`,
    openedAt: T0,
    cycleStartedAt: T0,
    lastCustomerMessageAt: null,
    lastMessageAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  });
}

function message(n: number, overrides: Partial<MessageDoc> = {}): MessageDoc {
  return buildMessage(conversation(1), { _id: `message-${n}`, text: `hello ${n}`, statusAt: T0, whatsappId: null, sentAt: T0, createdAt: T0, updatedAt: T0, ...overrides });
}

const ids = (docs: { _id: string }[]) => docs.map((doc) => doc._id);

/** Every document of every collection these tests write, in natural order. */
async function contents(store: Store): Promise<Record<string, unknown[]>> {
  const names = ['contract_items', ...Object.values(COLLECTIONS)];
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await store.collection(name).find({})] as const)));
}

async function expectDuplicate(promise: Promise<unknown>): Promise<DuplicateKeyError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DuplicateKeyError);
  return error as DuplicateKeyError;
}

describe.each(engines)('store contract on the $name engine', (engine) => {
  let store: Store;
  let items: Collection<Item>;

  beforeEach(async () => {
    store = await engine.create();
    items = store.collection<Item>('contract_items');
  });
  afterEach(async () => {
    // An engine that keeps its data: every test's end state must come back
    // whole, in the same natural order, from the data alone.
    if (engine.reopen) {
      const before = await contents(store);
      store = await engine.reopen(store);
      expect(await contents(store)).toEqual(before);
    }
    await store.close();
  });
  afterAll(() => engine.cleanup());

  it('reports its kind and answers ping', async () => {
    expect(store.kind).toBe(engine.kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('insert and read', () => {
    it('stores a document and reads it back equal, Dates as Date (nested ones too)', async () => {
      const original = item(1);
      const returned = await items.insertOne(original);
      expect(returned).toEqual(original);

      const read = await items.findOne({ _id: 'item-001' });
      expect(read).toEqual(original);
      expect(read?.at).toBeInstanceOf(Date);
      expect(read?.at.getTime()).toBe(minutes(1).getTime());

      const agents = store.collection<AgentDoc>(COLLECTIONS.agents);
      await agents.insertOne(agent(1, { lastAssignedAt: minutes(5) }));
      const stored = await agents.findOne({ email: 'agent1@desk.test' });
      expect(stored?.lastAssignedAt).toBeInstanceOf(Date);
      expect(stored?.lastAssignedAt?.toISOString()).toBe('2024-03-10T12:05:00.000Z');
      expect(stored?.lastAssignedAt).not.toBeNull();
    });

    it('refuses a second document with the same _id and keeps the first', async () => {
      await items.insertOne(item(1));
      const error = await expectDuplicate(items.insertOne(item(1, { kind: 'impostor' })));
      expect(error.code).toBe(11000);
      expect((await items.findOne({ _id: 'item-001' }))?.kind).toBe('odd');
      expect(await items.countDocuments()).toBe(1);
    });

    it('returns null when nothing matches', async () => {
      expect(await items.findOne({ _id: 'nope' })).toBeNull();
      expect(await items.find({ kind: 'none' })).toEqual([]);
    });
  });

  describe('find', () => {
    beforeEach(async () => {
      await items.insertMany([item(4), item(1), item(3), item(6), item(2), item(5)]);
    });

    it('sorts on one or several keys, skips and limits', async () => {
      expect(ids(await items.find({}, { sort: { n: 1 } }))).toEqual(['item-001', 'item-002', 'item-003', 'item-004', 'item-005', 'item-006']);
      expect(ids(await items.find({}, { sort: { kind: 1, n: -1 } }))).toEqual(['item-006', 'item-004', 'item-002', 'item-005', 'item-003', 'item-001']);
      expect(ids(await items.find({}, { sort: { n: -1 }, skip: 1, limit: 2 }))).toEqual(['item-005', 'item-004']);
      expect(ids(await items.find({}, { sort: { at: -1 }, limit: 1 }))).toEqual(['item-006']);
      // limit 0 means no limit, as in MongoDB.
      expect(await items.find({}, { limit: 0 })).toHaveLength(6);
      expect(ids(await items.find({}, { sort: { _id: 1 }, skip: 5 }))).toEqual(['item-006']);
    });

    it('findOne takes the first in sort order', async () => {
      expect((await items.findOne({ kind: 'odd' }, { sort: { n: -1 } }))?._id).toBe('item-005');
      expect((await items.findOne({}, { sort: { 'nested.x': 1 } }))?._id).toBe('item-001');
    });

    it('projects included or excluded fields, _id kept unless excluded', async () => {
      const included = await items.find({ n: 2 }, { projection: { n: 1, 'nested.x': 1 } });
      expect(included).toEqual([{ _id: 'item-002', n: 2, nested: { x: 20 } }]);

      const excluded = await items.findOne({ n: 2 }, { projection: { lines: 0, tags: 0, 'nested.label': 0 } });
      expect(excluded).toEqual({ _id: 'item-002', n: 2, kind: 'even', nested: { x: 20 }, at: minutes(2) });

      const withoutId = await items.find({ n: { $lte: 2 } }, { sort: { n: 1 }, projection: { _id: 0, n: 1 } });
      expect(withoutId).toEqual([{ n: 1 }, { n: 2 }]);

      // Projection never edits what is stored.
      expect((await items.findOne({ n: 2 }))?.nested).toEqual({ x: 20, label: null });
    });
  });

  describe('filters', () => {
    beforeEach(async () => {
      await items.insertMany([item(1), item(2), item(3, { optional: 'here' }), item(4, { optional: null }), item(6)]);
    });

    const match = async (filter: Record<string, unknown>) => ids(await items.find(filter, { sort: { _id: 1 } }));

    it('comparisons and $in / $nin / $ne', async () => {
      expect(await match({ n: { $lt: 3 } })).toEqual(['item-001', 'item-002']);
      expect(await match({ n: { $gte: 3, $lte: 4 } })).toEqual(['item-003', 'item-004']);
      expect(await match({ at: { $gt: minutes(3) } })).toEqual(['item-004', 'item-006']);
      expect(await match({ at: minutes(2) })).toEqual(['item-002']);
      expect(await match({ n: { $in: [1, 6, 99] } })).toEqual(['item-001', 'item-006']);
      expect(await match({ _id: { $in: ['item-002', 'item-004', 'missing'] } })).toEqual(['item-002', 'item-004']);
      expect(await match({ kind: { $nin: ['odd'] } })).toEqual(['item-002', 'item-004', 'item-006']);
      expect(await match({ kind: { $ne: 'even' } })).toEqual(['item-001', 'item-003']);
      expect(await match({ n: { $in: [1, 2] }, kind: 'even' })).toEqual(['item-002']);
    });

    it('$exists and null: null matches both null and a missing field', async () => {
      expect(await match({ optional: { $exists: true } })).toEqual(['item-003', 'item-004']);
      expect(await match({ optional: { $exists: false } })).toEqual(['item-001', 'item-002', 'item-006']);
      expect(await match({ optional: null })).toEqual(['item-001', 'item-002', 'item-004', 'item-006']);
      expect(await match({ optional: { $ne: null } })).toEqual(['item-003']);
      expect(await match({ 'nested.label': { $ne: null } })).toEqual(['item-001']);
    });

    it('dotted paths into sub-documents and through arrays of sub-documents', async () => {
      expect(await match({ 'nested.x': 30 })).toEqual(['item-003']);
      expect(await match({ 'nested.x': { $gt: 30 } })).toEqual(['item-004', 'item-006']);
      expect(await match({ 'lines.sku': 'sku-2' })).toEqual(['item-002']);
      expect(await match({ 'lines.qty': { $gte: 4 } })).toEqual(['item-004', 'item-006']);
      expect(await match({ lines: { $elemMatch: { sku: 'common', qty: 1 } } })).toHaveLength(5);
      expect(await match({ lines: { $elemMatch: { sku: 'sku-3', qty: 1 } } })).toEqual([]);
    });

    it('array fields match on any element, on the whole array, and with $all / $size', async () => {
      expect(await match({ tags: 'three' })).toEqual(['item-003', 'item-006']);
      expect(await match({ tags: { $in: ['three'] } })).toEqual(['item-003', 'item-006']);
      expect(await match({ tags: ['any'] })).toEqual(['item-001', 'item-002', 'item-004']);
      expect(await match({ tags: { $all: ['any', 'three'] } })).toEqual(['item-003', 'item-006']);
      expect(await match({ tags: { $size: 2 } })).toEqual(['item-003', 'item-006']);
    });

    it('$and / $or / $nor / $expr compose', async () => {
      expect(await match({ $or: [{ n: 1 }, { kind: 'even', n: { $gt: 4 } }] })).toEqual(['item-001', 'item-006']);
      expect(await match({ $and: [{ kind: 'even' }, { _id: { $lt: 'item-004' } }] })).toEqual(['item-002']);
      expect(await match({ $nor: [{ kind: 'even' }, { n: 1 }] })).toEqual(['item-003']);
      expect(await match({ $expr: { $gt: ['$nested.x', { $multiply: ['$n', 9] }] } })).toHaveLength(5);
    });

    it('countDocuments counts with and without a filter', async () => {
      expect(await items.countDocuments()).toBe(5);
      expect(await items.countDocuments({})).toBe(5);
      expect(await items.countDocuments({ kind: 'even' })).toBe(3);
      expect(await items.countDocuments({ n: { $gt: 100 } })).toBe(0);
    });
  });

  describe('updates', () => {
    beforeEach(async () => {
      await items.insertMany([item(1), item(2), item(3)]);
    });

    it('updateOne applies $set, $inc, $push, $addToSet, $pull, $unset, $min, $max and reports counts', async () => {
      const result = await items.updateOne(
        { _id: 'item-001' },
        {
          $set: { kind: 'changed', 'nested.label': 'set' },
          $inc: { n: 5 },
          $push: { lines: { sku: 'pushed', qty: 9 } },
          $addToSet: { tags: { $each: ['any', 'new', 'new'] } },
          $unset: { optional: '' },
          $min: { at: minutes(-10) },
          $max: { 'nested.x': 500 },
        },
      );
      expect(result).toEqual({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
      const updated = await items.findOne({ _id: 'item-001' });
      expect(updated).toEqual({
        _id: 'item-001',
        n: 6,
        kind: 'changed',
        tags: ['any', 'new'],
        nested: { x: 500, label: 'set' },
        lines: [
          { sku: 'sku-1', qty: 1 },
          { sku: 'common', qty: 1 },
          { sku: 'pushed', qty: 9 },
        ],
        at: minutes(-10),
      });
      expect(updated?.at).toBeInstanceOf(Date);

      await items.updateOne({ _id: 'item-001' }, { $pull: { lines: { sku: 'common' }, tags: 'new' }, $max: { at: minutes(-20) }, $min: { n: 100 } });
      const pulled = await items.findOne({ _id: 'item-001' });
      expect(pulled?.lines.map((line) => line.sku)).toEqual(['sku-1', 'pushed']);
      expect(pulled?.tags).toEqual(['any']);
      expect(pulled?.at).toEqual(minutes(-10));
      expect(pulled?.n).toBe(6);
    });

    it('an update that changes nothing matches without modifying; no match is zero and zero', async () => {
      expect(await items.updateOne({ _id: 'item-002' }, { $set: { kind: 'even' } })).toEqual({ matchedCount: 1, modifiedCount: 0, upsertedId: null });
      expect(await items.updateOne({ _id: 'missing' }, { $set: { kind: 'x' } })).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: null });
      expect(await items.countDocuments()).toBe(3);
    });

    it('updateOne with upsert inserts from the filter equalities, the update and $setOnInsert', async () => {
      const result = await items.updateOne(
        { _id: 'item-new', kind: 'fresh', 'nested.x': 7, n: { $gt: 100 } },
        { $set: { tags: ['a'] }, $setOnInsert: { n: 200, lines: [] }, $inc: { count: 1 } },
        { upsert: true },
      );
      expect(result).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: 'item-new' });
      expect(await items.findOne({ _id: 'item-new' })).toEqual({ _id: 'item-new', kind: 'fresh', nested: { x: 7 }, tags: ['a'], n: 200, lines: [], count: 1 });

      // Matching now: $setOnInsert is ignored, the rest applies.
      const again = await items.updateOne({ _id: 'item-new', kind: 'fresh' }, { $setOnInsert: { n: -1 }, $inc: { count: 1 } }, { upsert: true });
      expect(again).toEqual({ matchedCount: 1, modifiedCount: 1, upsertedId: null });
      expect(await items.findOne({ _id: 'item-new' })).toMatchObject({ n: 200, count: 2 });
    });

    it('refuses an upsert that would insert without naming its _id', async () => {
      await expect(items.updateOne({ kind: 'orphan' }, { $set: { n: 1 } }, { upsert: true })).rejects.toThrow(/_id/);
      await expect(items.findOneAndUpdate({ kind: 'orphan' }, { $set: { n: 1 } }, { upsert: true })).rejects.toThrow(/_id/);
      expect(await items.countDocuments({ kind: 'orphan' })).toBe(0);
    });

    it('updateMany reports matched and modified counts; deleteMany reports the deleted count', async () => {
      expect(await items.updateMany({ n: { $gte: 2 } }, { $set: { kind: 'even' } })).toEqual({ matchedCount: 2, modifiedCount: 1, upsertedId: null });
      expect(await items.updateMany({}, { $inc: { n: 10 } })).toEqual({ matchedCount: 3, modifiedCount: 3, upsertedId: null });
      expect((await items.find({}, { sort: { n: 1 } })).map((doc) => doc.n)).toEqual([11, 12, 13]);
      expect(await items.updateMany({ kind: 'nothing' }, { $set: { n: 0 } })).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: null });

      expect(await items.deleteMany({ kind: 'even' })).toBe(2);
      expect(ids(await items.find({}))).toEqual(['item-001']);
      expect(await items.deleteMany({ kind: 'even' })).toBe(0);
      expect(await items.deleteMany({})).toBe(1);
      expect(await items.countDocuments()).toBe(0);
    });
  });

  describe('findOneAndUpdate', () => {
    beforeEach(async () => {
      await items.insertMany([item(1), item(2), item(3), item(4)]);
    });

    it('returns the document before the update by default, after on request, null when nothing matches', async () => {
      const before = await items.findOneAndUpdate({ _id: 'item-001' }, { $inc: { n: 1 } });
      expect(before?.n).toBe(1);
      const after = await items.findOneAndUpdate({ _id: 'item-001' }, { $inc: { n: 1 } }, { returnDocument: 'after' });
      expect(after?.n).toBe(3);
      expect(after?.at).toBeInstanceOf(Date);
      expect(await items.findOneAndUpdate({ _id: 'missing' }, { $inc: { n: 1 } }, { returnDocument: 'after' })).toBeNull();
      expect(await items.findOneAndUpdate({ _id: 'item-001', n: 1 }, { $inc: { n: 1 } })).toBeNull();
    });

    it('sort picks which matching document is updated', async () => {
      const oldestEven = await items.findOneAndUpdate({ kind: 'even' }, { $set: { kind: 'taken' } }, { sort: { at: 1 }, returnDocument: 'after' });
      expect(oldestEven?._id).toBe('item-002');
      const newestOdd = await items.findOneAndUpdate({ kind: 'odd' }, { $set: { kind: 'taken' } }, { sort: { n: -1 }, returnDocument: 'after' });
      expect(newestOdd?._id).toBe('item-003');
      expect(ids(await items.find({ kind: 'taken' }, { sort: { _id: 1 } }))).toEqual(['item-002', 'item-003']);
    });

    it('upsert inserts once, returning null before and the new document after; $setOnInsert only on insert', async () => {
      const filter = { _id: 'item-up', kind: 'upserted' };
      const update = { $setOnInsert: { n: 50, at: minutes(50) }, $inc: { hits: 1 } };
      expect(await items.findOneAndUpdate(filter, update, { upsert: true })).toBeNull();
      expect(await items.findOne({ _id: 'item-up' })).toEqual({ _id: 'item-up', kind: 'upserted', n: 50, at: minutes(50), hits: 1 });

      const second = await items.findOneAndUpdate(filter, { ...update, $setOnInsert: { n: -1, at: minutes(-1) } }, { upsert: true, returnDocument: 'after' });
      expect(second).toEqual({ _id: 'item-up', kind: 'upserted', n: 50, at: minutes(50), hits: 2 });
      expect(second?.at).toBeInstanceOf(Date);

      const third = await items.findOneAndUpdate({ _id: 'item-up2' }, { $set: { kind: 'x' } }, { upsert: true, returnDocument: 'after' });
      expect(third).toEqual({ _id: 'item-up2', kind: 'x' });
    });

    it('a precondition in the filter guards a counter: the sixth claim on capacity 5 gets null', async () => {
      const agents = store.collection<AgentDoc>(COLLECTIONS.agents);
      await agents.insertOne(agent(1));
      const claim = () => agents.findOneAndUpdate({ _id: 'agent-1', activeConversations: { $lt: 5 } }, { $inc: { activeConversations: 1 } }, { returnDocument: 'after' });
      const counts: (number | null)[] = [];
      for (let i = 0; i < 6; i++) counts.push((await claim())?.activeConversations ?? null);
      expect(counts).toEqual([1, 2, 3, 4, 5, null]);
      expect((await agents.findOne({ _id: 'agent-1' }))?.activeConversations).toBe(5);
    });
  });

  describe('concurrency', () => {
    it('50 concurrent claims with a capacity precondition never exceed the capacity', async () => {
      const agents = store.collection<AgentDoc>(COLLECTIONS.agents);
      await agents.insertMany([agent(1), agent(2, { capacity: 3 })]);
      const claims = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const id = i % 2 === 0 ? 'agent-1' : 'agent-2';
          const capacity = id === 'agent-1' ? 5 : 3;
          return agents.findOneAndUpdate({ _id: id, activeConversations: { $lt: capacity } }, { $inc: { activeConversations: 1 } }, { returnDocument: 'after' });
        }),
      );
      const granted = claims.filter((claim) => claim !== null);
      expect(granted).toHaveLength(8);
      expect(granted.filter((claim) => claim._id === 'agent-1').map((claim) => claim.activeConversations).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(granted.filter((claim) => claim._id === 'agent-2').map((claim) => claim.activeConversations).sort()).toEqual([1, 2, 3]);
      expect((await agents.findOne({ _id: 'agent-1' }))?.activeConversations).toBe(5);
      expect((await agents.findOne({ _id: 'agent-2' }))?.activeConversations).toBe(3);
    });

    it('10 concurrent inserts with one unique key: exactly one succeeds, nine get DuplicateKeyError', async () => {
      const customers = store.collection<CustomerDoc>(COLLECTIONS.customers);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => customers.insertOne(customer(i, { waId: '15550001111' }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(DuplicateKeyError);
      expect(await customers.countDocuments({ waId: '15550001111' })).toBe(1);
    });

    it('10 concurrent upserts of one document insert it once', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => items.findOneAndUpdate({ _id: 'once' }, { $setOnInsert: { kind: 'once' }, $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' })),
      );
      // MongoDB may answer a racing upsert with E11000 on _id; both outcomes leave one document.
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateKeyError);
      const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
      expect(await items.countDocuments({ _id: 'once' })).toBe(1);
      expect((await items.findOne({ _id: 'once' }))?.n).toBe(fulfilled);
    });
  });

  describe('unique indexes', () => {
    it('a unique field refuses a duplicate on insert and on update, and the data stays as it was', async () => {
      const agents = store.collection<AgentDoc>(COLLECTIONS.agents);
      await agents.insertMany([agent(1), agent(2)]);
      const error = await expectDuplicate(agents.insertOne(agent(3, { email: 'agent1@desk.test' })));
      expect(error.collection).toBe(COLLECTIONS.agents);
      expect(error.key).toEqual({ email: 'agent1@desk.test' });

      await expectDuplicate(agents.updateOne({ _id: 'agent-2' }, { $set: { email: 'agent1@desk.test', name: 'Renamed' } }));
      await expectDuplicate(agents.findOneAndUpdate({ _id: 'agent-2' }, { $set: { email: 'agent1@desk.test', name: 'Renamed' } }));
      await expectDuplicate(agents.updateMany({ _id: 'agent-2' }, { $set: { email: 'agent1@desk.test' } }));
      const unchanged = await agents.findOne({ _id: 'agent-2' });
      expect(unchanged?.email).toBe('agent2@desk.test');
      expect(unchanged?.name).toBe('Agent 2');
      expect(await agents.countDocuments()).toBe(2);

      // Freed keys can be taken again.
      await agents.updateOne({ _id: 'agent-1' }, { $set: { email: 'moved@desk.test' } });
      await agents.updateOne({ _id: 'agent-2' }, { $set: { email: 'agent1@desk.test' } });
      expect((await agents.findOne({ email: 'agent1@desk.test' }))?._id).toBe('agent-2');
      await agents.deleteMany({ _id: 'agent-2' });
      await agents.insertOne(agent(4, { email: 'agent1@desk.test' }));
      expect((await agents.findOne({ email: 'agent1@desk.test' }))?._id).toBe('agent-4');
    });

    it('a sparse unique field allows any number of nulls but each value once', async () => {
      const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
      await messages.insertMany([message(1), message(2), message(3)]);
      await messages.insertOne(message(4, { whatsappId: 'wamid.A' }));
      await expectDuplicate(messages.insertOne(message(5, { whatsappId: 'wamid.A' })));
      await expectDuplicate(messages.updateOne({ _id: 'message-1' }, { $set: { whatsappId: 'wamid.A' } }));
      await messages.updateOne({ _id: 'message-1' }, { $set: { whatsappId: 'wamid.B' } });
      expect(await messages.countDocuments({ whatsappId: null })).toBe(2);
      expect(await messages.countDocuments()).toBe(4);

      // One open conversation per customer: activeKey is unique while set, free once null.
      const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);
      await conversations.insertOne(conversation(1));
      await expectDuplicate(conversations.insertOne(conversation(2, { customerId: 'customer-1', activeKey: 'customer-1' })));
      await conversations.updateOne({ _id: 'conversation-1' }, { $set: { status: 'RESOLVED', activeKey: null } });
      await conversations.insertOne(conversation(2, { customerId: 'customer-1', activeKey: 'customer-1' }));
      await conversations.insertOne(conversation(3, { status: 'RESOLVED', activeKey: null }));
      await expectDuplicate(
        conversations.findOneAndUpdate({ _id: 'conversation-1', status: 'RESOLVED' }, { $set: { status: 'QUEUED', activeKey: 'customer-1' } }),
      );
      expect((await conversations.findOne({ _id: 'conversation-1' }))?.status).toBe('RESOLVED');
    });

    it('indexed fields find documents by their value after updates: a changed scalar, an untouched one, and a path through an array', async () => {
      const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);
      await conversations.insertMany([conversation(1), conversation(2)]);
      const ids = async (filter: Record<string, unknown>) => (await conversations.find(filter)).map((c) => c._id).sort();
      await conversations.updateOne({ _id: 'conversation-1' }, { $set: { status: 'RESOLVED', updatedAt: T0 } });
      expect(await ids({ status: 'RESOLVED' })).toEqual(['conversation-1']);
      expect(await ids({ status: 'QUEUED' })).toEqual(['conversation-2']);
      expect(await ids({ customerId: 'customer-1' })).toEqual(['conversation-1']);
      // externalLinks.system is indexed through an array of sub-documents.
      await conversations.updateOne({ _id: 'conversation-2' }, { $push: { externalLinks: { system: 'zendesk', externalId: '42', url: null } } });
      expect(await ids({ 'externalLinks.system': 'zendesk' })).toEqual(['conversation-2']);
      await conversations.updateOne({ _id: 'conversation-2' }, { $set: { 'externalLinks.0.system': 'hubspot' } });
      expect(await ids({ 'externalLinks.system': 'zendesk' })).toEqual([]);
      expect(await ids({ 'externalLinks.system': 'hubspot' })).toEqual(['conversation-2']);
      await conversations.updateOne({ _id: 'conversation-2' }, { $pull: { externalLinks: { system: 'hubspot' } } });
      expect(await ids({ 'externalLinks.system': 'hubspot' })).toEqual([]);
    });

    it('a compound unique index refuses only the same combination', async () => {
      const pending = store.collection<{ _id: string; whatsappId: string; status: string }>(COLLECTIONS.pendingStatuses);
      await pending.insertOne({ _id: 'p1', whatsappId: 'wamid.1', status: 'delivered' });
      await pending.insertOne({ _id: 'p2', whatsappId: 'wamid.1', status: 'read' });
      await pending.insertOne({ _id: 'p3', whatsappId: 'wamid.2', status: 'delivered' });
      const error = await expectDuplicate(pending.insertOne({ _id: 'p4', whatsappId: 'wamid.1', status: 'read' }));
      expect(error.key).toEqual({ whatsappId: 'wamid.1', status: 'read' });
      expect(await pending.countDocuments()).toBe(3);
    });

    it('an upsert that would insert a taken unique key throws DuplicateKeyError', async () => {
      const customers = store.collection<CustomerDoc>(COLLECTIONS.customers);
      await customers.insertOne(customer(1));
      const fresh = customer(2, { waId: customer(1).waId });
      await expectDuplicate(customers.findOneAndUpdate({ _id: fresh._id }, { $setOnInsert: fresh }, { upsert: true }));
      await expectDuplicate(customers.updateOne({ _id: fresh._id }, { $setOnInsert: fresh }, { upsert: true }));
      expect(await customers.countDocuments()).toBe(1);
      // And an upsert on the unique key itself finds the existing document.
      const existing = await customers.findOneAndUpdate(
        { waId: customer(1).waId },
        { $set: { name: 'Renamed' }, $setOnInsert: { _id: 'customer-9', createdAt: T0 } },
        { upsert: true, returnDocument: 'after' },
      );
      expect(existing?._id).toBe('customer-1');
      expect(existing?.name).toBe('Renamed');
    });

    it('insertMany is ordered: documents before a duplicate stay inserted, the rest are not', async () => {
      const customers = store.collection<CustomerDoc>(COLLECTIONS.customers);
      await customers.insertOne(customer(1));
      await expectDuplicate(customers.insertMany([customer(2), customer(3), customer(4, { waId: customer(1).waId }), customer(5)]));
      expect(ids(await customers.find({}, { sort: { _id: 1 } }))).toEqual(['customer-1', 'customer-2', 'customer-3']);
    });
  });

  describe('aggregate', () => {
    beforeEach(async () => {
      await items.insertMany([item(1), item(2), item(3), item(4), item(5), item(6)]);
    });

    it('$match, $group with $sum / $avg / $min / $max / $push / $first / $last, $sort', async () => {
      const groups = await items.aggregate([
        { $match: { n: { $lte: 5 } } },
        { $sort: { n: 1 } },
        {
          $group: {
            _id: '$kind',
            count: { $sum: 1 },
            total: { $sum: '$n' },
            average: { $avg: '$n' },
            lowest: { $min: '$n' },
            highest: { $max: '$n' },
            all: { $push: '$n' },
            first: { $first: '$_id' },
            last: { $last: '$_id' },
            latest: { $max: '$at' },
          },
        },
        { $sort: { _id: 1 } },
      ]);
      expect(groups).toEqual([
        { _id: 'even', count: 2, total: 6, average: 3, lowest: 2, highest: 4, all: [2, 4], first: 'item-002', last: 'item-004', latest: minutes(4) },
        { _id: 'odd', count: 3, total: 9, average: 3, lowest: 1, highest: 5, all: [1, 3, 5], first: 'item-001', last: 'item-005', latest: minutes(5) },
      ]);
      expect(groups[0]?.latest).toBeInstanceOf(Date);
    });

    it('$project / $addFields / $unwind / $count / $limit / $skip', async () => {
      const projected = await items.aggregate([
        { $match: { n: { $in: [2, 3] } } },
        { $addFields: { double: { $multiply: ['$n', 2] } } },
        { $project: { _id: 0, n: 1, double: 1, isEven: { $eq: ['$kind', 'even'] } } },
        { $sort: { n: -1 } },
      ]);
      expect(projected).toEqual([
        { n: 3, double: 6, isEven: false },
        { n: 2, double: 4, isEven: true },
      ]);

      const unwound = await items.aggregate([{ $match: { n: 1 } }, { $unwind: '$lines' }, { $project: { _id: 0, sku: '$lines.sku' } }]);
      expect(unwound).toEqual([{ sku: 'sku-1' }, { sku: 'common' }]);

      expect(await items.aggregate([{ $unwind: '$lines' }, { $match: { 'lines.sku': 'common' } }, { $count: 'lines' }])).toEqual([{ lines: 6 }]);
      expect(await items.aggregate([{ $sort: { n: 1 } }, { $skip: 2 }, { $limit: 2 }, { $project: { _id: 1 } }])).toEqual([{ _id: 'item-003' }, { _id: 'item-004' }]);
    });

    it('$facet runs several pipelines over the same documents; $bucket buckets them', async () => {
      const [facets] = await items.aggregate([
        { $match: { n: { $gte: 2 } } },
        {
          $facet: {
            total: [{ $count: 'n' }],
            byKind: [{ $group: { _id: '$kind', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
            top: [{ $sort: { n: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }],
            indexed: [{ $unwind: { path: '$tags', includeArrayIndex: 'position' } }, { $match: { tags: 'any' } }, { $group: { _id: '$position', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          },
        },
      ]);
      expect(facets).toEqual({
        total: [{ n: 5 }],
        byKind: [
          { _id: 'even', n: 3 },
          { _id: 'odd', n: 2 },
        ],
        top: [{ _id: 'item-006' }],
        indexed: [
          { _id: 0, n: 3 },
          { _id: 1, n: 2 },
        ],
      });

      // Lower bounds are inclusive (3 goes to the bucket starting at 3); empty buckets (-10) are not output.
      const buckets = await items.aggregate([
        { $sort: { n: 1 } },
        { $bucket: { groupBy: '$n', boundaries: [-10, 0, 3, 5], default: 'high', output: { count: { $sum: 1 }, ids: { $push: '$_id' } } } },
      ]);
      expect(buckets).toEqual([
        { _id: 0, count: 2, ids: ['item-001', 'item-002'] },
        { _id: 3, count: 2, ids: ['item-003', 'item-004'] },
        { _id: 'high', count: 2, ids: ['item-005', 'item-006'] },
      ]);
    });

    it('$lookup joins another collection by field', async () => {
      const customers = store.collection<CustomerDoc>(COLLECTIONS.customers);
      const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);
      await customers.insertMany([customer(1), customer(2)]);
      await conversations.insertMany([conversation(1), conversation(2, { status: 'RESOLVED', activeKey: null }), conversation(3, { customerId: 'customer-1', activeKey: null, status: 'RESOLVED' })]);
      const joined = await customers.aggregate<{ _id: string; conversations: { _id: string; status: string }[] }>([
        { $lookup: { from: COLLECTIONS.conversations, localField: '_id', foreignField: 'customerId', as: 'conversations' } },
        { $project: { 'conversations._id': 1, 'conversations.status': 1 } },
        { $sort: { _id: 1 } },
      ]);
      expect(joined.map((row) => ({ ...row, conversations: [...row.conversations].sort((a, b) => a._id.localeCompare(b._id)) }))).toEqual([
        {
          _id: 'customer-1',
          conversations: [
            { _id: 'conversation-1', status: 'QUEUED' },
            { _id: 'conversation-3', status: 'RESOLVED' },
          ],
        },
        { _id: 'customer-2', conversations: [{ _id: 'conversation-2', status: 'RESOLVED' }] },
      ]);
    });

    it('date operators honour a time zone, across a daylight-saving change', async () => {
      const events = store.collection<{ _id: string; at: Date; until: Date }>('contract_events');
      // Madrid moves from UTC+1 to UTC+2 at 2024-03-31T01:00Z.
      await events.insertMany([
        { _id: 'e1', at: new Date('2024-03-10T23:30:00Z'), until: new Date('2024-03-31T01:30:00Z') }, // Madrid: Mon 11 Mar 00:30
        { _id: 'e2', at: new Date('2024-03-31T00:30:00Z'), until: new Date('2024-03-31T01:30:00Z') }, // Madrid: Sun 31 Mar 01:30 (CET)
        { _id: 'e3', at: new Date('2024-03-31T01:30:00Z'), until: new Date('2024-03-31T01:30:00Z') }, // Madrid: Sun 31 Mar 03:30 (CEST)
      ]);
      const rows = await events.aggregate([
        {
          $project: {
            hour: { $hour: { date: '$at', timezone: 'Europe/Madrid' } },
            utcHour: { $hour: '$at' },
            dayOfWeek: { $dayOfWeek: { date: '$at', timezone: 'Europe/Madrid' } },
            newYorkDayOfWeek: { $dayOfWeek: { date: '$at', timezone: 'America/New_York' } },
            days: { $dateDiff: { startDate: '$at', endDate: '$until', unit: 'day', timezone: 'Europe/Madrid' } },
            utcDays: { $dateDiff: { startDate: '$at', endDate: '$until', unit: 'day' } },
            ms: { $subtract: ['$until', '$at'] },
            earlier: { $subtract: ['$at', 60_000] },
            day: { $dateToString: { date: '$at', format: '%Y-%m-%d', timezone: 'Europe/Madrid' } },
          },
        },
        { $sort: { _id: 1 } },
      ]);
      expect(rows).toEqual([
        { _id: 'e1', hour: 0, utcHour: 23, dayOfWeek: 2, newYorkDayOfWeek: 1, days: 20, utcDays: 21, ms: 20 * 86_400_000 + 2 * 3_600_000, earlier: new Date('2024-03-10T23:29:00Z'), day: '2024-03-11' },
        { _id: 'e2', hour: 1, utcHour: 0, dayOfWeek: 1, newYorkDayOfWeek: 7, days: 0, utcDays: 0, ms: 3_600_000, earlier: new Date('2024-03-31T00:29:00Z'), day: '2024-03-31' },
        { _id: 'e3', hour: 3, utcHour: 1, dayOfWeek: 1, newYorkDayOfWeek: 7, days: 0, utcDays: 0, ms: 0, earlier: new Date('2024-03-31T01:29:00Z'), day: '2024-03-31' },
      ]);
      expect(rows[0]?.earlier).toBeInstanceOf(Date);

      const zoned = await events.aggregate([
        {
          $project: {
            utcNamed: { $hour: { date: '$at', timezone: 'UTC' } },
            buenosAires: { $hour: { date: '$at', timezone: 'America/Argentina/Buenos_Aires' } }, // UTC-3 all year
            dayStart: { $dateTrunc: { date: '$at', unit: 'day', timezone: 'Europe/Madrid' } },
            nextDay: { $dateAdd: { startDate: '$at', unit: 'day', amount: 1, timezone: 'Europe/Madrid' } },
            in24Hours: { $dateAdd: { startDate: '$at', unit: 'hour', amount: 24, timezone: 'Europe/Madrid' } },
            localNoon: { $dateFromParts: { year: 2024, month: 3, day: 31, hour: 12, timezone: 'Europe/Madrid' } },
            stamp: { $dateToString: { date: '$at', format: '%H:%M%z', timezone: 'Europe/Madrid' } },
          },
        },
        { $sort: { _id: 1 } },
      ]);
      expect(zoned).toEqual([
        {
          _id: 'e1',
          utcNamed: 23,
          buenosAires: 20,
          dayStart: new Date('2024-03-10T23:00:00Z'), // Mon 11 Mar 00:00 CET
          nextDay: new Date('2024-03-11T23:30:00Z'),
          in24Hours: new Date('2024-03-11T23:30:00Z'),
          localNoon: new Date('2024-03-31T10:00:00Z'), // 12:00 CEST
          stamp: '00:30+0100',
        },
        {
          _id: 'e2',
          utcNamed: 0,
          buenosAires: 21,
          dayStart: new Date('2024-03-30T23:00:00Z'), // Sun 31 Mar 00:00 CET
          nextDay: new Date('2024-03-31T23:30:00Z'), // Mon 1 Apr 01:30 CEST: that local day had 23 hours
          in24Hours: new Date('2024-04-01T00:30:00Z'),
          localNoon: new Date('2024-03-31T10:00:00Z'),
          stamp: '01:30+0100',
        },
        {
          _id: 'e3',
          utcNamed: 1,
          buenosAires: 22,
          dayStart: new Date('2024-03-30T23:00:00Z'), // midnight was still CET
          nextDay: new Date('2024-04-01T01:30:00Z'),
          in24Hours: new Date('2024-04-01T01:30:00Z'),
          localNoon: new Date('2024-03-31T10:00:00Z'),
          stamp: '03:30+0200',
        },
      ]);

      const byHour = await events.aggregate([{ $group: { _id: { $hour: { date: '$at', timezone: 'Europe/Madrid' } }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
      expect(byHour).toEqual([
        { _id: 0, n: 1 },
        { _id: 1, n: 1 },
        { _id: 3, n: 1 },
      ]);
    });

    it('no stage ever changes the stored documents', async () => {
      await items.aggregate([
        { $match: { n: { $lte: 2 } } },
        { $addFields: { 'nested.x': -1, kind: 'changed' } },
        { $unset: ['nested.label'] },
        { $unwind: { path: '$tags', includeArrayIndex: 'i', preserveNullAndEmptyArrays: true } },
        { $project: { 'lines.qty': 0 } },
      ]);
      await items.aggregate([{ $facet: { a: [{ $addFields: { 'nested.label': 'facet' } }], b: [{ $unset: 'nested.x' }] } }]);
      await items.aggregate([{ $lookup: { from: 'contract_items', pipeline: [{ $addFields: { 'nested.x': 'joined' } }], as: 'all' } }]);
      expect(await items.findOne({ _id: 'item-001' })).toEqual(item(1));
      expect(await items.findOne({ _id: 'item-002' })).toEqual(item(2));
    });
  });

  describe('copies', () => {
    it('documents returned or passed in are copies: changing them changes nothing stored', async () => {
      const original = item(1);
      const returned = await items.insertOne(original);
      original.nested.x = 999;
      original.tags.push('mutated-input');
      returned.lines[0]!.qty = 999;
      returned.at.setTime(0);

      const found = await items.find({ _id: 'item-001' });
      found[0]!.nested.label = 'mutated-find';
      const one = await items.findOne({ _id: 'item-001' });
      one!.tags.push('mutated-findOne');
      const updated = await items.findOneAndUpdate({ _id: 'item-001' }, { $set: { kind: 'odd' } }, { returnDocument: 'after' });
      updated!.nested.x = -5;
      const [aggregated] = await items.aggregate<Item>([{ $match: { _id: 'item-001' } }]);
      aggregated!.lines.push({ sku: 'mutated-aggregate', qty: 0 });

      const value = { sku: 'from-update', qty: 1 };
      await items.updateOne({ _id: 'item-001' }, { $push: { lines: value } });
      value.qty = 1000;

      expect(await items.findOne({ _id: 'item-001' })).toEqual({ ...item(1), lines: [...item(1).lines, { sku: 'from-update', qty: 1 }] });
    });
  });
});

// ---- what only the embedded engine needs to prove ----

describe('embedded engine', () => {
  it('a find over 100,000 documents copies only its results', async () => {
    const store = createEmbeddedStore();
    const big = store.collection<{ _id: string; n: number; group: string; blob: Uint8Array; at: Date }>('big');
    // A typed array is copied through structuredClone, so counting its calls counts copied documents.
    await big.insertMany(Array.from({ length: 100_000 }, (_, n) => ({ _id: `d${n}`, n, group: `g${n % 1000}`, blob: new Uint8Array([n % 256]), at: minutes(n) })));

    const clone = vi.spyOn(globalThis, 'structuredClone');
    try {
      const found = await big.find({ n: { $gte: 50_000, $lt: 50_010 } });
      expect(found.map((doc) => doc.n)).toEqual([50000, 50001, 50002, 50003, 50004, 50005, 50006, 50007, 50008, 50009]);
      expect(found[0]?.blob).toEqual(new Uint8Array([80]));
      // Ten copies, not 100,000: the scan reads the stored documents and copies only what it returns.
      expect(clone).toHaveBeenCalledTimes(10);

      clone.mockClear();
      expect(await big.countDocuments({ n: { $lt: 100 } })).toBe(100);
      expect(await big.aggregate([{ $match: { n: { $lt: 5_000 } } }, { $group: { _id: null, total: { $sum: '$n' } } }])).toEqual([{ _id: null, total: (4_999 * 5_000) / 2 }]);
      expect(clone).not.toHaveBeenCalled();
    } finally {
      clone.mockRestore();
    }
  });

  it('looks up equality on indexed fields without scanning, and keeps the lookup right through updates and deletes', async () => {
    const store = createEmbeddedStore({ indexes: { things: [{ key: { group: 1, n: 1 } }] } });
    const things = store.collection<{ _id: string; group: string | string[]; n: number; tag: string }>('things');
    // `tag` holds the same values as `group` but has no index: the same query on it must scan.
    await things.insertMany(Array.from({ length: 50_000 }, (_, n) => ({ _id: `t${String(n).padStart(5, '0')}`, group: `g${n % 5_000}`, tag: `g${n % 5_000}`, n })));

    const perQueryMs = async (field: 'group' | 'tag', queries: number) => {
      const started = performance.now();
      for (let i = 0; i < queries; i++) await things.find({ [field]: `g${i}` }, { sort: { n: 1 } });
      return (performance.now() - started) / queries;
    };
    // Measured against a scan in the same run, so a loaded machine slows both alike: a lookup is
    // microseconds where a scan of 50,000 documents is milliseconds (over 100× apart when unloaded).
    const scanMs = await perQueryMs('tag', 20);
    const lookupMs = await perQueryMs('group', 1_000);
    expect(lookupMs * 10).toBeLessThan(scanMs);

    expect(ids(await things.find({ group: 'g7' }))).toEqual(['t00007', 't05007', 't10007', 't15007', 't20007', 't25007', 't30007', 't35007', 't40007', 't45007']);
    await things.updateOne({ _id: 't05007' }, { $set: { group: 'moved' } });
    await things.updateOne({ _id: 't00008' }, { $set: { group: ['g7', 'other'] } });
    await things.deleteMany({ _id: 't10007' });
    expect(ids(await things.find({ group: { $in: ['g7', 'moved'] } }))).toEqual(['t00007', 't00008', 't05007', 't15007', 't20007', 't25007', 't30007', 't35007', 't40007', 't45007']);
    expect(ids(await things.find({ group: 'other' }))).toEqual(['t00008']);
    expect(await things.countDocuments({ group: 'g8' })).toBe(9);
    expect(ids(await things.find({ $and: [{ group: 'g7' }, { n: { $gt: 30_007 } }] }))).toEqual(['t35007', 't40007', 't45007']);
  });

  it('decides every filter as mingo does, whichever way it evaluates it (fast path, lookups, fallback)', async () => {
    // A seeded generator: the same 400 filters over the same 120 documents on every run.
    let seed = 20240310;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <V>(values: readonly V[]): V => values[Math.floor(random() * values.length)] as V;
    const scalars = [0, 1, 2.5, -3, 'a', 'b', 'B', '', true, false, null, minutes(1), minutes(2), minutes(3)] as const;
    const values = [...scalars, [1, 2], ['a', 'b'], [], [null], { x: 1 }, [{ x: 1 }, { x: 2 }], [minutes(2)]] as const;

    const store = createEmbeddedStore({ indexes: { mixed: [{ key: { a: 1 } }, { key: { 'd.e': 1 } }] } });
    const mixed = store.collection<Record<string, unknown> & { _id: string }>('mixed');
    const docs = Array.from({ length: 120 }, (_, i) => {
      const doc: Record<string, unknown> & { _id: string } = { _id: `m${String(i).padStart(3, '0')}` };
      for (const field of ['a', 'b', 'c']) if (random() < 0.85) doc[field] = copy(pick(values));
      const d = random();
      if (d < 0.5) doc.d = { e: copy(pick(values)) };
      else if (d < 0.65) doc.d = null;
      else if (d < 0.8) doc.d = [{ e: pick(scalars) }, { e: pick(scalars) }];
      return doc;
    });
    await mixed.insertMany(docs);

    const condition = (): unknown => {
      const operand = () => copy(pick(scalars));
      switch (Math.floor(random() * 9)) {
        case 0:
          return operand();
        case 1:
          return { $eq: operand() };
        case 2:
          return { $ne: operand() };
        case 3:
          return { $in: [operand(), operand()] };
        case 4:
          return { $nin: [operand(), operand()] };
        case 5:
          return { [pick(['$gt', '$gte', '$lt', '$lte'])]: pick([1, 'a', minutes(2), true]) };
        case 6:
          return { $exists: random() < 0.5 };
        case 7:
          return { $gte: pick([0, minutes(1)]), $lt: pick([2.5, minutes(3)]) };
        default:
          return { $in: [pick([1, 'a']), null] };
      }
    };
    const field = () => pick(['a', 'b', 'c', 'd.e', '_id', 'missing', 'd']);
    for (let i = 0; i < 400; i++) {
      const clauses = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ [field()]: condition() }));
      const filter = random() < 0.3 ? { $and: clauses } : Object.assign({}, ...clauses);
      const expected = (mingoFind(docs, filter).all() as { _id: string }[]).map((doc) => doc._id);
      expect(ids(await mixed.find(filter)), JSON.stringify(filter)).toEqual(expected);
      expect(await mixed.countDocuments(filter), JSON.stringify(filter)).toBe(expected.length);
    }

    function copy<V>(value: V): V {
      return value instanceof Date ? (new Date(value) as V) : (JSON.parse(JSON.stringify(value ?? null)) as V);
    }
  });

  it('applies custom index specs: a compound sparse unique index ignores documents with a null key field', async () => {
    const store = createEmbeddedStore({ indexes: { links: [{ key: { system: 1, externalId: 1 }, unique: true, sparse: true }] } });
    const links = store.collection<{ _id: string; system: string; externalId: string | null }>('links');
    await links.insertMany([
      { _id: 'a', system: 'zendesk', externalId: null },
      { _id: 'b', system: 'zendesk', externalId: null },
      { _id: 'c', system: 'zendesk', externalId: '1' },
      { _id: 'd', system: 'hubspot', externalId: '1' },
    ]);
    await expectDuplicate(links.insertOne({ _id: 'e', system: 'zendesk', externalId: '1' }));
    await expectDuplicate(links.updateOne({ _id: 'a' }, { $set: { externalId: '1' } }));
    expect(await links.countDocuments()).toBe(4);
  });
});
