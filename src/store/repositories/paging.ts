import type { Filter } from '../port.js';

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
