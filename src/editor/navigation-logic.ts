/**
 * Next / previous surprising token from a document offset, wrapping around. Free of `vscode`.
 */
import type { Trace } from '../protocol';

/**
 * The token (index into trace.tokens) among `candidates` (document order) that starts after (dir 1) or before
 * (dir -1) the cursor's document offset; wraps at the ends. Undefined when there are no candidates.
 */
export function stepSurprising(trace: Trace, candidates: readonly number[], cursor: number, dir: 1 | -1): number | undefined {
  if (candidates.length === 0) return undefined;
  const starts = candidates.map((k) => trace.offset + trace.tokens[k].start);
  if (dir === 1) {
    const k = starts.findIndex((s) => s > cursor);
    return candidates[k === -1 ? 0 : k];
  }
  for (let k = starts.length - 1; k >= 0; k--) if (starts[k] < cursor) return candidates[k];
  return candidates[candidates.length - 1];
}

/**
 * Indices of the tokens whose span holds the document offset (several when a character's bytes were split over
 * tokens). A cursor at a token's end belongs to the next token, except at the end of the analysed text.
 */
export function tokensAt(trace: Trace, docOffset: number): number[] {
  const rel = docOffset - trace.offset;
  const tokens = trace.tokens;
  // Binary search for the first token whose end > rel (spans are ordered and do not overlap except when equal).
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].end <= rel) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = lo; i < tokens.length && tokens[i].start <= rel; i++) if (tokens[i].end > rel) out.push(i);
  return out;
}
