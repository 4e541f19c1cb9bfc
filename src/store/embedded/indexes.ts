import type { Doc, IndexSpec } from '../port.js';
import { simpleValueAt, UNDECIDED } from './simpleFilters.js';
import { comparableKey, isPlainObject, isScalar, valueAt, type Scalar } from './values.js';


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

  /** The field of a single-field index, null for a compound one. */
  get singleField(): string | null {
    return this.fields.length === 1 ? (this.fields[0] as string) : null;
  }

  /** The `_id` of the document whose value at the (single) field is this scalar. */
  holderOfValue(value: Scalar): string | undefined {
    return this.byValue.get(value);
  }

  /** The `_id` of the document holding the key `doc` has, if any. */
  holderOf(doc: Doc): string | undefined {
    const entry = this.entryOf(doc);
    return entry ? (entry[0] as Map<unknown, string>).get(entry[1]) : undefined;
  }

  keyValue(doc: Doc): Record<string, unknown> {
    return Object.fromEntries(this.fields.map((field, i) => [field, valueAt(doc, this.paths[i] as string[]) ?? null]));
  }

  /** True when both documents hold the same plain values at every key path (an update that left the key alone): no key strings needed. */
  unchanged(before: Doc, after: Doc): boolean {
    return this.paths.every((path) => sameScalarAt(before, after, path));
  }

  replace(before: Doc | null, after: Doc | null): void {
    if (before && after && this.unchanged(before, after)) return;
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
      return isScalar(value) ? [this.byValue, value] : [this.byKey, comparableKey(value)];
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
 * Keys are the values themselves (the documents' own strings). On a field
 * with a single-field unique index, a document whose value there is a scalar
 * is found through that index's keys (a million wamids are not kept twice);
 * only the others (arrays, values reached through arrays) are kept here.
 */
export class ValueLookup {
  /** One id is kept unwrapped (most values, a wamid or an email, name one document), a few in an array, more in a Set. */
  private readonly ids = new Map<Scalar, string | string[] | Set<string>>();
  private readonly segments: string[];

  constructor(
    path: string,
    private readonly unique?: UniqueIndex,
  ) {
    this.segments = path.split('.');
  }

  /** How many ids idsFor would list at most (before removing duplicates), without listing them. */
  sizeFor(values: unknown[]): number {
    let size = 0;
    for (const value of values) {
      const held = this.ids.get(value as Scalar);
      size += held === undefined ? 0 : typeof held === 'string' ? 1 : Array.isArray(held) ? held.length : held.size;
      if (this.unique?.holderOfValue(value as Scalar) !== undefined) size++;
    }
    return size;
  }

  /** The ids (in the order they were indexed when one value is asked for and no unique index helps); not to be modified, and to be read before the next write. */
  idsFor(values: unknown[]): Iterable<string> {
    if (values.length === 1) {
      const held = this.ids.get(values[0] as Scalar);
      const holder = this.unique?.holderOfValue(values[0] as Scalar);
      // A single-field unique key (a wamid, a wa_id) most often: its holder alone, no set to build.
      if (holder === undefined) return held === undefined ? [] : typeof held === 'string' ? [held] : held;
      if (held === undefined) return [holder];
    }
    const all = new Set<string>();
    for (const value of values) {
      const holder = this.unique?.holderOfValue(value as Scalar);
      if (holder !== undefined) all.add(holder);
      const held = this.ids.get(value as Scalar);
      if (typeof held === 'string') all.add(held);
      else if (held) for (const id of held) all.add(id);
    }
    return all;
  }

  replace(before: Doc | null, after: Doc | null): void {
    if (before && after && sameScalarAt(before, after, this.segments)) return;
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
      if (isScalar(value)) return this.unique ? [] : [value];
      if (!Array.isArray(value)) return [];
    } else if (this.unique && isScalar(valueAt(doc, this.segments))) return [];
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

/**
 * The same primitive (or nothing) at `path` in both, with no array on the
 * way: whatever an index keys from it is the same. Anything else (an array
 * an index would key element by element, a Date, an object) says no.
 */
function sameScalarAt(before: Doc, after: Doc, path: string[]): boolean {
  let was: unknown = before;
  let now: unknown = after;
  for (const segment of path) {
    if (Array.isArray(was) || Array.isArray(now)) return false;
    was = was !== null && typeof was === 'object' ? (was as Record<string, unknown>)[segment] : undefined;
    now = now !== null && typeof now === 'object' ? (now as Record<string, unknown>)[segment] : undefined;
  }
  return was === now && (was === null || typeof was !== 'object');
}

function collectScalars(value: unknown, segments: string[], index: number, out: Set<Scalar>): void {
  if (Array.isArray(value)) {
    if (index < segments.length && /^\d+$/.test(segments[index] ?? '')) collectScalars(value[Number(segments[index])], segments, index + 1, out);
    for (const element of value) collectScalars(element, segments, index, out);
    return;
  }
  if (index === segments.length) {
    if (isScalar(value)) out.add(value);
    return;
  }
  if (isPlainObject(value)) collectScalars(value[segments[index] as string], segments, index + 1, out);
}

/** The values an equality condition (`v`, `{$eq: v}`, `{$in: [...]}`) accepts, when all are lookup scalars. */
export function equalityValues(condition: unknown): unknown[] | null {
  if (isScalar(condition)) return [condition];
  if (!isPlainObject(condition)) return null;
  if ('$eq' in condition) return isScalar(condition.$eq) ? [condition.$eq] : null;
  const list = condition.$in;
  if (Array.isArray(list) && list.every(isScalar)) return list;
  return null;
}


/** Bounds on a date, from `$gt`/`$gte`/`$lt`/`$lte`/`$eq` (or a plain date) with a Date operand. */
export interface DateBounds {
  low: number;
  lowInclusive: boolean;
  high: number;
  highInclusive: boolean;
}

/** The documents a range index may hand out for a query, with their insertion sequences, sorted by sequence. */
interface Listed {
  docs: Doc[];
  seqs: number[];
}

/**
 * One sorted run of (time, insertion sequence, stored document). Documents
 * mostly arrive in time order (messages, events), so an entry is appended in
 * O(1); one that arrives out of order waits in a small unsorted buffer that
 * is merged in once it grows. A removed entry is blanked, and the blanks are
 * compacted away once they are a quarter of the run.
 */
class SortedDates {
  private times: number[] = [];
  private seqs: number[] = [];
  private docs: Array<Doc | null> = [];
  private blanks = 0;
  /** Whether the sorted part's sequences ascend too (documents inserted in time order: messages, events), so a span of it is already in insertion order. */
  private seqsAscend = true;
  private pendingTimes: number[] = [];
  private pendingSeqs: number[] = [];
  private pendingDocs: Doc[] = [];

  get empty(): boolean {
    return this.times.length === this.blanks && this.pendingDocs.length === 0;
  }

  /** At most how many documents `list` gives (blanks and out-of-range buffered entries included). */
  sizeFor(bounds: DateBounds): number {
    const [start, end] = this.span(bounds);
    return end - start + this.pendingDocs.length;
  }

  /** The documents within the bounds, in insertion order. */
  list(bounds: DateBounds): Listed {
    const [start, end] = this.span(bounds);
    // A month or all 90 days of a million messages: one copy of the span, not a push per entry.
    if (this.seqsAscend && this.blanks === 0 && !this.pendingTimes.some((time) => within(time, bounds))) {
      return { docs: this.docs.slice(start, end) as Doc[], seqs: this.seqs.slice(start, end) };
    }
    const docs: Doc[] = [];
    const seqs: number[] = [];
    let ordered = true;
    let previous = -Infinity;
    for (let i = start; i < end; i++) {
      const doc = this.docs[i];
      if (!doc) continue;
      const seq = this.seqs[i] as number;
      if (seq < previous) ordered = false;
      previous = seq;
      docs.push(doc);
      seqs.push(seq);
    }
    for (let i = 0; i < this.pendingDocs.length; i++) {
      if (!within(this.pendingTimes[i] as number, bounds)) continue;
      docs.push(this.pendingDocs[i] as Doc);
      seqs.push(this.pendingSeqs[i] as number);
      ordered = false;
    }
    return ordered ? { docs, seqs } : bySequence(docs, seqs);
  }

  add(time: number, seq: number, doc: Doc): void {
    const last = this.times.length - 1;
    // Past the sorted part's end it can go straight there, whatever waits in the buffer: the merge takes buffered
    // entries wherever they fall. (Only while the buffer was empty, the buffer took every update of a conversation's
    // activity time, and finding an entry there to remove is a scan of the buffer.)
    if (last < 0 || compare(time, seq, this.times[last] as number, this.seqs[last] as number) > 0) {
      if (last >= 0 && seq < (this.seqs[last] as number)) this.seqsAscend = false;
      this.times.push(time);
      this.seqs.push(seq);
      this.docs.push(doc);
      return;
    }
    this.pendingTimes.push(time);
    this.pendingSeqs.push(seq);
    this.pendingDocs.push(doc);
    if (this.pendingDocs.length > 256 + this.times.length / 16) this.merge();
  }

  /** Removes the entry holding `doc`, or puts `replacement` (the same document updated, with the same key) in its place. */
  remove(time: number, seq: number, doc: Doc, replacement: Doc | null): void {
    // The entry is in the sorted part (a live one among blanks of the same time and sequence) or in the buffer.
    for (let i = this.lowerBound(time, seq); i < this.times.length && this.times[i] === time && this.seqs[i] === seq; i++) {
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
    this.seqsAscend = seqs.every((seq, k) => k === 0 || seq > (seqs[k - 1] as number));
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

/**
 * A declared index's range field, when it holds dates, sorted, so a
 * condition like `{createdAt: {$gte, $lt}}` visits only the documents in
 * range instead of every document. With the index's other fields in front
 * (`{type: 1, at: 1}`, `{direction: 1, author: 1, createdAt: 1}`), there is
 * one sorted run per combination of their values, so `{type: {$in: [...]},
 * at: {$lt}}` visits only those types' documents in range, as MongoDB's
 * compound index would. Such a prefix is only worth it with few combinations:
 * past MAX_RUNS of them (a conversationId in front), the index gives up and
 * frees itself, and the equality lookups serve those queries.
 *
 * Listed: every document whose date field holds a Date and whose prefix
 * fields hold strings, numbers or booleans, all reached through plain
 * objects. Kept aside, always candidates: documents holding an array or
 * anything else the compiled filters leave to mingo on those paths. Left
 * out: documents holding no date there (missing, null, a string, a number),
 * which no range condition on a date matches in MongoDB (comparisons stay
 * within a type), and those whose prefix holds null, a Date or nothing,
 * which no equality with a string, number or boolean matches. Like the
 * lookups, it only narrows: every candidate is tested by the query.
 *
 * It holds the stored documents themselves (a write replaces a document,
 * and the index follows), so listing candidates costs no lookup by id.
 */
export class RangeIndex {
  static readonly MAX_RUNS = 256;
  readonly dateField: string;
  readonly prefixFields: string[];
  private readonly datePath: string[];
  private readonly prefixPaths: string[][];
  private readonly runs = new Map<string, SortedDates>();
  /** _id → [insertion sequence, document] of the documents kept aside. */
  private readonly others = new Map<string, [number, Doc]>();
  private abandoned = false;

  constructor(fields: string[]) {
    this.dateField = fields[fields.length - 1] as string;
    this.prefixFields = fields.slice(0, -1);
    this.datePath = this.dateField.split('.');
    this.prefixPaths = this.prefixFields.map((field) => field.split('.'));
  }

  /** Whether every document that may match is listed in a run (none kept aside), so a run's documents match exactly the prefix values and bounds asked. */
  get exact(): boolean {
    return this.others.size === 0;
  }

  /** Whether it serves queries (a prefix with more than MAX_RUNS combinations abandons it). */
  get serving(): boolean {
    return !this.abandoned;
  }

  /** Follows a write: `before` is the stored document it replaces or removes, `after` the one it stores; both at `seq`. */
  replace(before: Doc | null, after: Doc | null, seq: number): void {
    if (this.abandoned) return;
    const oldKey = before ? this.keyOf(before) : null;
    const newKey = after ? this.keyOf(after) : null;
    // An update that keeps the key keeps the entry, holding the new document.
    const kept = before !== null && after !== null && oldKey !== null && newKey !== null && sameKey(oldKey, newKey);
    if (before && oldKey !== null) this.remove(oldKey, seq, before, kept ? after : null);
    if (after && newKey !== null && !kept) this.add(newKey, seq, after);
  }

  /** At most how many candidates `candidates` gives for these prefix values (one list per prefix field) and bounds. */
  sizeFor(prefixes: string[], bounds: DateBounds): number {
    let size = this.others.size;
    for (const prefix of prefixes) size += this.runs.get(prefix)?.sizeFor(bounds) ?? 0;
    return size;
  }

  /** The documents that may match, in natural (insertion) order. */
  candidates(prefixes: string[], bounds: DateBounds): Doc[] {
    const lists: Listed[] = [];
    for (const prefix of prefixes) {
      const run = this.runs.get(prefix);
      if (run) lists.push(run.list(bounds));
    }
    if (this.others.size > 0) {
      const docs: Doc[] = [];
      const seqs: number[] = [];
      for (const [seq, doc] of this.others.values()) {
        docs.push(doc);
        seqs.push(seq);
      }
      lists.push(bySequence(docs, seqs));
    }
    return mergeBySequence(lists);
  }

  /**
   * The run keys of the prefix combinations a query's equality values name
   * (one list of values per prefix field), or null past MAX_RUNS of them.
   */
  prefixesFor(values: unknown[][]): string[] | null {
    let keys: string[][] = [[]];
    for (const list of values) {
      const next: string[][] = [];
      for (const key of keys) for (const value of list) next.push([...key, comparableKey(value)]);
      if (next.length > RangeIndex.MAX_RUNS) return null;
      keys = next;
    }
    return keys.map(runKey);
  }

  private keyOf(doc: Doc): { run: string; time: number } | typeof UNDECIDED | null {
    const time = dateKeyAt(doc, this.datePath);
    if (time === UNDECIDED) return UNDECIDED;
    if (this.prefixPaths.length === 0) return time === null ? null : { run: runKey([]), time };
    const parts: string[] = [];
    let listed = time !== null;
    for (const path of this.prefixPaths) {
      const value = simpleValueAt(doc, path);
      if (value === UNDECIDED) return UNDECIDED;
      if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') parts.push(comparableKey(value));
      else listed = false;
    }
    return listed ? { run: runKey(parts), time: time as number } : null;
  }

  private add(key: { run: string; time: number } | typeof UNDECIDED, seq: number, doc: Doc): void {
    if (key === UNDECIDED) {
      this.others.set(doc._id, [seq, doc]);
      return;
    }
    let run = this.runs.get(key.run);
    if (!run) {
      if (this.runs.size >= RangeIndex.MAX_RUNS) {
        this.abandoned = true;
        this.runs.clear();
        this.others.clear();
        return;
      }
      this.runs.set(key.run, (run = new SortedDates()));
    }
    run.add(key.time, seq, doc);
  }

  private remove(key: { run: string; time: number } | typeof UNDECIDED, seq: number, doc: Doc, replacement: Doc | null): void {
    if (key === UNDECIDED) {
      if (replacement) this.others.set(doc._id, [seq, replacement]);
      else this.others.delete(doc._id);
      return;
    }
    const run = this.runs.get(key.run);
    if (!run) return;
    run.remove(key.time, seq, doc, replacement);
    if (!replacement && run.empty) this.runs.delete(key.run);
  }
}

function sameKey(a: { run: string; time: number } | typeof UNDECIDED, b: { run: string; time: number } | typeof UNDECIDED): boolean {
  return a === UNDECIDED || b === UNDECIDED ? a === b : a.run === b.run && a.time === b.time;
}

function runKey(parts: string[]): string {
  return parts.length === 0 ? '' : parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
}

/** The time of the Date at a path, UNDECIDED, or null when it holds no valid Date. */
function dateKeyAt(doc: Doc, path: string[]): number | typeof UNDECIDED | null {
  const value = simpleValueAt(doc, path);
  if (value === UNDECIDED) return UNDECIDED;
  if (!(value instanceof Date)) return null;
  const time = value.getTime();
  return Number.isNaN(time) ? null : time;
}

/** Documents and sequences sorted by sequence. */
function bySequence(docs: Doc[], seqs: number[]): Listed {
  const order = Array.from(docs.keys()).sort((a, b) => (seqs[a] as number) - (seqs[b] as number));
  return { docs: order.map((i) => docs[i] as Doc), seqs: order.map((i) => seqs[i] as number) };
}

/** Lists sorted by sequence merged into one (few lists: a linear pick of the smallest head). */
function mergeBySequence(lists: Listed[]): Doc[] {
  const live = lists.filter((list) => list.docs.length > 0);
  if (live.length === 0) return [];
  if (live.length === 1) return (live[0] as Listed).docs;
  const heads = live.map(() => 0);
  const merged: Doc[] = [];
  for (;;) {
    let best = -1;
    let bestSeq = Infinity;
    for (let l = 0; l < live.length; l++) {
      const { seqs } = live[l] as Listed;
      const head = heads[l] as number;
      if (head >= seqs.length) continue;
      const seq = seqs[head] as number;
      if (seq < bestSeq) {
        bestSeq = seq;
        best = l;
      }
    }
    if (best < 0) return merged;
    merged.push((live[best] as Listed).docs[heads[best] as number] as Doc);
    heads[best]!++;
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
 * `$lte` or `$eq` with a valid Date (or is a Date), or `$in` of valid Dates
 * only: a document matching it holds a date within them. null when it
 * bounds no date that way.
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
    // Only Dates: a match holds one of them.
    if (operator === '$in' && Array.isArray(operand) && operand.length > 0 && operand.every(valid)) {
      const times = operand.map((date) => date.getTime());
      raise(Math.min(...times), true);
      lower(Math.max(...times), true);
      continue;
    }
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

/** A condition that is only an equality with strings, numbers or booleans (`v`, `{$eq: v}`, `{$in: [...]}`): a range index's prefix answers it exactly. */
export function isEquality(condition: unknown): boolean {
  if (isScalar(condition)) return true;
  if (!isPlainObject(condition)) return false;
  const operators = Object.keys(condition);
  return operators.length === 1 && equalityValues(condition) !== null;
}

/** A condition that is only bounds on a date (a Date, or `$gt`/`$gte`/`$lt`/`$lte`/`$eq` of valid Dates): a range index answers it exactly. */
export function isDateRange(condition: unknown): boolean {
  const valid = (value: unknown) => value instanceof Date && !Number.isNaN(value.getTime());
  if (valid(condition)) return true;
  if (!isPlainObject(condition)) return false;
  const entries = Object.entries(condition);
  return entries.length > 0 && entries.every(([operator, operand]) => ['$gt', '$gte', '$lt', '$lte', '$eq'].includes(operator) && valid(operand));
}
