// Errors a user can act on, each with a stable code. The domain knows nothing
// of GraphQL: the API edge (src/graphql/errors.ts) shows a DeskError as a
// GraphQL error with extensions.code, while anything unexpected stays masked.
// Plugins and the job runners read `code` directly.

export type DeskErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'SERVICE_WINDOW_CLOSED'
  | 'CONFLICT'
  | 'WHATSAPP_NOT_CONFIGURED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'QUERY_TOO_COMPLEX';

export class DeskError extends Error {
  /** What a client may read besides the code (a `field` to highlight, `retryAfter` seconds, …). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: DeskErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DeskError';
    this.details = details;
  }
}

export const notFound = (what: string, id: string) => new DeskError('NOT_FOUND', `${what} ${id} not found`);
export const forbidden = (message: string) => new DeskError('FORBIDDEN', message);
export const conflict = (message: string, field?: string) => new DeskError('CONFLICT', message, field ? { field } : {});
export const badInput = (message: string, field?: string) => new DeskError('BAD_USER_INPUT', message, field ? { field } : {});
/** A dependency (Redis) is unreachable: the operation failed fast, nothing was half done. */
export const unavailable = (dependency: string, cause?: unknown) =>
  new DeskError('UNAVAILABLE', `${dependency} is unreachable right now; try again shortly`, cause instanceof Error ? { reason: cause.message } : {});
export const rateLimited = (retryAfterSeconds: number) =>
  new DeskError('RATE_LIMITED', `Too many attempts; retry in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
export const unauthenticated = (message = 'a valid bearer token is required') => new DeskError('UNAUTHENTICATED', message);
