import type { Doc, IndexSpec } from '../port.js';
import { comparableKey, isPlainObject, valueAt } from './values.js';

/** A value a lookup or a single-field unique index keys by itself: Map's SameValueZero equality is MongoDB's for these (1 and 1.0 alike, 0 and -0 too, "1" and 1 apart). */
type Scalar = string | number | boolean;

/**
 * A unique index: its key → the `_id` holding it. A single-field index keys a
 * string, number or boolean value by the value itself (the document's own
 * string, no second copy); any other value (null, a Date, an array) and every
 * compound key by a comparableKey string, in a map of its own so that no
 * string value can pass for one.
 */
export class UniqueIndex {
  private readonly byValue = new Map<Scalar, string>();
  private readonly byKey = new Map<string, string>();
  private readonly fields: string[];
  private readonly paths: string[][];

  constructor(private readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.paths = this.fields.map((field) => field.split('.'));
  }

  /** The `_id` of the document holding the key `doc` has, if any. */
  holderOf(doc: Doc): string | undefined {
    const entry = this.entryOf(doc);
    return entry ? (entry[0] as Map<unknown, string>).get(entry[1]) : undefined;
  }

  keyValue(doc: Doc): Record<string, unknown> {
    return Object.fromEntries(this.fields.map((field, i) => [field, valueAt(doc, this.paths[i] as string[]) ?? null]));
  }

  replace(before: Doc | null, after: Doc | null): void {
    const old = before ? this.entryOf(before) : null;
    const next = after ? this.entryOf(after) : null;
    if (old && next && old[0] === next[0] && old[1] === next[1]) return;
    if (old && before) {
      const map = old[0] as Map<unknown, string>;
      if (map.get(old[1]) === before._id) map.delete(old[1]);
    }
    if (next && after) (next[0] as Map<unknown, string>).set(next[1], after._id);
  }

  /** Which map holds the document's key, and the key; null when the document is outside the index (sparse, with a key field null or missing). */
  private entryOf(doc: Doc): [Map<Scalar, string>, Scalar] | [Map<string, string>, string] | null {
    if (this.paths.length === 1) {
      const value = valueAt(doc, this.paths[0] as string[]);
      if (this.spec.sparse && (value === null || value === undefined)) return null;
      return isLookupScalar(value) ? [this.byValue, value] : [this.byKey, comparableKey(value)];
    }
    const values = this.paths.map((path) => valueAt(doc, path));
    if (this.spec.sparse && values.some((value) => value === null || value === undefined)) return null;
    return [this.byKey, JSON.stringify(values.map(comparableKey))];
  }
}

/** Most values name a handful of documents (a conversation's messages): a short array holds them in a third of a Set's memory. */
const ARRAY_HOLDERS_MAX = 32;

/**
 * Which documents hold a given scalar (string, number, boolean) at a path,
 * arrays included element by element like a MongoDB multikey index. It may
 * list more documents than match: every candidate is tested by the query.
 * Keys are the values themselves (the documents' own strings).
 */
export class ValueLookup {
  /** One id is kept unwrapped (most values, a wamid or an email, name one document), a few in an array, more in a Set. */
  private readonly ids = new Map<Scalar, string | string[] | Set<string>>();
  private readonly segments: string[];

  constructor(path: string) {
    this.segments = path.split('.');
  }

  /** How many ids idsFor would list at most (before removing duplicates), without listing them. */
  sizeFor(values: unknown[]): number {
    let size = 0;
    for (const value of values) {
      const held = this.ids.get(value as Scalar);
      size += held === undefined ? 0 : typeof held === 'string' ? 1 : Array.isArray(held) ? held.length : held.size;
    }
    return size;
  }

