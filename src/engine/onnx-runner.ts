/**
 * The onnxruntime backend: the same forward pass and Trace as the tfjs runner, on onnxruntime-node's CPU
 * execution provider with one intra-op thread per core (tfjs-wasm in Node is single-threaded and 4-7x behind
 * PyTorch on GPT-2 small; see the fast-path issue).
 *
 * Sessions built from the same weights (onnx-graph.ts): plain (logits and row scores, created at load), traced (created on
 * first use) and the small logit-lens head (ln_f + unembedding, on first use). Separate graphs rather than one with
 * every output, because intermediate tensors that are graph outputs cannot be fused away or have their buffers
 * reused. Each session holds its own copy of the weights it uses (onnxruntime-node cannot share initializers).
 *
 * Each row's log-sum-exp, entropy, target rank and top-k come out of the graph (onnx-graph.ts scoreRows); p,
 * surprisal, the sequence's loss and LayerNorm statistics come from trace.ts, shared with tfjs.
 */
import * as os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { AttentionDetail, LayerNormStat, LogitLensEntry, ModelConfig, Trace, TraceRequest } from '../protocol';
import type { Checkpoint, ModelRunner } from './types';
import { buildGptOnnx, buildLensHeadOnnx, graphOutputs, type GraphVariant } from './onnx-graph';
import { layerNormStat, rowMeanStd, scoreSequence, scoresFromRowStats, softmax, type RowStats, type SequenceScores } from './trace';

type OrtModule = typeof Ort;
type Outputs = Ort.InferenceSession.OnnxValueMapType;
type ForwardResult = Omit<Trace, 'model' | 'text' | 'offset' | 'tokens' | 'totalTokens'>;

/** Loads onnxruntime-node (kept out of the bundle: it carries native binaries per platform). Throws where it cannot load. */
export function loadOnnxRuntime(): OrtModule {
  // A plain require so that esbuild leaves the external module to Node's resolution at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('onnxruntime-node') as OrtModule;
}

const VARIANT_PLAIN: GraphVariant = { traced: false };
const VARIANT_TRACED: GraphVariant = { traced: true };

export async function createOnnxRunner(ckpt: Checkpoint, threads: number = os.cpus().length): Promise<ModelRunner> {
  const ort = loadOnnxRuntime();
  const runner = new OnnxRunner(ort, ckpt, threads);
  await runner.session(VARIANT_PLAIN);
  return runner;
}

/**
 * What the last run leaves for follow-up requests on the same ids (logits rows, attention detail). Only arrays that
 * are never handed out: the worker transfers a Trace's arrays to the host, which empties them on this side.
 */
interface CachedRun {
  key: string;
  /** Fetched only when a caller needs them (a logits row, a traced run): a hover takes the row scores alone. */
  logits?: Float32Array;
  qkv?: Float32Array;
  /** The graph's row scores for top-k `k` and each row's next-token logit: a repeated hover needs no run. */
  rows?: { k: number; stats: (RowStats & { rank?: number })[]; nextLogit: Float32Array };
}

class OnnxRunner implements ModelRunner {
  readonly backend = 'onnxruntime';
  private readonly config: ModelConfig;
  private readonly sessions = new Map<string, Promise<Ort.InferenceSession>>();
  private last: CachedRun | undefined;
  private disposed = false;

  constructor(
    private readonly ort: OrtModule,
    private readonly ckpt: Checkpoint,
    private readonly threads: number,
  ) {
    this.config = ckpt.config;
  }

