/**
 * The tfjs backend behind the engine's ModelRunner and GenerationRunner contracts: runs the Gpt model, copies out
 * only what a request asks for (a hover-only request computes no attention copies at all), and derives the trace
 * with the backend-free helpers in trace.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionDetail, GenerateStepResult, LayerNormStat, LogitLensEntry, TraceRequest } from '../protocol';
import { Gpt, type AttentionProbe, type Capture, type LayerCache } from './gpt';
import { initTfjs } from './tfjs-backend';
import { layerNormStat, scoreSequence } from './trace';
import type { Checkpoint, GenerationRunner, ModelRunner } from './types';

type ForwardResult = Awaited<ReturnType<ModelRunner['forward']>>;

export async function createTfjsRunner(ckpt: Checkpoint, log: (msg: string) => void = () => undefined): Promise<ModelRunner & GenerationRunner> {
  const backend = await initTfjs(log);
  const started = performance.now();
  const model = new Gpt(ckpt.config, ckpt.weights);
  log(`tfjs: ${ckpt.name} laid out on ${backend} in ${(performance.now() - started).toFixed(0)} ms`);
  return new TfjsRunner(ckpt, model, `tfjs-${backend}`);
}

class TfjsRunner implements ModelRunner, GenerationRunner {
  private generation: { cache: LayerCache[]; length: number } | undefined;

  constructor(
    private readonly ckpt: Checkpoint,
    private readonly model: Gpt,
    readonly backend: string,
  ) {}

  async forward(ids: number[], want: TraceRequest, topK: number): Promise<ForwardResult> {
    const t0 = performance.now();
    const { n_layer: L, n_head: H, n_embd: d, vocab_size: V } = this.ckpt.config;
    const T = ids.length;
    const text = (id: number): string => this.ckpt.tokenizer.tokenText(id);
    const cap: Capture = {};
    if (want.attention) cap.attention = new Float32Array(L * H * T * T);
    if (want.embeddings) cap.embeddings = { wte: new Float32Array(T * d), wpe: new Float32Array(T * d) };
    if (want.residuals) cap.residuals = new Float32Array((L + 1) * T * d);
    const layerNorm: LayerNormStat[] = [];
    if (want.layerNorm) cap.layerNorm = (name, layer, before, after) => layerNorm.push(layerNormStat(name, layer, before, after));
    const logitLens: LogitLensEntry[] = [];
    if (want.logitLens) {
      const k = Math.max(1, Math.min(topK, V));
      cap.lens = (layer, logits) => {
        // Top-k and their probabilities on the backend: only [T][k] travels, not [T][V].
        const top = tf.topk(logits, k); // values, indices [T, k]
        const probs = tf.exp(tf.sub(top.values, tf.logSumExp(logits, 1, true))); // [T, k]
        const lensIds = top.indices.dataSync() as Int32Array;
        logitLens.push({ layer, ids: lensIds, probs: probs.dataSync() as Float32Array, k, texts: Array.from(lensIds, text) });
      };
    }
    const { logits } = this.model.run(ids, { capture: cap });
    const scored = scoreSequence(logits, ids, V, topK, text);
    const result: ForwardResult = { ...scored, forwardMs: 0 };
    if (cap.attention) result.attention = cap.attention;
    if (cap.embeddings) result.embeddings = cap.embeddings;
    if (cap.residuals) result.residuals = cap.residuals;
    if (want.layerNorm) result.layerNorm = layerNorm;
    if (want.logitLens) result.logitLens = logitLens;
    result.forwardMs = performance.now() - t0;
    return result;
  }

  async attentionDetail(ids: number[], layer: number, head: number, query: number): Promise<AttentionDetail> {
    const { n_layer: L, n_head: H } = this.ckpt.config;
    if (!(layer >= 0 && layer < L)) throw new Error(`layer ${layer} outside 0..${L - 1}`);
    if (!(head >= 0 && head < H)) throw new Error(`head ${head} outside 0..${H - 1}`);
    if (!(query >= 0 && query < ids.length)) throw new Error(`query ${query} outside 0..${ids.length - 1}`);
    const probe: AttentionProbe = { layer, head, query };
    // Blocks after `layer` cannot change this row, so the run stops there.
    this.model.run(ids, { capture: { probe }, stopAfterLayer: layer });
    const { q, k, v, scores, scaled, weights, output } = probe;
    if (!q || !k || !v || !scores || !scaled || !weights || !output) throw new Error('attention probe captured nothing');
    const mask = new Uint8Array(ids.length);
    mask.fill(1, 0, query + 1);
    return { layer, head, query, dHead: this.model.headDim, q, k, v, scores, scaled, mask, weights, output };
  }

  async logitsRow(ids: number[], position: number): Promise<Float32Array> {
    if (!(position >= 0 && position < ids.length)) throw new Error(`position ${position} outside 0..${ids.length - 1}`);
    // Causality: the row at `position` depends only on ids[0..position].
    return this.model.run(ids.slice(0, position + 1), { lastOnly: true }).logits;
  }

  async startGeneration(ids: number[]): Promise<GenerateStepResult> {
    this.endGeneration();
    const t0 = performance.now();
    const { n_layer: L, n_head: H } = this.ckpt.config;
    const attention = new Float32Array(L * H * ids.length);
    const r = this.model.run(ids, { keepCache: true, lastOnly: true, capture: { lastQueryAttention: attention } });
    if (!r.cache) throw new Error('the prompt run kept no KV cache');
    this.generation = { cache: r.cache, length: ids.length };
    return { logits: r.logits, attention, length: ids.length, stepMs: performance.now() - t0 };
  }

  async stepGeneration(id: number): Promise<GenerateStepResult> {
    const g = this.generation;
    if (!g) throw new Error('stepGeneration before startGeneration (or after endGeneration)');
    const t0 = performance.now();
    const { n_layer: L, n_head: H } = this.ckpt.config;
    const length = g.length + 1;
    const attention = new Float32Array(L * H * length);
    const r = this.model.run([id], { past: g.cache, keepCache: true, lastOnly: true, capture: { lastQueryAttention: attention } });
    if (!r.cache) throw new Error('the generation step kept no KV cache');
    disposeCache(g.cache);
    this.generation = { cache: r.cache, length };
    return { logits: r.logits, attention, length, stepMs: performance.now() - t0 };
  }

  endGeneration(): void {
    if (this.generation) disposeCache(this.generation.cache);
    this.generation = undefined;
  }

  dispose(): void {
    this.endGeneration();
    this.model.dispose();
  }
}

function disposeCache(cache: LayerCache[]): void {
  for (const c of cache) tf.dispose([c.kT, c.v]);
}
