// ESLint (flat config) with typescript-eslint. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'bench/results/**', 'runs/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
      // A closure may read a variable before its one later assignment (timers cleared from a handler).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Plain JS (bin/, scripts/, web/*.js): TypeScript does not check these, and Node's and the browser's globals
    // are many; unknown names are left to the tests that run them.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { 'no-undef': 'off' },
  },
  {
    // config/ and util/ are leaves: they must never pull in TensorFlow.js or a pipeline stage (see test/architecture).
    files: ['src/config/**/*.ts', 'src/util/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*', '../*/**', '!../util/**', '!../config/**'], message: 'config/ and util/ are leaves: import only util/, config/ and plain libraries' }] }],
    },
  },
);
