// The query cost rules (README "Query cost"), on the desk's real schema and the
// operations it ships: what counts, how pages multiply, and that the screens a
// helpdesk frontend needs fit the default limit.
import { readFileSync, readdirSync } from 'node:fs';
import { Kind, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../src/config.js';
import { queryCost, UNPAGED_LIST_SIZE } from '../src/graphql/queryCost.js';
import { schema } from '../src/graphql/schema/index.js';
import { ConversationScreenDocument, InboxDocument } from '../src/generated/graphql.js';

const cost = (query: string, variables?: Record<string, unknown>, operationName?: string) => queryCost({ schema, document: parse(query), variables, operationName });
const DEFAULT_MAX_COST = testConfig().graphql.maxCost;

describe('the rules', () => {
  it('an object counts 1, a scalar nothing, introspection nothing', () => {
    expect(cost('{ viewer { id name email status } }')).toBe(1);
    expect(cost('{ __typename viewer { __typename id } }')).toBe(1);
    expect(cost('{ __schema { types { name fields { name } } } }')).toBe(0);
  });

  it('a connection multiplies its edges by the page asked for, as a literal, a variable or a variable default', () => {
    // conversations 1 + 10 edges × (edge 1 + node 1 + customer 1) + pageInfo 1
    const q = (first: string) => `query ($n: Int = 7) { conversations(first: ${first}) { edges { node { id customer { name } } } pageInfo { hasNextPage } } }`;
    expect(cost(q('10'))).toBe(1 + 10 * 3 + 1);
    expect(cost(q('$n'), { n: 10 })).toBe(1 + 10 * 3 + 1);
    expect(cost(q('$n'))).toBe(1 + 7 * 3 + 1);
    // No first/last: the list's default page (25 conversations); above the maximum: the maximum (execution refuses it anyway).
    expect(cost('{ conversations { edges { node { id } } } }')).toBe(1 + 25 * 2);
    expect(cost('{ conversations(first: 5000) { edges { node { id } } } }')).toBe(1 + 100 * 2);
  });

  it('nested pages multiply; fragments count where they are spread; unpaged lists count ' + UNPAGED_LIST_SIZE, () => {
    const nested = '{ conversations(first: 2) { edges { node { messages(last: 3) { edges { node { id agent { id } } } } } } } }';
    // 1 + 2 × (edge + node + messages 1 + 3 × (edge + node + agent))
    expect(cost(nested)).toBe(1 + 2 * (2 + 1 + 3 * 3));
    const viaFragment = 'fragment M on Message { id agent { id } } { conversations(first: 2) { edges { node { messages(last: 3) { edges { node { ...M } } } } } } }';
    expect(cost(viaFragment)).toBe(cost(nested));
    expect(cost('{ agents { id } }')).toBe(UNPAGED_LIST_SIZE);
  });

  it('counts the operation asked for by name', () => {
    const two = 'query A { viewer { id } } query B { conversations(first: 4) { edges { node { id } } } }';
    expect(cost(two, {}, 'A')).toBe(1);
    expect(cost(two, {}, 'B')).toBe(1 + 4 * 2);
  });
});

describe('at the default limit (GRAPHQL_MAX_COST ' + DEFAULT_MAX_COST + ')', () => {
  it('the inbox screen (25 rows with customer, last message, labels and 30 messages) and the conversation screen (200 messages) pass', () => {
    const inbox = queryCost({ schema, document: InboxDocument, variables: { first: 25, messages: 30 } });
    const screen = queryCost({ schema, document: ConversationScreenDocument, variables: { id: 'x' } });
    expect(inbox).toBeGreaterThan(25 * 30 * 2); // every message and its edge counted
    expect(inbox).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    expect(screen).toBeGreaterThan(200 * 2);
    expect(screen).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    // The query of issue 12's finding 8, refused by the old limit at "140289.45".
    const finding8 = '{ conversations(first: 25) { edges { node { id customer { name } lastMessage { text } messages(last: 30) { edges { node { id text status agent { id name } } } } } } } }';
    expect(cost(finding8)).toBeLessThanOrEqual(DEFAULT_MAX_COST);
  });

  it('every operation in schema/operations fits, with its variables at their defaults', () => {
    const dir = new URL('../schema/operations/', import.meta.url);
    const document = parse(readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n'));
    const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []));
    expect(names).toContain('Inbox');
    for (const name of names) expect(queryCost({ schema, document, operationName: name }), name).toBeLessThanOrEqual(DEFAULT_MAX_COST);
  });

  it('100 conversations with 200 messages each is refused', () => {
    const greedy = '{ conversations(first: 100) { edges { node { messages(last: 200) { edges { node { id } } } } } } }';
    expect(cost(greedy)).toBeGreaterThan(DEFAULT_MAX_COST);
    expect(print(parse(greedy))).toContain('messages(last: 200)');
  });
});