  /** The ids, in the order they were indexed when one value is asked for; not to be modified, and to be read before the next write. */
  idsFor(values: unknown[]): Iterable<string> {
    if (values.length === 1) {
      const held = this.ids.get(values[0] as Scalar);
      return held === undefined ? [] : typeof held === 'string' ? [held] : held;
    }
    const all = new Set<string>();
    for (const value of values) {
      const held = this.ids.get(value as Scalar);
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

  private keysOf(doc: Doc): Scalar[] {
    // The common case, a plain value at a top-level field, without allocating a set.
    if (this.segments.length === 1) {
      const value = (doc as Record<string, unknown>)[this.segments[0] as string];
      if (isLookupScalar(value)) return [value];
      if (!Array.isArray(value)) return [];
    }
    const keys = new Set<Scalar>();
    collectScalars(doc, this.segments, 0, keys);
    return [...keys];
  }

  private add(key: Scalar, id: string): void {
    const held = this.ids.get(key);
    if (held === undefined) this.ids.set(key, id);
    else if (typeof held === 'string') {
      if (held !== id) this.ids.set(key, [held, id]);
    } else if (Array.isArray(held)) {
      if (held.includes(id)) return;
      if (held.length < ARRAY_HOLDERS_MAX) held.push(id);
      else this.ids.set(key, new Set(held).add(id));
    } else held.add(id);
  }

  private remove(key: Scalar, id: string): void {
    const held = this.ids.get(key);
    if (held === id) this.ids.delete(key);
    else if (Array.isArray(held)) {
      const at = held.indexOf(id);
      if (at !== -1) held.splice(at, 1);
      if (held.length === 1) this.ids.set(key, held[0] as string);
    } else if (held instanceof Set) {
      held.delete(id);
      if (held.size === 1) this.ids.set(key, held.values().next().value as string);
    }
  }
}

function collectScalars(value: unknown, segments: string[], index: number, out: Set<Scalar>): void {
  if (Array.isArray(value)) {
    if (index < segments.length && /^\d+$/.test(segments[index] ?? '')) collectScalars(value[Number(segments[index])], segments, index + 1, out);
    for (const element of value) collectScalars(element, segments, index, out);
    return;
  }
  if (index === segments.length) {
    if (isLookupScalar(value)) out.add(value);
    return;
  }
  if (isPlainObject(value)) collectScalars(value[segments[index] as string], segments, index + 1, out);
}

function isLookupScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
}

/** The values an equality condition (`v`, `{$eq: v}`, `{$in: [...]}`) accepts, when all are lookup scalars. */
export function equalityValues(condition: unknown): unknown[] | null {
  if (isLookupScalar(condition)) return [condition];
  if (!isPlainObject(condition)) return null;
  if ('$eq' in condition) return isLookupScalar(condition.$eq) ? [condition.$eq] : null;
  const list = condition.$in;
  if (Array.isArray(list) && list.every(isLookupScalar)) return list;
  return null;
}

/** What a range index holds for a document: its date's time, UNDECIDED (the compiled filters leave it to mingo) or null (no date: no range condition on a date matches). */
export type RangeKey = number | typeof UNDECIDED_KEY | null;
const UNDECIDED_KEY = Symbol('undecided');

/** Bounds on a date, from `$gt`/`$gte`/`$lt`/`$lte`/`$eq` (or a plain date) with a Date operand. */
export interface DateBounds {
  low: number;
  lowInclusive: boolean;
  high: number;
  highInclusive: boolean;
}

/**
 * The dates at a path, sorted, so a condition like `{createdAt: {$gte, $lt}}`
 * visits only the documents in range instead of every document. It holds
 * (time, insertion sequence, document) for every document whose path holds
 * a Date reached through plain objects; documents holding an array or
 * anything else the compiled filters leave to mingo on the way are kept
 * aside and are always candidates; documents holding no date (missing, null,
 * a string, a number) cannot match a date range in MongoDB (comparisons stay
 * within a type) and are not listed. Like the lookups, it only narrows: every
 * candidate is tested by the query.
 *
 * It holds the stored documents themselves (a write replaces a document, and
 * the index follows), so listing candidates costs no lookup by id. Documents
 * mostly arrive in time order (messages, events), so an entry is appended in
 * O(1); one that arrives out of order waits in a small unsorted buffer that
 * is merged in once it grows. A removed entry is blanked, and the blanks are
 * compacted away once they are a quarter of the index.
 */
export class RangeIndex {
  private times: number[] = [];
  private seqs: number[] = [];
  private docs: Array<Doc | null> = [];
  private blanks = 0;
  private pendingTimes: number[] = [];
  private pendingSeqs: number[] = [];
  private pendingDocs: Doc[] = [];
  /** _id → [insertion sequence, document] of the documents kept aside. */
  private readonly others = new Map<string, [number, Doc]>();
  private readonly segments: string[];

