/**
 * GLTR's colour buckets: which of four backgrounds a token gets, by the rank of the actual token in the model's
 * prediction or by its probability. Free of `vscode`.
 */
import type { TokenScore } from '../protocol';

export type ColorMode = 'rank' | 'probability';

/** 0 = most expected (top 10 / p >= 0.5) ... 3 = least (beyond 1000 / p < 0.01). */
export type Bucket = 0 | 1 | 2 | 3;
export const BUCKETS: readonly Bucket[] = [0, 1, 2, 3];

/** Upper rank bounds of buckets 0..2 (GLTR: top 10, top 100, top 1000, beyond). */
export const RANK_BOUNDS = [10, 100, 1000] as const;
/** Lower probability bounds of buckets 0..2. */
export const PROBABILITY_BOUNDS = [0.5, 0.1, 0.01] as const;

/** The bucket of a scored token; null for the first token, which nothing predicts. */
export function bucketOf(score: Pick<TokenScore, 'p' | 'rank'>, mode: ColorMode): Bucket | null {
  if (mode === 'rank') {
    if (score.rank === null) return null;
    for (let b = 0; b < RANK_BOUNDS.length; b++) if (score.rank <= RANK_BOUNDS[b]) return b as Bucket;
    return 3;
  }
  if (score.p === null) return null;
  for (let b = 0; b < PROBABILITY_BOUNDS.length; b++) if (score.p >= PROBABILITY_BOUNDS[b]) return b as Bucket;
  return 3;
}

/** Human label of a bucket, for legends and hovers. */
export function bucketLabel(bucket: Bucket, mode: ColorMode): string {
  if (mode === 'rank') return ['top 10', 'top 100', 'top 1,000', 'beyond 1,000'][bucket];
  return ['p ≥ 0.5', 'p ≥ 0.1', 'p ≥ 0.01', 'p < 0.01'][bucket];
}
