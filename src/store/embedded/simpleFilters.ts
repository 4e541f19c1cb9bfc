import type { Doc, Filter } from '../port.js';
import { isPlainObject } from './values.js';

/** The compiled form cannot decide this document (an array or an unusual value on the path): mingo does. */
export const UNDECIDED = Symbol('undecided');

type FieldTest = (value: unknown) => boolean;

/**
 * Compiles a filter made only of conditions on field paths (joined by $and)
 * with literal scalars (string, finite number, boolean, Date, null) under
 * $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte and $exists. Any other filter
 * gives null. The result answers undefined for a document whose path holds
 * an array or passes through anything but plain objects: MongoDB's array
 * rules are mingo's to apply.
 */
export function compileSimpleFilter(filter: Filter): ((doc: Doc) => boolean | undefined) | null {
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

/** The value at a path through plain objects only; a missing step is `undefined`, anything else UNDECIDED (range indexes keep such documents aside). */
export function simpleValueAt(doc: Doc, path: string[]): unknown {
  let value: unknown = doc;
  for (const segment of path) {
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) return UNDECIDED;
    value = value[segment];
  }
  if (value === undefined || value === null || typeof value !== 'object') return typeof value === 'number' && Number.isNaN(value) ? UNDECIDED : value;
  return value instanceof Date ? value : UNDECIDED;
}