  constructor(readonly path: string) {
    this.segments = path.split('.');
  }

  /** Follows a write: `before` is the stored document it replaces or removes, `after` the one it stores; both at `seq`. */
  replace(before: Doc | null, after: Doc | null, seq: number): void {
    const oldKey = before ? this.keyOf(before) : null;
    const newKey = after ? this.keyOf(after) : null;
    // An update that keeps the date keeps the entry, holding the new document.
    const kept = before !== null && after !== null && oldKey === newKey;
    if (before && oldKey !== null) this.remove(oldKey, seq, before, kept ? after : null);
    if (after && newKey !== null && !kept) this.add(newKey, seq, after);
  }

  /** At most how many candidates `candidates` would give (blanks and out-of-range buffered entries included). */
  sizeFor(bounds: DateBounds): number {
    const [start, end] = this.span(bounds);
    return end - start + this.pendingDocs.length + this.others.size;
  }

  /** The documents that may match, in natural (insertion) order. */
  candidates(bounds: DateBounds): Doc[] {
    const [start, end] = this.span(bounds);
    const docs: Doc[] = [];
    const seqs: number[] = [];
    let ordered = true;
    let previous = -Infinity;
    const take = (doc: Doc, seq: number) => {
      docs.push(doc);
      seqs.push(seq);
      if (seq < previous) ordered = false;
      previous = seq;
    };
    for (let i = start; i < end; i++) {
      const doc = this.docs[i];
      if (doc) take(doc, this.seqs[i] as number);
    }
    for (let i = 0; i < this.pendingDocs.length; i++) {
      if (within(this.pendingTimes[i] as number, bounds)) take(this.pendingDocs[i] as Doc, this.pendingSeqs[i] as number);
    }
    for (const [seq, doc] of this.others.values()) take(doc, seq);
    if (ordered) return docs;
    const order = Array.from(docs.keys()).sort((a, b) => (seqs[a] as number) - (seqs[b] as number));
    return order.map((i) => docs[i] as Doc);
  }

  /** The time of the document's date, UNDECIDED_KEY, or null: the same walk as the compiled filters' (simpleFilters.ts). */
  private keyOf(doc: Doc): RangeKey {
    let value: unknown = doc;
    for (const segment of this.segments) {
      if (value === undefined) return null;
      if (!isPlainObject(value)) return UNDECIDED_KEY;
      value = value[segment];
    }
    if (value instanceof Date) {
      const time = value.getTime();
      return Number.isNaN(time) ? null : time;
    }
    // An object, or NaN: the compiled filters leave it to mingo.
    if ((value !== null && typeof value === 'object') || Number.isNaN(value)) return UNDECIDED_KEY;
    return null;
  }

  private add(key: number | typeof UNDECIDED_KEY, seq: number, doc: Doc): void {
    if (key === UNDECIDED_KEY) {
      this.others.set(doc._id, [seq, doc]);
      return;
    }
    const last = this.times.length - 1;
    if (this.pendingDocs.length === 0 && (last < 0 || compare(key, seq, this.times[last] as number, this.seqs[last] as number) > 0)) {
      this.times.push(key);
      this.seqs.push(seq);
      this.docs.push(doc);
      return;
    }
    this.pendingTimes.push(key);
    this.pendingSeqs.push(seq);
    this.pendingDocs.push(doc);
    if (this.pendingDocs.length > 256 + this.times.length / 16) this.merge();
  }

  /** Removes the entry holding `doc`, or puts `replacement` (the same document updated, with the same key) in its place. */
  private remove(key: number | typeof UNDECIDED_KEY, seq: number, doc: Doc, replacement: Doc | null): void {
    if (key === UNDECIDED_KEY) {
      if (replacement) this.others.set(doc._id, [seq, replacement]);
      else this.others.delete(doc._id);
      return;
    }
    // The entry is in the sorted part (a live one among blanks of the same time and sequence) or in the buffer.
    for (let i = this.lowerBound(key, seq); i < this.times.length && this.times[i] === key && this.seqs[i] === seq; i++) {
      if (this.docs[i] !== doc) continue;
      this.docs[i] = replacement;
      if (replacement) return;
      this.blanks++;
      if (this.blanks > 64 + this.times.length / 4) this.merge();
      return;
    }
    for (let i = this.pendingDocs.length - 1; i >= 0; i--) {
      if (this.pendingDocs[i] !== doc) continue;
      if (replacement) this.pendingDocs[i] = replacement;
      else {
        this.pendingTimes.splice(i, 1);
        this.pendingSeqs.splice(i, 1);
        this.pendingDocs.splice(i, 1);
      }
      return;
    }
  }

