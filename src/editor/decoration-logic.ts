/**
 * What to draw for a Trace, as document offsets: one list of spans per colour bucket, the token boundaries and
 * the most surprising tokens for the overview ruler and navigation. Free of `vscode`.
 */
import type { Trace } from '../protocol';
import { bucketOf, type Bucket, type ColorMode } from './buckets-logic';

export interface Span {
  start: number;
  end: number;
}

export interface DecorationPlan {
  /** Spans per bucket (document offsets). */
  buckets: Record<Bucket, Span[]>;
  /** Every drawn token span, in order: they carry the boundary border. */
  tokens: Span[];
  /** The most surprising token spans (overview ruler). */
  surprising: Span[];
}

/**
 * Tokens that share one span (bytes of one character split over several tokens) are drawn once, in the bucket
 * of the least expected of them, so decorations never stack.
 */
export function decorationPlan(trace: Trace, mode: ColorMode): DecorationPlan {
  const buckets: Record<Bucket, Span[]> = { 0: [], 1: [], 2: [], 3: [] };
  const tokens: Span[] = [];
  let i = 0;
  while (i < trace.tokens.length) {
    const t = trace.tokens[i];
    let worst: Bucket | null = bucketOf(trace.scores[i], mode);
    let j = i + 1;
    while (j < trace.tokens.length && trace.tokens[j].start === t.start && trace.tokens[j].end === t.end) {
      const b = bucketOf(trace.scores[j], mode);
      if (b !== null && (worst === null || b > worst)) worst = b;
      j++;
    }
    if (t.end > t.start) {
      const span = { start: trace.offset + t.start, end: trace.offset + t.end };
      tokens.push(span);
      if (worst !== null) buckets[worst].push(span);
    }
    i = j;
  }
  const surprising = surprisingTokens(trace).map((k) => ({
    start: trace.offset + trace.tokens[k].start,
    end: trace.offset + trace.tokens[k].end,
  }));
  return { buckets, tokens, surprising };
}

/** Share of scored tokens that count as "most surprising", and the bounds on how many. */
export const SURPRISING_SHARE = 0.1;
export const SURPRISING_MAX = 100;

/**
 * Indices of the most surprising tokens (highest surprisal: the top 10 % of scored tokens, at least one, at most
 * 100), in document order. Ties keep the earlier token.
 */
export function surprisingTokens(trace: Trace): number[] {
  const scored: number[] = [];
  trace.scores.forEach((s, i) => {
    if (s.surprisal !== null && trace.tokens[i].end > trace.tokens[i].start) scored.push(i);
  });
  if (scored.length === 0) return [];
  const count = Math.min(SURPRISING_MAX, Math.max(1, Math.round(scored.length * SURPRISING_SHARE)));
  const top = [...scored]
    .sort((a, b) => (trace.scores[b].surprisal as number) - (trace.scores[a].surprisal as number) || a - b)
    .slice(0, count);
  return top.sort((a, b) => a - b);
}
