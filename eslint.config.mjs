// ESLint (flat config): the recommended rules of ESLint and typescript-eslint,
// without type information, so `npm run lint` takes seconds. Layout is
// Prettier's business (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The bin/ shims: CommonJS without an extension, so they are named one by one. */
const SHIMS = ['check_mysql_failover', 'mysql-failover-agent', 'mysql-failover-check', 'mysql-failover-http', 'mysql-failover-snmp'].map(
  (name) => `bin/${name}`,
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // `_name` marks a parameter a signature needs and the body does not (as tsc's noUnusedParameters reads it).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // mysql2 hands the tests untyped rows, which they index freely.
      '@typescript-eslint/no-explicit-any': 'off',
      // Expected output is matched literally, its runs of spaces included.
      'no-regex-spaces': 'off',
    },
  },
  {
    // The build, test and bench scripts, the launcher and the bin/ shims: plain CommonJS run by Node.
    files: ['**/*.js', ...SHIMS],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
