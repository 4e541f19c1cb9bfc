import type { Doc } from '../port.js';
import { copyValue, isPlainObject } from './values.js';

// mingo evaluates a $group through its general expression machinery: about
// 0.6 µs a document for a field-path key and 2.9 µs for an object key or an
// expression, a third of the support metrics' time over a million messages.
// The common shapes compile here to plain JavaScript computing what MongoDB
// computes. Where this code cannot be sure of MongoDB's answer (an array on a
// path, a fractional sum, NaN or -0 compared, a missing value pushed, ...)
// it decides nothing: the stage gives null and mingo runs it, as before.

/** A value this code cannot produce exactly as MongoDB would. */
const UNDECIDED = Symbol('undecided');

type Getter = (doc: Doc) => unknown;

export type GroupRow = Record<string, unknown> & { _id: unknown };

/** Runs the stage over the documents, or gives null when one of them holds a value only mingo handles. */
export type CompiledGroup = (docs: Iterable<Doc>) => GroupRow[] | null;

/**
 * Compiles a `$group` specification whose `_id` is null, a field path, one
 * of the expressions below, or an object of those; and whose accumulators
 * are `$sum` of an integer literal or a field path, and `$avg`, `$max`,
 * `$min`, `$first`, `$last` or `$push` of a field path. The expressions are
 * `$toLong`, `$floor`, `$divide` and `$subtract` of field paths, finite
 * number literals and each other (a quarter-hour bucket is
 * `{$floor: {$divide: [{$toLong: '$at'}, 900000]}}`). Any other
 * specification gives null. Rows come out in the order their groups first
 * appear, as mingo's do, and share no value with the documents read.
 */
export function compileSimpleGroup(spec: unknown): CompiledGroup | null {
  if (!isPlainObject(spec) || !('_id' in spec)) return null;
  const key = compileKey(spec._id);
  if (!key) return null;
  const fields: string[] = [];
  const accumulators: Accumulator[] = [];
  for (const [field, operator] of Object.entries(spec)) {
    if (field === '_id') continue;
    // Names MongoDB rejects: mingo decides what to do with them.
    if (field === '' || field.startsWith('$') || field.includes('.')) return null;
    const accumulator = compileAccumulator(operator);
    if (!accumulator) return null;
    fields.push(field);
    accumulators.push(accumulator);
  }
  const count = accumulators.length;

  return (docs) => {
    const groups: Group[] = [];
    const groupOf = key.lookup((doc) => {
      const group: Group = { id: key.idOf(doc), slots: accumulators.map((accumulator) => accumulator.start()) };
      groups.push(group);
      return group;
    });
    for (const doc of docs) {
      const group = groupOf(doc);
      if (group === UNDECIDED) return null;
      for (let i = 0; i < count; i++) {
        if (!(accumulators[i] as Accumulator).add(group.slots[i] as Slot, doc)) return null;
      }
    }
    const rows: GroupRow[] = [];
    for (const group of groups) {
      const row: GroupRow = { _id: copyValue(group.id) };
      for (let i = 0; i < count; i++) {
        const value = (accumulators[i] as Accumulator).result(group.slots[i] as Slot);
        if (value === UNDECIDED) return null;
        row[fields[i] as string] = copyValue(value);
      }
      rows.push(row);
    }
    return rows;
  };
}

interface Group {
  id: unknown;
  slots: Slot[];
}

// ---- the group key ----

interface CompiledKey {
  /** A fresh lookup from a document to its group, made by `create` from the group's first document. */
  lookup(create: (doc: Doc) => Group): (doc: Doc) => Group | typeof UNDECIDED;
  /** The group's `_id`, from its first document. */
  idOf(doc: Doc): unknown;
}

/** A missing field of an object `_id`, apart from a null one. */
const MISSING = Symbol('missing');

function compileKey(id: unknown): CompiledKey | null {
  if (id === null) {
    return {
      lookup: (create) => {
        let only: Group | undefined;
        return (doc) => (only ??= create(doc));
      },
      idOf: () => null,
    };
  }
  if (isPlainObject(id)) {
    const names = Object.keys(id);
    if (names.length > 0 && names.every((name) => !name.startsWith('$'))) return compileObjectKey(id, names);
  }
  const value = compileExpression(id);
  if (!value) return null;
  return {
    lookup: (create) => lookupBy([(doc) => scalarKey(value(doc))], create),
    // A missing value groups with null, and the group's _id is null (MongoDB's `$group` docs, "_id: null").
    idOf: (doc) => value(doc) ?? null,
  };
}

