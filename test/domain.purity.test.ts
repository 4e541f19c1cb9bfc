// The domain stands apart from the API and from I/O: its errors are plain,
// and the GraphQL edge (src/graphql/errors.ts) gives them their GraphQL shape.
import { readFileSync, readdirSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DeskError, badInput, rateLimited } from '../src/domain/errors.js';
import { deskErrorAsGraphQL } from '../src/graphql/errors.js';

const domainDir = new URL('../src/domain/', import.meta.url);

describe('the domain', () => {
  it('imports nothing but itself and pure libraries: no GraphQL, no store, no I/O', () => {
    // Only siblings ('./x.js') and pure libraries; nothing from outside domain/.
    const forbidden = /from '(graphql[^']*|node:[^']*|mongoose|ioredis|lmdb|fastify[^']*|\.\.\/[^']*)'/;
    const offenders = readdirSync(domainDir)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => {
        const text = readFileSync(new URL(name, domainDir), 'utf8');
        return text.split('\n').filter((line) => forbidden.test(line)).map((line) => `${name}: ${line.trim()}`);
      });
    expect(offenders).toEqual([]);
  });

  it('raises DeskErrors that are not GraphQL errors but carry their code and details', () => {
    const error = badInput('text: must not be blank', 'text');
    expect(error).not.toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({ name: 'DeskError', code: 'BAD_USER_INPUT', details: { field: 'text' } });
  });
});

describe('the GraphQL edge', () => {
  it('shows a DeskError, bare or as the cause graphql-js wrapped, with extensions.code and its details at its path', () => {
    const bare = deskErrorAsGraphQL(rateLimited(12));
    expect(bare?.message).toBe('Too many attempts; retry in 12 s');
    expect(bare?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 12 });
    const wrapped = new GraphQLError('ignored', { path: ['conversation'], originalError: new DeskError('NOT_FOUND', 'Conversation x not found') });
    const shown = deskErrorAsGraphQL(wrapped);
    expect(shown?.path).toEqual(['conversation']);
    expect(shown?.extensions).toEqual({ code: 'NOT_FOUND' });
  });

  it('leaves anything else to masking', () => {
    expect(deskErrorAsGraphQL(new Error('boom'))).toBeNull();
    expect(deskErrorAsGraphQL(new GraphQLError('wrapped', { originalError: new Error('boom') }))).toBeNull();
  });
});
