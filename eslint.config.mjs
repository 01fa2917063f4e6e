// ESLint (flat config): typescript-eslint's recommended rules plus the import rules of DESIGN.md, one per folder:
//   - src/engine/ imports neither 'vscode' nor src/editor, src/panel or webview/ (it runs in a worker, the CLI
//     and unit tests);
//   - webview/ imports only src/protocol from src/, and nothing of Node or VS Code (it runs in a browser);
//   - only src/extension.ts, src/editor/ and src/panel/ (and the in-host integration tests) import 'vscode'.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vscodeOnlyInHost = { name: 'vscode', message: "Only src/extension.ts, src/editor/ and src/panel/ import 'vscode' (DESIGN.md)." };
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].filter((m) => !m.startsWith('_'));

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-tmp/**', '.vscode-test/**', 'corpus/**', 'scripts/train/work/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-undef': 'off', // TypeScript checks names; plain JS below gets Node globals
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // vscode only where the design allows it
  {
    files: ['src/**/*.ts', 'test/unit/**/*.ts', 'test/webview/**/*.ts', 'test/integration/ui/**/*.ts', 'test/integration/runner/**/*.ts', 'scripts/**'],
    ignores: ['src/extension.ts', 'src/editor/**', 'src/panel/**', 'src/engine/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost] }] },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: "src/engine/ never imports 'vscode': it runs in a worker, the CLI and unit tests (DESIGN.md)." }],
        patterns: [{
          group: ['**/editor', '**/editor/**', '**/panel', '**/panel/**', '**/webview', '**/webview/**'],
          message: 'src/engine/ does not import src/editor, src/panel or webview/ (DESIGN.md).',
        }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: "webview/ runs in a browser: talk to the host with acquireVsCodeApi().postMessage, not 'vscode'." },
          ...nodeBuiltins.map((name) => ({ name, message: 'webview/ runs in a browser: no Node modules.' })),
        ],
        patterns: [{
          group: ['**/src/**', '!**/src/protocol', '!**/src/protocol.ts'],
          message: 'webview/ imports only src/protocol (types) from src/ (DESIGN.md).',
        }],
      }],
    },
  },
);