  session(v: GraphVariant | 'lens'): Promise<Ort.InferenceSession> {
    if (this.disposed) throw new Error('the onnxruntime runner was disposed');
    const key = v === 'lens' ? 'lens' : `traced=${v.traced}`;
    let s = this.sessions.get(key);
    if (!s) {
      const bytes = v === 'lens' ? buildLensHeadOnnx(this.config, this.ckpt.weights) : buildGptOnnx(this.config, this.ckpt.weights, v);
      s = this.ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: Math.max(1, this.threads),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Idle pool threads sleep instead of spinning: the cores are shared with the editor and its other extensions.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      // A failed creation is not cached, so a later request can retry.
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  private checkIds(ids: number[]): void {
    const { n_positions: P, vocab_size: V } = this.config;
    if (!Array.isArray(ids) || ids.length === 0) throw new Error('forward needs at least one token id');
    if (ids.length > P) throw new Error(`${ids.length} tokens exceed the model's context of ${P} (n_positions)`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${String(id)} is outside the vocabulary [0, ${V})`);
    }
  }

  /**
   * One run of a graph. The logits [T][V] leave onnxruntime only when `withLogits` (a traced run always takes them,
   * for the logits rows the panel asks for next): copying them out cost a hover on the bundled model 1.5 ms of ~10.
   */
  private async run(ids: number[], v: GraphVariant, topK = 1, withLogits = true): Promise<Outputs> {
    this.checkIds(ids);
    const sess = await this.session(v);
    const int64 = (xs: number[]): Ort.Tensor => new this.ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), [xs.length]);
    // Row i is scored against the next token; the last row has none (its rank is not reported), so any valid id.
    const targets = ids.map((_, i) => (i + 1 < ids.length ? ids[i + 1] : 0));
    const fetches = graphOutputs(v).filter((name) => withLogits || v.traced || name !== 'logits');
    const out = await sess.run({ input_ids: int64(ids), targets: int64(targets), top_k: int64([topK]) }, fetches);
    this.last = {
      key: ids.join(','),
      logits: out.logits ? floats(out, 'logits') : undefined,
      qkv: v.traced ? floats(out, 'qkv') : undefined,
    };
    return out;
  }

  /** The last run if it ran on exactly these ids (and kept its logits / q/k/v when asked). */
  private cached(ids: number[], need: { logits?: boolean; qkv?: boolean } = {}): CachedRun | undefined {
    const last = this.last;
    if (!last || last.key !== ids.join(',')) return undefined;
    return (need.logits && !last.logits) || (need.qkv && !last.qkv) ? undefined : last;
  }

  /** Logit-lens entries: each residual [T, d] through the lens head; top-k and probabilities only leave the graph. */
  private async lens(residuals: Float32Array, T: number, k: number, tokenText: (id: number) => string): Promise<LogitLensEntry[]> {
    const { n_layer: L, n_embd: d } = this.config;
    const head = await this.session('lens');
    const kTensor = new this.ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]);
    const entries: LogitLensEntry[] = [];
    for (let l = 0; l <= L; l++) {
      const hidden = new this.ort.Tensor('float32', residuals.subarray(l * T * d, (l + 1) * T * d), [T, d]);
      const out = await head.run({ hidden, lens_k: kTensor });
      const ids = out.lens_ids?.data;
      if (!(ids instanceof BigInt64Array)) throw new Error('onnxruntime returned no int64 output "lens_ids"');
      const layerIds = Int32Array.from(ids, Number);
      entries.push({ layer: l, ids: layerIds, probs: floats(out, 'lens_probs'), k, texts: Array.from(layerIds, tokenText) });
    }
    return entries;
  }

  async forward(ids: number[], want: TraceRequest, topK: number): Promise<ForwardResult> {
    const started = performance.now();
    const { n_layer: L, n_embd: d, vocab_size: V } = this.config;
    const k = Math.max(1, Math.min(Math.floor(topK), V));
    const traced = Boolean(want.attention || want.residuals || want.layerNorm || want.logitLens);
    const T = ids.length;
    const tokenText = (id: number): string => this.ckpt.tokenizer.tokenText(id);
    // A repeated hover on the same ids reuses the last run's row scores, or (another k) scores its logits in
    // JavaScript (the same numbers, trace.ts). A traced request always runs: its arrays are handed out (and may be
    // transferred away) each time.
    const hit = traced ? undefined : this.cached(ids);
    const reuse = hit?.rows?.k === k ? hit.rows : undefined;
    const out = reuse || hit?.logits ? undefined : await this.run(ids, traced ? VARIANT_TRACED : VARIANT_PLAIN, k, false);
    let scored: SequenceScores;
    if (out) {
      const rows = { k, stats: graphRowStats(out, T, k, tokenText), nextLogit: floats(out, 'next_logit') };
      if (this.last) this.last.rows = rows;
      scored = scoresFromRowStats(rows.stats, rows.nextLogit, ids);
    } else if (reuse) scored = scoresFromRowStats(reuse.stats, reuse.nextLogit, ids);
    else scored = scoreSequence(hit!.logits!, ids, V, k, tokenText);
    const result: ForwardResult = { ...scored, forwardMs: 0 };
    if (want.attention) result.attention = floats(out, 'attention');
    if (want.residuals) result.residuals = floats(out, 'residuals');
    if (want.embeddings) result.embeddings = this.embeddings(ids);
    if (want.layerNorm) result.layerNorm = layerNormStats(floats(out, 'ln_in'), floats(out, 'ln_out'), L, T, d);
    if (want.logitLens) result.logitLens = await this.lens(floats(out, 'residuals'), T, k, tokenText);
    // As the tfjs runner does: the whole request, derivations included.
    result.forwardMs = performance.now() - started;
    return result;
  }

  /** wte rows of the ids and wpe rows 0..T-1, read from the weights (no model run needed). */
  private embeddings(ids: number[]): { wte: Float32Array; wpe: Float32Array } {
    const d = this.config.n_embd;
    const wte = this.ckpt.weights.get('wte.weight');
    const wpe = this.ckpt.weights.get('wpe.weight');
    if (!wte || !wpe) throw new Error('the checkpoint lacks wte.weight or wpe.weight');
    const tok = new Float32Array(ids.length * d);
    ids.forEach((id, t) => tok.set(wte.data.subarray(id * d, (id + 1) * d), t * d));
    return { wte: tok, wpe: wpe.data.slice(0, ids.length * d) };
  }

  async attentionDetail(ids: number[], layer: number, head: number, query: number): Promise<AttentionDetail> {
    const { n_layer: L, n_head: H, n_embd: d } = this.config;
    const T = ids.length;
    checkIndex('layer', layer, L);
    checkIndex('head', head, H);
    checkIndex('query', query, T);
    const qkv = this.cached(ids, { qkv: true })?.qkv ?? floats(await this.run(ids, VARIANT_TRACED), 'qkv'); // [L, T, 3d]
    const hd = d / H;
    const at = (t: number, part: number): Float32Array => {
      const o = (layer * T + t) * 3 * d + part * d + head * hd;
      return qkv.subarray(o, o + hd);
    };
    const q = at(query, 0).slice();
    const k = new Float32Array(T * hd);
    const v = new Float32Array(T * hd);
    const scores = new Float32Array(T);
    const scaled = new Float32Array(T);
    const mask = new Uint8Array(T);
    const sqrtHd = Math.sqrt(hd);
    for (let t = 0; t < T; t++) {
      const kt = at(t, 1);
      k.set(kt, t * hd);
      v.set(at(t, 2), t * hd);
      let s = 0;
      for (let i = 0; i < hd; i++) s += q[i] * kt[i];
      scores[t] = s;
      scaled[t] = s / sqrtHd;
      mask[t] = t <= query ? 1 : 0;
    }
    // Softmax over the visible keys only; masked keys get exactly 0, as in the model.
    const visible = softmax(scaled.subarray(0, query + 1));
    const weights = new Float32Array(T);
    weights.set(visible);
    const output = new Float32Array(hd);
    for (let t = 0; t <= query; t++) for (let i = 0; i < hd; i++) output[i] += weights[t] * v[t * hd + i];
    return { layer, head, query, dHead: hd, q, k, v, scores, scaled, mask, weights, output };
  }

  async logitsRow(ids: number[], position: number): Promise<Float32Array> {
    checkIndex('position', position, ids.length);
    const V = this.config.vocab_size;
    const logits = this.cached(ids, { logits: true })?.logits ?? floats(await this.run(ids, VARIANT_PLAIN), 'logits');
    return logits.slice(position * V, (position + 1) * V);
  }

  dispose(): void {
    this.disposed = true;
    this.last = undefined;
    for (const s of this.sessions.values()) s.then((x) => x.release()).catch(() => undefined);
    this.sessions.clear();
  }
}

function checkIndex(name: string, value: number, n: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= n) throw new Error(`${name} ${String(value)} is outside [0, ${n})`);
}

/** The graph's per-row scoring outputs as rowStats would give them (entropy in bits, rank = count above + 1). */
function graphRowStats(out: Outputs, T: number, k: number, tokenText: (id: number) => string): (RowStats & { rank?: number })[] {
  const lse = floats(out, 'row_lse');
  const entropy = floats(out, 'row_entropy');
  const greater = floats(out, 'row_greater');
  const values = floats(out, 'top_values');
  const ids = out.top_ids?.data;
  if (!(ids instanceof BigInt64Array)) throw new Error('onnxruntime returned no int64 output "top_ids"');
  return Array.from({ length: T }, (_, i) => ({
    logSumExp: lse[i],
    entropy: entropy[i] / Math.LN2,
    topk: Array.from({ length: k }, (_, j) => {
      const id = Number(ids[i * k + j]);
      const logit = values[i * k + j];
      return { id, text: tokenText(id), p: Math.exp(logit - lse[i]), logit };
    }),
    ...(i + 1 < T ? { rank: greater[i] + 1 } : {}),
  }));
}

function floats(out: Outputs | undefined, name: string): Float32Array {
  const t = out?.[name];
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`onnxruntime returned no float output "${name}"`);
  return t.data;
}

/** LayerNorm statistics from the stacked inputs/outputs [2L+1, T, d] of h.0.ln_1, h.0.ln_2, ..., ln_f. */
function layerNormStats(lnIn: Float32Array, lnOut: Float32Array, L: number, T: number, d: number): LayerNormStat[] {
  const stats: LayerNormStat[] = [];
  for (let i = 0; i <= 2 * L; i++) {
    const slice = (x: Float32Array): Float32Array => x.subarray(i * T * d, (i + 1) * T * d);
    const name = i === 2 * L ? 'ln_f' : `h.${Math.floor(i / 2)}.ln_${(i % 2) + 1}`;
    const layer = i === 2 * L ? L : Math.floor(i / 2);
    stats.push(layerNormStat(name, layer, rowMeanStd(slice(lnIn), T, d), rowMeanStd(slice(lnOut), T, d)));
  }
  return stats;
}
