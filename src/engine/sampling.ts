/**
 * Choosing the next token from a logits row: greedy (arg-max), temperature, top-k and top-p (nucleus), with a small
 * seeded PRNG so a run is reproducible. Pure arithmetic on typed arrays, shared by the host's continuation controller
 * and the unit tests.
 *
 * Definitions (the order Hugging Face's warpers apply them):
 *   p = softmax(logits / T) over the whole vocabulary;
 *   top-k (k > 0) keeps the k most probable tokens (equal logits: lower id first), renormalised;
 *   top-p keeps the smallest most-probable prefix of what top-k left whose probability sums to >= topP, renormalised;
 *   greedy keeps only the arg-max and ignores the rest.
 * One uniform number u in [0, 1) picks the token by inverse CDF over the kept tokens, most probable first (in
 * vocabulary order when neither top-k nor top-p cuts anything: no sort of a 50k vocabulary per step).
 */
import { topK as topKOf } from './trace';

export interface SamplingOptions {
  greedy: boolean;
  /** 0.1 to 2 in the panel; any value > 0 here. */
  temperature: number;
  /** 0 = no limit. */
  topK: number;
  /** In (0, 1]; 1 = no limit. */
  topP: number;
}

/** The tokens a draw may return, most probable first, with their renormalised probabilities. */
export interface KeptTokens {
  ids: number[];
  /** Renormalised over the kept tokens: sums to 1. */
  probs: number[];
  /** Sum of the kept tokens' probabilities in softmax(logits / T) over the whole vocabulary. */
  mass: number;
}

export function checkSamplingOptions(o: SamplingOptions, vocab: number): void {
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new Error(`temperature must be > 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new Error(`topK must be an integer >= 0, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${o.topP}`);
  if (vocab < 1) throw new Error('sampling needs a logits row with at least one entry');
}

/** mulberry32: a 32-bit seeded PRNG giving uniform numbers in [0, 1). Small, fast and good enough for sampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The uniform draw for step `step` of a run seeded with `seed`. It depends on nothing else, so replaying, branching
 * or changing settings mid-run never shifts the draws of later steps.
 */
export function stepUniform(seed: number, step: number): number {
  const mixed = (Math.imul(seed >>> 0, 0x85ebca6b) ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0;
  const rng = mulberry32(mixed);
  rng(); // the first output of nearby states is correlated; skip it
  return rng();
}

/** Index of the largest entry (the lowest index among equals). */
export function argmax(row: ArrayLike<number>): number {
  if (row.length === 0) throw new Error('argmax of an empty row');
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** softmax(row / T) over the whole row, in doubles: one exp per entry. */
export function probabilities(row: ArrayLike<number>, temperature: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const p = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += p[i] = Math.exp((row[i] - max) / temperature);
  for (let i = 0; i < row.length; i++) p[i] /= sum;
  return p;
}

/** Ids sorted by probability, largest first; equal values keep the lower id first (as trace.ts topK does). */
function sortIds(ids: number[], p: Float64Array): number[] {
  return ids.sort((a, b) => (p[b] - p[a]) || (a - b));
}

/**
 * The most probable ids whose probabilities sum to at least `mass`, sorted: a superset of the nucleus that needs no
 * sort of the whole vocabulary. A bisection on the probability threshold finds the largest t with sum(p >= t) >= mass.
 */
function headReaching(p: Float64Array, mass: number): number[] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > hi) hi = p[i];
  for (let iter = 0; iter < 60 && hi - lo > 1e-300; iter++) {
    const mid = (lo + hi) / 2;
    let s = 0;
    for (let i = 0; i < p.length; i++) if (p[i] >= mid) s += p[i];
    if (s >= mass) lo = mid;
    else hi = mid;
  }
  const ids: number[] = [];
  for (let i = 0; i < p.length; i++) if (p[i] >= lo) ids.push(i);
  return sortIds(ids, p);
}

/**
 * What top-k, top-p and greedy leave of a logits row (see the file comment for the definitions). With neither top-k
 * nor top-p every token stays, in vocabulary order. `probs` = probabilities(row, T) when the caller has them.
 */
export function keptTokens(row: ArrayLike<number>, o: SamplingOptions, probs?: Float64Array): KeptTokens {
  checkSamplingOptions(o, row.length);
  const pT = probs ?? probabilities(row, o.temperature);
  if (o.greedy) {
    const id = argmax(row);
    return { ids: [id], probs: [1], mass: pT[id] };
  }
  const limitK = o.topK > 0 && o.topK < row.length;
  if (!limitK && o.topP >= 1) return { ids: Array.from({ length: row.length }, (_v, i) => i), probs: Array.from(pT), mass: 1 };
  // Ordering by logit is ordering by probability: T > 0 keeps the order.
  const order = limitK ? topKOf(row, o.topK).ids : headReaching(pT, o.topP);
  const p = order.map((id) => pT[id]);
  const kSum = limitK ? p.reduce((a, b) => a + b, 0) : 1;
  let n = p.length;
  if (o.topP < 1) {
    let cum = 0;
    for (let i = 0; i < p.length; i++) {
      cum += p[i] / kSum;
      if (cum >= o.topP) {
        n = i + 1;
        break;
      }
    }
  }
  const ids = order.slice(0, n);
  const mass = p.slice(0, n).reduce((a, b) => a + b, 0);
  return { ids, probs: p.slice(0, n).map((x) => x / mass), mass };
}

/** The token that uniform number `u` in [0, 1) picks from the kept tokens by inverse CDF. */
export function pick(kept: KeptTokens, u: number): number {
  if (!(u >= 0 && u < 1)) throw new Error(`the uniform draw must be in [0, 1), got ${u}`);
  let cum = 0;
  for (let i = 0; i < kept.ids.length; i++) {
    cum += kept.probs[i];
    if (u < cum) return kept.ids[i];
  }
  return kept.ids[kept.ids.length - 1]; // rounding left cum a hair under 1
}

/** One sampling decision: keptTokens, then pick with u. */
export function sampleToken(row: ArrayLike<number>, o: SamplingOptions, u: number): number {
  return pick(keptTokens(row, o), u);
}
