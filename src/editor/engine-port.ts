/**
 * What the editor needs from the engine. EngineClient (src/engine/client.ts) satisfies it; naming the subset here
 * keeps the editor's dependency explicit and small.
 */
import type { ModelInfo, Trace, TraceRequest } from '../protocol';

export interface AnalyzeOptions {
  topK: number;
  maxTokens: number;
  want: TraceRequest;
}

export interface EnginePort {
  load(modelPath: string, bundled: boolean): Promise<ModelInfo>;
  analyze(docKey: string, text: string, options: AnalyzeOptions, signal?: AbortSignal): Promise<Trace>;
}

/** A request superseded by a newer one for the same document, or aborted by the person. */
export function isCancelled(e: unknown): boolean {
  return e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError');
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** The first line of an error's message: messages shown to people stay on one line. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n')[0] ?? '').trim() || 'unknown error';
}
