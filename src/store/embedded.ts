// The embedded engine: the store port over in-memory maps, with the filter,
// update, sort, projection and aggregation documents executed by mingo
// (MongoDB's query language for in-memory data). It is the default engine,
// so everything the repositories ask of MongoDB must mean the same here:
// - every method runs synchronously between its call and its result, so a
//   findOneAndUpdate with a precondition is atomic within the process;
// - unique indexes (compound and sparse ones too) are enforced on every write
//   and a violating write throws DuplicateKeyError and changes nothing;
// - callers only ever see copies: documents going in and coming out are
//   deep-copied, and aggregation never lets a pipeline stage modify stored
//   documents.
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr, ProcessingMode } from 'mingo/core';
import { Lazy, type Iterator as LazyIterator } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { update as applyModifier, type Modifier } from 'mingo/updater';
import { INDEXES } from './collections.js';
import {
  DuplicateKeyError,
  type Collection,
  type Doc,
  type Filter,
  type FindOneAndUpdateOptions,
  type FindOptions,
  type IndexSpec,
  type Pipeline,
  type Projection,
  type Store,
  type UpdateDoc,
  type UpdateResult,
} from './port.js';

export interface EmbeddedStoreOptions {
  /** Indexes per collection name; defaults to the desk's INDEXES. Collections not listed have none. */
  indexes?: Record<string, IndexSpec[]>;
}

export function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Store {
  const indexes: Record<string, IndexSpec[]> = options.indexes ?? INDEXES;
  const collections = new Map<string, EmbeddedCollection>();

  const collectionNamed = (name: string): EmbeddedCollection => {
    let collection = collections.get(name);
    if (!collection) {
      collection = new EmbeddedCollection(name, indexes[name] ?? [], mingoOptions);
      collections.set(name, collection);
    }
    return collection;
  };

  // $lookup / $unionWith / $graphLookup name other collections; they read them as they are now.
  const mingoOptions: Partial<Options> = {
    context: createContext(),
    collectionResolver: (name: string) => collectionNamed(name).snapshot(),
  };

  return {
    kind: 'embedded',
    collection: <T extends Doc>(name: string) => collectionNamed(name) as unknown as Collection<T>,
    ping: async () => {},
    // The data lives as long as the process; closing has nothing to release.
    close: async () => {},
  };
}

/** A copy of a stored value: plain objects, arrays and Dates by hand (fast), anything else through structuredClone. */
function copyValue<V>(value: V): V {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as V;
  if (Array.isArray(value)) return value.map(copyValue) as V;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = copyValue((value as Record<string, unknown>)[key]);
    return copy as V;
  }
  return structuredClone(value);
}

class EmbeddedCollection implements Collection<Doc> {
  /** Natural order is insertion order: Map keeps it, and updates keep a document's place. */
  private readonly docs = new Map<string, Doc>();
  private readonly insertedAt = new Map<string, number>();
  private sequence = 0;
  private readonly uniques: UniqueIndex[];
  /** Equality lookups on the leading field of every declared index, so `{conversationId}` over a million messages is not a scan. */
  private readonly lookups = new Map<string, ValueLookup>();

  constructor(
    readonly name: string,
    specs: IndexSpec[],
    private readonly options: Partial<Options>,
  ) {
    this.uniques = specs.filter((spec) => spec.unique).map((spec) => new UniqueIndex(spec));
    for (const spec of specs) {
      const leading = Object.keys(spec.key)[0];
      if (leading && leading !== '_id' && !this.lookups.has(leading)) this.lookups.set(leading, new ValueLookup(leading));
    }
  }

  /** The stored documents themselves, for mingo's collection resolver; the aggregation code keeps them unmodified. */
  snapshot(): Doc[] {
    return Array.from(this.docs.values());
  }

  async insertOne(doc: Doc): Promise<Doc> {
    const stored = this.checkedForInsert(doc);
    this.write(null, stored);
    return copyValue(stored);
  }

  /** Ordered like MongoDB's default: documents before a failing one stay inserted. */
  async insertMany(docs: Doc[]): Promise<void> {
    for (const doc of docs) this.write(null, this.checkedForInsert(doc));
  }

