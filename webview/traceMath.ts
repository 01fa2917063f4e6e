/** Pure numerics the views derive from a Trace: no DOM, so the same code is checked by tests and the benchmark. */
import type { Trace } from '../src/protocol';

/** One head's [T][T] attention as a view into the flat [L][H][T][T] array (no copy). */
export function headMatrix(att: Float32Array, T: number, H: number, layer: number, head: number): Float32Array {
  const size = T * T;
  const offset = (layer * H + head) * size;
  return att.subarray(offset, offset + size);
}

/** Mean over heads of one layer: [T][T]. */
export function headAverage(att: Float32Array, T: number, H: number, layer: number): Float32Array {
  const size = T * T;
  const out = new Float32Array(size);
  for (let h = 0; h < H; h++) {
    const m = headMatrix(att, T, H, layer, h);
    for (let i = 0; i < size; i++) out[i] += m[i];
  }
  for (let i = 0; i < size; i++) out[i] /= H;
  return out;
}

export interface HeadStats {
  /** Mean over query rows of the row's entropy, bits. */
  entropy: number;
  /** Mean over rows 1..T-1 of the weight on token 0 (row 0 can only look at itself). */
  firstShare: number;
  /** Mean over rows 1..T-1 of the weight on the previous token. */
  prevScore: number;
  /**
   * Induction score on this text: over the queries whose token occurred before (not just before), the mean total
   * weight on the tokens that followed its earlier occurrences; NaN when no token repeats.
   */
  inductionScore: number;
}

/**
 * For each position i, the positions j + 1 where j < i - 1 holds the same token id: where an induction head looks
 * from i (the token after each earlier occurrence). Computed once per trace, shared by every head.
 */
export function inductionTargets(ids: readonly number[]): number[][] {
  const seen = new Map<number, number[]>();
  return ids.map((id, i) => {
    const earlier = seen.get(id) ?? [];
    const targets = earlier.filter((j) => j + 1 < i).map((j) => j + 1);
    seen.set(id, [...earlier, i]);
    return targets;
  });
}

export function headStats(m: Float32Array, T: number, targets: readonly (readonly number[])[] = []): HeadStats {
  let entropy = 0, first = 0, prev = 0;
  for (let i = 0; i < T; i++) {
    const row = i * T;
    let e = 0;
    for (let j = 0; j <= i; j++) {
      const w = m[row + j];
      if (w > 0) e -= w * Math.log2(w);
    }
    entropy += e;
    if (i > 0) {
      first += m[row];
      prev += m[row + i - 1];
    }
  }
  let induction = 0, repeats = 0;
  for (let i = 0; i < Math.min(T, targets.length); i++) {
    if (targets[i].length === 0) continue;
    repeats++;
    for (const j of targets[i]) induction += m[i * T + j];
  }
  const rows = Math.max(1, T - 1);
  return {
    entropy: entropy / T,
    firstShare: T > 1 ? first / rows : 1,
    prevScore: T > 1 ? prev / rows : 0,
    inductionScore: repeats ? induction / repeats : NaN,
  };
}

/** softmax(logits / temperature), computed stably (subtract the max). */
export function softmaxT(logits: ArrayLike<number>, temperature: number): { p: Float64Array; max: number; sum: number } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  let sum = 0;
  const p = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp(logits[i] / temperature - max);
    sum += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return { p, max, sum };
}

/** Rows [T][d] of a flat array; cosine similarity of every pair: [T][T]. */
export function cosineMatrix(x: Float32Array, T: number, d: number): Float32Array {
  const norms = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    norms[i] = Math.sqrt(s) || 1;
  }
  const out = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let j = i; j < T; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
      out[i * T + j] = out[j * T + i] = s / (norms[i] * norms[j]);
    }
  }
  return out;
}

/** id -> text for every token id the trace names (its tokens and all top-k lists), for labelling ids. */
export function tokenTexts(trace: Trace): Map<number, string> {
  const map = new Map<number, string>();
  for (const t of trace.tokens) map.set(t.id, t.text);
  for (const s of trace.scores) for (const t of s.topk) map.set(t.id, t.text);
  return map;
}

/** Make whitespace visible in a token label. */
export function showToken(text: string): string {
  return text.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→').replace(/\r/g, '');
}

export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits);
}
