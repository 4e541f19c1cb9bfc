// The updates the desk makes on almost every write ($set, $unset and $inc of
// plain field paths; $max/$min of a number or Date over the same kind, null
// or nothing; $addToSet of strings, numbers or booleans) applied directly.
// mingo's updater is general (array filters, positional paths, pipelines)
// but builds a fresh compute context and registers its operators on every
// call, which made it the engine's top cost under webhook load. Anything outside this narrow shape returns null
// and goes to mingo, which stays the reference for every other operator.
import { comparableKey, copyValue, isPlainObject, isScalar, type Scalar } from './values.js';

type Operator = '$set' | '$unset' | '$inc' | '$max' | '$min' | '$addToSet';
const SIMPLE_OPERATORS = new Set<string>(['$set', '$unset', '$inc', '$max', '$min', '$addToSet']);

type Step = { op: Operator; path: string[]; value: unknown };

/**
 * Applies `update` to `doc` in place when every operator and path is simple;
 * returns whether anything changed, or null (doc untouched) when mingo must
 * do it.
 */
export function applySimpleUpdate(doc: Record<string, unknown>, update: Record<string, unknown>): boolean | null {
  const steps: Step[] = [];
  for (const [op, fields] of Object.entries(update)) {
    if (!SIMPLE_OPERATORS.has(op) || !isPlainObject(fields)) return null;
    for (const [path, value] of Object.entries(fields)) {
      const segments = path.split('.');
      // Array indexes, positional operators and empty segments need mingo's rules.
      if (segments.some((s) => s === '' || s.startsWith('$') || /^\d+$/.test(s))) return null;
      if (op === '$inc' && typeof value !== 'number') return null;
      if ((op === '$max' || op === '$min') && !isOrderable(value)) return null;
      // $addToSet's step holds its elements, read once here.
      const elements = op === '$addToSet' ? addedElements(value) : undefined;
      if (elements === null) return null;
      steps.push({ op: op as Operator, path: segments, value: elements ?? value });
    }
  }
  if (!pathsAreDisjoint(steps) || !steps.every((step) => canWalk(doc, step))) return null;

  let changed = false;
  for (const { op, path, value } of steps) {
    const last = path[path.length - 1] as string;
    if (op === '$unset') {
      const parent = parentOf(doc, path, false);
      if (parent && Object.hasOwn(parent, last)) {
        delete parent[last];
        changed = true;
      }
      continue;
    }
    const parent = parentOf(doc, path, true) as Record<string, unknown>;
    const had = Object.hasOwn(parent, last);
    if (op === '$max' || op === '$min') {
      const current = parent[last] as number | Date | null | undefined;
      // null sorts below every number and Date: $max replaces it, $min keeps it.
      if (current === null && op === '$min') continue;
      if (current !== undefined && current !== null && !(op === '$max' ? +value! > +current : +value! < +current)) continue;
      parent[last] = copyValue(value);
      changed = true;
      continue;
    }
    if (op === '$addToSet') {
      const list = (parent[last] as unknown[] | undefined) ?? [];
      const present = new Set(list.map(comparableKey));
      const before = list.length;
      for (const element of value as Scalar[]) {
        const key = comparableKey(element);
        if (present.has(key)) continue;
        list.push(element);
        present.add(key);
      }
      if (!had || list.length !== before) changed = true;
      parent[last] = list;
      continue;
    }
    const next = op === '$inc' ? ((parent[last] as number | undefined) ?? 0) + (value as number) : copyValue(value);
    if (!had || typeof parent[last] !== typeof next || !sameValue(parent[last], next)) changed = true;
    parent[last] = next;
  }
  return changed;
}

/** MongoDB's equality; a value it cannot compare (a BigInt, say) counts as a change, and the store decides whether it can hold it. */
function sameValue(a: unknown, b: unknown): boolean {
  try {
    return comparableKey(a) === comparableKey(b);
  } catch {
    return false;
  }
}

/** A number or a Date: compared by value, the same way MongoDB orders two of one kind. */
function isOrderable(value: unknown): value is number | Date {
  return (typeof value === 'number' && !Number.isNaN(value)) || (value instanceof Date && !Number.isNaN(value.getTime()));
}

/** $addToSet's elements (one, or `$each`'s list) when all are strings, numbers or booleans; null otherwise. */
function addedElements(value: unknown): Scalar[] | null {
  if (isScalar(value)) return [value];
  if (isPlainObject(value) && Object.keys(value).length === 1 && Array.isArray(value.$each) && value.$each.every(isScalar)) return value.$each;
  return null;
}

/**
 * Every object on the way must be a plain object or missing; an $inc target a
 * number or missing; a $max/$min target missing, null or of the value's own kind; an
 * $addToSet target missing or an array.
 */
function canWalk(doc: Record<string, unknown>, { op, path, value }: Step): boolean {
  let node: unknown = doc;
  for (let i = 0; i < path.length - 1; i++) {
    node = (node as Record<string, unknown>)[path[i] as string];
    if (node === undefined) return true;
    if (!isPlainObject(node)) return op === '$unset' ? node === null : false;
  }
  if (node === undefined) return true;
  const current = (node as Record<string, unknown>)[path[path.length - 1] as string];
  if (op === '$inc') return current === undefined || typeof current === 'number';
  if (op === '$max' || op === '$min') return current === undefined || current === null || (isOrderable(current) && typeof current === typeof value);
  if (op === '$addToSet') return current === undefined || Array.isArray(current);
  return true;
}

function parentOf(doc: Record<string, unknown>, path: string[], create: boolean): Record<string, unknown> | null {
  let node = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    let next = node[key];
    if (!isPlainObject(next)) {
      if (!create) return null;
      next = {};
      node[key] = next;
    }
    node = next as Record<string, unknown>;
  }
  return node;
}

/** MongoDB refuses two operators on one path or on a path and its parent: leave those to mingo's answer. */
function pathsAreDisjoint(steps: Step[]): boolean {
  const joined = steps.map((s) => s.path.join('.')).sort();
  for (let i = 1; i < joined.length; i++) {
    const [a, b] = [joined[i - 1] as string, joined[i] as string];
    if (a === b || b.startsWith(`${a}.`)) return false;
  }
  return true;
}
