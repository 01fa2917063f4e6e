/**
 * What happens to text longer than the model can see (issue 3, part 6). One policy, used by the worker and the CLI:
 *
 *   Analysis keeps the FIRST min(n_positions, maxTokens) tokens. The kept text ends where the last kept token ends;
 *   Trace.totalTokens says how many tokens the whole input had, so the caller can say how many were left out.
 *
 * Generation is the one place that looks at the other end: it continues from the cursor, so a prompt keeps its LAST
 * tokens, leaving room in the context for the tokens to be generated.
 */
import type { TokenSpan } from '../protocol';

export interface KeptInput {
  /** The kept tokens; spans are unchanged (still relative to the original text). */
  tokens: TokenSpan[];
  /** The original text cut at the last kept token's end. */
  text: string;
  /** Tokens in the whole input. */
  totalTokens: number;
}

function checkLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
}

/** The analysis policy: the first min(nPositions, maxTokens) tokens of `text`. */
export function keepFirstTokens(tokens: TokenSpan[], text: string, nPositions: number, maxTokens: number): KeptInput {
  checkLimit('n_positions', nPositions);
  checkLimit('maxTokens', maxTokens);
  const limit = Math.min(nPositions, maxTokens);
  if (tokens.length <= limit) return { tokens, text, totalTokens: tokens.length };
  const kept = tokens.slice(0, limit);
  return { tokens: kept, text: text.slice(0, kept[kept.length - 1].end), totalTokens: tokens.length };
}

/** The generation policy: the prompt's last tokens, leaving `reserve` positions free for generated tokens. */
export function keepLastTokens(tokens: TokenSpan[], nPositions: number, reserve: number): TokenSpan[] {
  checkLimit('n_positions', nPositions);
  if (!Number.isInteger(reserve) || reserve < 0 || reserve >= nPositions) {
    throw new Error(`maxTokens must be an integer in [0, ${nPositions - 1}] for a context of ${nPositions}, got ${reserve}`);
  }
  const room = nPositions - reserve;
  return tokens.length <= room ? tokens : tokens.slice(tokens.length - room);
}

/** A one-line notice for a cut input, or undefined when nothing was left out. */
export function truncationNotice(kept: number, total: number): string | undefined {
  if (kept >= total) return undefined;
  return `kept the first ${kept} of ${total} tokens; ${total - kept} tokens after them were left out (model context)`;
}
