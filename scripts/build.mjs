// One esbuild script, three targets: the extension host (node cjs, vscode external), the engine worker and CLI
// (node), and the webview (browser). `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const nodeTargets = [
  ['src/extension.ts', 'dist/extension.js'],
  ['src/engine/worker.ts', 'dist/worker.js'],
  ['src/cli.ts', 'dist/cli.js'],
].filter(([entry]) => existsSync(entry));

const configs = [
  ...nodeTargets.map(([entry, outfile]) => ({
    ...common,
    entryPoints: [entry],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'onnxruntime-node'],
    // dist/cli.js is package.json's "bin": it needs the shebang to run as `npx gpt-xray`.
    ...(outfile === 'dist/cli.js' ? { banner: { js: '#!/usr/bin/env node' } } : {}),
  })),
  ...(existsSync('webview/main.ts')
    ? [{ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' }]
    : []),
  // The Continue From Cursor panel's own webview.
  ...(existsSync('webview/continuation-main.ts')
    ? [{ ...common, entryPoints: ['webview/continuation-main.ts'], outfile: 'dist/continuation.js', platform: 'browser', format: 'iife', target: 'es2022' }]
    : []),
];

// tfjs's wasm backend loads its .wasm binaries at run time; src/engine/tfjs-backend.ts looks for them in dist/
// next to the bundle, and the .vsix ships dist/ without node_modules.
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
mkdirSync('dist', { recursive: true });
for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(`${wasmDir}/${file}`, `dist/${file}`);

if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
  console.log('watching', configs.length, 'targets');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