/**
 * `{type: '$type', agentId: '$agentId', ...}`: MongoDB leaves a missing
 * value's field out of the `_id` (which then differs from one holding null),
 * so documents share a group when each field is missing in both or equal in
 * both.
 */
function compileObjectKey(id: Record<string, unknown>, names: string[]): CompiledKey | null {
  if (names.some((name) => name === '' || name.includes('.'))) return null;
  const values: Getter[] = [];
  for (const name of names) {
    const value = compileExpression(id[name]);
    if (!value) return null;
    values.push(value);
  }
  const parts = values.map((value): Getter => (doc) => {
    const part = value(doc);
    return part === undefined ? MISSING : scalarKey(part);
  });
  return {
    lookup: (create) => lookupBy(parts, create),
    idOf: (doc) => {
      const result: Record<string, unknown> = {};
      names.forEach((name, i) => {
        const part = (values[i] as Getter)(doc);
        if (part !== undefined) result[name] = part;
      });
      return result;
    },
  };
}

/** One level of the lookup: Dates by instant, apart from the numbers that share it; everything else as a Map key. */
interface Level {
  values: Map<unknown, unknown>;
  times: Map<number, unknown>;
}

const newLevel = (): Level => ({ values: new Map(), times: new Map() });

/** Maps of maps, one level per key part (no string built per document): the last level holds the groups. */
function lookupBy(parts: Getter[], create: (doc: Doc) => Group): (doc: Doc) => Group | typeof UNDECIDED {
  const root = newLevel();
  const last = parts.length - 1;
  return (doc) => {
    let level = root;
    for (let i = 0; ; i++) {
      const part = (parts[i] as Getter)(doc);
      if (part === UNDECIDED) return UNDECIDED;
      const date = part instanceof Date;
      const found = date ? level.times.get(part.getTime()) : level.values.get(part);
      if (found !== undefined) {
        if (i === last) return found as Group;
        level = found as Level;
        continue;
      }
      const made = i === last ? create(doc) : newLevel();
      if (date) level.times.set(part.getTime(), made);
      else level.values.set(part, made);
      if (i === last) return made as Group;
      level = made as Level;
    }
  };
}

/**
 * A group key value as a Map key: null for null or missing, strings,
 * numbers (NaN groups with NaN in both MongoDB and a Map), booleans and
 * valid Dates as they are. -0 is MongoDB's 0 but would show its sign in the
 * `_id`; arrays, objects and the rest compare as MongoDB's documents do,
 * not as JavaScript's: all of them go to mingo.
 */
function scalarKey(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Object.is(value, -0) ? UNDECIDED : value;
    case 'object':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value : UNDECIDED;
    default:
      return UNDECIDED;
  }
}

// ---- expressions ----

/**
 * `$a.b`: the value at a path through plain objects; a step through null or
 * a scalar makes it missing, as in MongoDB. A step through an array (MongoDB
 * maps the rest of the path over its elements) or any other object gives
 * UNDECIDED. The final value is returned as it is, arrays included.
 */
function compileFieldPath(expr: unknown): Getter | null {
  if (typeof expr !== 'string' || !expr.startsWith('$') || expr.startsWith('$$')) return null;
  const segments = expr.slice(1).split('.');
  // Numeric segments are array indexes to mingo, field names to MongoDB; Object.prototype's names are not fields.
  if (segments.some((segment) => segment === '' || segment.startsWith('$') || /^\d+$/.test(segment) || segment in Object.prototype)) return null;
  const last = segments.length - 1;
  const leaf = segments[last] as string;
  if (last === 0) return (doc) => (doc as Record<string, unknown>)[leaf];
  return (doc) => {
    let value: unknown = doc;
    for (let i = 0; i < last; i++) {
      value = (value as Record<string, unknown>)[segments[i] as string];
      if (value === undefined || value === null || typeof value !== 'object') return undefined;
      if (!isPlainObject(value)) return UNDECIDED;
    }
    return (value as Record<string, unknown>)[leaf];
  };
}

