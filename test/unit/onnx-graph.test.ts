/**
 * The hand-written ONNX encoder and graph: protobuf wire bytes against the protobuf spec's own examples, graph
 * variants' outputs, and each activation / untied unembedding against a plain double-precision forward written
 * here from the GPT-2 equations.
 */
import * as assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { buildGptOnnx } from '../../src/engine/onnx-graph';
import { ProtoMessage, encodeVarint } from '../../src/engine/onnx-proto';
import { createOnnxRunner, loadOnnxRuntime } from '../../src/engine/onnx-runner';
import { scoreSequence } from '../../src/engine/trace';
import type { Checkpoint, HostTensor, Weights } from '../../src/engine/types';
import type { ModelConfig } from '../../src/protocol';

describe('ONNX protobuf encoder', () => {
  it('writes varints as the protobuf encoding guide does', () => {
    assert.deepEqual(Array.from(encodeVarint(1n)), [0x01]);
    assert.deepEqual(Array.from(encodeVarint(150n)), [0x96, 0x01]);
    assert.deepEqual(Array.from(encodeVarint(300n)), [0xac, 0x02]);
    assert.deepEqual(Array.from(encodeVarint(0n)), [0x00]);
  });

  it('writes a negative int64 as ten bytes of two\'s complement, and float as fixed32', () => {
    assert.deepEqual(Array.from(new ProtoMessage().int(1, -1).toBytes()), [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // field 2, wire type 5, then 1.0f little-endian.
    assert.deepEqual(Array.from(new ProtoMessage().float(2, 1).toBytes()), [0x15, 0x00, 0x00, 0x80, 0x3f]);
    // The guide's "testing" string in field 2.
    assert.deepEqual(Array.from(new ProtoMessage().string(2, 'testing').toBytes()), [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
  });

  it('nests messages with their length prefix', () => {
    const inner = new ProtoMessage().int(1, 150);
    assert.deepEqual(Array.from(new ProtoMessage().message(3, inner).toBytes()), [0x1a, 0x03, 0x08, 0x96, 0x01]);
  });
});

/** A deterministic pseudo-random checkpoint (Park-Miller), small enough for a loop-by-loop reference. */
function tinyCheckpoint(config: ModelConfig, untied: boolean): Checkpoint {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647 - 0.5) * 0.6;
  };
  const w: Weights = new Map();
  const add = (name: string, shape: number[], base = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => base + rnd());
    w.set(name, { shape, data });
  };
  const { n_embd: d, vocab_size: V, n_positions: P, n_inner: I } = config;
  add('wte.weight', [V, d]);
  add('wpe.weight', [P, d]);
  for (let l = 0; l < config.n_layer; l++) {
    const p = `h.${l}`;
    for (const ln of ['ln_1', 'ln_2']) {
      add(`${p}.${ln}.weight`, [d], 1);
      add(`${p}.${ln}.bias`, [d]);
    }
    add(`${p}.attn.c_attn.weight`, [d, 3 * d]);
    add(`${p}.attn.c_attn.bias`, [3 * d]);
    add(`${p}.attn.c_proj.weight`, [d, d]);
    add(`${p}.attn.c_proj.bias`, [d]);
    add(`${p}.mlp.c_fc.weight`, [d, I]);
    add(`${p}.mlp.c_fc.bias`, [I]);
    add(`${p}.mlp.c_proj.weight`, [I, d]);
    add(`${p}.mlp.c_proj.bias`, [d]);
  }
  add('ln_f.weight', [d], 1);
  add('ln_f.bias', [d]);
  if (untied) add('lm_head.weight', [V, d]);
  const tokenText = (id: number): string => `<${id}>`;
  return {
    name: 'tiny',
    path: '/nonexistent',
    bundled: false,
    config,
    weights: w,
    tokenizer: { vocabSize: V, encode: () => [], decode: (ids) => ids.map(tokenText).join(''), tokenText, bytesOf: (id) => new TextEncoder().encode(tokenText(id)) },
  };
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse here; integrate the series instead (|x| small in this test).
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** GPT-2's forward in doubles, loop by loop: [T][V] logits. */
function referenceLogits(ck: Checkpoint, ids: number[]): number[][] {
  const c = ck.config;
  const W = (n: string): HostTensor => ck.weights.get(n)!;
  const { n_embd: d, n_head: H, vocab_size: V } = c;
  const hd = d / H;
  const ln = (x: number[], p: string): number[] => {
    const m = x.reduce((a, b) => a + b, 0) / d;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / d;
    return x.map((xi, i) => ((xi - m) / Math.sqrt(v + c.layer_norm_epsilon)) * W(`${p}.weight`).data[i] + W(`${p}.bias`).data[i]);
  };
  const lin = (x: number[], p: string, nOut: number): number[] =>
    Array.from({ length: nOut }, (_, o) => x.reduce((a, xi, i) => a + xi * W(`${p}.weight`).data[i * nOut + o], W(`${p}.bias`).data[o]));
  const act = (x: number): number => {
    if (c.activation_function === 'relu') return Math.max(0, x);
    if (c.activation_function === 'gelu') return 0.5 * x * (1 + erf(x / Math.SQRT2));
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  };
  let h = ids.map((id, t) => Array.from({ length: d }, (_, i) => W('wte.weight').data[id * d + i] + W('wpe.weight').data[t * d + i]));
  for (let l = 0; l < c.n_layer; l++) {
    const p = `h.${l}`;
    const qkv = h.map((x) => lin(ln(x, `${p}.ln_1`), `${p}.attn.c_attn`, 3 * d));
    const ctx = h.map((_, t) => {
      const out = new Array<number>(d).fill(0);
      for (let hh = 0; hh < H; hh++) {
        const s = Array.from({ length: t + 1 }, (_, u) => {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += qkv[t][hh * hd + i] * qkv[u][d + hh * hd + i];
          return dot / Math.sqrt(hd);
        });
        const mx = Math.max(...s);
        const e = s.map((x) => Math.exp(x - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let u = 0; u <= t; u++) for (let i = 0; i < hd; i++) out[hh * hd + i] += (e[u] / z) * qkv[u][2 * d + hh * hd + i];
      }
      return out;
    });
    const mid = h.map((x, t) => {
      const a = lin(ctx[t], `${p}.attn.c_proj`, d);
      return x.map((xi, i) => xi + a[i]);
    });
    h = mid.map((x) => {
      const f = lin(ln(x, `${p}.ln_2`), `${p}.mlp.c_fc`, c.n_inner).map(act);
      const o = lin(f, `${p}.mlp.c_proj`, d);
      return x.map((xi, i) => xi + o[i]);
    });
  }
  const head = ck.weights.get('lm_head.weight') ?? W('wte.weight');
  return h.map((x) => {
    const y = ln(x, 'ln_f');
    return Array.from({ length: V }, (_, v) => y.reduce((a, yi, i) => a + yi * head.data[v * d + i], 0));
  });
}

describe('ONNX GPT graph', function () {
  this.timeout(20_000);
  const base: ModelConfig = {
    n_layer: 2,
    n_head: 2,
    n_embd: 8,
    n_positions: 12,
    vocab_size: 17,
    n_inner: 32,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
  };
  const ids = [3, 16, 0, 7, 7, 2, 11];

  for (const [activation, untied] of [['gelu_new', false], ['gelu', true], ['relu', false], ['gelu_pytorch_tanh', true]] as const) {
    it(`equals a loop-by-loop forward with ${activation}${untied ? ' and an untied lm_head' : ''}`, async () => {
      const ck = tinyCheckpoint({ ...base, activation_function: activation }, untied);
      const runner = await createOnnxRunner(ck, 1);
      try {
        const expected = referenceLogits(ck, ids);
        for (let t = 0; t < ids.length; t++) {
          const row = await runner.logitsRow(ids, t);
          const diff = Math.max(...Array.from(row, (x, v) => Math.abs(x - expected[t][v])));
          assert.ok(diff <= 1e-5, `position ${t}: logits differ by ${diff}`);
        }
      } finally {
        runner.dispose();
      }
    });
  }

  it('declares logits and the row scores in the plain graph, and the traced tensors only in the traced one', async () => {
    const ort = loadOnnxRuntime();
    const ck = tinyCheckpoint(base, false);
    const names = async (traced: boolean): Promise<readonly string[]> => {
      const s = await ort.InferenceSession.create(buildGptOnnx(ck.config, ck.weights, { traced }));
      const out = s.outputNames;
      await s.release();
      return out;
    };
    const scoring = ['row_lse', 'row_entropy', 'row_greater', 'next_logit', 'top_values', 'top_ids'];
    assert.deepEqual(await names(false), ['logits', ...scoring]);
    assert.deepEqual(await names(true), ['logits', ...scoring, 'attention', 'residuals', 'ln_in', 'ln_out', 'qkv']);
  });

  it("scores every row in the graph as trace.ts's one-pass rowStats does on the same logits", async () => {
    const ck = tinyCheckpoint(base, false);
    const runner = await createOnnxRunner(ck, 1);
    try {
      const k = 7;
      const graph = await runner.forward(ids, {}, k); // scored by the graph (a fresh run)
      const V = base.vocab_size;
      const logits = new Float32Array(ids.length * V);
      for (let t = 0; t < ids.length; t++) logits.set(await runner.logitsRow(ids, t), t * V);
      const js = scoreSequence(logits, ids, V, k, (id) => ck.tokenizer.tokenText(id));
      assert.ok(Math.abs(graph.meanLoss - js.meanLoss) <= 1e-6, `mean loss ${graph.meanLoss} vs ${js.meanLoss}`);
      graph.scores.forEach((s, i) => {
        const j = js.scores[i];
        assert.equal(s.rank, j.rank, `rank of token ${i}`);
        assert.ok(Math.abs(s.entropy - j.entropy) <= 1e-5, `entropy at ${i}`);
        assert.ok(s.p === null ? j.p === null : Math.abs(s.p - (j.p as number)) <= 1e-6, `p at ${i}`);
        assert.deepEqual(s.topk.map((x) => [x.id, x.text, x.logit]), j.topk.map((x) => [x.id, x.text, x.logit]), `top-k at ${i}`);
        s.topk.forEach((x, r) => assert.ok(Math.abs(x.p - j.topk[r].p) <= 1e-6, `top-${r} p at ${i}`));
      });
      // The same ids again: the cached row scores, or (another k) the cached logits scored in JavaScript.
      await runner.logitsRow([...ids].reverse(), 0); // another run in between
      const fresh = await runner.forward(ids, {}, k);
      assert.deepEqual((await runner.forward(ids, {}, k)).scores, fresh.scores);
      const fewer = await runner.forward(ids, {}, 2);
      fewer.scores.forEach((s, i) => {
        assert.deepEqual(s.topk.map((x) => x.id), js.scores[i].topk.slice(0, 2).map((x) => x.id), `top-2 at ${i}`);
        assert.ok(Math.abs(s.entropy - js.scores[i].entropy) <= 1e-5, `entropy at ${i} (k = 2)`);
      });
    } finally {
      runner.dispose();
    }
  });

  it("gives a logit lens whose last layer is the loop-by-loop model's own top-k", async () => {
    const ck = tinyCheckpoint(base, true);
    const runner = await createOnnxRunner(ck, 1);
    try {
      const k = 4;
      const lens = (await runner.forward(ids, { logitLens: true }, k)).logitLens!;
      assert.deepEqual(lens.map((e) => e.layer), [0, 1, 2]);
      const expected = referenceLogits(ck, ids);
      const last = lens[base.n_layer];
      expected.forEach((row, t) => {
        const max = Math.max(...row);
        const z = row.reduce((a, x) => a + Math.exp(x - max), 0);
        const order = row.map((_, v) => v).sort((a, b) => row[b] - row[a]);
        assert.deepEqual(Array.from(last.ids.subarray(t * k, (t + 1) * k)), order.slice(0, k), `top-${k} at ${t}`);
        order.slice(0, k).forEach((v, j) => assert.ok(Math.abs(last.probs[t * k + j] - Math.exp(row[v] - max) / z) <= 1e-6));
      });
      assert.deepEqual(last.texts!.slice(0, k), Array.from(last.ids.subarray(0, k), (id) => `<${id}>`));
    } finally {
      runner.dispose();
    }
  });

  it('refuses weights that do not fit the config, naming the weight', () => {
    const ck = tinyCheckpoint(base, false);
    ck.weights.set('h.1.mlp.c_fc.weight', { shape: [8, 31], data: new Float32Array(8 * 31) });
    assert.throws(() => buildGptOnnx(ck.config, ck.weights, { traced: false }), /"h\.1\.mlp\.c_fc\.weight" has shape \[8, 31\], expected \[8, 32\]/);
    ck.weights.delete('ln_f.bias');
    assert.throws(() => buildGptOnnx(ck.config, ck.weights, { traced: false }), /weight/);
  });
});

describe('onnxruntime runner on bad input', function () {
  this.timeout(20_000);
  const config: ModelConfig = {
    n_layer: 1,
    n_head: 2,
    n_embd: 8,
    n_positions: 6,
    vocab_size: 10,
    n_inner: 16,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
  };

  it('rejects each bad request with a message and keeps answering good ones', async () => {
    const runner = await createOnnxRunner(tinyCheckpoint(config, false), 1);
    try {
      const good = [1, 2, 3];
      await assert.rejects(runner.forward([], {}, 3), /at least one token/);
      await assert.rejects(runner.forward([1, 2, 3, 4, 5, 6, 7], {}, 3), /7 tokens exceed the model's context of 6/);
      await assert.rejects(runner.forward([1, 10], {}, 3), /token id 10 is outside the vocabulary \[0, 10\)/);
      await assert.rejects(runner.forward([1, -1], {}, 3), /token id -1/);
      await assert.rejects(runner.forward([1, 2.5], {}, 3), /token id 2\.5/);
      await assert.rejects(runner.forward([1, Number.NaN], { attention: true }, 3), /token id NaN/);
      await assert.rejects(runner.attentionDetail(good, 1, 0, 0), /layer 1 is outside \[0, 1\)/);
      await assert.rejects(runner.attentionDetail(good, 0, 2, 0), /head 2/);
      await assert.rejects(runner.attentionDetail(good, 0, 0, 3), /query 3/);
      await assert.rejects(runner.logitsRow(good, -1), /position -1/);
      const trace = await runner.forward(good, { attention: true }, 3);
      assert.equal(trace.attention!.length, 2 * 3 * 3);
      assert.equal(trace.scores.length, 3);
    } finally {
      runner.dispose();
    }
  });

  it('answers a repeated request in full after the previous Trace\'s arrays were transferred away', async () => {
    const runner = await createOnnxRunner(tinyCheckpoint(config, false), 1);
    try {
      const ids = [4, 1, 9, 2];
      const want = { attention: true, residuals: true };
      const first = await runner.forward(ids, want, 3);
      const { port1, port2 } = new MessageChannel();
      // What the worker does with a Trace: transfer its buffers to the host, emptying them here.
      port1.postMessage(first, [first.attention!.buffer as ArrayBuffer, first.residuals!.buffer as ArrayBuffer]);
      port1.close();
      port2.close();
      assert.equal(first.attention!.length, 0);
      const again = await runner.forward(ids, want, 3);
      assert.equal(again.attention!.length, 2 * 4 * 4);
      assert.equal(again.residuals!.length, 2 * 4 * 8);
      assert.equal((await runner.logitsRow(ids, 3)).length, 10);
      assert.equal((await runner.attentionDetail(ids, 0, 1, 2)).k.length, 4 * 4);
    } finally {
      runner.dispose();
    }
  });

  it('refuses requests after dispose', async () => {
    const runner = await createOnnxRunner(tinyCheckpoint(config, false), 1);
    runner.dispose();
    await assert.rejects(runner.forward([1], { attention: true }, 1), /disposed/);
  });
});
