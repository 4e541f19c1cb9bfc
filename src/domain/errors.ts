// Errors a user can act on. They are GraphQLErrors carrying extensions.code,
// so the API shows them as they are while anything unexpected stays masked.
import { GraphQLError } from 'graphql';

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

export class DeskError extends GraphQLError {
  constructor(
    readonly code: DeskErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    // The name stays 'GraphQLError': yoga recognises errors to show (not mask) by it.
    super(message, { extensions: { code, ...extra } });
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
