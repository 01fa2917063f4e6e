/**
 * The backend choice (gptXray.backend): which runner each setting gives, the one log line that says why, tfjs's
 * KV-cache generation behind an onnxruntime runner, and the fallback where onnxruntime-node is absent (the
 * universal .vsix), simulated in a child process whose module resolution cannot find it.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { createRunner } from '../../src/engine/runner-factory';
import type { Checkpoint } from '../../src/engine/types';
import { PARITY_DIR, checkpointWithoutTokenizer, maxAbsDiff } from './parity-fixtures';
import { repoRoot } from './repo-root';

describe('createRunner (gptXray.backend)', function () {
  this.timeout(30_000);
  const dir = path.join(PARITY_DIR(), 'random-2l');
  let ckpt: Checkpoint;
  before(() => {
    ckpt = checkpointWithoutTokenizer(dir);
  });

  it('auto picks onnxruntime where it loads, saying so in one line', async () => {
    const lines: string[] = [];
    const runner = await createRunner(ckpt, 'auto', (m) => lines.push(m));
    try {
      assert.equal(runner.backend, 'onnxruntime');
      const said = lines.filter((l) => l.startsWith('backend:'));
      assert.equal(said.length, 1, lines.join('\n'));
      assert.match(said[0], /^backend: onnxruntime with \d+ intra-op threads \(auto: onnxruntime-node loaded/);
    } finally {
      runner.dispose();
    }
  });

  it('tfjs gives the tfjs runner', async () => {
    const lines: string[] = [];
    const runner = await createRunner(ckpt, 'tfjs', (m) => lines.push(m));
    try {
      assert.match(runner.backend, /^tfjs-/);
      assert.deepEqual(lines.filter((l) => l.startsWith('backend:')), [`backend: ${runner.backend} (gptXray.backend is "tfjs")`]);
    } finally {
      runner.dispose();
    }
  });

  it('generates step by step on an onnxruntime runner, with logits equal to its full forward', async () => {
    const runner = await createRunner(ckpt, 'onnxruntime', () => undefined);
    try {
      const ids = [5, 9, 200, 31];
      let step = await runner.startGeneration(ids.slice(0, 2));
      assert.ok(maxAbsDiff(step.logits, await runner.logitsRow(ids.slice(0, 2), 1)) <= 1e-4);
      for (const [i, id] of ids.slice(2).entries()) {
        step = await runner.stepGeneration(id);
        assert.equal(step.length, 3 + i);
        assert.ok(maxAbsDiff(step.logits, await runner.logitsRow(ids.slice(0, 3 + i), 2 + i)) <= 1e-4, `step ${i}`);
      }
      runner.endGeneration();
      await assert.rejects(runner.stepGeneration(1), /startGeneration/);
    } finally {
      runner.dispose();
    }
  });

  it('rejects an unknown backend name', async () => {
    await assert.rejects(createRunner(ckpt, 'cuda' as never, () => undefined), /unknown backend "cuda"/);
  });

  it('falls back to tfjs under auto, and fails in plain words under onnxruntime, where onnxruntime-node is absent', () => {
    const root = repoRoot();
    // Module resolution that cannot see onnxruntime-node, as in the universal .vsix.
    const hide = `const M = require('module'); const r = M._resolveFilename;
      M._resolveFilename = function (req, ...a) { if (req === 'onnxruntime-node') { const e = new Error("Cannot find module 'onnxruntime-node'"); e.code = 'MODULE_NOT_FOUND'; throw e; } return r.call(this, req, ...a); };`;
    const script = `${hide}
      const { createRunner } = require(${JSON.stringify(path.join(root, 'src/engine/runner-factory.ts'))});
      const { checkpointWithoutTokenizer } = require(${JSON.stringify(path.join(root, 'test/unit/parity-fixtures.ts'))});
      (async () => {
        const ck = checkpointWithoutTokenizer(${JSON.stringify(dir)});
        const lines = [];
        const r = await createRunner(ck, 'auto', (m) => lines.push(m));
        const row = await r.logitsRow([1, 2, 3], 2);
        r.dispose();
        let err = '';
        try { await createRunner(ck, 'onnxruntime', () => undefined); } catch (e) { err = e.message; }
        console.log(JSON.stringify({ backend: r.backend, said: lines.filter((l) => l.startsWith('backend:')), rowLength: row.length, err }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-r', path.join(root, 'test/support/register-ts.cjs'), '-e', script], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { backend: string; said: string[]; rowLength: number; err: string };
    assert.match(r.backend, /^tfjs-/);
    assert.equal(r.said.length, 1);
    assert.match(r.said[0], /^backend: tfjs-\w+ \(auto: onnxruntime unavailable: Cannot find module 'onnxruntime-node'\)$/);
    assert.equal(r.rowLength, ckpt.config.vocab_size);
    assert.match(r.err, /gptXray.backend is "onnxruntime" but onnxruntime cannot run here \(Cannot find module 'onnxruntime-node'\); set it to "auto" or "tfjs"/);
  });
});
