import type { AnyObject } from 'mingo/types';
import type { Modifier } from 'mingo/updater';
import type { Filter, UpdateDoc } from '../port.js';
import { comparableKey, copyValue, isPlainObject } from './values.js';

export interface ParsedUpdate {
  /** The update without $setOnInsert, which only counts when inserting. */
  update: Modifier<AnyObject>;
  setOnInsert: Record<string, unknown>;
  hasOperators: boolean;
  positional: boolean;
}

export function parseUpdate(update: UpdateDoc): ParsedUpdate {
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
export function seedFromFilter(filter: Filter, doc: Record<string, unknown>): void {
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
