/**
 * The pure decisions of Analyze Selection: what text is refused, and what to trace besides the scores. Free of
 * `vscode`, so the unit tests and the benchmark use them as they are.
 */
import type { ModelInfo, TraceRequest } from '../protocol';

/** Above this many characters a document is "huge": the person is asked to select a part. */
export const MAX_CHARS = 1_000_000;

/** 'command': the person asked, so every problem is shown; 'selection': analyse-on-selection, quiet. */
export type AnalyzeTrigger = 'command' | 'selection';

/** What the hover and the colours need: the scores alone (the fastest request). */
export const HOVER_ONLY: TraceRequest = {};

/** Whether a trace already carries what the panel draws (so opening the panel need not ask again). */
export function hasPanelData(trace: { attention?: unknown; embeddings?: unknown; layerNorm?: unknown }): boolean {
  return trace.embeddings !== undefined && trace.layerNorm !== undefined;
}

/** What the panel draws besides the scores: everything, unless the attention or residual tensors would be huge. */
export function wantFor(model: ModelInfo, tokens: number): TraceRequest {
  const c = model.config;
  const attentionFloats = c.n_layer * c.n_head * tokens * tokens;
  const residualFloats = (c.n_layer + 1) * tokens * c.n_embd;
  return {
    attention: attentionFloats <= 32 * 1024 * 1024,
    embeddings: true,
    layerNorm: true,
    logitLens: true,
    residuals: residualFloats <= 8 * 1024 * 1024,
  };
}

/** Why this text cannot be analysed, or undefined when it can. */
export function refusal(text: string, whole: boolean): string | undefined {
  const what = whole ? 'the document' : 'the selection';
  if (text.trim().length === 0) return `nothing to analyse: ${what} is empty`;
  if (text.length > MAX_CHARS) return `${what} is too large (${text.length.toLocaleString('en')} characters, at most ${MAX_CHARS.toLocaleString('en')}); select a part of it`;
  if (text.slice(0, 65536).includes('\u0000')) return `${what} looks binary (it holds NUL characters)`;
  return undefined;
}
