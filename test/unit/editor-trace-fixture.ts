/** A small hand-made Trace for the editor's unit tests: spans from a list of token texts, chosen ranks. */
import type { Trace, TokenScore, TokenSpan } from '../../src/protocol';

export function makeTrace(texts: string[], ranks: (number | null)[], offset = 0): Trace {
  const tokens: TokenSpan[] = [];
  let pos = 0;
  texts.forEach((text, i) => {
    tokens.push({ id: 100 + i, text, start: pos, end: pos + text.length });
    pos += text.length;
  });
  const scores: TokenScore[] = ranks.map((rank, i) => {
    const p = rank === null ? null : 1 / (rank + 1);
    return {
      p,
      rank,
      surprisal: p === null ? null : -Math.log2(p),
      entropy: 2 + i / 10,
      topk: [0, 1, 2, 3, 4, 5].map((k) => ({ id: k === 0 ? 101 + i : 900 + k, text: k === 0 ? texts[i + 1] ?? 'x' : `t${k}|*`, p: 0.5 / (k + 1), logit: -k })),
    };
  });
  const scored = scores.filter((s) => s.surprisal !== null);
  const mean = scored.reduce((a, s) => a + (s.surprisal as number), 0) / Math.max(1, scored.length);
  return {
    model: {
      name: 'test-model',
      path: '/nowhere',
      bundled: true,
      config: { n_layer: 1, n_head: 1, n_embd: 2, n_positions: 64, vocab_size: 1000, n_inner: 8, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new' },
      parameters: 10,
      backend: 'test',
    },
    text: texts.join(''),
    offset,
    tokens,
    scores,
    totalTokens: tokens.length,
    meanSurprisal: mean,
    perplexity: 2 ** mean,
    meanLoss: mean * Math.LN2,
    forwardMs: 1,
  };
}