  /** The buffer sorted into the sorted part, blanks dropped. */
  private merge(): void {
    const order = Array.from(this.pendingDocs.keys()).sort((a, b) =>
      compare(this.pendingTimes[a] as number, this.pendingSeqs[a] as number, this.pendingTimes[b] as number, this.pendingSeqs[b] as number),
    );
    const times: number[] = [];
    const seqs: number[] = [];
    const docs: Doc[] = [];
    let i = 0;
    let j = 0;
    while (i < this.times.length || j < order.length) {
      const p = order[j];
      const takePending =
        p !== undefined &&
        (i >= this.times.length || compare(this.pendingTimes[p] as number, this.pendingSeqs[p] as number, this.times[i] as number, this.seqs[i] as number) < 0);
      if (takePending) {
        times.push(this.pendingTimes[p] as number);
        seqs.push(this.pendingSeqs[p] as number);
        docs.push(this.pendingDocs[p] as Doc);
        j++;
      } else {
        const doc = this.docs[i];
        if (doc) {
          times.push(this.times[i] as number);
          seqs.push(this.seqs[i] as number);
          docs.push(doc);
        }
        i++;
      }
    }
    this.times = times;
    this.seqs = seqs;
    this.docs = docs;
    this.blanks = 0;
    this.pendingTimes = [];
    this.pendingSeqs = [];
    this.pendingDocs = [];
  }

  /** The first position whose (time, seq) is not below (time, seq). */
  private lowerBound(time: number, seq: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.times[mid] as number, this.seqs[mid] as number, time, seq) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The positions [start, end) of the sorted part within the bounds. */
  private span(bounds: DateBounds): [number, number] {
    const start = this.lowerBound(bounds.low, bounds.lowInclusive ? -Infinity : Infinity);
    const end = this.lowerBound(bounds.high, bounds.highInclusive ? Infinity : -Infinity);
    return [start, Math.max(start, end)];
  }
}

function compare(time: number, seq: number, otherTime: number, otherSeq: number): number {
  return time !== otherTime ? (time < otherTime ? -1 : 1) : seq - otherSeq;
}

function within(time: number, bounds: DateBounds): boolean {
  return (bounds.lowInclusive ? time >= bounds.low : time > bounds.low) && (bounds.highInclusive ? time <= bounds.high : time < bounds.high);
}

/**
 * The bounds a condition puts on a date, when it holds `$gt`, `$gte`, `$lt`,
 * `$lte` or `$eq` with a valid Date (or is a Date): a document matching it
 * holds a date within them. null when it bounds no date that way.
 */
export function dateBounds(condition: unknown): DateBounds | null {
  const valid = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
  if (valid(condition)) return { low: condition.getTime(), lowInclusive: true, high: condition.getTime(), highInclusive: true };
  if (!isPlainObject(condition)) return null;
  const bounds: DateBounds = { low: -Infinity, lowInclusive: true, high: Infinity, highInclusive: true };
  let bounded = false;
  const raise = (time: number, inclusive: boolean) => {
    if (time > bounds.low || (time === bounds.low && !inclusive)) Object.assign(bounds, { low: time, lowInclusive: inclusive });
    bounded = true;
  };
  const lower = (time: number, inclusive: boolean) => {
    if (time < bounds.high || (time === bounds.high && !inclusive)) Object.assign(bounds, { high: time, highInclusive: inclusive });
    bounded = true;
  };
  for (const [operator, operand] of Object.entries(condition)) {
    if (!valid(operand)) continue;
    const time = operand.getTime();
    if (operator === '$gt' || operator === '$gte') raise(time, operator === '$gte');
    else if (operator === '$lt' || operator === '$lte') lower(time, operator === '$lte');
    else if (operator === '$eq') {
      raise(time, true);
      lower(time, true);
    }
  }
  return bounded ? bounds : null;
}
