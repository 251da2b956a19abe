import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layer rule of DEVELOPERS.md, enforced: renderer/ never imports electron/ (or Electron, or Node);
// shared/ imports neither electron/ nor renderer/; electron/services/ never imports Electron.
const electronLayer = { group: ['**/electron/**'], message: 'renderer/ and shared/ must not import electron/: go through the contract (renderer/api.ts).' };
const rendererLayer = { group: ['**/renderer/**'], message: 'shared/ must not import renderer/.' };
const electronPackage = { name: 'electron', message: 'Only electron/main and electron/preload may import Electron.' };

export default tseslint.config(
  { ignores: ['node_modules/', '.vite/', 'dist/', 'out/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [electronPackage], patterns: [electronLayer, { group: ['node:*'], message: 'The renderer runs in a sandboxed page: no Node modules.' }] },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronPackage], patterns: [electronLayer, rendererLayer] }] },
  },
  {
    files: ['electron/services/**', 'electron/bridge/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronPackage], patterns: [{ group: ['**/renderer/**'], message: 'The backend must not import the renderer.' }] }] },
  },
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
