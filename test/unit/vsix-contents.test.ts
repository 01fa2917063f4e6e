// What `npm run package` puts in the .vsix (vsce ls reads package.json and .vscodeignore, offline): everything
// the extension loads at run time, and nothing else (no sources, tests, node_modules, source maps, samples).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

describe('.vsix contents (vsce ls)', function () {
  this.timeout(60_000);
  let files: string[] = [];
  before(function () {
    if (!fs.existsSync(path.join(root, 'dist/extension.js'))) this.skip(); // built by scripts/test-all.sh first
    const vsce = path.join(root, 'node_modules/@vscode/vsce/vsce');
    files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' })
      .split('\n').map((l) => l.trim()).filter(Boolean);
  });

  it('holds the manifest, README, LICENSE, the bundles and the tfjs wasm binaries', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/extension.js', 'dist/worker.js']) assert.ok(files.includes(f), `${f} missing`);
    for (const wasm of fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.wasm'))) assert.ok(files.includes(`dist/${wasm}`), wasm);
  });

  it('holds what the panel loads: dist/webview.js and the stylesheets of webview/', () => {
    if (fs.existsSync(path.join(root, 'dist/webview.js'))) assert.ok(files.includes('dist/webview.js'));
    for (const css of fs.readdirSync(path.join(root, 'webview')).filter((f) => f.endsWith('.css'))) assert.ok(files.includes(`webview/${css}`), css);
  });

  it('holds every file of the bundled model', () => {
    const modelDir = path.join(root, 'media/models/xray-mini');
    const shipped = fs.existsSync(modelDir) ? fs.readdirSync(modelDir) : [];
    for (const f of shipped) assert.ok(files.includes(`media/models/xray-mini/${f}`), f);
  });

  it('leaves out sources, tests, scripts, node_modules, source maps and the samples', () => {
    const stray = files.filter((f) => /^(src|test|scripts|node_modules|corpus|\.test-tmp|media\/samples)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    assert.deepEqual(stray, []);
  });
});
