/**
 * The continue-from-cursor controller driving the real engine (EngineSession with the tfjs runner, as in the
 * worker): each step's token and probability agree with the engine's own UNCACHED forward over prompt + tokens so
 * far (kv-cache.test.ts checks cached vs uncached logits at the runner; this checks what the controller makes of
 * them), a seed reproduces a sampled run, settings recompute the pending distribution, a branch continues from the
 * chosen token, Stop halts within one step, and a full context ends the run with a note.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engineDeps } from '../../src/engine/engine-deps';
import { EngineSession } from '../../src/engine/session';
import { ContinuationController, DEFAULT_SETTINGS, type ContinuationModel } from '../../src/panel/continuation-controller';
import type { GenerationState, SamplingSettings } from '../../src/protocol';
import { repoRoot } from './repo-root';
import { tempDir, writeTinyCheckpoint } from './tiny-checkpoint';
import { generationEngineOf } from './session-generation-engine';
import { referenceSoftmax } from './reference-softmax';
import { argmax } from './parity-fixtures';

const BUNDLED = path.join(repoRoot(), 'media/models/xray-mini');
const PROMPT = 'function add(a, b) {\n  return a';


async function loadSession(dir: string, bundled: boolean): Promise<EngineSession> {
  const session = new EngineSession(engineDeps, () => undefined);
  await session.handle({ kind: 'load', modelPath: dir, bundled, backend: 'tfjs' });
  return session;
}

describe('continuation controller with the real engine', function () {
  this.timeout(120_000);
  let session: EngineSession;
  let model: ContinuationModel;
  const controllers: ContinuationController[] = [];

  before(async () => {
    const bundled = fs.existsSync(path.join(BUNDLED, 'model.safetensors'));
    let dir = BUNDLED;
    if (!bundled) {
      dir = tempDir('continuation');
      writeTinyCheckpoint(dir, { n_layer: 2, n_head: 2, n_embd: 16, n_positions: 128, seed: 3 });
    }
    session = await loadSession(dir, bundled);
    const info = session.model!;
    model = { name: info.name, config: info.config };
  });
  after(() => {
    controllers.forEach((c) => c.dispose());
    session?.dispose();
  });

  function make(settings: Partial<SamplingSettings>, prompt = PROMPT, onPost?: (s: GenerationState) => void): { c: ContinuationController; last: () => GenerationState } {
    let last: GenerationState | undefined;
    const c = new ContinuationController(generationEngineOf(session), model, prompt, { ...DEFAULT_SETTINGS, ...settings }, (s) => {
      last = s;
      onPost?.(s);
    });
    controllers.push(c);
    return { c, last: () => last! };
  }

  /** The engine's uncached next-token logits after `ids` (a fresh forward over all of them). */
  function uncached(ids: number[]): Promise<Float32Array> {
    return session.requireModel().runner.logitsRow(ids, ids.length - 1);
  }

  it('greedy: every token is the arg-max of the uncached forward, its p and rank as softmax says', async () => {
    const { c, last } = make({ greedy: true, maxTokens: 10, temperature: 1 });
    await c.start();
    await c.handle({ action: 'run' });
    const s = last();
    assert.equal(s.running, false);
    assert.equal(s.steps.length, 10);
    const ids = s.promptTokens.map((t) => t.id);
    for (const [i, step] of s.steps.entries()) {
      const row = await uncached(ids);
      assert.equal(step.token.id, argmax(row), `step ${i}`);
      assert.equal(step.rank, 1);
      assert.ok(Math.abs(step.p - referenceSoftmax(row, 1)[step.token.id]) < 1e-4, `step ${i}: p ${step.p}`);
      assert.equal(step.contextLength, ids.length);
      assert.equal(step.attention.length, model.config.n_layer * model.config.n_head * ids.length);
      assert.equal(step.kept, 1);
      ids.push(step.token.id);
    }
    assert.equal(c.continuation(), s.steps.map((t) => t.token.text).join(''));
    assert.equal(s.prompt, PROMPT);
  });

  it('a seed reproduces a sampled run; every token lies in the top-k set; another seed differs', async () => {
    const settings = { greedy: false, temperature: 1.6, topK: 5, topP: 1, maxTokens: 12 };
    const runOf = async (seed: number) => {
      const { c, last } = make({ ...settings, seed });
      await c.start();
      await c.handle({ action: 'run' });
      return last().steps;
    };
    const a = await runOf(11);
    const b = await runOf(11);
    const other = await runOf(12);
    assert.deepEqual(a.map((s) => s.token.id), b.map((s) => s.token.id));
    assert.notDeepEqual(a.map((s) => s.token.id), other.map((s) => s.token.id));
    for (const s of a) {
      assert.ok(s.rank >= 1 && s.rank <= 5, `rank ${s.rank} outside top-5`);
      assert.equal(s.kept, 5);
    }
  });

  it('changing a setting recomputes the pending distribution at once: p = softmax(logits / T)', async () => {
    const { c, last } = make({ temperature: 1, topK: 0, topP: 1 });
    await c.start();
    const ids = last().promptTokens.map((t) => t.id);
    const row = await uncached(ids);
    for (const T of [0.3, 1, 1.9]) {
      await c.handle({ action: 'settings', settings: { ...last().settings, temperature: T } });
      const pending = last().pending!;
      const p = referenceSoftmax(row, T);
      assert.equal(pending.candidates.length, 12);
      for (const cand of pending.candidates) assert.ok(Math.abs(cand.p - p[cand.id]) < 1e-4, `T ${T}: ${cand.id} ${cand.p} vs ${p[cand.id]}`);
      const sorted = [...pending.candidates].sort((x, y) => y.p - x.p);
      assert.deepEqual(pending.candidates.map((x) => x.id), sorted.map((x) => x.id));
    }
    await c.handle({ action: 'settings', settings: { ...last().settings, topK: 3 } });
    assert.equal(last().pending!.kept, 3);
    assert.equal(last().steps.length, 0, 'a setting never takes a step');
  });

  it('a branch keeps the steps before it, takes the chosen token and continues greedily from there', async () => {
    const { c, last } = make({ greedy: true, maxTokens: 6 });
    await c.start();
    await c.handle({ action: 'run' });
    const before = last().steps.map((s) => s.token.id);
    const alt = last().steps[2].candidates[1].id;
    await c.handle({ action: 'branch', step: 2, tokenId: alt });
    const after = last().steps;
    assert.equal(after.length, 6);
    assert.deepEqual(after.slice(0, 2).map((s) => s.token.id), before.slice(0, 2));
    assert.equal(after[2].token.id, alt);
    assert.equal(after[2].rank, 2);
    const ids = [...last().promptTokens.map((t) => t.id), ...after.slice(0, 3).map((s) => s.token.id)];
    for (const s of after.slice(3)) {
      assert.equal(s.token.id, argmax(await uncached(ids)));
      ids.push(s.token.id);
    }
  });

  it('Stop halts a run within one step', async () => {
    let stopAt = -1;
    // eslint-disable-next-line prefer-const
    let ctl: ContinuationController;
    const { c, last } = make({ greedy: true, maxTokens: 200 }, PROMPT, (s) => {
      if (s.running && s.steps.length === 3 && stopAt < 0) {
        stopAt = s.steps.length;
        void ctl.handle({ action: 'stop' });
      }
    });
    ctl = c;
    await c.start();
    await c.handle({ action: 'run' });
    assert.equal(stopAt, 3);
    assert.ok(last().steps.length <= stopAt + 1, `ran on to ${last().steps.length} steps`);
    assert.equal(last().running, false);
    assert.match(last().note ?? '', /stopped after/);
  });

  it('a full context ends the run with a note; a further step is refused in one line', async () => {
    const dir = tempDir('continuation-small');
    writeTinyCheckpoint(dir, { n_layer: 1, n_head: 2, n_embd: 8, n_positions: 16, seed: 5 });
    const small = await loadSession(dir, false);
    try {
      const info = small.model!;
      const c = new ContinuationController(generationEngineOf(small), { name: info.name, config: info.config }, 'abc def ghi', { ...DEFAULT_SETTINGS, greedy: true, maxTokens: 40 }, () => undefined);
      await c.start();
      await c.handle({ action: 'run' });
      const s = c.state();
      assert.equal(s.promptTokens.length + s.steps.length, 16);
      assert.match(s.note ?? '', /context is full/);
      await assert.rejects(c.handle({ action: 'step' }), /context is full \(16 tokens\)/);
      c.dispose();
    } finally {
      small.dispose();
    }
  });
});
