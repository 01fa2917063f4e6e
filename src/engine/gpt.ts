/**
 * The GPT-2 model on tfjs, with GPT-2's checkpoint names (wte, wpe, h, ln_1, c_attn, c_proj, ln_f).
 *
 * Laid out for tfjs-wasm, where only plain 2-D matmuls without transposes run in XNNPACK (transposed or batched
 * ones fall to a scalar loop about 20x slower):
 *  - c_attn is split once at load into q, k and v weights [d, d], so each projection is one contiguous matmul;
 *  - keys are kept transposed (kT [d, T]), so each head's scores are q_h [T, hd] @ kT_h [hd, T] with kT_h a
 *    contiguous row slice; attention runs one head at a time as 2-D matmuls;
 *  - the unembedding uses a pre-transposed copy of wte (or lm_head) [d, V];
 *  - every block runs in its own tf.tidy, so the 4 GB wasm heap holds one layer's activations at a time.
 * The same block serves a full forward and a KV-cached generation step (queries after `past` cached positions).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../protocol';
import type { HostTensor, Weights } from './types';

interface LayerWeights {
  ln1: { g: tf.Tensor1D; b: tf.Tensor1D };
  /** c_attn split into its q, k, v column blocks: [d, d] and [d] each. */
  wq: tf.Tensor2D;
  bq: tf.Tensor1D;
  wk: tf.Tensor2D;
  bk: tf.Tensor1D;
  wv: tf.Tensor2D;
  bv: tf.Tensor1D;
  attnProj: { w: tf.Tensor2D; b: tf.Tensor1D };
  ln2: { g: tf.Tensor1D; b: tf.Tensor1D };
  fc: { w: tf.Tensor2D; b: tf.Tensor1D };
  mlpProj: { w: tf.Tensor2D; b: tf.Tensor1D };
}

/** Keys and values of the positions seen so far, for one layer: kT [d, t], v [t, d]. */
export interface LayerCache {
  kT: tf.Tensor2D;
  v: tf.Tensor2D;
}

/** One attention row's real numbers, captured during a run for (layer, head, query). */
export interface AttentionProbe {
  layer: number;
  head: number;
  query: number;
  q?: Float32Array;
  k?: Float32Array;
  v?: Float32Array;
  scores?: Float32Array;
  scaled?: Float32Array;
  weights?: Float32Array;
  output?: Float32Array;
}

/** What a run copies out to host memory besides the logits. All destinations are preallocated by the caller. */
export interface Capture {
  /** [L][H][Tq][Tk] attention probabilities. */
  attention?: Float32Array;
  /** [L][H][Tk] attention of the last query only (generation). */
  lastQueryAttention?: Float32Array;
  /** {wte, wpe} [Tq][d] each. */
  embeddings?: { wte: Float32Array; wpe: Float32Array };
  /** [L+1][Tq][d] residual stream. */
  residuals?: Float32Array;
  /** Per LayerNorm (h.l.ln_1, h.l.ln_2, ..., ln_f): per-position mean and std across d, before and after. */
  layerNorm?: (name: string, layer: number, before: MeanStd, after: MeanStd) => void;
  /** Logit lens: called with each residual l = 0..L (after ln_f) as logits [Tq][V] inside a tidy. */
  lens?: (layer: number, logits: tf.Tensor2D) => void;
  probe?: AttentionProbe;
}

export interface MeanStd {
  mean: Float32Array;
  std: Float32Array;
}

export interface RunOptions {
  capture?: Capture;
  /** Per-layer caches from earlier positions; the new keys/values are appended and returned. */
  past?: LayerCache[];
  /** Keep the new caches (kT, v per layer) for later steps. */
  keepCache?: boolean;
  /** Unembed only the last position (generation, logitsRow). */
  lastOnly?: boolean;
  /** Stop after this block (attention detail needs nothing later); no logits are computed then. */
  stopAfterLayer?: number;
}

