import type { CodegenConfig } from '@graphql-codegen/cli';

const scalars = { DateTime: 'string', JSON: 'unknown', ID: 'string', File: 'File' };

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    // Typed documents for every operation in schema/operations: tests (and any
    // TypeScript client) import them from src/generated/graphql.ts.
    'src/generated/graphql.ts': {
      documents: ['schema/operations/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars,
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
    // The agent console writes its operations inline with graphql(`…`); the
    // client preset types each one from the schema. The shared fragments
    // (schema/operations/fragments.graphql) are spread by both, so a field
    // list is written once.
    'web/src/gql/': {
      documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**', 'schema/operations/fragments.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars, enumsAsTypes: true, useTypeImports: true },
    },
  },
  silent: true,
};

export default config;