  async findOne(filter: Filter, options: Pick<FindOptions, 'sort' | 'projection'> = {}): Promise<Doc | null> {
    const [first] = this.select(filter, { ...options, limit: 1 });
    return first ? this.output([first], options.projection)[0] ?? null : null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<Doc[]> {
    return this.output(this.select(filter, options), options.projection);
  }

  async findOneAndUpdate(filter: Filter, update: UpdateDoc, options: FindOneAndUpdateOptions = {}): Promise<Doc | null> {
    const modifier = parseUpdate(update);
    const returnAfter = options.returnDocument === 'after';
    const [target] = this.select(filter, { sort: options.sort, limit: 1 });
    if (target) {
      const after = this.modified(target, modifier, filter);
      if (after) this.write(target, after);
      return copyValue(returnAfter ? (after ?? target) : target);
    }
    if (!options.upsert) return null;
    const inserted = this.upserted(filter, modifier);
    this.write(null, inserted);
    return returnAfter ? copyValue(inserted) : null;
  }

  async updateOne(filter: Filter, update: UpdateDoc, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    const modifier = parseUpdate(update);
    const [target] = this.select(filter, { limit: 1 });
    if (target) {
      const after = this.modified(target, modifier, filter);
      if (after) this.write(target, after);
      return { matchedCount: 1, modifiedCount: after ? 1 : 0, upsertedId: null };
    }
    if (!options.upsert) return { matchedCount: 0, modifiedCount: 0, upsertedId: null };
    const inserted = this.upserted(filter, modifier);
    this.write(null, inserted);
    return { matchedCount: 0, modifiedCount: 0, upsertedId: inserted._id };
  }

  /** Like MongoDB, documents are updated one by one: a duplicate key stops the run, earlier ones stay updated. */
  async updateMany(filter: Filter, update: UpdateDoc): Promise<UpdateResult> {
    const modifier = parseUpdate(update);
    const targets = this.select(filter, {});
    let modifiedCount = 0;
    for (const target of targets) {
      const after = this.modified(target, modifier, filter);
      if (!after) continue;
      this.write(target, after);
      modifiedCount++;
    }
    return { matchedCount: targets.length, modifiedCount, upsertedId: null };
  }

  async deleteMany(filter: Filter): Promise<number> {
    const targets = this.select(filter, {});
    for (const target of targets) this.write(target, null);
    return targets.length;
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    if (Object.keys(filter).length === 0) return this.docs.size;
    const matches = this.matcher(filter);
    let count = 0;
    for (const doc of this.candidates(filter, false) ?? this.docs.values()) if (matches(doc)) count++;
    return count;
  }

  async aggregate<R = Record<string, unknown>>(pipeline: Pipeline): Promise<R[]> {
    for (const stage of pipeline) {
      const name = stageName(stage);
      if (name === '$out' || name === '$merge') throw new Error(`${name} is not supported by the embedded store: write through the collection methods`);
    }
    // A leading $match goes through the equality lookups like find() does.
    let input: Iterable<Doc> = this.docs.values();
    let stages = pipeline;
    const first = pipeline[0];
    if (first && stageName(first) === '$match') {
      input = this.select(first.$match as Filter, {});
      stages = pipeline.slice(1);
    }
    // Stages before the first one that would modify its input documents run
    // on the stored documents themselves; from there on, on copies.
    const boundary = stages.findIndex((stage) => !leavesInputIntact(stage));
    const options = hasModifyingNestedPipeline(pipeline) ? { ...this.options, collectionResolver: copiedResolver(this.options) } : this.options;
    let rows: unknown[];
    if (boundary === -1) rows = new Aggregator(stages, options).run(input);
    else {
      const shared = boundary === 0 ? Array.from(input) : new Aggregator(stages.slice(0, boundary), options).run(input);
      rows = new Aggregator(stages.slice(boundary), options).run(shared.map(copyValue));
    }
    return rows.map(copyValue) as R[];
  }

  // ---- reading ----

  /** Matching stored documents (not copies), sorted, skipped and limited. */
  private select(filter: Filter, options: FindOptions): Doc[] {
    // With a sort, natural order only breaks ties, which MongoDB leaves unspecified anyway.
    const sorted = Boolean(options.sort && Object.keys(options.sort).length);
    const skip = options.skip ?? 0;
    // MongoDB: a limit of 0 means none; a negative one is taken as positive.
    const limit = options.limit ? Math.abs(options.limit) : Infinity;
    const matches = this.matcher(filter);
    const enough = sorted ? Infinity : skip + limit;
    const matched: Doc[] = [];
    for (const doc of this.candidates(filter, !sorted) ?? this.docs.values()) {
      if (!matches(doc)) continue;
      matched.push(doc);
      if (matched.length >= enough) break;
    }
    if (!sorted) return skip || limit < matched.length ? matched.slice(skip, skip + limit) : matched;
    const cursor = new Query({}, this.options).find<Doc>(matched).sort(options.sort as Record<string, 1 | -1>);
    if (skip) cursor.skip(skip);
    if (limit !== Infinity) cursor.limit(limit);
    return cursor.all();
  }

  /**
   * The filter as a predicate: compiled to plain JavaScript when it only
   * holds simple conditions on fields (about ten times faster than mingo's
   * general evaluation, which metrics over a million messages feel), with
   * mingo deciding every document the compiled form cannot.
   */
  private matcher(filter: Filter): (doc: Doc) => boolean {
    let query: Query | null = null;
    const general = (doc: Doc) => (query ??= new Query(filter, this.options)).test(doc);
    const fast = compileSimpleFilter(filter);
    if (!fast) return general;
    return (doc) => fast(doc) ?? general(doc);
  }

  /**
   * The documents a filter can possibly match, in natural order, when an
   * equality on `_id` or on an indexed field narrows them down; null means
   * every document has to be tested.
   */
  private candidates(filter: Filter, ordered: boolean): Doc[] | null {
    let narrowest: { size: number; ids: () => Iterable<string> } | null = null;
    const consider = (size: number, ids: () => Iterable<string>) => {
      if (!narrowest || size < narrowest.size) narrowest = { size, ids };
    };
    const visit = (clause: Filter) => {
      for (const [path, condition] of Object.entries(clause)) {
        if (path === '$and' && Array.isArray(condition)) {
          for (const part of condition) if (isPlainObject(part)) visit(part);
          continue;
        }
        if (path === '_id') {
          const ids = equalityValues(condition)?.filter((id): id is string => typeof id === 'string');
          if (ids) consider(ids.length, () => ids);
          continue;
        }
        const lookup = this.lookups.get(path);
        const values = lookup && equalityValues(condition);
        if (lookup && values) consider(lookup.sizeFor(values), () => lookup.idsFor(values));
      }
    };
    visit(filter);
    const chosen = narrowest as { size: number; ids: () => Iterable<string> } | null;
    // When most documents qualify anyway, one pass over all of them is cheaper than gathering ids.
    if (!chosen || chosen.size > this.docs.size / 3) return null;
    const docs: Doc[] = [];
    let inOrder = true;
    let previous = -1;
    for (const id of chosen.ids()) {
      const doc = this.docs.get(id);
      if (!doc) continue;
      const position = this.insertedAt.get(id) ?? 0;
      inOrder &&= position > previous;
      previous = position;
      docs.push(doc);
    }
    // Lookups list ids in the order they were indexed; an update that moved a document breaks natural order.
    if (ordered && !inOrder) docs.sort((a, b) => (this.insertedAt.get(a._id) ?? 0) - (this.insertedAt.get(b._id) ?? 0));
    return docs;
  }

  /** Copies for the caller, projected when asked. */
  private output(docs: Doc[], projection: Projection | undefined): Doc[] {
    if (!projection || Object.keys(projection).length === 0) return docs.map(copyValue);
    // Excluding a nested field edits the object it sits in: copy before projecting then.
    const source = projectionEditsNested(projection) ? docs.map(copyValue) : docs;
    const projected = new Aggregator([{ $project: projection }], this.options).run(source) as Doc[];
    return source === docs ? projected.map(copyValue) : projected;
  }

  // ---- writing ----

  private checkedForInsert(doc: Doc): Doc {
    if (typeof doc?._id !== 'string' || doc._id === '') {
      throw new TypeError(`${this.name}: documents need a string _id; ids are always ours, never engine-made`);
    }
    return copyValue(doc);
  }

  /** The document after the update, or null when the update changes nothing (MongoDB's modifiedCount 0). */
  private modified(target: Doc, modifier: ParsedUpdate, filter: Filter): Doc | null {
    if (!modifier.hasOperators) return null;
    const copy = copyValue(target);
    // The positional `$` operator needs the filter to know which element matched.
    const changed = applyModifier(copy, modifier.update, undefined, modifier.positional ? filter : undefined, {
      cloneMode: 'copy',
      queryOptions: this.options,
    });
    return changed.length > 0 ? copy : null;
  }

  /** MongoDB's upsert: the filter's equality fields, then the update and $setOnInsert applied to them. */
  private upserted(filter: Filter, modifier: ParsedUpdate): Doc {
    const doc: Record<string, unknown> = {};
    seedFromFilter(filter, doc);
    const { _id: insertedId, ...setOnInsert } = modifier.setOnInsert;
    if (insertedId !== undefined) doc._id = insertedId;
    const set = { ...(modifier.update.$set as Record<string, unknown> | undefined) };
    if (typeof doc._id !== 'string') {
      throw new TypeError(`${this.name}: an upsert must set a string _id (in the filter or through $setOnInsert); ids are always ours, never engine-made`);
    }
    for (const path of Object.keys(setOnInsert)) {
      if (path in set) throw new Error(`Updating the path '${path}' would create a conflict at '${path}'`);
    }
    const onInsert: AnyObject = { ...modifier.update };
    if (Object.keys(set).length + Object.keys(setOnInsert).length > 0) onInsert.$set = { ...set, ...setOnInsert };
    else delete onInsert.$set;
    if (Object.keys(onInsert).length > 0) applyModifier(doc, onInsert as Modifier<AnyObject>, undefined, undefined, { cloneMode: 'copy', queryOptions: this.options });
    return doc as Doc;
  }

  /** The one place documents change: unique indexes are checked first, so a violation changes nothing. */
  private write(before: Doc | null, after: Doc | null): void {
    if (after) {
      if (!before && this.docs.has(after._id)) throw new DuplicateKeyError(this.name, { _id: after._id });
      for (const unique of this.uniques) {
        const key = unique.keyOf(after);
        if (key === null) continue;
        const holder = unique.holders.get(key);
        if (holder !== undefined && holder !== after._id) throw new DuplicateKeyError(this.name, unique.keyValue(after));
      }
    }
    for (const unique of this.uniques) unique.replace(before, after);
    for (const lookup of this.lookups.values()) lookup.replace(before, after);
    if (after) {
      this.docs.set(after._id, after);
      if (!before) this.insertedAt.set(after._id, this.sequence++);
    } else if (before) {
      this.docs.delete(before._id);
      this.insertedAt.delete(before._id);
    }
  }
}

// ---- simple filters ----

/** The compiled form cannot decide this document (an array or an unusual value on the path): mingo does. */
const UNDECIDED = Symbol('undecided');

type FieldTest = (value: unknown) => boolean;

/**
 * Compiles a filter made only of conditions on field paths (joined by $and)
 * with literal scalars (string, finite number, boolean, Date, null) under
 * $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte and $exists. Any other filter
 * gives null. The result answers undefined for a document whose path holds
 * an array or passes through anything but plain objects: MongoDB's array
 * rules are mingo's to apply.
 */
function compileSimpleFilter(filter: Filter): ((doc: Doc) => boolean | undefined) | null {
  const fields: { path: string[]; test: FieldTest }[] = [];
  const add = (clause: Filter): boolean => {
    for (const [path, condition] of Object.entries(clause)) {
      if (path === '$and') {
        if (!Array.isArray(condition) || condition.length === 0) return false;
        if (!condition.every((part) => isPlainObject(part) && add(part))) return false;
        continue;
      }
      const segments = path.split('.');
      if (segments.some((segment) => segment === '' || segment.startsWith('$') || /^\d+$/.test(segment))) return false;
      const test = compileCondition(condition);
      if (!test) return false;
      fields.push({ path: segments, test });
    }
    return true;
  };
  if (!add(filter) || fields.length === 0) return null;
  return (doc) => {
    let undecided = false;
    for (const { path, test } of fields) {
      const value = simpleValueAt(doc, path);
      if (value === UNDECIDED) undecided = true;
      else if (!test(value)) return false;
    }
    return undecided ? undefined : true;
  };
}

function compileCondition(condition: unknown): FieldTest | null {
  if (isSimpleScalar(condition) || condition === null) return equalTo(condition);
  if (!isPlainObject(condition)) return null;
  const tests: FieldTest[] = [];
  for (const [operator, operand] of Object.entries(condition)) {
    switch (operator) {
      case '$eq':
      case '$ne': {
        if (!isSimpleScalar(operand) && operand !== null) return null;
        const equal = equalTo(operand);
        tests.push(operator === '$eq' ? equal : (value) => !equal(value));
        break;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand) || !operand.every((item) => isSimpleScalar(item) || item === null)) return null;
        const member = memberOf(operand);
        tests.push(operator === '$in' ? member : (value) => !member(value));
        break;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        if (!isSimpleScalar(operand)) return null;
        tests.push(comparedTo(operator, operand));
        break;
      }
      case '$exists':
        if (typeof operand !== 'boolean') return null;
        tests.push(operand ? (value) => value !== undefined : (value) => value === undefined);
        break;
      default:
        return null;
    }
  }
  if (tests.length === 0) return null;
  return tests.length === 1 ? (tests[0] as FieldTest) : (value) => tests.every((test) => test(value));
}

