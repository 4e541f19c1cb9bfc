// Bearer credentials as RFC 6750 §2.1 writes them: `Bearer <token>`, the
// scheme case-insensitive. The same parser serves the HTTP Authorization
// header and graphql-ws `connectionParams.authorization`. The token itself is
// any run of non-space characters rather than strictly b64token, because
// ADMIN_TOKEN is whatever the operator put in the environment.

export type Credentials =
  /** Nothing presented: the caller is anonymous and the schema decides what that may do. */
  | { kind: 'anonymous' }
  | { kind: 'bearer'; token: string }
  /** Something presented that is not a bearer token: refused, never treated as anonymous. */
  | { kind: 'malformed' };

const BEARER = /^Bearer[ \t]+(\S+)$/i;

export function parseBearer(value: unknown): Credentials {
  if (value === undefined || value === null) return { kind: 'anonymous' };
  if (typeof value !== 'string') return { kind: 'malformed' };
  if (value.trim() === '') return { kind: 'anonymous' };
  const match = BEARER.exec(value.trim());
  return match ? { kind: 'bearer', token: match[1]! } : { kind: 'malformed' };
}