export interface RunResult {
  /** [Tq][V], or [1][V] with lastOnly; empty when stopAfterLayer cut the run short. */
  logits: Float32Array;
  cache?: LayerCache[];
}

function host(weights: Weights, name: string, shape: number[]): HostTensor {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`checkpoint has no tensor "${name}"`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`);
  }
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`tensor "${name}" holds ${t.data.length} values for shape [${shape.join(', ')}]`);
  }
  return t;
}

export class Gpt {
  readonly config: ModelConfig;
  readonly headDim: number;
  private readonly wte: tf.Tensor2D;
  /** [d, V]: the unembedding, pre-transposed so it is a plain matmul. */
  private readonly unembedT: tf.Tensor2D;
  private readonly wpe: tf.Tensor2D;
  /** Host copies of wte and wpe: the input embedding is gathered and summed in JS and uploaded once (wasm's GatherV2
   * of 256 rows alone took about 1 ms). */
  private readonly wteHost: Float32Array;
  private readonly wpeHost: Float32Array;
  private readonly layers: LayerWeights[];
  private readonly lnF: { g: tf.Tensor1D; b: tf.Tensor1D };
  private disposed = false;

  constructor(config: ModelConfig, weights: Weights) {
    const { n_layer: L, n_head: H, n_embd: d, n_positions: P, vocab_size: V, n_inner: inner } = config;
    if (!(d % H === 0)) throw new Error(`n_embd ${d} is not divisible by n_head ${H}`);
    this.config = config;
    this.headDim = d / H;
    // Everything made here is tracked so a bad checkpoint (shape, missing tensor) leaks nothing.
    const made: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
    const t1 = (name: string, n: number): tf.Tensor1D => keep(tf.tensor1d(host(weights, name, [n]).data));
    const t2 = (name: string, r: number, c: number): tf.Tensor2D => keep(tf.tensor2d(host(weights, name, [r, c]).data, [r, c]));
    try {
      this.wte = t2('wte.weight', V, d);
      this.wpe = t2('wpe.weight', P, d);
      this.wteHost = Float32Array.from(host(weights, 'wte.weight', [V, d]).data);
      this.wpeHost = Float32Array.from(host(weights, 'wpe.weight', [P, d]).data);
      this.unembedT = keep(weights.has('lm_head.weight')
        ? tf.tidy(() => tf.transpose(t2('lm_head.weight', V, d)))
        : tf.transpose(this.wte));
      this.layers = [];
      for (let l = 0; l < L; l++) {
        const p = `h.${l}.`;
        const cAttnW = t2(`${p}attn.c_attn.weight`, d, 3 * d);
        const cAttnB = t1(`${p}attn.c_attn.bias`, 3 * d);
        // [d, 3d] -> three [d, d] column blocks q | k | v (copies, so each is contiguous).
        const [wq, wk, wv] = tf.split(cAttnW, 3, 1).map(keep) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const [bq, bk, bv] = tf.split(cAttnB, 3, 0).map(keep) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        cAttnW.dispose();
        cAttnB.dispose();
        this.layers.push({
          ln1: { g: t1(`${p}ln_1.weight`, d), b: t1(`${p}ln_1.bias`, d) },
          wq, bq, wk, bk, wv, bv,
          attnProj: { w: t2(`${p}attn.c_proj.weight`, d, d), b: t1(`${p}attn.c_proj.bias`, d) },
          ln2: { g: t1(`${p}ln_2.weight`, d), b: t1(`${p}ln_2.bias`, d) },
          fc: { w: t2(`${p}mlp.c_fc.weight`, d, inner), b: t1(`${p}mlp.c_fc.bias`, inner) },
          mlpProj: { w: t2(`${p}mlp.c_proj.weight`, inner, d), b: t1(`${p}mlp.c_proj.bias`, d) },
        });
      }
      this.lnF = { g: t1('ln_f.weight', d), b: t1('ln_f.bias', d) };
    } catch (err) {
      tf.dispose(made);
      throw err;
    }
  }

  /**
   * Runs `ids` as positions past..past+Tq-1. Without `past` this is the full causal forward; with it, a cached
   * continuation. Every tensor it creates is disposed unless returned in `cache` (keepCache).
   */
  run(ids: readonly number[], opts: RunOptions = {}): RunResult {
    if (this.disposed) throw new Error('the model was disposed');
    const { n_layer: L, n_positions: P, vocab_size: V, n_embd: d } = this.config;
    const cap = opts.capture ?? {};
    const past = opts.past;
    const start = past ? past[0].v.shape[0] : 0;
    const Tq = ids.length;
    if (Tq === 0) throw new Error('cannot run the model on zero tokens');
    if (start + Tq > P) throw new Error(`${start + Tq} positions exceed the model's context of n_positions = ${P}`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} is outside the vocabulary [0, ${V})`);
    }
    if (past && past.length !== L) throw new Error(`a KV cache of ${past.length} layers for a model of ${L}`);

    // Token + position embeddings [Tq, d]. A float32 sum rounded from the exact double sum: a float32 add's bits.
    const tok = new Float32Array(Tq * d);
    for (let i = 0; i < Tq; i++) tok.set(this.wteHost.subarray(ids[i] * d, (ids[i] + 1) * d), i * d);
    const pos = this.wpeHost.subarray(start * d, (start + Tq) * d);
    const sum = new Float32Array(Tq * d);
    for (let j = 0; j < sum.length; j++) sum[j] = tok[j] + pos[j];
    if (cap.embeddings) {
      cap.embeddings.wte.set(tok);
      cap.embeddings.wpe.set(pos);
    }
    let x = tf.tensor2d(sum, [Tq, d]);
    // Additive causal mask [Tq, start + Tq]: query i sees keys j <= start + i. A single query sees everything.
    const mask = Tq > 1 ? causalMask(Tq, start) : undefined;
    const cache: LayerCache[] = [];
    const last = opts.stopAfterLayer ?? L - 1;
    if (last < 0 || last >= L) throw new Error(`layer ${last} outside 0..${L - 1}`);
    try {
      for (let l = 0; l <= last; l++) {
        this.captureResidual(x, l, cap);
        const { out, layerCache } = tf.tidy(() => {
          const r = this.block(x, l, past?.[l], mask, cap);
          return { out: r.out, layerCache: r.cache };
        });
        x.dispose();
        x = out;
        if (opts.keepCache) cache.push(layerCache);
        else tf.dispose([layerCache.kT, layerCache.v]);
      }
      if (opts.stopAfterLayer !== undefined) return { logits: new Float32Array(0) };
      this.captureResidual(x, L, cap);
      let logits: Float32Array = new Float32Array(0); // annotated: with DOM types in scope (test/tsconfig.json) dataSync() widens
      // Never return a typed array from tf.tidy: it walks every element looking for tensors (seconds for [T][V]).
      tf.tidy(() => {
        const h = opts.lastOnly ? tf.slice(x, [Tq - 1, 0], [1, d]) : x; // [Tq or 1, d]
        const normed = this.layerNorm(h, this.lnF, 'ln_f', L, opts.lastOnly ? undefined : cap);
        logits = tf.matMul(normed, this.unembedT).dataSync() as Float32Array; // [Tq or 1, V]
      });
      return { logits, cache: opts.keepCache ? cache : undefined };
    } catch (err) {
      for (const c of cache) tf.dispose([c.kT, c.v]);
      throw err;
    } finally {
      x.dispose();
      mask?.dispose();
    }
  }

  /** Copies residual l to the host and runs the logit lens on it, as asked. */
  private captureResidual(x: tf.Tensor2D, l: number, cap: Capture): void {
    const [T, d] = x.shape;
    if (cap.residuals) cap.residuals.set(x.dataSync(), l * T * d);
    const lens = cap.lens;
    if (lens) {
      tf.tidy(() => {
        const normed = this.layerNorm(x, this.lnF, 'ln_f', this.config.n_layer, undefined);
        lens(l, tf.matMul(normed, this.unembedT)); // [T, V]
      });
    }
  }

  /** One transformer block: x + attn(ln_1(x)), then + mlp(ln_2(.)). Returns the block output and its K/V cache. */
  private block(x: tf.Tensor2D, l: number, past: LayerCache | undefined, mask: tf.Tensor2D | undefined, cap: Capture) {
    const w = this.layers[l];
    const a = this.layerNorm(x, w.ln1, `h.${l}.ln_1`, l, cap); // [Tq, d]
    const q = tf.fused.matMul({ a, b: w.wq, bias: w.bq }) as tf.Tensor2D; // [Tq, d]
    const kNew = tf.fused.matMul({ a, b: w.wk, bias: w.bk }) as tf.Tensor2D; // [Tq, d]
    const vNew = tf.fused.matMul({ a, b: w.wv, bias: w.bv }) as tf.Tensor2D; // [Tq, d]
    // [Tq, d] -> [d, Tq]: one transpose per layer so every head's kT_h is a contiguous row slice.
    const kTNew = kNew.shape[0] === 1 ? tf.reshape(kNew, [kNew.shape[1], 1]) as tf.Tensor2D : tf.transpose(kNew);
    const kT = past ? tf.concat([past.kT, kTNew], 1) as tf.Tensor2D : kTNew; // [d, Tk]
    const v = past ? tf.concat([past.v, vNew], 0) as tf.Tensor2D : vNew; // [Tk, d]
    const y = this.attention(q, kT, v, l, mask, cap); // [Tq, d]
    const attnOut = tf.fused.matMul({ a: y, b: w.attnProj.w, bias: w.attnProj.b }); // [Tq, d]
    const mid = tf.add(x, attnOut) as tf.Tensor2D;
    const m = this.layerNorm(mid, w.ln2, `h.${l}.ln_2`, l, cap);
    const hidden = this.activation(tf.fused.matMul({ a: m, b: w.fc.w, bias: w.fc.b }) as tf.Tensor2D); // [Tq, inner]
    const out = tf.add(mid, tf.fused.matMul({ a: hidden, b: w.mlpProj.w, bias: w.mlpProj.b })) as tf.Tensor2D; // [Tq, d]
    return { out, cache: { kT, v } };
  }

  /** Causal self-attention, one head at a time as plain 2-D matmuls. q [Tq, d], kT [d, Tk], v [Tk, d] -> [Tq, d]. */
  private attention(q: tf.Tensor2D, kT: tf.Tensor2D, v: tf.Tensor2D, l: number, mask: tf.Tensor2D | undefined, cap: Capture): tf.Tensor2D {
    const { n_head: H } = this.config;
    const hd = this.headDim;
    const Tq = q.shape[0];
    const Tk = v.shape[0];
    const scale = 1 / Math.sqrt(hd);
    const heads: tf.Tensor2D[] = [];
    for (let h = 0; h < H; h++) {
      heads.push(tf.tidy(() => {
        const qh = tf.slice(q, [0, h * hd], [Tq, hd]); // [Tq, hd]
        const kTh = tf.slice(kT, [h * hd, 0], [hd, Tk]); // [hd, Tk]
        const vh = tf.slice(v, [0, h * hd], [Tk, hd]); // [Tk, hd]
        const raw = tf.matMul(qh, kTh); // [Tq, Tk]
        const scaled = tf.mul(raw, scale);
        const att = tf.softmax(mask ? tf.add(scaled, mask) : scaled) as tf.Tensor2D; // [Tq, Tk], rows sum to 1
        if (cap.attention) cap.attention.set(att.dataSync(), ((l * H + h) * Tq) * Tk);
        if (cap.lastQueryAttention) {
          cap.lastQueryAttention.set(tf.slice(att, [Tq - 1, 0], [1, Tk]).dataSync(), (l * H + h) * Tk);
        }
        const yh = tf.matMul(att, vh) as tf.Tensor2D; // [Tq, hd]
        const probe = cap.probe;
        if (probe && probe.layer === l && probe.head === h) {
          const i = probe.query;
          probe.q = tf.slice(qh, [i, 0], [1, hd]).dataSync() as Float32Array;
          probe.k = tf.transpose(kTh).dataSync() as Float32Array; // [Tk, hd]
          probe.v = vh.dataSync() as Float32Array;
          probe.scores = tf.slice(raw, [i, 0], [1, Tk]).dataSync() as Float32Array;
          probe.scaled = tf.slice(scaled, [i, 0], [1, Tk]).dataSync() as Float32Array;
          probe.weights = tf.slice(att, [i, 0], [1, Tk]).dataSync() as Float32Array;
          probe.output = tf.slice(yh, [i, 0], [1, hd]).dataSync() as Float32Array;
        }
        return yh;
      }));
    }
    return tf.concat(heads, 1) as tf.Tensor2D; // H x [Tq, hd] -> [Tq, d]
  }

  /** LayerNorm over d with biased variance, as GPT-2; reports per-position mean/std before and after when asked. */
  private layerNorm(x: tf.Tensor2D, p: { g: tf.Tensor1D; b: tf.Tensor1D }, name: string, layer: number, cap: Capture | undefined): tf.Tensor2D {
    const mean = tf.mean(x, 1, true); // [T, 1]
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), 1, true); // [T, 1]
    const y = tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, this.config.layer_norm_epsilon))), p.g), p.b) as tf.Tensor2D;
    if (cap?.layerNorm) {
      const after = tf.moments(y, 1);
      cap.layerNorm(name, layer,
        { mean: mean.dataSync() as Float32Array, std: tf.sqrt(variance).dataSync() as Float32Array },
        { mean: after.mean.dataSync() as Float32Array, std: tf.sqrt(after.variance).dataSync() as Float32Array });
    }
    return y;
  }

  private activation(x: tf.Tensor2D): tf.Tensor2D {
    switch (this.config.activation_function) {
      case 'gelu_new':
      case 'gelu_pytorch_tanh': {
        // 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3), written as x * sigmoid(2u): the same function,
        // but wasm's sigmoid runs in XNNPACK while its tanh and pow are scalar loops (about 6x slower each).
        const x3 = tf.mul(tf.mul(x, x), x);
        const twoU = tf.mul(tf.add(x, tf.mul(x3, 0.044715)), 2 * Math.sqrt(2 / Math.PI));
        return tf.mul(x, tf.sigmoid(twoU)) as tf.Tensor2D;
      }
      case 'gelu':
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
      case 'relu':
        return tf.relu(x);
      default:
        throw new Error(`unsupported activation_function "${String(this.config.activation_function)}"`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const all: tf.Tensor[] = [this.wte, this.wpe, this.unembedT, this.lnF.g, this.lnF.b];
    for (const w of this.layers) {
      all.push(w.ln1.g, w.ln1.b, w.wq, w.bq, w.wk, w.bk, w.wv, w.bv, w.attnProj.w, w.attnProj.b,
        w.ln2.g, w.ln2.b, w.fc.w, w.fc.b, w.mlpProj.w, w.mlpProj.b);
    }
    tf.dispose(all);
  }
}

/** Additive mask [Tq, start + Tq]: 0 where query i may see key j (j <= start + i), -1e9 elsewhere. */
function causalMask(Tq: number, start: number): tf.Tensor2D {
  const Tk = start + Tq;
  const data = new Float32Array(Tq * Tk);
  for (let i = 0; i < Tq; i++) data.fill(-1e9, i * Tk + start + i + 1, (i + 1) * Tk);
  return tf.tensor2d(data, [Tq, Tk]);
}
