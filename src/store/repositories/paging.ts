import type { Filter, Sort } from '../port.js';

/** What @pothos/plugin-relay's resolveCursorConnection asks for: ids are time-ordered, so `_id` is the cursor. */
export interface CursorPage {
  before?: string;
  after?: string;
  limit: number;
  inverted: boolean;
}

/** Pages over `_id` in `direction` (1 oldest first, -1 newest first). */
export function cursorQuery(filter: Filter, page: CursorPage, direction: 1 | -1) {
  const order = (page.inverted ? -direction : direction) as 1 | -1;
  const bounds: Record<string, string> = {};
  const [afterOp, beforeOp] = direction === 1 ? ['$gt', '$lt'] : ['$lt', '$gt'];
  if (page.after) bounds[afterOp] = page.after;
  if (page.before) bounds[beforeOp] = page.before;
  const where = Object.keys(bounds).length ? { $and: [filter, { _id: bounds }] } : filter;
  return { filter: where, options: { sort: { _id: order }, limit: page.limit } };
}

/** A position in a list sorted by one field then `_id`, both in `direction`. */
export interface KeysetPosition {
  value: unknown;
  id: string;
}

export interface KeysetPage {
  after?: KeysetPosition | null;
  before?: KeysetPosition | null;
  limit: number;
  inverted: boolean;
}

/**
 * Pages over (`field`, `_id`) in `direction`: a list ordered by a value that
 * changes (last activity) and still pages without skipping or repeating, as
 * long as the value of a row already shown does not change meanwhile.
 */
export function keysetQuery(filter: Filter, field: string, direction: 1 | -1, page: KeysetPage) {
  const beyond = (position: KeysetPosition, forward: boolean): Filter => {
    const op = (direction === 1) === forward ? '$gt' : '$lt';
    return { $or: [{ [field]: { [op]: position.value } }, { [field]: position.value, _id: { [op]: position.id } }] };
  };
  const and: Filter[] = [filter];
  if (page.after) and.push(beyond(page.after, true));
  if (page.before) and.push(beyond(page.before, false));
  const order = (page.inverted ? -direction : direction) as 1 | -1;
  const sort: Sort = { [field]: order, _id: order };
  return { filter: and.length > 1 ? { $and: and } : filter, options: { sort, limit: page.limit } };
}
