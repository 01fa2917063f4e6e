/**
 * Parity of the tfjs engine with an independent PyTorch implementation (scripts/reference/gpt2_reference.py), from
 * fixtures made by `bash scripts/reference/make-fixtures.sh`: logits to 1e-4 absolute, attention, residuals, and
 * every trace field derived from them. No Python is needed here.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { createTfjsRunner } from '../../src/engine/tfjs-runner';
import type { Checkpoint, GenerationRunner, ModelRunner } from '../../src/engine/types';
import { PARITY_DIR, array, checkpointWithoutTokenizer, exists, maxAbsDiff, readReference, sha256File, type Reference } from './parity-fixtures';
import { fakeGpt2Dir, repoRoot } from './repo-root';

const LOGIT_TOL = 1e-4;
const ATTN_TOL = 1e-5;

type Runner = ModelRunner & GenerationRunner;

/** Softmax statistics of one row computed directly, in doubles: an expectation independent of trace.ts. */
function expectedRow(row: Float32Array, target?: number) {
  const max = Math.max(...row);
  const exps = Array.from(row, (x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const p = exps.map((e) => e / sum);
  const entropy = -p.reduce((acc, pi) => acc + (pi > 0 ? pi * Math.log2(pi) : 0), 0);
  const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
  return { p, entropy, order, rank: target === undefined ? 0 : order.findIndex((i) => row[i] === row[target]) + 1 };
}

async function checkLogitsRows(runner: Runner, ref: Reference): Promise<void> {
  const V = ref.config.vocab_size;
  const logits = array(ref, 'logits');
  for (const [j, pos] of ref.positions.entries()) {
    const ours = await runner.logitsRow(ref.ids, pos);
    const diff = maxAbsDiff(ours, logits.subarray(j * V, (j + 1) * V));
    assert.ok(diff <= LOGIT_TOL, `${ref.label}: logits at position ${pos} differ from PyTorch by ${diff}`);
  }
}

async function checkTrace(runner: Runner, ref: Reference): Promise<void> {
  const { n_layer: L, n_head: H, vocab_size: V } = ref.config;
  const T = ref.ids.length;
  const k = 5;
  const trace = await runner.forward(ref.ids, { attention: true }, k);
  const attention = trace.attention;
  assert.ok(attention, 'attention was asked for');
  assert.equal(attention.length, L * H * T * T);
  const diff = maxAbsDiff(attention, array(ref, 'attention'));
  assert.ok(diff <= ATTN_TOL, `${ref.label}: attention differs from PyTorch by ${diff}`);

  // p and surprisal of every token from PyTorch's logsumexp and next-token logit.
  const lse = array(ref, 'logsumexp');
  const next = array(ref, 'next_logit');
  assert.equal(trace.scores.length, T);
  assert.equal(trace.scores[0].p, null);
  assert.equal(trace.scores[0].surprisal, null);
  let bits = 0;
  for (let i = 1; i < T; i++) {
    const nats = lse[i - 1] - next[i - 1];
    bits += nats / Math.LN2;
    const s = trace.scores[i];
    assert.ok(Math.abs((s.surprisal as number) - nats / Math.LN2) <= 2e-4, `${ref.label}: surprisal of token ${i}`);
    assert.ok(Math.abs((s.p as number) - Math.exp(-nats)) <= 1e-4 * Math.max(1, Math.exp(-nats)), `${ref.label}: p of token ${i}`);
  }
  assert.ok(Math.abs(trace.meanSurprisal - bits / (T - 1)) <= 1e-4);
  assert.ok(Math.abs(trace.perplexity - 2 ** (bits / (T - 1))) <= 1e-3 * trace.perplexity);
  assert.ok(Math.abs(trace.meanLoss - (bits / (T - 1)) * Math.LN2) <= 1e-4);

  // Rank, entropy and top-k where full rows are stored.
  const logits = array(ref, 'logits');
  for (const [j, pos] of ref.positions.entries()) {
    const row = logits.subarray(j * V, (j + 1) * V);
    const e = expectedRow(row, pos + 1 < T ? ref.ids[pos + 1] : undefined);
    const s = trace.scores[pos];
    assert.ok(Math.abs(s.entropy - e.entropy) <= 1e-3, `${ref.label}: entropy at ${pos}: ${s.entropy} vs ${e.entropy}`);
    assert.deepEqual(s.topk.map((t) => t.id).slice(0, 2), e.order.slice(0, 2), `${ref.label}: top-2 at ${pos}`);
    for (const t of s.topk) assert.ok(Math.abs(t.p - e.p[t.id]) <= 1e-4 && Math.abs(t.logit - row[t.id]) <= LOGIT_TOL);
    if (pos + 1 < T) assert.equal(trace.scores[pos + 1].rank, e.rank, `${ref.label}: rank of token ${pos + 1}`);
  }
}

describe('tfjs GPT vs the PyTorch reference', function () {
  this.timeout(60_000);

  describe('random-2l (2 layers, d 64, 4 heads, F16 weights)', () => {
    const dir = path.join(PARITY_DIR(), 'random-2l');
    let ckpt: Checkpoint;
    let runner: Runner;
    let ref: Reference;
    before(async () => {
      ckpt = checkpointWithoutTokenizer(dir);
      ref = readReference(path.join(dir, 'reference'));
      runner = await createTfjsRunner(ckpt);
    });
    after(() => runner?.dispose());

    it('runs on the wasm backend', () => assert.equal(runner.backend, 'tfjs-wasm'));
    it('gives PyTorch\'s logits at every position (abs 1e-4)', () => checkLogitsRows(runner, ref));
    it('gives PyTorch\'s attention, p, surprisal, rank, entropy and top-k', () => checkTrace(runner, ref));

    it('gives the residual stream, embeddings and LayerNorm statistics of the reference run', async () => {
      const { n_layer: L, n_embd: d } = ref.config;
      const T = ref.ids.length;
      const trace = await runner.forward(ref.ids, { residuals: true, embeddings: true, layerNorm: true }, 3);
      const hidden = array(ref, 'hidden'); // [L+1][T][d]
      assert.ok(trace.residuals && trace.embeddings && trace.layerNorm);
      assert.ok(maxAbsDiff(trace.residuals, hidden) <= 1e-4, 'residuals differ from PyTorch hidden states');
      // Embeddings are rows of the checkpoint's own wte and wpe.
      const wte = ckpt.weights.get('wte.weight')!.data;
      const wpe = ckpt.weights.get('wpe.weight')!.data;
      ref.ids.forEach((id, t) => {
        assert.deepEqual(trace.embeddings!.wte.subarray(t * d, (t + 1) * d), wte.subarray(id * d, (id + 1) * d));
        assert.deepEqual(trace.embeddings!.wpe.subarray(t * d, (t + 1) * d), wpe.subarray(t * d, (t + 1) * d));
      });
      assert.deepEqual(trace.layerNorm.map((s) => s.name), ['h.0.ln_1', 'h.0.ln_2', 'h.1.ln_1', 'h.1.ln_2', 'ln_f']);
      // ln_1 of block l and ln_f normalise the residual l (resp. L): their "before" stats are that residual's.
      const checkBefore = (name: string, l: number) => {
        const s = trace.layerNorm!.find((x) => x.name === name)!;
        for (let t = 0; t < T; t++) {
          const row = Array.from(hidden.subarray((l * T + t) * d, (l * T + t + 1) * d));
          const mean = row.reduce((a, b) => a + b, 0) / d;
          const std = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / d);
          assert.ok(Math.abs(s.perPosition.meanBefore[t] - mean) <= 1e-4 && Math.abs(s.perPosition.stdBefore[t] - std) <= 1e-4, `${name} at ${t}`);
        }
        const avg = Array.from(s.perPosition.stdBefore).reduce((a, b) => a + b, 0) / T;
        assert.ok(Math.abs(s.stdBefore - avg) <= 1e-5);
      };
      for (let l = 0; l < L; l++) checkBefore(`h.${l}.ln_1`, l);
      checkBefore('ln_f', L);
    });

    it('gives a logit lens whose last layer is the model\'s own prediction', async () => {
      const { n_layer: L, vocab_size: V } = ref.config;
      const trace = await runner.forward(ref.ids, { logitLens: true }, 4);
      assert.deepEqual(trace.logitLens!.map((e) => e.layer), Array.from({ length: L + 1 }, (_, i) => i));
      const final = trace.logitLens![L];
      const logits = array(ref, 'logits');
      for (const [j, pos] of ref.positions.entries()) {
        const e = expectedRow(logits.subarray(j * V, (j + 1) * V));
        assert.equal(final.ids[pos * final.k], e.order[0], `lens top token at ${pos}`);
        assert.ok(Math.abs(final.probs[pos * final.k] - e.p[e.order[0]]) <= 1e-4);
      }
    });

    it('gives the real numbers behind one attention row', async () => {
      const { n_embd: d, n_head: H } = ref.config;
      const hd = d / H;
      const T = ref.ids.length;
      const [layer, head, query] = [1, 2, 20];
      const det = await runner.attentionDetail(ref.ids, layer, head, query);
      assert.equal(det.dHead, hd);
      // q, k, v recomputed here in doubles from PyTorch's residual and the checkpoint's weights.
      const hidden = array(ref, 'hidden');
      const g = ckpt.weights.get(`h.${layer}.ln_1.weight`)!.data;
      const b = ckpt.weights.get(`h.${layer}.ln_1.bias`)!.data;
      const W = ckpt.weights.get(`h.${layer}.attn.c_attn.weight`)!.data; // [d, 3d]
      const bias = ckpt.weights.get(`h.${layer}.attn.c_attn.bias`)!.data;
      const proj = (t: number, block: number): number[] => {
        const x = Array.from(hidden.subarray((layer * T + t) * d, (layer * T + t + 1) * d));
        const mean = x.reduce((a, c) => a + c, 0) / d;
        const inv = 1 / Math.sqrt(x.reduce((a, c) => a + (c - mean) ** 2, 0) / d + 1e-5);
        const n = x.map((c, i) => (c - mean) * inv * g[i] + b[i]);
        return Array.from({ length: hd }, (_, j) => {
          const col = block * d + head * hd + j;
          return n.reduce((acc, ni, i) => acc + ni * W[i * 3 * d + col], bias[col]);
        });
      };
      assert.ok(maxAbsDiff(det.q, proj(query, 0)) <= 1e-4, 'q');
      for (const t of [0, query, T - 1]) {
        assert.ok(maxAbsDiff(det.k.subarray(t * hd, (t + 1) * hd), proj(t, 1)) <= 1e-4, `k at ${t}`);
        assert.ok(maxAbsDiff(det.v.subarray(t * hd, (t + 1) * hd), proj(t, 2)) <= 1e-4, `v at ${t}`);
      }
      // The arithmetic chain: scores = q.k, scaled = scores / sqrt(hd), weights = softmax over visible keys.
      for (let t = 0; t < T; t++) {
        const dot = Array.from(det.q).reduce((acc, qi, i) => acc + qi * det.k[t * hd + i], 0);
        assert.ok(Math.abs(det.scores[t] - dot) <= 1e-4, `q.k at ${t}`);
        assert.ok(Math.abs(det.scaled[t] - dot / Math.sqrt(hd)) <= 1e-4);
        assert.equal(det.mask[t], t <= query ? 1 : 0);
      }
      const refRow = array(ref, 'attention').subarray(((layer * H + head) * T + query) * T, ((layer * H + head) * T + query + 1) * T);
      assert.ok(maxAbsDiff(det.weights, refRow) <= ATTN_TOL, 'softmax weights vs PyTorch');
      const out = Array.from({ length: hd }, (_, i) => refRow.reduce((acc, w, t) => acc + w * det.v[t * hd + i], 0));
      assert.ok(maxAbsDiff(det.output, out) <= 1e-4, 'weighted sum of v');
    });
  });

  describe('fake_gpt2 (a real save_pretrained output)', () => {
    const src = fakeGpt2Dir();
    const fixture = path.join(PARITY_DIR(), 'fake_gpt2', 'reference');
    let runner: Runner;
    before(async function () {
      if (!src || !exists(fixture)) {
        console.log(`      skipped: ${src ? fixture : '../shared/fixtures/fake_gpt2'} is absent`);
        this.skip();
      }
      runner = await createTfjsRunner(await loadCheckpoint(src));
    });
    after(() => runner?.dispose());
    it('gives PyTorch\'s logits and attention', async () => {
      const ref = readReference(fixture);
      await checkLogitsRows(runner, ref);
      await checkTrace(runner, ref);
    });
  });

  describe('the bundled model (media/models/xray-mini)', () => {
    const model = path.join(repoRoot(), 'media', 'models', 'xray-mini');
    const fixtures = path.join(PARITY_DIR(), 'xray-mini');
    let runner: Runner;
    before(async function () {
      if (!exists(path.join(model, 'model.safetensors')) || !exists(path.join(fixtures, 'model.sha256'))) {
        console.log('      skipped: the bundled model or its fixtures are absent (bash scripts/reference/make-fixtures.sh)');
        this.skip();
      }
      const recorded = (await import('node:fs')).readFileSync(path.join(fixtures, 'model.sha256'), 'utf8').trim();
      assert.equal(sha256File(path.join(model, 'model.safetensors')), recorded,
        'the bundled model changed since its parity fixtures were made: run bash scripts/reference/make-fixtures.sh');
      runner = await createTfjsRunner(await loadCheckpoint(model, { bundled: true }));
    });
    after(() => runner?.dispose());
    for (const text of ['english', 'code', 'chinese']) {
      it(`gives PyTorch's logits and attention on ${text}`, async () => {
        const ref = readReference(path.join(fixtures, text));
        await checkLogitsRows(runner, ref);
        await checkTrace(runner, ref);
      });
    }
  });
});