function isSimpleScalar(value: unknown): value is string | number | boolean | Date {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    (value instanceof Date && !Number.isNaN(value.getTime()))
  );
}

/** MongoDB equality on a non-array value: null also matches a missing field; Dates by instant. */
function equalTo(operand: string | number | boolean | Date | null): FieldTest {
  if (operand === null) return (value) => value === null || value === undefined;
  if (operand instanceof Date) {
    const time = operand.getTime();
    return (value) => value instanceof Date && value.getTime() === time;
  }
  return (value) => value === operand;
}

function memberOf(list: unknown[]): FieldTest {
  const scalars = new Set<unknown>();
  const times = new Set<number>();
  let withNull = false;
  for (const item of list) {
    if (item === null) withNull = true;
    else if (item instanceof Date) times.add(item.getTime());
    else scalars.add(item);
  }
  return (value) => {
    if (value === null || value === undefined) return withNull;
    if (value instanceof Date) return times.has(value.getTime());
    return scalars.has(value);
  };
}

/** MongoDB compares only within a type (numbers with numbers, dates with dates, ...): anything else does not match. */
function comparedTo(operator: '$gt' | '$gte' | '$lt' | '$lte', operand: string | number | boolean | Date): FieldTest {
  const date = operand instanceof Date;
  const bound = date ? (operand as Date).getTime() : operand;
  const kind = typeof operand;
  const within = (value: unknown): value is string | number | boolean | Date => (date ? value instanceof Date : typeof value === kind);
  const key = (value: string | number | boolean | Date) => (value instanceof Date ? value.getTime() : value);
  switch (operator) {
    case '$gt':
      return (value) => within(value) && key(value) > bound;
    case '$gte':
      return (value) => within(value) && key(value) >= bound;
    case '$lt':
      return (value) => within(value) && key(value) < bound;
    case '$lte':
      return (value) => within(value) && key(value) <= bound;
  }
}

