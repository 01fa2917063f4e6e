/**
 * The hover's Markdown for analysed tokens: the token (whitespace visible, escaped), id, probability, rank,
 * surprisal and entropy in bits, the top 5 the model expected there, and a link that opens the panel at it.
 * Free of `vscode`: the provider wraps the string in a trusted MarkdownString.
 *
 * Convention of the Trace (issue 3): scores[i].p/rank/surprisal score token i given the tokens before it;
 * scores[i].entropy/topk describe the prediction for token i+1. So token i was predicted by scores[i - 1].
 */
import type { Trace } from '../protocol';
import { markdownToken } from './whitespace-logic';

export const HOVER_TOP = 5;

export function formatProbability(p: number): string {
  if (p >= 0.001) return `${p.toFixed(4)} (${(p * 100).toFixed(p >= 0.1 ? 1 : 2)} %)`;
  return p.toExponential(2);
}

export function formatBits(bits: number): string {
  return `${bits.toFixed(2)} bits`;
}

/** A `command:` URI that opens the panel at token `index` of the document `uri`. */
export function openPanelCommandUri(uri: string, index: number): string {
  return `command:gptXray.openPanel?${encodeURIComponent(JSON.stringify([uri, index]))}`;
}

/** Markdown for one token of the trace. */
export function tokenHoverMarkdown(trace: Trace, index: number, uri: string): string {
  const token = trace.tokens[index];
  const score = trace.scores[index];
  const lines: string[] = [];
  lines.push(`**GPT X-Ray** · token ${index + 1} of ${trace.tokens.length}: **${markdownToken(token.text)}** · id ${token.id}`);
  lines.push('');
  const before = index > 0 ? trace.scores[index - 1] : undefined;
  if (score.p === null || score.rank === null || score.surprisal === null || !before) {
    lines.push('First token: nothing comes before it, so the model made no prediction for it.');
  } else {
    lines.push('| | |');
    lines.push('|:--|--:|');
    lines.push(`| probability | ${formatProbability(score.p)} |`);
    lines.push(`| rank | ${score.rank} |`);
    lines.push(`| surprisal | ${formatBits(score.surprisal)} |`);
    lines.push(`| entropy | ${formatBits(before.entropy)} |`);
    lines.push('');
    lines.push(`Top ${Math.min(HOVER_TOP, before.topk.length)} the model expected here:`);
    lines.push('');
    lines.push('| # | token | probability |');
    lines.push('|--:|:--|--:|');
    before.topk.slice(0, HOVER_TOP).forEach((t, k) => {
      const mark = t.id === token.id ? ' ✓' : '';
      lines.push(`| ${k + 1} | ${markdownToken(t.text)}${mark} | ${formatProbability(t.p)} |`);
    });
  }
  lines.push('');
  lines.push(`[Open in the attention panel](${openPanelCommandUri(uri, index)})`);
  return lines.join('\n');
}

/** Markdown for the tokens under the pointer (several when one character's bytes were split over tokens). */
export function hoverMarkdown(trace: Trace, indices: readonly number[], uri: string): string {
  return indices.map((i) => tokenHoverMarkdown(trace, i, uri)).join('\n\n---\n\n');
}

/** Status bar text: model name, mean surprisal and perplexity. */
export function statusText(modelName: string, meanSurprisal: number, perplexity: number): string {
  return `$(pulse) ${modelName}: ${meanSurprisal.toFixed(2)} bits/token · ppl ${perplexity.toFixed(1)}`;
}
