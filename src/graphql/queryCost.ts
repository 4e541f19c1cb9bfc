// Query cost: how many objects a query may make the desk load, counted before
// it runs, so a client learns what a screen costs from the rules rather than
// by trial. The rules (README "Query cost"):
//
// - Every object a field may return counts 1: a conversation, its customer, a
//   message, an edge. Scalars and enums count nothing (the query's size is
//   bounded by the token limit instead).
// - A connection multiplies what is under its `edges` (or `nodes`) by the
//   page it may return: `first`/`last` as given (a literal, a variable's value
//   or the variable's default), else the list's default page size, never more
//   than its maximum (src/graphql/paging.ts).
// - A list without paging arguments counts UNPAGED_LIST_SIZE items.
// - Fragments count where they are spread; introspection (`__schema`,
//   `__type`, `__typename`) counts nothing.
//
// graphql-armor's cost limit, which this replaces, grew exponentially with
// depth and ignored page sizes given in variables, so a 25-row inbox was
// refused while the same query with `first: $n` passed whatever $n was.
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isLeafType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { PAGE_SIZE_EXTENSION, type PageSize } from './paging.js';

/** Items a list without paging arguments is taken to hold (agents, labels, templates, metrics buckets). */
export const UNPAGED_LIST_SIZE = 10;

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

export interface CostRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Fragments being counted on the current path: a cycle (invalid anyway) counts once. */
  spreading: Set<string>;
}

function pageSizeOf(field: GraphQLField<unknown, unknown>): PageSize | null {
  const size = field.extensions?.[PAGE_SIZE_EXTENSION] as PageSize | undefined;
  return size && typeof size.maxSize === 'number' ? size : null;
}

function numberOf(value: ValueNode, variables: Record<string, unknown>): number | null {
  const v = valueFromASTUntyped(value, variables);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The page a connection field may return: first/last as asked, else the default, within 0..max. */
function pageOf(node: FieldNode, size: PageSize, variables: Record<string, unknown>): number {
  let asked: number | null = null;
  for (const arg of node.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    const n = numberOf(arg.value, variables);
    if (n !== null) asked = Math.max(asked ?? 0, n);
  }
  return Math.max(0, Math.min(asked ?? size.defaultSize, size.maxSize));
}

function fieldsOf(type: GraphQLCompositeType) {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

/** The cost of a selection set on `type`; `page` is the enclosing connection's page size, for its edges/nodes. */
function selectionCost(walk: Walk, type: GraphQLCompositeType, set: SelectionSetNode, page: number | null): number {
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      cost += fieldCost(walk, type, selection, page);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : type;
      if (on && isCompositeType(on)) cost += selectionCost(walk, on, selection.selectionSet, page);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      const on = fragment ? walk.schema.getType(fragment.typeCondition.name.value) : null;
      if (!fragment || !on || !isCompositeType(on) || walk.spreading.has(name)) continue;
      walk.spreading.add(name);
      cost += selectionCost(walk, on, fragment.selectionSet, page);
      walk.spreading.delete(name);
    }
  }
  return cost;
}

function fieldCost(walk: Walk, parent: GraphQLCompositeType, node: FieldNode, page: number | null): number {
  const name = node.name.value;
  if (name.startsWith('__')) return 0;
  // Unions have no fields of their own; an unknown field is reported by validation, not here.
  const field = isAbstractType(parent) && !isInterfaceType(parent) ? undefined : fieldsOf(parent)[name];
  if (!field) return 0;
  const named = getNamedType(field.type);
  if (isLeafType(named) || !node.selectionSet || !isCompositeType(named)) return 0;
  const isList = isListType(getNullableType(field.type));
  const items = !isList ? 1 : page !== null && (name === 'edges' || name === 'nodes') ? page : UNPAGED_LIST_SIZE;
  const size = pageSizeOf(field);
  const childPage = size ? pageOf(node, size, walk.variables) : null;
  return items * (1 + selectionCost(walk, named, node.selectionSet, childPage));
}

function variablesWithDefaults(operation: OperationDefinitionNode, given: Readonly<Record<string, unknown>> | null | undefined): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (given && given[name] !== undefined) variables[name] = given[name];
    else if (definition.defaultValue) variables[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return variables;
}

/** The cost of the operation that would run (the named one, or the only one; the dearest when that is ambiguous). */
export function queryCost(request: CostRequest): number {
  const { schema, document } = request;
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const chosen = request.operationName ? operations.filter((o) => o.name?.value === request.operationName) : operations;
  let cost = 0;
  for (const operation of chosen) {
    const root = schema.getRootType(operation.operation);
    if (!root) continue;
    const walk: Walk = { schema, fragments, variables: variablesWithDefaults(operation, request.variables), spreading: new Set() };
    cost = Math.max(cost, selectionCost(walk, root, operation.selectionSet, null));
  }
  return cost;
}

export function queryTooComplex(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(
    `This query may load ${cost} objects, more than the limit of ${maxCost}: ask for smaller pages (first/last) or fewer nested lists. See "Query cost" in the README.`,
    { extensions: { code: QUERY_TOO_COMPLEX, cost, maxCost } },
  );
}

/**
 * A validation rule reporting the refusal. Its name carries the cost: yoga
 * caches validation results per document and per the names of the rules that
 * ran, and a cost depends on the variables too, so two requests with the same
 * document share a cached answer only when their cost verdicts are the same.
 */
export function queryTooComplexRule(cost: number, maxCost: number): ValidationRule {
  const rule: ValidationRule = (context) => ({
    Document: {
      enter() {
        context.reportError(queryTooComplex(cost, maxCost));
      },
    },
  });
  Object.defineProperty(rule, 'name', { value: `QueryTooComplex(${cost}>${maxCost})` });
  return rule;
}

/** What both transports put in the context before validation: the request's variables and operation name. */
interface RequestParams {
  params?: { variables?: Record<string, unknown> | null; operationName?: string | null } | null;
}

/**
 * The envelop plugin: counts every operation's cost with its variables on HTTP
 * and graphql-ws alike (both hand yoga the request's params), refuses it in
 * validation when over `maxCost`, and answers such an HTTP request with 400,
 * as any other request refused before running.
 */
export function useQueryCost(options: { maxCost: number }): Plugin {
  return {
    onValidate({ addValidationRule, context, params: { schema, documentAST } }) {
      const request = (context as RequestParams).params ?? null;
      const cost = queryCost({ schema, document: documentAST, operationName: request?.operationName ?? null, variables: request?.variables ?? null });
      if (cost > options.maxCost) addValidationRule(queryTooComplexRule(cost, options.maxCost));
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !('errors' in result) || 'data' in result) return;
      const errors = (result.errors ?? []) as readonly GraphQLError[];
      if (!errors.some((e) => e.extensions?.['code'] === QUERY_TOO_COMPLEX)) return;
      const http = (result.extensions?.['http'] ?? {}) as Record<string, unknown>;
      setResult({ ...result, extensions: { ...result.extensions, http: { ...http, status: 400 } } });
    },
  };
}