/** The value at a path through plain objects only; a missing step is `undefined`, anything else UNDECIDED. */
function simpleValueAt(doc: Doc, path: string[]): unknown {
  let value: unknown = doc;
  for (const segment of path) {
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) return UNDECIDED;
    value = value[segment];
  }
  if (value === undefined || value === null || typeof value !== 'object') return typeof value === 'number' && Number.isNaN(value) ? UNDECIDED : value;
  return value instanceof Date ? value : UNDECIDED;
}

// ---- indexes ----

/** A unique index: its key string → the `_id` holding it. */
class UniqueIndex {
  readonly holders = new Map<string, string>();
  private readonly fields: string[];
  private readonly paths: string[][];

  constructor(private readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.paths = this.fields.map((field) => field.split('.'));
  }

  /** null when the document is outside the index (sparse, with a key field null or missing). */
  keyOf(doc: Doc): string | null {
    if (this.paths.length === 1) {
      const value = valueAt(doc, this.paths[0] as string[]);
      return this.spec.sparse && (value === null || value === undefined) ? null : comparableKey(value);
    }
    const values = this.paths.map((path) => valueAt(doc, path));
    if (this.spec.sparse && values.some((value) => value === null || value === undefined)) return null;
    return JSON.stringify(values.map(comparableKey));
  }

