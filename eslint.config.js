// Lint rules for the whole repo: typescript-eslint's type-aware recommended set, Node's globals, no unused code.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'lib/', 'dist/', 'coverage/', 'test/neo4j/target/', '.tmp/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Async methods that implement an async interface (TreeReader, the poll target) need no await.
      '@typescript-eslint/require-await': 'off',
      'no-control-regex': 'off',
    },
  },
  // Tests compare parsed JSON with vitest's asymmetric matchers (`expect.any`, typed `any`): the unsafe-any
  // rules would only demand casts there. The promise rules stay on everywhere.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  // Plain JavaScript (the bin, example generators, test drivers) is outside the TypeScript project.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
