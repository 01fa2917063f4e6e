/**
 * What a trace derives from raw model outputs: softmax, probabilities, rank, surprisal and entropy in bits, top-k,
 * per-position mean/std for LayerNorm statistics, and logit-lens rows. Pure arithmetic on typed arrays, no tfjs, so
 * every backend (tfjs, onnxruntime) shares the same definitions.
 *
 * Sums run in double precision (JS numbers) and in log space, so a probability of 1e-40 still has a finite surprisal.
 */
import type { LayerNormStat, LogitLensEntry, TokenScore, TopToken } from '../protocol';

const LN2 = Math.LN2;

/** A view of one row of a row-major [rows][width] matrix. */
function rowOf(data: Float32Array, row: number, width: number): Float32Array {
  if ((row + 1) * width > data.length) {
    throw new Error(`row ${row} of width ${width} lies outside an array of ${data.length} values`);
  }
  return data.subarray(row * width, (row + 1) * width);
}

/** log(sum(exp(row))), stable for any magnitude. */
export function logSumExp(row: ArrayLike<number>): number {
  if (row.length === 0) throw new Error('logSumExp of an empty row');
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/** Softmax of logits / temperature (temperature > 0). */
export function softmax(row: ArrayLike<number>, temperature = 1): Float32Array {
  if (!(temperature > 0)) throw new Error(`softmax temperature must be > 0, got ${temperature}`);
  const scaled = Float64Array.from(row, (x) => x / temperature);
  const lse = logSumExp(scaled);
  return Float32Array.from(scaled, (x) => Math.exp(x - lse));
}

/** Natural-log softmax (log-probabilities in nats). */
export function logSoftmax(row: ArrayLike<number>): Float64Array {
  const lse = logSumExp(row);
  return Float64Array.from(row as ArrayLike<number>, (x) => x - lse);
}

/** Rank of `id` in the row: 1 + the number of logits strictly greater (ties share the better rank). */
export function rankOf(row: ArrayLike<number>, id: number): number {
  if (id < 0 || id >= row.length) throw new Error(`token id ${id} outside a row of ${row.length} logits`);
  const x = row[id];
  let greater = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > x) greater++;
  return greater + 1;
}

/** Surprisal in bits of an event with probability p. */
export function surprisalBits(p: number): number {
  return -Math.log2(p);
}

/** Entropy in bits of softmax(row), computed without forming the probabilities. */
export function entropyBits(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  // H = log s - (sum e^(x-m) (x-m)) / s  with s = sum e^(x-m), in nats.
  let s = 0;
  let w = 0;
  for (let i = 0; i < row.length; i++) {
    const z = row[i] - max;
    const e = Math.exp(z);
    s += e;
    w += e * z;
  }
  return (Math.log(s) - w / s) / LN2;
}

/** The k largest entries of a row, largest first; equal values keep the lower index first. */
export function topK(row: ArrayLike<number>, k: number): { ids: number[]; values: number[] } {
  const n = Math.min(k, row.length);
  const ids: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    let j: number;
    if (ids.length < n) {
      ids.push(i);
      values.push(x);
      j = ids.length - 1;
    } else {
      if (!(x > values[n - 1])) continue;
      j = n - 1;
      ids[j] = i;
      values[j] = x;
    }
    // Bubble up; strictly-greater keeps equal values in index order.
    while (j > 0 && values[j] > values[j - 1]) {
      [ids[j], ids[j - 1]] = [ids[j - 1], ids[j]];
      [values[j], values[j - 1]] = [values[j - 1], values[j]];
      j--;
    }
  }
  return { ids, values };
}

// e^z for the scoring loop (rowStats), where Math.exp dominates: about 16 ns a call here, over 1M calls for
// [256][4096] logits; this runs in about 6. e^z = 2^(k/64) e^r with k = round(64 z / ln 2), |r| <= ln 2 / 128: two
// table lookups and a degree-5 polynomial (truncation under 4e-17), within 2e-15 relative of Math.exp.
const EXP_FRAC = new Float64Array(64).map((_, j) => Math.pow(2, j / 64)); // 2^(j/64)
const EXP_POW2 = new Float64Array(1100).map((_, i) => Math.pow(2, i - 1050)); // 2^(i - 1050)
const LN2_64_HI = Math.floor((LN2 / 64) * 2 ** 40) / 2 ** 40; // few enough bits that k * HI is exact
const LN2_64_LO = LN2 / 64 - LN2_64_HI;
const STEPS_PER_NAT = 64 / LN2;

