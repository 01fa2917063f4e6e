/**
 * The onnxruntime backend against the independent PyTorch reference (fixtures from scripts/reference/, shared with
 * the tfjs parity test) and against the tfjs backend on every Trace field: one engine interface, two backends.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { createOnnxRunner } from '../../src/engine/onnx-runner';
import { createTfjsRunner } from '../../src/engine/tfjs-runner';
import type { Checkpoint, ModelRunner } from '../../src/engine/types';
import type { TraceRequest } from '../../src/protocol';
import { PARITY_DIR, array, checkpointWithoutTokenizer, exists, maxAbsDiff, readReference, sha256File, type Reference } from './parity-fixtures';
import { fakeGpt2Dir, repoRoot } from './repo-root';

const LOGIT_TOL = 1e-4;
const ATTN_TOL = 1e-5;
const ALL: TraceRequest = { attention: true, embeddings: true, residuals: true, layerNorm: true, logitLens: true };

describe('onnxruntime GPT vs the PyTorch reference and the tfjs backend', function () {
  this.timeout(30_000);
  const dir = path.join(PARITY_DIR(), 'random-2l');
  let ckpt: Checkpoint;
  let ref: Reference;
  let onnx: ModelRunner;

  before(async () => {
    ckpt = checkpointWithoutTokenizer(dir);
    ref = readReference(path.join(dir, 'reference'));
    onnx = await createOnnxRunner(ckpt);
  });
  after(() => onnx?.dispose());

  it('reports itself as the onnxruntime backend', () => assert.equal(onnx.backend, 'onnxruntime'));

  it("gives PyTorch's logits at every position (abs 1e-4)", async () => {
    const V = ref.config.vocab_size;
    const logits = array(ref, 'logits');
    for (const [j, pos] of ref.positions.entries()) {
      const diff = maxAbsDiff(await onnx.logitsRow(ref.ids, pos), logits.subarray(j * V, (j + 1) * V));
      assert.ok(diff <= LOGIT_TOL, `logits at position ${pos} differ from PyTorch by ${diff}`);
    }
  });

  it("gives PyTorch's attention, hidden states and per-token surprisal", async () => {
    const T = ref.ids.length;
    const trace = await onnx.forward(ref.ids, { attention: true, residuals: true }, 5);
    assert.ok(maxAbsDiff(trace.attention!, array(ref, 'attention')) <= ATTN_TOL, 'attention');
    assert.ok(maxAbsDiff(trace.residuals!, array(ref, 'hidden')) <= 1e-4, 'residual stream');
    const lse = array(ref, 'logsumexp');
    const next = array(ref, 'next_logit');
    assert.equal(trace.scores[0].p, null);
    for (let i = 1; i < T; i++) {
      const bits = (lse[i - 1] - next[i - 1]) / Math.LN2;
      assert.ok(Math.abs((trace.scores[i].surprisal as number) - bits) <= 2e-4, `surprisal of token ${i}`);
    }
  });

  it('gives attention detail whose weights are PyTorch\'s attention row', async () => {
    const { n_head: H, n_embd: d } = ref.config;
    const T = ref.ids.length;
    const [layer, head, query] = [1, 2, 20];
    const det = await onnx.attentionDetail(ref.ids, layer, head, query);
    const row = array(ref, 'attention').subarray(((layer * H + head) * T + query) * T, ((layer * H + head) * T + query + 1) * T);
    assert.equal(det.dHead, d / H);
    assert.ok(maxAbsDiff(det.weights, row) <= ATTN_TOL);
    assert.deepEqual(Array.from(det.mask), Array.from({ length: T }, (_, t) => (t <= query ? 1 : 0)));
    const hd = det.dHead;
    for (let t = 0; t < T; t++) {
      const dot = Array.from(det.q).reduce((acc, qi, i) => acc + qi * det.k[t * hd + i], 0);
      assert.ok(Math.abs(det.scores[t] - dot) <= 1e-5 && Math.abs(det.scaled[t] - dot / Math.sqrt(hd)) <= 1e-5, `score ${t}`);
    }
  });

  it('gives the same Trace as the tfjs backend, field by field', async () => {
    const tfjs = await createTfjsRunner(ckpt);
    try {
      const a = await onnx.forward(ref.ids, ALL, 5);
      const b = await tfjs.forward(ref.ids, ALL, 5);
      assert.ok(maxAbsDiff(a.attention!, b.attention!) <= ATTN_TOL, 'attention');
      assert.ok(maxAbsDiff(a.residuals!, b.residuals!) <= 1e-4, 'residuals');
      assert.deepEqual(a.embeddings, b.embeddings);
      assert.ok(Math.abs(a.meanLoss - b.meanLoss) <= 1e-5 && Math.abs(a.perplexity - b.perplexity) <= 1e-4 * b.perplexity);
      a.scores.forEach((s, i) => {
        const t = b.scores[i];
        assert.equal(s.rank, t.rank, `rank of token ${i}`);
        assert.ok(Math.abs(s.entropy - t.entropy) <= 1e-4, `entropy at ${i}`);
        assert.deepEqual(s.topk.map((x) => x.id), t.topk.map((x) => x.id), `top-k at ${i}`);
        assert.deepEqual(s.topk.map((x) => x.text), t.topk.map((x) => x.text));
      });
      assert.deepEqual(a.layerNorm!.map((s) => [s.name, s.layer]), b.layerNorm!.map((s) => [s.name, s.layer]));
      a.layerNorm!.forEach((s, i) => {
        const t = b.layerNorm![i];
        for (const key of ['meanBefore', 'stdBefore', 'meanAfter', 'stdAfter'] as const) {
          assert.ok(maxAbsDiff(s.perPosition[key], t.perPosition[key]) <= 1e-4, `${s.name} ${key}`);
        }
      });
      assert.deepEqual(a.logitLens!.map((e) => [e.layer, e.k]), b.logitLens!.map((e) => [e.layer, e.k]));
      a.logitLens!.forEach((e, l) => {
        assert.deepEqual(Array.from(e.ids), Array.from(b.logitLens![l].ids), `lens ids at layer ${l}`);
        assert.ok(maxAbsDiff(e.probs, b.logitLens![l].probs) <= 1e-5, `lens probs at layer ${l}`);
        assert.deepEqual(e.texts, b.logitLens![l].texts);
      });
      const da = await onnx.attentionDetail(ref.ids, 0, 3, 30);
      const db = await tfjs.attentionDetail(ref.ids, 0, 3, 30);
      for (const key of ['q', 'k', 'v', 'scores', 'scaled', 'weights', 'output'] as const) {
        assert.ok(maxAbsDiff(da[key], db[key]) <= 1e-5, `attention detail ${key}`);
      }
      assert.deepEqual(da.mask, db.mask);
    } finally {
      tfjs.dispose();
    }
  });

  it('asks only for what the request names: a hover request carries no traced arrays', async () => {
    const trace = await onnx.forward(ref.ids.slice(0, 10), {}, 3);
    assert.equal(trace.attention, undefined);
    assert.equal(trace.residuals, undefined);
    assert.equal(trace.layerNorm, undefined);
    assert.equal(trace.logitLens, undefined);
    assert.equal(trace.scores.length, 10);
  });
});

/** Logits at the stored positions (1e-4) and attention (1e-5) against one PyTorch reference. */
async function checkAgainst(runner: ModelRunner, ref: Reference): Promise<void> {
  const V = ref.config.vocab_size;
  const logits = array(ref, 'logits');
  for (const [j, pos] of ref.positions.entries()) {
    const diff = maxAbsDiff(await runner.logitsRow(ref.ids, pos), logits.subarray(j * V, (j + 1) * V));
    assert.ok(diff <= LOGIT_TOL, `${ref.label}: logits at ${pos} differ from PyTorch by ${diff}`);
  }
  const trace = await runner.forward(ref.ids, { attention: true }, 5);
  assert.ok(maxAbsDiff(trace.attention!, array(ref, 'attention')) <= ATTN_TOL, `${ref.label}: attention`);
}