/** A field path or one of the arithmetic expressions MongoDB's metrics pipelines use. */
function compileExpression(expr: unknown): Getter | null {
  const path = compileFieldPath(expr);
  if (path) return path;
  if (!isPlainObject(expr)) return null;
  const operators = Object.keys(expr);
  if (operators.length !== 1) return null;
  const operator = operators[0] as string;
  const arg = expr[operator];
  switch (operator) {
    case '$toLong': {
      const value = compileOperand(arg);
      return value && ((doc) => toLong(value(doc)));
    }
    case '$floor': {
      const value = compileOperand(arg);
      return value && ((doc) => floor(value(doc)));
    }
    case '$divide':
    case '$subtract': {
      if (!Array.isArray(arg) || arg.length !== 2) return null;
      const left = compileOperand(arg[0]);
      const right = compileOperand(arg[1]);
      if (!left || !right) return null;
      const apply = operator === '$divide' ? divide : subtract;
      return (doc) => apply(left(doc), right(doc));
    }
    default:
      return null;
  }
}

function compileOperand(expr: unknown): Getter | null {
  if (typeof expr === 'number') return Number.isFinite(expr) ? () => expr : null;
  return compileExpression(expr);
}

/**
 * MongoDB's $toLong: null for null or missing, 1 or 0 for a boolean, a
 * Date's milliseconds, a number truncated toward zero. Within ±(2^53 - 1)
 * only, where a double holds every long (mingo's own limit, too); strings,
 * NaN and infinities (parsed or refused differently by the two) go to mingo.
 */
function toLong(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) {
    const time = value.getTime();
    return Number.isNaN(time) ? UNDECIDED : time;
  }
  if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return Math.trunc(value);
  return UNDECIDED;
}

/** MongoDB's $floor: null for null or missing, NaN and infinities kept; anything but a number is an error. */
function floor(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return typeof value === 'number' ? Math.floor(value) : UNDECIDED;
}

/** MongoDB's $divide: null when either side is null or missing; a zero divisor is an error, and NaN one to mingo. */
function divide(left: unknown, right: unknown): unknown {
  if (left === UNDECIDED || right === UNDECIDED) return UNDECIDED;
  if (left === undefined || left === null || right === undefined || right === null) return null;
  if (typeof left !== 'number' || typeof right !== 'number' || Number.isNaN(left) || Number.isNaN(right) || right === 0) return UNDECIDED;
  return left / right;
}

/**
 * MongoDB's $subtract: null when either side is null or missing; numbers
 * give their difference, two Dates their distance in milliseconds, a Date
 * less a whole number of milliseconds a Date. A fractional number of
 * milliseconds is rounded one way by mingo and may be another by MongoDB.
 */
function subtract(left: unknown, right: unknown): unknown {
  if (left === UNDECIDED || right === UNDECIDED) return UNDECIDED;
  if (left === undefined || left === null || right === undefined || right === null) return null;
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  if (!(left instanceof Date) || Number.isNaN(left.getTime())) return UNDECIDED;
  if (right instanceof Date) return Number.isNaN(right.getTime()) ? UNDECIDED : left.getTime() - right.getTime();
  if (!Number.isSafeInteger(right)) return UNDECIDED;
  const result = new Date(left.getTime() - (right as number));
  return Number.isNaN(result.getTime()) ? UNDECIDED : result;
}

// ---- accumulators ----

interface Slot {
  value: unknown;
  total: number;
  count: number;
  seen: boolean;
}

interface Accumulator {
  start(): Slot;
  /** Takes in one document of the group; false when it holds a value only mingo handles. */
  add(slot: Slot, doc: Doc): boolean;
  result(slot: Slot): unknown;
}

const emptySlot = (): Slot => ({ value: undefined, total: 0, count: 0, seen: false });

function compileAccumulator(operator: unknown): Accumulator | null {
  if (!isPlainObject(operator)) return null;
  const names = Object.keys(operator);
  if (names.length !== 1) return null;
  const name = names[0] as string;
  const arg = operator[name];
  // -0 counts to -0 in mingo and to 0 in MongoDB.
  if (name === '$sum' && typeof arg === 'number') return Number.isSafeInteger(arg) && !Object.is(arg, -0) ? countTimes(arg) : null;
  const value = compileFieldPath(arg);
  if (!value) return null;
  switch (name) {
    case '$sum':
      return sumOf(value, false);
    case '$avg':
      return sumOf(value, true);
    case '$max':
      return extremeOf(value, 1);
    case '$min':
      return extremeOf(value, -1);
    case '$first':
      return firstOf(value);
    case '$last':
      return lastOf(value);
    case '$push':
      return pushOf(value);
    default:
      return null;
  }
}

