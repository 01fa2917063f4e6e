/** The analysis as plain JSON for export: typed arrays become number lists, with their shapes named beside them. */
import type { Trace } from '../protocol';

function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

export function traceToJson(trace: Trace, uri: string): string {
  const { n_layer: L, n_head: H, n_embd: d } = trace.model.config;
  const T = trace.tokens.length;
  const shapes = {
    attention: trace.attention ? [L, H, T, T] : undefined,
    embeddings: trace.embeddings ? [T, d] : undefined,
    residuals: trace.residuals ? [L + 1, T, d] : undefined,
  };
  return JSON.stringify({ format: 'gpt-xray-analysis', version: 1, uri, shapes, trace: plain(trace) });
}