describe('onnxruntime GPT on real checkpoints vs the PyTorch reference', function () {
  this.timeout(30_000);

  it('fake_gpt2 (a real save_pretrained output)', async function () {
    const src = fakeGpt2Dir();
    const fixture = path.join(PARITY_DIR(), 'fake_gpt2', 'reference');
    if (!src || !exists(fixture)) this.skip();
    const runner = await createOnnxRunner(await loadCheckpoint(src!));
    try {
      await checkAgainst(runner, readReference(fixture));
    } finally {
      runner.dispose();
    }
  });

  it('the bundled model on english, code and chinese', async function () {
    const model = path.join(repoRoot(), 'media', 'models', 'xray-mini');
    const fixtures = path.join(PARITY_DIR(), 'xray-mini');
    const shaFile = path.join(fixtures, 'model.sha256');
    // Fixtures are made for one exact model file; a retrained model waits for scripts/reference/make-fixtures.sh.
    if (!exists(path.join(model, 'model.safetensors')) || !exists(shaFile)) this.skip();
    if (sha256File(path.join(model, 'model.safetensors')) !== readFileSync(shaFile, 'utf8').trim()) this.skip();
    const runner = await createOnnxRunner(await loadCheckpoint(model, { bundled: true }));
    try {
      for (const text of ['english', 'code', 'chinese']) await checkAgainst(runner, readReference(path.join(fixtures, text)));
    } finally {
      runner.dispose();
    }
  });
});
