// The extension manifest and the build: what VS Code reads before any of our code runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  displayName: string;
  main: string;
  engines: { vscode: string };
  activationEvents?: string[];
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; category: string }[];
    configuration?: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[];
  };
};

describe('extension manifest', () => {
  it('is gpt-xray / "GPT X-Ray", entry dist/extension.js', () => {
    assert.equal(manifest.name, 'gpt-xray');
    assert.equal(manifest.displayName, 'GPT X-Ray');
    assert.equal(path.normalize(manifest.main), path.normalize('dist/extension.js'));
  });

  it('activates on demand only (no "*")', () => {
    assert.ok(!(manifest.activationEvents ?? []).includes('*'));
    assert.ok(!(manifest.activationEvents ?? []).includes('onStartupFinished'));
  });

  it('puts every command in the GPT X-Ray category under gptXray.*', () => {
    assert.ok(manifest.contributes.commands.length > 0);
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'GPT X-Ray', c.command);
      assert.match(c.command, /^gptXray\.[a-zA-Z]+$/);
    }
  });

  it('keeps every setting under gptXray.*', () => {
    const sections = [manifest.contributes.configuration ?? []].flat();
    for (const key of sections.flatMap((s) => Object.keys(s.properties))) assert.match(key, /^gptXray\./);
  });

  it('targets a VS Code no newer than the bundled code-server and @types/vscode (1.100)', () => {
    const engine = /^\^?(\d+)\.(\d+)\./.exec(manifest.engines.vscode);
    assert.ok(engine, manifest.engines.vscode);
    assert.ok(Number(engine[1]) === 1 && Number(engine[2]) <= 100, manifest.engines.vscode);
    assert.equal(manifest.devDependencies['@types/vscode'], '1.100.0');
    assert.equal(manifest.devDependencies['code-server'], '4.100.3');
  });
});

describe('build output', () => {
  const dist = path.join(root, 'dist');
  before(function () {
    if (!fs.existsSync(path.join(dist, 'extension.js'))) this.skip(); // scripts/test-all.sh builds first
  });

  it("leaves 'vscode' to the host instead of bundling it", () => {
    const bundle = fs.readFileSync(path.join(dist, 'extension.js'), 'utf8');
    assert.match(bundle, /require\(["']vscode["']\)/);
  });

  it('ships the tfjs wasm binaries next to the bundles', () => {
    const shipped = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm')).sort();
    const source = fs.readdirSync(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')).filter((f) => f.endsWith('.wasm')).sort();
    assert.deepEqual(shipped, source);
    for (const f of shipped) assert.equal(fs.readFileSync(path.join(dist, f))[0], 0x00); // "\0asm" magic
    for (const f of shipped) assert.equal(fs.readFileSync(path.join(dist, f)).subarray(1, 4).toString('latin1'), 'asm');
  });
});
