import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ZodPlugin from '@pothos/plugin-zod';
import { GraphQLError, Kind } from 'graphql';
import { DeskError, badInput, unauthenticated } from '../domain/errors.js';
import type { AgentDoc } from '../domain/model.js';
import type { GraphQLContext } from './context.js';
import { isSharedContext } from './live.js';

/** The context of a field behind `authenticated` or `admin`: the viewer is known (t.withAuth narrows to it). */
export type AuthenticatedContext = GraphQLContext & { viewer: AgentDoc };

/**
 * The `field` a client highlights: the argument's name, or for an input
 * object the path inside it (`createAgent(input: {email})` → "email").
 */
function fieldOf(path: readonly PropertyKey[]): string | undefined {
  const names = (path.length > 1 ? path.slice(1) : path).map(String);
  return names.length ? names.join('.') : undefined;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: { authenticated: boolean; admin: boolean };
  AuthContexts: { authenticated: AuthenticatedContext; admin: AuthenticatedContext };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  // scope-auth must come first so it wraps every other plugin's resolvers.
  plugins: [ScopeAuthPlugin, RelayPlugin, ZodPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // A shared subscription execution has no viewer, only its subscribers' role (every socket is signed in).
    authScopes: (context) =>
      isSharedContext(context)
        ? { authenticated: true, admin: context.role === 'ADMIN' }
        : { authenticated: context.viewer !== null, admin: context.viewer?.role === 'ADMIN' },
    unauthorizedError: (_parent, context) =>
      isSharedContext(context) || context.viewer ? new DeskError('FORBIDDEN', 'this operation needs the ADMIN role') : unauthenticated(),
  },
  relay: { clientMutationId: 'omit', cursorType: 'String', nodeQueryOptions: false, nodesQueryOptions: false },
  zod: {
    validationError: (error) => {
      const first = error.issues[0];
      return badInput(error.issues.map((i) => `${fieldOf(i.path) ?? 'input'}: ${i.message}`).join('; '), first ? fieldOf(first.path) : undefined);
    },
  },
});

function toDateTime(value: unknown): Date {
  const date = value instanceof Date ? value : new Date(value as string);
  if (typeof value !== 'string' && !(value instanceof Date) && typeof value !== 'number') throw new GraphQLError('DateTime must be an ISO 8601 string');
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`"${String(value)}" is not a valid ISO 8601 DateTime`);
  return date;
}

builder.scalarType('DateTime', {
  description: 'An ISO 8601 instant, e.g. 2026-11-25T09:30:00.000Z',
  // Events reach subscribers over Redis as JSON, so Dates may arrive as strings.
  serialize: (value) => toDateTime(value).toISOString(),
  parseValue: (value) => toDateTime(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return toDateTime(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => {
    const read = (node: typeof ast): unknown => {
      switch (node.kind) {
        case Kind.STRING:
        case Kind.BOOLEAN:
          return node.value;
        case Kind.INT:
        case Kind.FLOAT:
          return Number(node.value);
        case Kind.NULL:
          return null;
        case Kind.LIST:
          return node.values.map(read);
        case Kind.OBJECT:
          return Object.fromEntries(node.fields.map((f) => [f.name.value, read(f.value)]));
        default:
          throw new GraphQLError('JSON literal cannot use variables inside');
      }
    };
    return read(ast);
  },
});

builder.scalarType('File', {
  description: 'A file sent as a part of a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec). Input only.',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  parseValue: (value) => {
    // Yoga hands over its fetch implementation's File, which need not be Node's own class.
    const file = value as Partial<File> | null;
    if (typeof file?.arrayBuffer !== 'function' || typeof file.type !== 'string') {
      throw new GraphQLError('File must be sent as a part of a multipart request (graphql-multipart-request-spec)');
    }
    return value as File;
  },
  parseLiteral: () => {
    throw new GraphQLError('File cannot be written inline: send it as a part of a multipart request');
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
