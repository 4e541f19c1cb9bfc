// The updates the desk makes on almost every write ($set, $unset and $inc of
// plain field paths) applied directly. mingo's updater is general (array
// filters, positional paths, pipelines) but builds a fresh compute context
// and registers its operators on every call, which made it the engine's top
// cost under webhook load. Anything outside this narrow shape returns null
// and goes to mingo, which stays the reference for every other operator.
import { comparableKey, copyValue, isPlainObject } from './values.js';

const SIMPLE_OPERATORS = new Set(['$set', '$unset', '$inc']);

type Step = { op: '$set' | '$unset' | '$inc'; path: string[]; value: unknown };

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
      steps.push({ op: op as Step['op'], path: segments, value });
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

/** Every object on the way must be a plain object or missing; an $inc target a number or missing. */
function canWalk(doc: Record<string, unknown>, { op, path }: Step): boolean {
  let node: unknown = doc;
  for (let i = 0; i < path.length - 1; i++) {
    node = (node as Record<string, unknown>)[path[i] as string];
    if (node === undefined) return true;
    if (!isPlainObject(node)) return op === '$unset' ? node === null : false;
  }
  if (op === '$inc') {
    const current = (node as Record<string, unknown>)[path[path.length - 1] as string];
    return current === undefined || typeof current === 'number';
  }
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