  keyValue(doc: Doc): Record<string, unknown> {
    return Object.fromEntries(this.fields.map((field, i) => [field, valueAt(doc, this.paths[i] as string[]) ?? null]));
  }

  replace(before: Doc | null, after: Doc | null): void {
    const oldKey = before ? this.keyOf(before) : null;
    const newKey = after ? this.keyOf(after) : null;
    if (oldKey === newKey) return;
    if (oldKey !== null && before && this.holders.get(oldKey) === before._id) this.holders.delete(oldKey);
    if (newKey !== null && after) this.holders.set(newKey, after._id);
  }
}

/**
 * Which documents hold a given scalar (string, number, boolean) at a path,
 * arrays included element by element like a MongoDB multikey index. It may
 * list more documents than match: every candidate is tested by the query.
 */
class ValueLookup {
  /** One id is kept unwrapped: most values (a wamid, an email) name one document. */
  private readonly ids = new Map<string, string | Set<string>>();
  private readonly segments: string[];

  constructor(path: string) {
    this.segments = path.split('.');
  }

  /** How many ids idsFor would list at most (before removing duplicates), without listing them. */
  sizeFor(values: unknown[]): number {
    let size = 0;
    for (const value of values) {
      const held = this.ids.get(comparableKey(value));
      size += held === undefined ? 0 : typeof held === 'string' ? 1 : held.size;
    }
    return size;
  }

  idsFor(values: unknown[]): Set<string> | string[] {
    if (values.length === 1) {
      const held = this.ids.get(comparableKey(values[0]));
      return held === undefined ? [] : typeof held === 'string' ? [held] : held;
    }
    const all = new Set<string>();
    for (const value of values) {
      const held = this.ids.get(comparableKey(value));
      if (typeof held === 'string') all.add(held);
      else if (held) for (const id of held) all.add(id);
    }
    return all;
  }

  replace(before: Doc | null, after: Doc | null): void {
    const oldKeys = before ? this.keysOf(before) : [];
    const newKeys = after ? this.keysOf(after) : [];
    if (oldKeys.length === newKeys.length && oldKeys.every((key, i) => key === newKeys[i])) return;
    if (before) for (const key of oldKeys) this.remove(key, before._id);
    if (after) for (const key of newKeys) this.add(key, after._id);
  }

  private keysOf(doc: Doc): string[] {
    // The common case, a plain value at a top-level field, without allocating a set.
    if (this.segments.length === 1) {
      const value = (doc as Record<string, unknown>)[this.segments[0] as string];
      if (isLookupScalar(value)) return [comparableKey(value)];
      if (!Array.isArray(value)) return [];
    }
    const keys = new Set<string>();
    collectScalars(doc, this.segments, 0, keys);
    return [...keys];
  }

  private add(key: string, id: string): void {
    const held = this.ids.get(key);
    if (held === undefined) this.ids.set(key, id);
    else if (typeof held === 'string') {
      if (held !== id) this.ids.set(key, new Set([held, id]));
    } else held.add(id);
  }

  private remove(key: string, id: string): void {
    const held = this.ids.get(key);
    if (held === id) this.ids.delete(key);
    else if (held instanceof Set) {
      held.delete(id);
      if (held.size === 1) this.ids.set(key, held.values().next().value as string);
    }
  }
}

function collectScalars(value: unknown, segments: string[], index: number, out: Set<string>): void {
  if (Array.isArray(value)) {
    if (index < segments.length && /^\d+$/.test(segments[index] ?? '')) collectScalars(value[Number(segments[index])], segments, index + 1, out);
    for (const element of value) collectScalars(element, segments, index, out);
    return;
  }
  if (index === segments.length) {
    if (isLookupScalar(value)) out.add(comparableKey(value));
    return;
  }
  if (isPlainObject(value)) collectScalars(value[segments[index] as string], segments, index + 1, out);
}

function isLookupScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
}

/** The values an equality condition (`v`, `{$eq: v}`, `{$in: [...]}`) accepts, when all are lookup scalars. */
function equalityValues(condition: unknown): unknown[] | null {
  if (isLookupScalar(condition)) return [condition];
  if (!isPlainObject(condition)) return null;
  if ('$eq' in condition) return isLookupScalar(condition.$eq) ? [condition.$eq] : null;
  const list = condition.$in;
  if (Array.isArray(list) && list.every(isLookupScalar)) return list;
  return null;
}

