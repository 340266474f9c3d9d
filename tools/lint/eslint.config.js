// seglog's lint: the rules a storage engine cannot do without, checked with the real type checker.
//
// Why ESLint + typescript-eslint and not Biome: the rules that matter most here (a dropped promise
// loses an fsync error; an async callback where a sync one is expected runs unawaited) need the
// types of imported and generic code. typescript-eslint asks the TypeScript checker itself; Biome
// infers types on its own and misses promises that come through generics and other packages.
// TypeScript 7 has no JS API, so this package carries typescript@6.0.3 for the linter only
// (the build stays on TS 7).
//
// Run from the repository root: `pnpm lint`, `pnpm lint:fix` (safe autofixes only).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** One line width for code and comments. 120 is what the tree mostly keeps already (97% of lines). */
export const lineWidthMax = 120;

export default tseslint.config(
  {
    // conformance/vendor: BullMQ's own test suite and harness, vendored unchanged (MIT; not our code).
    ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', 'docs/**', 'tools/**', '**/conformance/vendor/**'],
  },
  {
    files: ['packages/**/*.ts', 'benchmarks/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    plugins: { '@stylistic': stylistic },
    languageOptions: {
      parserOptions: {
        // One program over the whole tree (tools/lint/tsconfig.json): far faster than one per package.
        project: [`${here}tsconfig.json`],
        tsconfigRootDir: here,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // --- Promises: a dropped or misused promise hides a failed write or fsync. ---
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Rejecting with a caught `unknown` passes a failure on as it came; creating one must use an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': 'error',
      // `async` without `await` is how an in-memory FileIO turns a throw into a rejection, as the
      // real one does: keep it.
      '@typescript-eslint/require-await': 'off',

      // --- Dead code. A leading underscore marks a parameter kept for its position. ---
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],

      // --- `any` must not leak into the typed code. `unknown` plus a check is the way in. ---
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',

      // --- One import style: types through `import type { … }` (verbatimModuleSyntax keeps it honest). ---
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',

      // --- One private-field style: ECMAScript `#private`, private at run time too. ---
      // (A `private constructor` stays: there is no `#constructor`.)
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'PropertyDefinition[accessibility="private"], MethodDefinition[accessibility="private"][kind!="constructor"], ' +
            'TSParameterProperty[accessibility="private"], AccessorProperty[accessibility="private"]',
          message:
            "Use an ECMAScript '#name' private member, not TypeScript's 'private' (style.md: one private-field style).",
        },
      ],

      // --- Exhaustive switches over unions such as error codes and sync methods. ---
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, allowDefaultCaseForExhaustiveSwitch: true },
      ],

      // --- Line width: long code and comments, not long strings, URLs or regexes. ---
      '@stylistic/max-len': [
        'error',
        {
          code: lineWidthMax,
          comments: lineWidthMax,
          tabWidth: 2,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
);
