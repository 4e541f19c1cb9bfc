// The GraphQL edge of the domain's errors: a DeskError becomes a GraphQL error
// with extensions.code (and its details), keeping the location graphql-js gave
// it; anything else unexpected is masked. Both transports ask here (yoga's
// maskedErrors for HTTP, the graphql-ws layer for sockets), so a client reads
// the same error whichever way it came.
import { GraphQLError } from 'graphql';
import { DeskError } from '../domain/errors.js';

function asDeskError(error: unknown): DeskError | null {
  // graphql-js wraps what a resolver throws (once per layer that located it).
  let current: unknown = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current instanceof DeskError ? current : null;
}

/** The GraphQL error a client sees for a DeskError (bare or as the cause graphql-js wrapped), or null for anything else. */
export function deskErrorAsGraphQL(error: unknown): GraphQLError | null {
  const desk = asDeskError(error);
  if (!desk) return null;
  const located = error instanceof GraphQLError ? error : null;
  return new GraphQLError(desk.message, {
    nodes: located?.nodes ?? null,
    source: located?.source ?? null,
    positions: located?.positions ?? null,
    path: located?.path ?? null,
    extensions: { code: desk.code, ...desk.details },
  });
}

/** A GraphQL error raised on purpose (by graphql-js, a scalar, yoga, armor): shown as it is. */
export function isDeliberateGraphQLError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError)) return false;
  const cause = error.originalError;
  return cause == null || cause instanceof GraphQLError;
}