/** e^z for z <= 0 (a logit minus its row's max); 0 below -700, NaN for NaN. */
function expNonPositive(z: number): number {
  if (!(z > -700)) return z === z ? 0 : NaN;
  if (z > 0) return Math.exp(z);
  const k = (z * STEPS_PER_NAT - 0.5) | 0; // round to nearest (z <= 0)
  const r = z - k * LN2_64_HI - k * LN2_64_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return EXP_FRAC[k & 63] * EXP_POW2[(k >> 6) + 1050] * p;
}

/** Everything a trace reports about one logits row (the prediction after one position). */
export interface RowStats {
  logSumExp: number;
  entropy: number;
  topk: TopToken[];
}

/**
 * Entropy and top-k (with text and probability) of one logits row, and the rank of `target` when given, in one pass
 * (see below). One exp per logit: the cost that dominates.
 */
export function rowStats(row: ArrayLike<number>, k: number, tokenText: (id: number) => string, target?: number): RowStats & { rank?: number } {
  const n = Math.min(k, row.length);
  const ids: number[] = [];
  const values: number[] = [];
  if (target !== undefined && !(target >= 0 && target < row.length)) throw new Error(`token id ${target} outside a row of ${row.length} logits`);
  const xt = target === undefined ? Infinity : row[target];
  // One pass: running max, s = sum e^(x - max) and w = sum e^(x - max)(x - max), rescaled when the max rises
  // (rarely: about ln V times for a row in random order), the count above the target's logit, and top-k.
  let max = -Infinity;
  let s = 0;
  let w = 0;
  let greater = 0;
  let full = n === 0; // top-k holds n entries; the smallest of them is `floor`
  let floor = Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (x > max) {
      if (s > 0) {
        const d = max - x;
        const c = expNonPositive(d);
        w = c * (w + s * d);
        s *= c;
      }
      max = x;
    }
    const z = x - max;
    const e = expNonPositive(z);
    s += e;
    w += e * z;
    if (x > xt) greater++;
    if (full && !(x > floor)) continue;
    let j = ids.length;
    if (j < n) {
      ids.push(i);
      values.push(x);
    } else {
      j = n - 1;
      ids[j] = i;
      values[j] = x;
    }
    // Bubble up; strictly-greater keeps equal values in index order.
    while (j > 0 && values[j] > values[j - 1]) {
      const id = ids[j];
      ids[j] = ids[j - 1];
      ids[j - 1] = id;
      const v = values[j];
      values[j] = values[j - 1];
      values[j - 1] = v;
      j--;
    }
    full = ids.length === n;
    if (full) floor = values[n - 1];
  }
  const lse = max + Math.log(s);
  return {
    logSumExp: lse,
    entropy: (Math.log(s) - w / s) / LN2,
    topk: ids.map((id, i) => ({ id, text: tokenText(id), p: Math.exp(values[i] - lse), logit: values[i] })),
    ...(target === undefined ? {} : { rank: greater + 1 }),
  };
}

/** Per-token scores and the sequence's summary from logits [T][V] of a forward over `ids` (length T). */
export interface SequenceScores {
  scores: TokenScore[];
  /** Mean surprisal in bits over tokens 1..T-1 (NaN when T < 2), perplexity = 2^mean, mean loss in nats. */
  meanSurprisal: number;
  perplexity: number;
  meanLoss: number;
}

/**
 * Token i is scored by the row of position i-1 (the prediction made before seeing it), so token 0 has null p,
 * rank and surprisal; entropy and top-k at i describe the prediction of token i+1.
 */
