import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { update as applyModifier, type Modifier } from 'mingo/updater';
import { applySimpleUpdate } from './simpleUpdate.js';
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
  type UpdateDoc,
  type UpdateResult,
} from '../port.js';
import { copiedResolver, hasModifyingNestedPipeline, leavesInputIntact, projectionEditsNested, stageName } from './aggregation.js';
import { dateBounds, equalityValues, isDateRange, isEquality, RangeIndex, UniqueIndex, ValueLookup } from './indexes.js';
import { compileSimpleFilter } from './simpleFilters.js';
import { compileSimpleGroup } from './simpleGroups.js';
import type { Durability } from './durability.js';
import { parseUpdate, seedFromFilter, type ParsedUpdate } from './updates.js';
import { compactStored, copyValue, isPlainObject, isScalar } from './values.js';

type CompiledFilter = ReturnType<typeof compileSimpleFilter>;

export class EmbeddedCollection implements Collection<Doc> {
  /** Natural order is insertion order: Map keeps it, and updates keep a document's place. */
  private readonly docs = new Map<string, Doc>();
  private readonly insertedAt = new Map<string, number>();
  private sequence = 0;
  private readonly uniques: UniqueIndex[];
  /** Equality lookups on the leading field of every declared index, so `{conversationId}` over a million messages is not a scan. */
  private readonly lookups = new Map<string, ValueLookup>();
  /** Sorted dates on the last field of every declared non-unique index (its range field), per value of the fields before it, so `{createdAt: {$gte, $lt}}` visits only the range. */
  private readonly ranges = new Map<string, RangeIndex>();
  /** Top-level fields whose strings name one document each (`_id`, single-field unique keys): not worth interning. */
  private readonly uniqueFields = new Set<string>(['_id']);

  constructor(
    readonly name: string,
    specs: IndexSpec[],
    private readonly options: Partial<Options>,
    private readonly durability: Durability,
  ) {
    this.uniques = specs.filter((spec) => spec.unique).map((spec) => new UniqueIndex(spec));
    /** Single-field unique indexes by field: a lookup on the same field reads their keys instead of keeping its own. */
    const singleUniques = new Map<string, UniqueIndex>();
    for (const unique of this.uniques) {
      const field = unique.singleField;
      if (field === null) continue;
      singleUniques.set(field, unique);
      if (!field.includes('.')) this.uniqueFields.add(field);
    }
    for (const spec of specs) {
      const leading = Object.keys(spec.key)[0];
      if (leading && leading !== '_id' && !this.lookups.has(leading)) this.lookups.set(leading, new ValueLookup(leading, singleUniques.get(leading)));
      // The range field alone as well: a query naming many of the prefix's values is better served by one run.
      const fields = Object.keys(spec.key);
      if (fields.length === 0 || fields.includes('_id') || spec.unique) continue;
      for (const indexed of fields.length > 1 ? [fields, fields.slice(-1)] : [fields]) {
        const signature = JSON.stringify(indexed);
        if (!this.ranges.has(signature)) this.ranges.set(signature, new RangeIndex(indexed));
      }
    }
  }

  /** The stored documents themselves, for mingo's collection resolver; the aggregation code keeps them unmodified. */
  snapshot(): Doc[] {
    return Array.from(this.docs.values());
  }

  insertOne(doc: Doc): Promise<Doc> {
    return this.answer(() => {
      const stored = this.checkedForInsert(doc);
      this.write(null, stored);
      return copyValue(stored);
    });
  }

  /** Ordered like MongoDB's default: documents before a failing one stay inserted. */
  insertMany(docs: Doc[]): Promise<void> {
    return this.answer(() => {
      for (const doc of docs) this.write(null, this.checkedForInsert(doc));
    });
  }

  findOne(filter: Filter, options: Pick<FindOptions, 'sort' | 'projection'> = {}): Promise<Doc | null> {
    return this.answer(() => {
      const [first] = this.select(filter, { ...options, limit: 1 });
      return first ? this.output([first], options.projection)[0] ?? null : null;
    });
  }

  find(filter: Filter, options: FindOptions = {}): Promise<Doc[]> {
    return this.answer(() => {
      const selected = this.select(filter, options);
      // Stored documents are never modified in place (a write replaces them), so a reader may share them.
      return options.readOnly && !options.projection ? selected : this.output(selected, options.projection);
    });
  }

