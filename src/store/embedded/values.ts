/** A copy of a stored value: plain objects, arrays and Dates by hand (fast), anything else through structuredClone. */
export function copyValue<V>(value: V): V {
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

/** One string per value that MongoDB compares as equal: 1 and 1.0 alike, "1" and 1 apart, Dates by time. */
export function comparableKey(value: unknown): string {
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

export function valueAt(doc: unknown, path: string[]): unknown {
  let value = doc;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** A value a lookup or a single-field unique index keys by itself: Map's SameValueZero equality is MongoDB's for these (1 and 1.0 alike, 0 and -0 too, "1" and 1 apart). */
export type Scalar = string | number | boolean;

/** A string, a boolean or a number other than NaN. */
export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// ---- stored form ----
//
// A million stored messages repeat the same few strings (a direction, a
// status, the conversation and customer they belong to) and each carries
// several Dates with the same time (sentAt, statusAt, createdAt, updatedAt).
// Decoding and copying make a new string and a new Date for every one: about
// half the heap. A document entering the collection is compacted in place:
// its strings are interned, and its Dates with one time become one Date.
// Stored documents are never modified and never handed out (callers get
// copies, which copy each Date apart), so the sharing cannot be observed.

/** Longer strings (a message's text, say) are rarely repeated and stay as they are. */
const INTERN_MAX_LENGTH = 200;
/** Null-prototype objects are dictionary-mode in V8: adding and deleting keys reuses one hash table, not a hidden class per key. */
const internProbe: Record<string, number> = Object.create(null) as Record<string, number>;

/**
 * The string, made V8's one copy of its content: a property name is
 * internalized (kept once in V8's string table, which forgets strings nothing
 * else holds), and the string used as the name becomes that copy, or a thin
 * pointer to it that the next garbage collection replaces by the copy itself.
 * A sliced string (decoders cut strings out of a larger one) lets go of the
 * larger one that way too. Strings that read as array indexes stay as they are.
 */
export function interned(value: string): string {
  if (value.length <= INTERN_MAX_LENGTH) {
    internProbe[value] = 0;
    delete internProbe[value];
  }
  return value;
}

/**
 * Compacts a document the collection is about to store (its own fresh copy
 * or decoded record) in place: strings interned except at `unique` top-level
 * fields (`_id`, unique keys: one document each, nothing to share), Dates of
 * equal time shared. With `previous` (the stored version an update replaces),
 * unchanged values reuse the previous version's, which is already compact.
 */
export function compactStored(doc: Record<string, unknown>, previous: Record<string, unknown> | null, unique: ReadonlySet<string>): void {
  const dates: Date[] = [];
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    if (value === null || (typeof value !== 'object' && typeof value !== 'string')) continue;
    const old = previous?.[key];
    let next: unknown;
    if (typeof value === 'string') next = value === old || unique.has(key) ? value : interned(value);
    else if (value instanceof Date) next = sharedDate(old instanceof Date && old.getTime() === value.getTime() ? old : value, dates);
    else next = value === old ? value : compactValue(value, dates);
    if (next !== value) doc[key] = next;
  }
}

function compactValue(value: unknown, dates: Date[]): unknown {
  if (typeof value === 'string') return interned(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return sharedDate(value, dates);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const next = compactValue(value[i], dates);
      if (next !== value[i]) value[i] = next;
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const next = compactValue(value[key], dates);
      if (next !== value[key]) value[key] = next;
    }
  }
  return value;
}

/** The document's Date with this time, this one if it is the first. */
function sharedDate(date: Date, dates: Date[]): Date {
  const time = date.getTime();
  for (const seen of dates) if (seen.getTime() === time) return seen;
  dates.push(date);
  return date;
}
