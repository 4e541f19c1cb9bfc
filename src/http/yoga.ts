// The GraphQL engine shared by both transports: one yoga instance whose
// envelop plugins (armor's limits, the desk's query cost, introspection switch, error masking,
// request-error normalisation) run for HTTP requests and for graphql-ws
// operations alike.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import { createYoga, isAsyncIterable, maskError, type CORSOptions, type Plugin, type YogaLogger, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { AgentDoc } from '../domain/model.js';
import { useQueryCost } from '../graphql/queryCost.js';
import { deskErrorAsGraphQL, isDeliberateGraphQLError } from '../graphql/errors.js';

export type Transport = 'http' | 'ws';

/** Who is calling, settled by the transport before GraphQL runs. */
export interface Principal {
  viewer: AgentDoc | null;
  transport: Transport;
  /** The bearer token presented (null: anonymous) and the client's address. */
  credentials: { token: string | null; ip: string };
}

/**
 * What each transport hands yoga. `req` is the Fastify request (HTTP) or the
 * WebSocket upgrade request (graphql-ws); it keys the caller's Principal.
 */
export interface GraphqlServerContext {
  req: object;
}

export type GraphqlYoga = YogaServerInstance<GraphqlServerContext, Record<string, unknown>>;

export interface GraphqlYogaOptions {
  schema: GraphQLSchema;
  config: Pick<Config, 'isProduction' | 'graphql' | 'corsOrigins'>;
  logger: Logger;
  principalOf(req: object): Principal | undefined;
  createContext(viewer: AgentDoc | null, transport: Transport, credentials: Principal['credentials']): object;
}

/** Directive and token ceilings have no setting of their own: generous for any real client, small for an attack. */
const MAX_DIRECTIVES = 50;
const MAX_TOKENS = 5_000;

/** The code every "your request is wrong" failure carries (DESIGN.md's contract codes). */
export const BAD_USER_INPUT = 'BAD_USER_INPUT';

// Codes yoga gives failures of the request itself: unparsable body, syntax,
// validation. Among errors that stop a request before any data, those with no
// code and no underlying exception are of the same kind: graphql-js variable
// coercion (whose cause is the scalar's own GraphQLError) and armor's limits.
const REQUEST_ERROR_CODES = new Set(['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', BAD_USER_INPUT]);

/** For errors that ended an operation before execution produced any data. */
export function isRequestError(error: GraphQLError): boolean {
  const code = error.extensions?.['code'];
  if (typeof code === 'string') return REQUEST_ERROR_CODES.has(code);
  return isDeliberateGraphQLError(error) && error.extensions?.['unexpected'] !== true;
}

/** Restates a request error with the contract's code, keeping yoga's finer code as `reason`. */
/**
 * The input a refused request names, as graphql-js words it:
 * `Variable "$input" got invalid value … at "input.capacity"; …` → "input.capacity",
 * `Variable "$from" got invalid value …` → "from",
 * `Field "metrics" argument "to" of type "DateTime!" is required, …` → "to".
 */
export function variableField(message: string): string | null {
  const variable = /^Variable "\$([^"]+)" (?:got invalid value|of required type|of non-null type)/.exec(message);
  if (variable) return /\bat "([^"]+)"/.exec(message)?.[1] ?? variable[1] ?? null;
  return /^Field "[^"]+" argument "([^"]+)" of type "[^"]+" is required/.exec(message)?.[1] ?? null;
}

export function asBadUserInput(error: GraphQLError): GraphQLError {
  const { code, ...extensions } = error.extensions ?? {};
  const field = extensions['field'] ?? variableField(error.message);
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: {
      ...extensions,
      code: BAD_USER_INPUT,
      ...(field ? { field } : {}),
      ...(typeof code === 'string' && code !== BAD_USER_INPUT ? { reason: code } : {}),
    },
  });
}

/**
 * A request GraphQL refused before running it answers 400 whatever the client
 * accepts; yoga, following GraphQL-over-HTTP, would answer 200 to
 * `Accept: application/json`, which hides the mistake from HTTP tooling.
 */
function useRequestErrorsAsBadUserInput(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      if ('data' in result || !result.errors?.length) return;
      const errors = result.errors as readonly GraphQLError[];
      if (!errors.every((e) => e instanceof GraphQLError && isRequestError(e))) return;
      const http = (result.extensions?.['http'] ?? {}) as Record<string, unknown>;
      setResult({ ...result, errors: errors.map(asBadUserInput), extensions: { ...result.extensions, http: { ...http, status: 400 } } });
    },
  };
}

function useIntrospectionSwitch(enabled: boolean): Plugin | false {
  if (enabled) return false;
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/** Yoga's logger speaks console; pino wants an object first. */
function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, first.message);
      else logger[level](rest.length > 0 ? { details: rest } : {}, String(first));
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}

/**
 * CORS_ORIGINS set: only those origins, with credentials. Unset: same origin
 * only in production (no CORS headers at all, so browsers keep other sites
 * out); in development any origin, never with credentials.
 */
function corsPolicy(config: Pick<Config, 'isProduction' | 'corsOrigins'>): (request: Request) => CORSOptions {
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin) return false;
    if (config.corsOrigins.length > 0) return config.corsOrigins.includes(origin) ? { origin: [origin], credentials: true } : false;
    return config.isProduction ? false : { origin: [origin], credentials: false };
  };
}

export function createGraphqlYoga(options: GraphqlYogaOptions): GraphqlYoga {
  const { graphql, isProduction } = options.config;
  return createYoga<GraphqlServerContext, Record<string, unknown>>({
    schema: options.schema,
    graphqlEndpoint: '/graphql',
    graphiql: !isProduction,
    landingPage: false,
    // File uploads (sendMedia); the route admits multipart bodies from authenticated callers only.
    multipart: true,
    cors: corsPolicy(options.config),
    // Fastify has enforced the body limit before yoga sees the body; yoga's own
    // check re-streams the whole body and costs seconds on a 3 MB request.
    maxRequestBodySize: false,
    logging: yogaLogger(options.logger.child({ component: 'graphql' })),
    // A DeskError is shown with its code; unexpected errors reach clients as
    // "Unexpected error." in every environment, their detail goes to the log
    // (yoga logs what it masks).
    maskedErrors: { isDev: false, maskError: (error, message, isDev) => deskErrorAsGraphQL(error) ?? maskError(error, message, isDev) },
    context: ({ req }) => {
      const principal = options.principalOf(req);
      if (!principal) throw new Error('GraphQL request reached yoga without a settled principal');
      return options.createContext(principal.viewer, principal.transport, principal.credentials) as Record<string, unknown>;
    },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: graphql.maxDepth },
        maxAliases: { n: graphql.maxAliases },
        // The desk counts cost itself (src/graphql/queryCost.ts): by page sizes, not by depth.
        costLimit: { enabled: false },
        maxDirectives: { n: MAX_DIRECTIVES },
        maxTokens: { n: MAX_TOKENS },
        // "Did you mean …?" hints map the schema for anyone probing it.
        blockFieldSuggestion: { enabled: isProduction },
      }),
      useQueryCost({ maxCost: graphql.maxCost }),
      useIntrospectionSwitch(graphql.introspection),
      useRequestErrorsAsBadUserInput(),
    ],
  });
}