export function scoreSequence(
  logits: Float32Array,
  ids: readonly number[],
  vocab: number,
  k: number,
  tokenText: (id: number) => string,
): SequenceScores {
  const T = ids.length;
  if (logits.length !== T * vocab) {
    throw new Error(`logits hold ${logits.length} values, expected [${T}][${vocab}] = ${T * vocab}`);
  }
  // Row i predicts token i+1: its rank comes out of the same pass.
  const stats = ids.map((_, i) => rowStats(rowOf(logits, i, vocab), k, tokenText, i + 1 < T ? ids[i + 1] : undefined));
  const nextLogit = ids.map((_, i) => (i + 1 < T ? logits[i * vocab + ids[i + 1]] : NaN));
  return scoresFromRowStats(stats, nextLogit, ids);
}

/**
 * scoreSequence's second half: per-token scores from each row's summary, whoever computed it (rowStats here, the
 * ONNX graph's scoring outputs on the onnxruntime backend). stats[i].rank is the rank of ids[i + 1] in row i and
 * nextLogit[i] its logit there.
 */
export function scoresFromRowStats(
  stats: readonly (RowStats & { rank?: number })[],
  nextLogit: ArrayLike<number>,
  ids: readonly number[],
): SequenceScores {
  let lossSum = 0;
  const scores: TokenScore[] = ids.map((id, i) => {
    const own = stats[i];
    if (i === 0) return { p: null, rank: null, surprisal: null, entropy: own.entropy, topk: own.topk };
    const prev = stats[i - 1];
    const nats = prev.logSumExp - nextLogit[i - 1];
    lossSum += nats;
    return { p: Math.exp(-nats), rank: prev.rank as number, surprisal: nats / LN2, entropy: own.entropy, topk: own.topk };
  });
  const meanLoss = ids.length > 1 ? lossSum / (ids.length - 1) : NaN;
  const meanSurprisal = meanLoss / LN2;
  return { scores, meanSurprisal, perplexity: Math.pow(2, meanSurprisal), meanLoss };
}

/** Mean and population standard deviation across the width of each row of a [rows][width] matrix. */
export function rowMeanStd(data: Float32Array, rows: number, width: number): { mean: Float32Array; std: Float32Array } {
  if (data.length !== rows * width) throw new Error(`expected [${rows}][${width}] values, got ${data.length}`);
  const mean = new Float32Array(rows);
  const std = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = rowOf(data, r, width);
    let s = 0;
    for (let i = 0; i < width; i++) s += row[i];
    const m = s / width;
    let v = 0;
    for (let i = 0; i < width; i++) v += (row[i] - m) * (row[i] - m);
    mean[r] = m;
    std[r] = Math.sqrt(v / width);
  }
  return { mean, std };
}

function average(a: Float32Array): number {
  let s = 0;
  for (const x of a) s += x;
  return a.length ? s / a.length : NaN;
}

/** A LayerNormStat from per-position mean/std [T] before and after the normalisation. */
export function layerNormStat(
  name: string,
  layer: number,
  before: { mean: Float32Array; std: Float32Array },
  after: { mean: Float32Array; std: Float32Array },
): LayerNormStat {
  return {
    name,
    layer,
    meanBefore: average(before.mean),
    stdBefore: average(before.std),
    meanAfter: average(after.mean),
    stdAfter: average(after.std),
    perPosition: { meanBefore: before.mean, stdBefore: before.std, meanAfter: after.mean, stdAfter: after.std },
  };
}

/** A logit-lens entry from the full logits [T][V] that one layer's residual gives through ln_f and the unembedding. */
export function logitLensEntry(layer: number, logits: Float32Array, T: number, vocab: number, k: number): LogitLensEntry {
  const kk = Math.min(k, vocab);
  const ids = new Int32Array(T * kk);
  const probs = new Float32Array(T * kk);
  for (let t = 0; t < T; t++) {
    const row = rowOf(logits, t, vocab);
    const lse = logSumExp(row);
    const top = topK(row, kk);
    for (let j = 0; j < kk; j++) {
      ids[t * kk + j] = top.ids[j];
      probs[t * kk + j] = Math.exp(top.values[j] - lse);
    }
  }
  return { layer, ids, probs, k: kk };
}
