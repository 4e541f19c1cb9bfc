import type { Doc, IndexSpec } from '../port.js';
import { comparableKey, isPlainObject, valueAt } from './values.js';

/** A unique index: its key string → the `_id` holding it. */
export class UniqueIndex {
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
export class ValueLookup {
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
export function equalityValues(condition: unknown): unknown[] | null {
  if (isLookupScalar(condition)) return [condition];
  if (!isPlainObject(condition)) return null;
  if ('$eq' in condition) return isLookupScalar(condition.$eq) ? [condition.$eq] : null;
  const list = condition.$in;
  if (Array.isArray(list) && list.every(isLookupScalar)) return list;
  return null;
}
