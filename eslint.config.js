// Lint rules: typescript-eslint's recommended set, plus the module rules of DESIGN.md
// ("Only queue/ imports bullmq", "core/ imports nothing from the others", "only config.ts
// reads process.env") enforced mechanically so a review does not have to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group, message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.sluice/**', 'spark-apps/**', 'airflow-provider/**', '.venv/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['broker/**/*.ts', 'watchers/**/*.ts', 'sql-sinks/**/*.ts'],
    ignores: ['broker/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only broker/config.ts reads process.env.' }],
    },
  },
  {
    files: ['broker/**/*.ts'],
    ignores: ['broker/queue/**'],
    rules: restrict([['bullmq']], 'Only broker/queue/ imports bullmq.'),
  },
  {
    files: ['broker/core/**/*.ts'],
    rules: restrict([['../*', '!../core/*', 'bullmq', 'ioredis', 'hono', '@hono/*', 'pino', 'node:*']], 'core/ is pure: it imports nothing from the other modules or from I/O libraries.'),
  },
);
