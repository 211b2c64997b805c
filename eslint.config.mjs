// Type-checked linting, plus the dependency direction of DESIGN.md enforced as import rules.
// Import cycles (none, not even through types) are checked by test/import-cycles.spec.ts.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LIBS = ['common', 'protocol', 'storage', 'partitions', 'coordination', 'metadata', 'client'];

// Which @tributary libraries each library may import (DESIGN.md, "Dependency direction").
const ALLOWED = {
  common: [],
  protocol: ['common'],
  storage: ['common', 'protocol'],
  coordination: ['common'],
  metadata: ['common'],
  partitions: ['common', 'protocol', 'storage', 'coordination', 'metadata'],
  // The client is bundled for browsers: it stands alone.
  client: [],
};

// libs/client runs in browsers too: no Node built-ins, imported or global.
const BROWSER_SAFE = 'libs/client runs in browsers too: no Node built-ins.';
const browserSafePaths = builtinModules
  .filter((m) => !m.startsWith('_'))
  .map((name) => ({ name, message: BROWSER_SAFE }));
const browserSafe = { group: ['node:*'], message: BROWSER_SAFE };

const noDeepImports = {
  group: ['@tributary/*/*', '**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
  message: 'Import another library only through its index: @tributary/<lib>.',
};

const boundaries = LIBS.map((lib) => ({
  files: [`libs/${lib}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        ...(lib === 'client' ? { paths: browserSafePaths } : {}),
        patterns: [
          noDeepImports,
          ...(lib === 'client' ? [browserSafe] : []),
          { group: ['**/apps/**', '@tributary/apps*'], message: 'libs/ never imports apps/.' },
          ...LIBS.filter((other) => other !== lib && !ALLOWED[lib].includes(other)).map(
            (other) => ({
              group: [`@tributary/${other}`],
              message: `libs/${lib} may not depend on libs/${other} (see DESIGN.md).`,
            }),
          ),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '*.config.js',
      '*.config.mjs',
      'libs/metadata/src/generated/**',
      // A package.json override's stand-in (plain CommonJS, outside the TypeScript project).
      'tools/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': ['error', { patterns: [noDeepImports] }],
    },
  },
  {
    // The CLI's launcher: plain CommonJS, run by Node as it is.
    files: ['bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  ...boundaries,
  {
    // The web console (.tsx included, type-checked through apps/console/tsconfig.json) runs in
    // a browser and talks to the node over HTTP only, through the browser-safe client.
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDeepImports,
            {
              group: [
                'node:*',
                '@tributary/*',
                '!@tributary/client',
                '../../*',
                '**/apps/*/src/**',
                '**/libs/**',
              ],
              message:
                'apps/console runs in a browser: it imports preact, @tributary/client and its own files only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['libs/client/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', '__dirname', '__filename', 'global'].map((name) => ({
          name,
          message: 'libs/client runs in browsers too: no Node globals.',
        })),
      ],
    },
  },
  {
    // The client's tests run in Node, against a real node.
    files: ['libs/client/**/*.spec.ts', 'libs/client/test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDeepImports] }] },
  },
  {
    files: [
      '**/*.spec.ts',
      'test/**/*.ts',
      'apps/*/test/**/*.ts',
      'libs/*/test/**/*.ts',
      'bench/**/*.ts',
      'chaos/**/*.ts',
    ],
    rules: {
      // Tests, benchmarks and the chaos run read JSON answers whose shape the assertions check.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
