// Connection paging as clients meet it: page sizes (default and maximum) in
// one table that the resolvers, the schema descriptions and the query cost
// (./queryCost.ts) all read, and arguments checked up front so a client asking
// for a negative page, an oversized one or a cursor this list never gave gets
// BAD_USER_INPUT naming the argument rather than a silent empty page.
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { badInput } from '../domain/errors.js';

/** How many items one page holds: `defaultSize` unless `first`/`last` says otherwise, never more than `maxSize`. */
export interface PageSize {
  defaultSize: number;
  maxSize: number;
}

export const PAGE_SIZES = {
  conversations: { defaultSize: 25, maxSize: 100 },
  messages: { defaultSize: 50, maxSize: 200 },
  events: { defaultSize: 50, maxSize: 200 },
} as const satisfies Record<string, PageSize>;

/** The field extension under which a connection field declares its PageSize (read by the query cost). */
export const PAGE_SIZE_EXTENSION = 'pageSize';

export const pageSizeExtensions = (size: PageSize): Record<string, unknown> => ({ [PAGE_SIZE_EXTENSION]: size });

/** "25 per page unless first/last says otherwise, at most 100" for a field description. */
export const pageSizeText = (size: PageSize): string => `${size.defaultSize} per page unless first/last says otherwise, at most ${size.maxSize}`;

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** Stored ids (src/store/ids.ts): 24 lower-case hex characters. Message and timeline cursors are ids. */
export const isIdCursor = (cursor: string): boolean => /^[0-9a-f]{24}$/.test(cursor);

/** Refuses, naming the argument, a page size out of range or a cursor that `isCursor` does not recognise. */
export function checkPageArgs(args: ConnectionArgs, size: PageSize, isCursor: (cursor: string) => boolean): void {
  for (const field of ['first', 'last'] as const) {
    const n = args[field];
    if (n == null) continue;
    if (n < 0) throw badInput(`${field} must be 0 or more`, field);
    if (n > size.maxSize) throw badInput(`${field} is ${n}; a page holds at most ${size.maxSize}`, field);
  }
  for (const field of ['after', 'before'] as const) {
    const cursor = args[field];
    if (cursor != null && !isCursor(cursor)) throw badInput(`${field} is not a cursor from this list`, field);
  }
}

/** resolveCursorConnection with the arguments checked first and the sizes from the table. */
export function cursorConnection<T>(
  args: ConnectionArgs,
  size: PageSize,
  cursor: { toCursor: (item: T) => string; isCursor: (cursor: string) => boolean },
  resolve: (page: ResolveCursorConnectionArgs) => Promise<T[]>,
) {
  checkPageArgs(args, size, cursor.isCursor);
  return resolveCursorConnection({ args, toCursor: cursor.toCursor, defaultSize: size.defaultSize, maxSize: size.maxSize }, resolve);
}