  findOneAndUpdate(filter: Filter, update: UpdateDoc, options: FindOneAndUpdateOptions = {}): Promise<Doc | null> {
    return this.answer(() => {
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
    });
  }

  updateOne(filter: Filter, update: UpdateDoc, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    return this.answer(() => {
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
    });
  }

  /** Like MongoDB, documents are updated one by one: a duplicate key stops the run, earlier ones stay updated. */
  updateMany(filter: Filter, update: UpdateDoc): Promise<UpdateResult> {
    return this.answer(() => {
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
    });
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.answer(() => {
      const targets = this.select(filter, {});
      for (const target of targets) this.write(target, null);
      return targets.length;
    });
  }

  countDocuments(filter: Filter = {}): Promise<number> {
    return this.answer(() => {
      if (Object.keys(filter).length === 0) return this.docs.size;
      const compiled = compileSimpleFilter(filter);
      const { docs, exact } = this.candidates(filter, false, compiled);
      if (docs && exact) return docs.length;
      const matches = this.matcher(filter, compiled);
      let count = 0;
      for (const doc of docs ?? this.docs.values()) if (matches(doc)) count++;
      return count;
    });
  }

  aggregate<R = Record<string, unknown>>(pipeline: Pipeline): Promise<R[]> {
    return this.answer(() => this.aggregateNow<R>(pipeline));
  }

  /**
   * A document read back from the journal at start-up, at its place: the
   * indexes are rebuilt as it goes. A unique index it would violate (one added
   * since the data was written, say) throws DuplicateKeyError.
   */
  restore(seq: number, doc: Doc): void {
    this.checkUnique(null, doc);
    this.apply(null, doc, seq);
    if (seq >= this.sequence) this.sequence = seq + 1;
  }