/** One string per value that MongoDB compares as equal: 1 and 1.0 alike, "1" and 1 apart, Dates by time. */
function comparableKey(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return `d${value.getTime()}`;
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return `n${value === 0 ? 0 : value}`;
    case 'boolean':
      return `b${value}`;
    default:
      return `o${JSON.stringify(value)}`;
  }
}

function valueAt(doc: unknown, path: string[]): unknown {
  let value = doc;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

// ---- updates ----

interface ParsedUpdate {
  /** The update without $setOnInsert, which only counts when inserting. */
  update: Modifier<AnyObject>;
  setOnInsert: Record<string, unknown>;
  hasOperators: boolean;
  positional: boolean;
}

function parseUpdate(update: UpdateDoc): ParsedUpdate {
  const keys = Object.keys(update);
  if (keys.length === 0 || keys.some((key) => !key.startsWith('$'))) {
    // The MongoDB driver refuses replacement documents in update methods the same way.
    throw new TypeError('Update document requires atomic operators');
  }
  // Copied, so values the caller keeps a hold of never become part of a stored document.
  const { $setOnInsert, ...rest } = copyValue(update) as Record<string, unknown>;
  const addToSet = rest.$addToSet as Record<string, unknown> | undefined;
  if (addToSet) rest.$addToSet = dedupeEach(addToSet);
  const paths = Object.values(rest).flatMap((fields) => (isPlainObject(fields) ? Object.keys(fields) : []));
  return {
    update: rest as Modifier<AnyObject>,
    setOnInsert: isPlainObject($setOnInsert) ? $setOnInsert : {},
    hasOperators: Object.keys(rest).length > 0,
    positional: paths.some((path) => /(^|\.)\$(\.|$)/.test(path)),
  };
}

/** `$addToSet: {f: {$each: [x, x]}}` adds x once in MongoDB; mingo would add it twice to a missing field. */
function dedupeEach(addToSet: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(addToSet)) {
    if (isPlainObject(value) && Array.isArray(value.$each)) {
      const seen = new Set<string>();
      const each = value.$each.filter((item) => {
        const key = comparableKey(item);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      result[path] = { ...value, $each: each };
    } else result[path] = value;
  }
  return result;
}

/** The equality clauses of an upsert's filter become fields of the inserted document. */
function seedFromFilter(filter: Filter, doc: Record<string, unknown>): void {
  for (const [path, condition] of Object.entries(filter)) {
    if (path === '$and' && Array.isArray(condition)) {
      for (const part of condition) if (isPlainObject(part)) seedFromFilter(part, doc);
      continue;
    }
    if (path.startsWith('$') || condition instanceof RegExp) continue;
    if (isPlainObject(condition) && Object.keys(condition).some((key) => key.startsWith('$'))) {
      if ('$eq' in condition) setAt(doc, path, copyValue(condition.$eq));
      continue;
    }
    setAt(doc, path, copyValue(condition));
  }
}

function setAt(doc: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  let target = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = target[segment];
    if (!isPlainObject(next)) target[segment] = {};
    target = target[segment] as Record<string, unknown>;
  }
  target[segments[segments.length - 1] as string] = value;
}

// ---- aggregation ----

function stageName(stage: Record<string, unknown>): string {
  return Object.keys(stage)[0] ?? '';
}

/**
 * Whether mingo runs a stage without modifying the documents it receives
 * (it builds new objects or passes them on). Unknown stages count as
 * modifying, so they only ever see copies.
 */
function leavesInputIntact(stage: Record<string, unknown>): boolean {
  const name = stageName(stage);
  const spec = stage[name];
  switch (name) {
    case '$match':
    case '$sort':
    case '$limit':
    case '$skip':
    case '$count':
    case '$group':
    case '$bucket':
    case '$bucketAuto':
    case '$sortByCount':
    case '$sample':
    case '$replaceRoot':
    case '$replaceWith':
    case '$lookup':
    case '$unionWith':
    // Ours (below): copies for the sub-pipelines that need them.
    case '$facet':
      return true;
    // A shallow copy per document, then top-level fields set on it; a dotted field would be set inside a shared object.
    case '$addFields':
    case '$set':
      return isPlainObject(spec) && Object.keys(spec).every((field) => !field.includes('.'));
    case '$project':
      return isPlainObject(spec) && !projectionEditsNested(spec);
    case '$unset':
      return (Array.isArray(spec) ? spec : [spec]).every((field) => typeof field === 'string' && !field.includes('.'));
    // includeArrayIndex and preserveNullAndEmptyArrays write into the incoming document.
    case '$unwind':
      return typeof spec === 'string' || (isPlainObject(spec) && !spec.includeArrayIndex && !spec.preserveNullAndEmptyArrays);
    default:
      return false;
  }
}

/** An exclusion of a nested field (`'a.b': 0` or `{a: {b: 0}}`) removes it from an object shared with the input. */
function projectionEditsNested(projection: Record<string, unknown>, nested = false): boolean {
  return Object.entries(projection).some(([field, value]) => {
    if (value === 0 || value === false) return nested || field.includes('.');
    if (isPlainObject(value) && !Object.keys(value).some((key) => key.startsWith('$'))) return projectionEditsNested(value, true);
    return false;
  });
}

/** Whether a $lookup / $unionWith / $graphLookup sub-pipeline would modify the other collection's documents. */
function hasModifyingNestedPipeline(pipeline: unknown[]): boolean {
  return pipeline.some((stage) => {
    if (!isPlainObject(stage)) return false;
    const name = stageName(stage);
    const spec = stage[name];
    if (!isPlainObject(spec)) return false;
    if (name === '$graphLookup') return true;
    if (name === '$facet') return Object.values(spec).some((sub) => Array.isArray(sub) && hasModifyingNestedPipeline(sub));
    if ((name === '$lookup' || name === '$unionWith') && Array.isArray(spec.pipeline)) {
      const sub = spec.pipeline as Record<string, unknown>[];
      return sub.some((s) => !leavesInputIntact(s)) || hasModifyingNestedPipeline(sub);
    }
    return false;
  });
}

function copiedResolver(options: Partial<Options>) {
  const resolve = options.collectionResolver;
  return (name: string) => (resolve ? resolve(name).map(copyValue) : []);
}

/**
 * mingo's $facet deep-copies every input document for every facet, which on
 * a million messages costs seconds. Ours copies only for the facets whose
 * stages would modify their input.
 */
function $facet(collection: LazyIterator, expr: unknown, options: Options): LazyIterator {
  const facets = expr as Record<string, AnyObject[]>;
  // Inside an operator mingo hands over its ComputeOptions; the plain options sit on `.options`.
  const plain = ((options as unknown as { options?: Options }).options ?? options) as Options;
  return collection.transform((items) => {
    const result: AnyObject = {};
    for (const [name, stages] of Object.entries(facets)) {
      const intact = stages.every(leavesInputIntact);
      const mode = plain.processingMode ?? ProcessingMode.CLONE_OFF;
      const processingMode = intact ? mode : mode | ProcessingMode.CLONE_INPUT;
      result[name] = new Aggregator(stages, { ...plain, processingMode }).run(items);
    }
    return Lazy([result]);
  });
}

/**
 * $bucket as MongoDB defines it: a $group on a $switch over the boundaries
 * (lower bound inclusive), then a $sort on _id; empty buckets are not output.
 * mingo's own puts a value equal to a boundary in the bucket below it.
 */
function $bucket(collection: LazyIterator, expr: unknown, options: Options): LazyIterator {
  const spec = expr as { groupBy: unknown; boundaries: unknown[]; default?: unknown; output?: AnyObject };
  if (!Array.isArray(spec.boundaries) || spec.boundaries.length < 2) throw new Error('$bucket: boundaries must list at least two values');
  const bounds = spec.boundaries;
  const branches = bounds.slice(0, -1).map((lower, i) => ({
    case: { $and: [{ $gte: [spec.groupBy, lower] }, { $lt: [spec.groupBy, bounds[i + 1]] }] },
    then: lower,
  }));
  const bucketOf = { $switch: { branches, ...('default' in spec ? { default: spec.default } : {}) } };
  const grouped = pipelineOperators.$group(collection, { _id: bucketOf, ...(spec.output ?? { count: { $sum: 1 } }) }, options);
  return pipelineOperators.$sort(grouped, { _id: 1 }, options);
}

// ---- time zones ----

type ExpressionOperator = (obj: unknown, expr: unknown, options: Options) => unknown;

/**
 * How each date operator taking a `timezone` is given the zone:
 * - `part` reads one field of the date: the date moved to the wall clock
 *   needs no zone at all;
 * - `format` prints the offset too: it gets the fixed offset at that instant;
 * - `wall` ($dateTrunc) computes on the wall clock, and its result (a wall
 *   time) goes back to an instant; mingo's own truncates the UTC date;
 * - `add` ($dateAdd / $dateSubtract) does that for days and longer units, so
 *   a day is 23 or 25 hours across a daylight-saving change, as in MongoDB;
 * - `both` ($dateDiff) moves each end by its own offset;
 * - `parts` ($dateFromParts) builds the wall time, then finds its instant.
 */
const ZONED_OPERATORS: Record<string, 'part' | 'format' | 'wall' | 'add' | 'both' | 'parts'> = {
  $year: 'part',
  $month: 'part',
  $dayOfMonth: 'part',
  $dayOfYear: 'part',
  $dayOfWeek: 'part',
  $hour: 'part',
  $minute: 'part',
  $second: 'part',
  $millisecond: 'part',
  $week: 'part',
  $isoWeek: 'part',
  $isoWeekYear: 'part',
  $isoDayOfWeek: 'part',
  $dateToParts: 'format',
  $dateToString: 'format',
  $dateTrunc: 'wall',
  $dateAdd: 'add',
  $dateSubtract: 'add',
  $dateDiff: 'both',
  $dateFromParts: 'parts',
};

const FIXED_OFFSET = /^[+-]\d{2}(:?\d{2})?$/;
const EXACT_UNITS = new Set(['hour', 'minute', 'second', 'millisecond']);

/**
 * mingo resolves a named time zone (`Europe/Madrid`) with two
 * Date#toLocaleString calls per document: about a millisecond each, minutes
 * for a metrics pipeline over a million messages; it also rejects names like
 * `UTC` or `America/Argentina/Buenos_Aires`. These wrappers resolve the zone
 * with a cached Intl.DateTimeFormat and hand mingo wall-clock dates or fixed
 * offsets ("+02:00"), which it handles exactly.
 */
function withFastTimeZones(operators: Record<string, ExpressionOperator>): Record<string, ExpressionOperator> {
  const offsets = new TimeZoneOffsets();
  const wrapped = { ...operators };
  for (const [name, kind] of Object.entries(ZONED_OPERATORS)) {
    const original = operators[name];
    if (!original) continue;
    wrapped[name] = (obj, expr, options) => {
      if (!isPlainObject(expr) || expr.timezone === undefined) return original(obj, expr, options);
      const args = evalExpr(obj, expr, options) as Record<string, unknown>;
      const zone = args.timezone;
      if (typeof zone !== 'string' || FIXED_OFFSET.test(zone)) return original(obj, literals(args), options);
      const { timezone: _named, ...rest } = args;
      const onWallClock = (field: string) => {
        const date = args[field];
        if (!(date instanceof Date)) return original(obj, literals(args), options);
        const wall = original(obj, literals({ ...rest, [field]: offsets.shift(zone, date) }), options);
        return wall instanceof Date ? offsets.unshift(zone, wall) : wall;
      };
      switch (kind) {
        case 'part': {
          const date = args.date;
          if (!(date instanceof Date)) return original(obj, literals(args), options);
          return original(obj, { $literal: offsets.shift(zone, date) }, options);
        }
        case 'format': {
          const date = args.date;
          const offset = offsets.minutes(zone, date instanceof Date ? date : new Date());
          return original(obj, literals({ ...args, timezone: formatOffset(offset) }), options);
        }
        case 'wall':
          return onWallClock('date');
        case 'add':
          return EXACT_UNITS.has(String(args.unit)) ? original(obj, literals(rest), options) : onWallClock('startDate');
        case 'both': {
          const { startDate, endDate } = args;
          if (!(startDate instanceof Date) || !(endDate instanceof Date)) return original(obj, literals(args), options);
          return original(obj, literals({ ...rest, startDate: offsets.shift(zone, startDate), endDate: offsets.shift(zone, endDate) }), options);
        }
        case 'parts': {
          const wall = original(obj, literals({ ...rest, timezone: '+00:00' }), options);
          return wall instanceof Date ? offsets.unshift(zone, wall) : wall;
        }
      }
    };
  }
  return wrapped;
}

/** Evaluated arguments passed back to an operator as constants, so no value is read as a field path again. */
function literals(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, { $literal: value }]));
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * UTC offsets of IANA zones, memoised per quarter hour: zones change offset
 * only at quarter-hour instants (every offset in use is a multiple of 15
 * minutes), so one answer holds for the whole quarter.
 */