/** `{$sum: 1}` counts the group's documents; `{$sum: k}` is k times that. */
function countTimes(k: number): Accumulator {
  return {
    start: emptySlot,
    add: (slot) => {
      slot.count++;
      return true;
    },
    result: (slot) => {
      const total = slot.count * k;
      return Number.isSafeInteger(total) ? total : UNDECIDED;
    },
  };
}

/**
 * $sum and $avg ignore whatever is not a number (null, missing, strings,
 * Dates, arrays). Only whole numbers are added here, while the total stays
 * within 2^53: such sums are exact, like MongoDB's. With fractions MongoDB
 * adds in double-double precision and mingo in plain doubles, and their
 * last digits can differ; and mingo skips NaN where MongoDB returns it.
 */
function sumOf(value: Getter, average: boolean): Accumulator {
  return {
    start: emptySlot,
    add: (slot, doc) => {
      const v = value(doc);
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) return false;
        slot.total += v;
        slot.count++;
        return Number.isSafeInteger(slot.total);
      }
      // A BigInt would be a long to MongoDB; mingo ignores it.
      return v !== UNDECIDED && typeof v !== 'bigint';
    },
    result: (slot) => (average ? (slot.count === 0 ? null : slot.total / slot.count) : slot.total),
  };
}

/**
 * $max (sense 1) and $min (-1) ignore null and missing values, and compare
 * across types in BSON's order: numbers < strings < booleans < Dates (the
 * order mingo follows too). Ties keep the first value, as MongoDB does.
 * NaN and -0 (which mingo does not order as MongoDB does), strings with
 * surrogate pairs (MongoDB compares UTF-8 bytes, JavaScript UTF-16 units,
 * and the orders differ only there), objects and arrays go to mingo.
 */
function extremeOf(value: Getter, sense: 1 | -1): Accumulator {
  return {
    start: emptySlot,
    // The slot's count holds the kept value's rank.
    add: (slot, doc) => {
      const v = value(doc);
      if (v === undefined || v === null) return true;
      const rank = bsonRank(v);
      if (rank === 0) return false;
      if (!slot.seen || compareRanked(v, rank, slot.value, slot.count) * sense > 0) {
        slot.value = v;
        slot.count = rank;
        slot.seen = true;
      }
      return true;
    },
    result: (slot) => (slot.seen ? slot.value : null),
  };
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** BSON's comparison order of the types handled here (1 numbers, 2 strings, 3 booleans, 4 Dates); 0 for the rest. */
function bsonRank(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) || Object.is(value, -0) ? 0 : 1;
    case 'string':
      return SURROGATE.test(value) ? 0 : 2;
    case 'boolean':
      return 3;
    case 'object':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? 4 : 0;
    default:
      return 0;
  }
}

function compareRanked(a: unknown, rankA: number, b: unknown, rankB: number): number {
  if (rankA !== rankB) return rankA - rankB;
  const x = a instanceof Date ? a.getTime() : (a as number | string | boolean);
  const y = b instanceof Date ? b.getTime() : (b as number | string | boolean);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** MongoDB's $first: the first document's value, null when it is missing there (whatever the later documents hold). */
function firstOf(value: Getter): Accumulator {
  return {
    start: emptySlot,
    add: (slot, doc) => {
      if (slot.seen) return true;
      const v = value(doc);
      if (v === UNDECIDED) return false;
      slot.value = v;
      slot.seen = true;
      return true;
    },
    result: (slot) => slot.value ?? null,
  };
}

/** MongoDB's $last: the last document's value, null when it is missing there. */
function lastOf(value: Getter): Accumulator {
  return {
    start: emptySlot,
    add: (slot, doc) => {
      const v = value(doc);
      if (v === UNDECIDED) return false;
      slot.value = v;
      return true;
    },
    result: (slot) => slot.value ?? null,
  };
}

/**
 * MongoDB's $push: every document's value, in order. MongoDB leaves a
 * missing value out (accumulator_push.cpp: `if (!input.missing())`) where
 * mingo pushes null: a group with a missing value goes to mingo, so the
 * engine answers the same whichever path runs.
 */
function pushOf(value: Getter): Accumulator {
  return {
    start: () => ({ value: [], total: 0, count: 0, seen: false }),
    add: (slot, doc) => {
      const v = value(doc);
      if (v === UNDECIDED || v === undefined) return false;
      (slot.value as unknown[]).push(v);
      return true;
    },
    result: (slot) => slot.value,
  };
}