  /**
   * Runs an operation (synchronously: that is what makes a precondition in a
   * filter atomic) and answers once the journal holds everything recorded so
   * far, this operation's changes and any it may have read (inside a batch at
   * once: the batch waits for the disk as a whole, see durability.ts).
   */
  private async answer<R>(operation: () => R): Promise<R> {
    let outcome: { value: R } | { error: unknown };
    try {
      outcome = { value: operation() };
    } catch (error) {
      outcome = { error };
    }
    const pending = this.durability.beforeAnswer();
    if (pending) await pending;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  private aggregateNow<R>(pipeline: Pipeline): R[] {
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
    // A $group of the common shapes runs as plain JavaScript (simpleGroups.ts),
    // reading the stored documents and copying what it outputs; the stages
    // after it run on its rows. Where it cannot decide, mingo runs the stage.
    const next = stages[0];
    const group = next && stageName(next) === '$group' ? compileSimpleGroup(next.$group) : null;
    if (group) {
      const docs = Array.isArray(input) ? input : Array.from(input);
      const rows = group(docs);
      if (rows && stages.length === 1) return rows as R[];
      input = rows ? (rows as Doc[]) : docs;
      if (rows) stages = stages.slice(1);
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
    const single = this.singleMatch(filter);
    if (single) return skip || limit < single.length ? single.slice(skip, skip + limit) : single;
    // Compiled once for both: whether a range index can narrow it, and the test of each candidate.
    const compiled = compileSimpleFilter(filter);
    const { docs, exact } = this.candidates(filter, !sorted, compiled);
    const matches = exact ? null : this.matcher(filter, compiled);
    const enough = sorted ? Infinity : skip + limit;
    const matched: Doc[] = [];
    for (const doc of docs ?? this.docs.values()) {
      if (matches && !matches(doc)) continue;
      matched.push(doc);
      if (matched.length >= enough) break;
    }
    if (!sorted) return skip || limit < matched.length ? matched.slice(skip, skip + limit) : matched;
    // One document (the customer's latest conversation, most often) is already in order: no sort to build.
    if (matched.length <= 1) return matched.slice(skip, skip + limit);
    const cursor = new Query({}, this.options).find<Doc>(matched).sort(options.sort as Record<string, 1 | -1>);
    if (skip) cursor.skip(skip);
    if (limit !== Infinity) cursor.limit(limit);
    return cursor.all();
  }

  /**
   * The match of `{_id: id}`, or of `{field: value}` on a top-level field an
   * index looks up, when at most one document holds that value (in order
   * already, whatever the sort): no filter compiled, no plan weighed. Every
   * webhook reads and updates this way (by wamid, wa_id, activeKey, _id).
   * Undefined when the general path must decide: no such index, several
   * candidates, or an array or other non-scalar at the field.
   */
  private singleMatch(filter: Filter): Doc[] | undefined {
    const fields = Object.keys(filter);
    if (fields.length !== 1) return undefined;
    const field = fields[0] as string;
    const value = filter[field];
    if (!isScalar(value)) return undefined;
    // Ids are always strings: any other value names no document.
    if (field === '_id') {
      const doc = typeof value === 'string' ? this.docs.get(value) : undefined;
      return doc ? [doc] : [];
    }
    const lookup = field.includes('.') ? undefined : this.lookups.get(field);
    if (!lookup) return undefined;
    let found: Doc | undefined;
    for (const id of lookup.idsFor([value])) {
      const doc = this.docs.get(id);
      if (!doc) continue;
      if (found) return undefined;
      found = doc;
    }
    if (!found) return [];
    // A scalar equal to the value matches as MongoDB compares (isScalar leaves NaN out); an array holding it is mingo's to decide.
    return (found as Record<string, unknown>)[field] === value ? [found] : undefined;
  }

  /**
   * The filter as a predicate: compiled to plain JavaScript when it only
   * holds simple conditions on fields (about ten times faster than mingo's
   * general evaluation, which metrics over a million messages feel), with
   * mingo deciding every document the compiled form cannot.
   */
  private matcher(filter: Filter, fast: CompiledFilter = compileSimpleFilter(filter)): (doc: Doc) => boolean {
    let query: Query | null = null;
    const general = (doc: Doc) => (query ??= new Query(filter, this.options)).test(doc);
    if (!fast) return general;
    return (doc) => fast(doc) ?? general(doc);
  }

  /**
   * The documents a filter can possibly match, in natural order, when an
   * equality on `_id` or on an indexed field narrows them down; null means
   * every document has to be tested.
   */
  private candidates(filter: Filter, ordered: boolean, compiled: CompiledFilter = compileSimpleFilter(filter)): { docs: Doc[] | null; exact: boolean } {
    const chosen = this.narrowest(filter, compiled);
    if (!chosen) return { docs: null, exact: false };
    if ('docs' in chosen) return chosen.docs();
    return { docs: this.byIds(chosen.ids(), ordered), exact: false };
  }

  /** The cheapest way to the documents a filter can match, or null when one pass over all of them is cheaper. */
  private narrowest(filter: Filter, compiled: CompiledFilter): { cost: number; ids: () => Iterable<string> } | { cost: number; docs: () => { docs: Doc[]; exact: boolean } } | null {
    // Gathering ids costs a lookup each: they pay off below a third of the documents, as one pass over all of them
    // is cheaper beyond that. A range index lists the documents themselves, in natural order, so it nearly always pays.
    type Choice = { cost: number; ids: () => Iterable<string> } | { cost: number; docs: () => { docs: Doc[]; exact: boolean } };
    let narrowest = null as Choice | null;
    const consider = (choice: Choice) => {
      if (!narrowest || choice.cost < narrowest.cost) narrowest = choice;
    };
    // A range index only narrows filters the compiled form decides (see RangeIndex).
    const ranged = this.ranges.size > 0 && compiled !== null;
    const conditions = new Map<string, unknown[]>();
    const visit = (clause: Filter) => {
      for (const [path, condition] of Object.entries(clause)) {
        if (path === '$and' && Array.isArray(condition)) {
          for (const part of condition) if (isPlainObject(part)) visit(part);
          continue;
        }
        if (ranged) conditions.set(path, [...(conditions.get(path) ?? []), condition]);
        if (path === '_id') {
          const ids = equalityValues(condition)?.filter((id): id is string => typeof id === 'string');
          if (ids) consider({ cost: 3 * ids.length, ids: () => ids });
          continue;
        }
        const lookup = this.lookups.get(path);
        const values = lookup && equalityValues(condition);
        if (lookup && values) consider({ cost: 3 * lookup.sizeFor(values), ids: () => lookup.idsFor(values) });
      }
    };
    visit(filter);
    for (const range of ranged ? this.ranges.values() : []) {
      if (!range.serving) continue;
      // The fewest values each prefix field is held to by an equality, and the narrowest bounds on the date.
      const prefixValues: unknown[][] = [];
      for (const field of range.prefixFields) {
        const lists = (conditions.get(field) ?? []).map(equalityValues).filter((list): list is unknown[] => list !== null);
        if (lists.length === 0) break;
        prefixValues.push(lists.reduce((a, b) => (b.length < a.length ? b : a)));
      }
      const prefixes = prefixValues.length === range.prefixFields.length ? range.prefixesFor(prefixValues) : null;
      if (!prefixes) continue;
      // Exact: the filter holds only what the index answers (and no document is kept aside), so no candidate needs testing.
      const fields = Object.keys(filter);
      const whole =
        fields.length === range.prefixFields.length + 1 &&
        range.prefixFields.every((field) => isEquality(filter[field])) &&
        isDateRange(filter[range.dateField]);
      for (const condition of conditions.get(range.dateField) ?? []) {
        const bounds = dateBounds(condition);
        if (!bounds) continue;
        const exact = whole && range.exact && condition === filter[range.dateField];
        // Testing a candidate costs about what a scan pays per document; merging several runs into natural order a little more.
        const cost = range.sizeFor(prefixes, bounds) * ((exact ? 0.5 : 1.25) + 0.05 * (prefixes.length - 1));
        consider({ cost, docs: () => ({ docs: range.candidates(prefixes, bounds), exact }) });
      }
    }
    const chosen = narrowest as Choice | null;
    return chosen && chosen.cost <= this.docs.size ? chosen : null;
  }

  /** The stored documents of these ids, in natural order when asked. */
  private byIds(ids: Iterable<string>, ordered: boolean): Doc[] {
    const docs: Doc[] = [];
    let inOrder = true;
    let previous = -1;
    for (const id of ids) {
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
    return this.applyUpdate(copy, modifier.update, modifier.positional ? filter : undefined) ? copy : null;
  }

  /** Applies an update in place, through the direct path when it can (simpleUpdate.ts), else mingo's updater; whether anything changed. */
  private applyUpdate(doc: Doc, update: Modifier<AnyObject>, filter?: Filter): boolean {
    const simple = applySimpleUpdate(doc as Record<string, unknown>, update as Record<string, unknown>);
    if (simple !== null) return simple;
    return applyModifier(doc, update, undefined, filter, { cloneMode: 'copy', queryOptions: this.options }).length > 0;
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
    if (Object.keys(onInsert).length > 0) this.applyUpdate(doc as Doc, onInsert as Modifier<AnyObject>);
    return doc as Doc;
  }

  /** The one place documents change: unique indexes are checked and the change recorded first, so a failure changes nothing. */
  private write(before: Doc | null, after: Doc | null): void {
    this.checkUnique(before, after);
    const seq = before ? (this.insertedAt.get(before._id) ?? 0) : this.sequence;
    this.durability.journal.record(this.name, seq, after);
    if (!before) this.sequence++;
    this.apply(before, after, seq);
  }

  private checkUnique(before: Doc | null, after: Doc | null): void {
    if (!after) return;
    if (!before && this.docs.has(after._id)) throw new DuplicateKeyError(this.name, { _id: after._id });
    for (const unique of this.uniques) {
      if (before && unique.unchanged(before, after)) continue;
      const holder = unique.holderOf(after);
      if (holder !== undefined && holder !== after._id) throw new DuplicateKeyError(this.name, unique.keyValue(after));
    }
  }

  private apply(before: Doc | null, after: Doc | null, seq: number): void {
    if (after) compactStored(after, before, this.uniqueFields);
    for (const unique of this.uniques) unique.replace(before, after);
    for (const lookup of this.lookups.values()) lookup.replace(before, after);
    for (const range of this.ranges.values()) range.replace(before, after, seq);
    if (after) {
      this.docs.set(after._id, after);
      if (!before) this.insertedAt.set(after._id, seq);
    } else if (before) {
      this.docs.delete(before._id);
      this.insertedAt.delete(before._id);
    }
  }
}