class TimeZoneOffsets {
  private readonly formats = new Map<string, Intl.DateTimeFormat>();
  private readonly memo = new Map<string, Map<number, number>>();

  minutes(zone: string, at: Date): number {
    const quarter = Math.floor(at.getTime() / QUARTER_HOUR_MS);
    let byQuarter = this.memo.get(zone);
    if (!byQuarter) {
      byQuarter = new Map();
      this.memo.set(zone, byQuarter);
    }
    let minutes = byQuarter.get(quarter);
    if (minutes === undefined) {
      minutes = this.compute(zone, new Date(quarter * QUARTER_HOUR_MS));
      if (byQuarter.size >= 500_000) byQuarter.clear();
      byQuarter.set(quarter, minutes);
    }
    return minutes;
  }

  /** The instant moved by the zone's offset, so its UTC fields read as the local wall clock. */
  shift(zone: string, at: Date): Date {
    return new Date(at.getTime() + this.minutes(zone, at) * 60_000);
  }

  /** Back from a wall-clock time to its instant (the offset of a guess first, as it may differ). */
  unshift(zone: string, wall: Date): Date {
    const guess = new Date(wall.getTime() - this.minutes(zone, wall) * 60_000);
    return new Date(wall.getTime() - this.minutes(zone, guess) * 60_000);
  }

  private compute(zone: string, at: Date): number {
    let format = this.formats.get(zone);
    if (!format) {
      // Throws RangeError for an unknown zone, as MongoDB refuses one.
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      this.formats.set(zone, format);
    }
    const fields: Record<string, number> = {};
    for (const part of format.formatToParts(at)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
    const wall = Date.UTC(fields.year ?? 1970, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0);
    return Math.round((wall - (at.getTime() - at.getUTCMilliseconds())) / 60_000);
  }
}

function createContext(): Context {
  return Context.init({
    accumulator: { ...accumulatorOperators },
    expression: withFastTimeZones({ ...expressionOperators } as unknown as Record<string, ExpressionOperator>) as unknown as typeof expressionOperators,
    pipeline: { ...pipelineOperators, $facet, $bucket },
    projection: { ...projectionOperators },
    query: { ...queryOperators },
    window: { ...windowOperators },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
