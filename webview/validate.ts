/**
 * Validation of every message from the host before any view reads it: shapes of the typed arrays must match the
 * model config and token count, so a view never indexes outside an array. Returns the message or a one-line reason.
 */
import type { AttentionDetail, HostToWebview, LogitsRow, Trace } from '../src/protocol';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => Number.isInteger(v) && (v as number) >= min;
const isF32 = (v: unknown, n?: number): v is Float32Array => v instanceof Float32Array && (n === undefined || v.length === n);

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export function checkTrace(t: unknown): string | undefined {
  if (!isObj(t)) return 'trace must be an object';
  const model = t.model as Obj | undefined;
  const c = (isObj(model) ? model.config : undefined) as Obj | undefined;
  if (!isObj(c) || !isInt(c.n_layer, 1) || !isInt(c.n_head, 1) || !isInt(c.n_embd, 1)) return 'trace.model.config needs n_layer, n_head, n_embd';
  const L = c.n_layer as number, H = c.n_head as number, d = c.n_embd as number;
  if (typeof t.text !== 'string') return 'trace.text must be a string';
  if (!Array.isArray(t.tokens) || t.tokens.length === 0) return 'trace.tokens must be a non-empty list';
  const T = t.tokens.length;
  for (const tok of t.tokens as unknown[]) {
    if (!isObj(tok) || !isInt(tok.id) || typeof tok.text !== 'string' || !isInt(tok.start) || !isInt(tok.end)) return 'every token needs id, text, start, end';
  }
  if (!Array.isArray(t.scores) || t.scores.length !== T) return `trace.scores must have one entry per token (${T})`;
  for (const s of t.scores as unknown[]) {
    if (!isObj(s) || !Array.isArray(s.topk) || typeof s.entropy !== 'number') return 'every score needs entropy and topk';
  }
  if (t.attention !== undefined && !isF32(t.attention, L * H * T * T)) return `trace.attention must be a Float32Array of ${L}x${H}x${T}x${T}`;
  if (t.embeddings !== undefined) {
    const e = t.embeddings as Obj;
    if (!isObj(e) || !isF32(e.wte, T * d) || !isF32(e.wpe, T * d)) return `trace.embeddings.wte/wpe must be Float32Arrays of ${T}x${d}`;
  }
  if (t.residuals !== undefined && !isF32(t.residuals, (L + 1) * T * d)) return `trace.residuals must be a Float32Array of ${L + 1}x${T}x${d}`;
  if (t.layerNorm !== undefined) {
    if (!Array.isArray(t.layerNorm)) return 'trace.layerNorm must be a list';
    for (const s of t.layerNorm as unknown[]) {
      if (!isObj(s) || typeof s.name !== 'string' || typeof s.stdBefore !== 'number' || typeof s.stdAfter !== 'number') return 'every layerNorm stat needs name, means and stds';
    }
  }
  if (t.logitLens !== undefined) {
    if (!Array.isArray(t.logitLens)) return 'trace.logitLens must be a list';
    for (const e of t.logitLens as unknown[]) {
      if (!isObj(e) || !isInt(e.layer) || !isInt(e.k, 1)) return 'every logitLens entry needs layer and k';
      const k = e.k as number;
      if (!(e.ids instanceof Int32Array) || e.ids.length !== T * k || !isF32(e.probs, T * k)) return `logitLens ids/probs must be ${T}x${k}`;
    }
  }
  return undefined;
}

function checkDetail(d: unknown): string | undefined {
  if (!isObj(d) || !isInt(d.layer) || !isInt(d.head) || !isInt(d.query) || !isInt(d.dHead, 1)) return 'detail needs layer, head, query, dHead';
  const dh = d.dHead as number;
  if (!isF32(d.q, dh) || !isF32(d.output, dh)) return 'detail.q/output must be Float32Arrays of dHead';
  if (!isF32(d.scores) || !isF32(d.scaled, d.scores.length) || !isF32(d.weights, d.scores.length)) return 'detail.scores/scaled/weights must be Float32Arrays of T';
  const T = d.scores.length;
  if (!(d.mask instanceof Uint8Array) || d.mask.length !== T) return 'detail.mask must be a Uint8Array of T';
  if (!isF32(d.k, T * dh) || !isF32(d.v, T * dh)) return 'detail.k/v must be Float32Arrays of T x dHead';
  return undefined;
}

function checkSelection(s: unknown): string | undefined {
  if (!isObj(s) || !isInt(s.token) || !isInt(s.layer) || !Number.isInteger(s.head) || (s.head as number) < -1) return 'selection needs token, layer, head';
  return undefined;
}

export function validateHostMessage(m: unknown): Checked<HostToWebview> {
  const bad = (error: string): Checked<HostToWebview> => ({ ok: false, error });
  if (!isObj(m)) return bad('message must be an object');
  let why: string | undefined;
  switch (m.type) {
    case 'init':
      why = (m.trace === null ? undefined : checkTrace(m.trace)) ?? checkSelection(m.selection);
      if (!why && m.theme !== 'light' && m.theme !== 'dark' && m.theme !== 'high-contrast') why = 'init.theme must be light, dark or high-contrast';
      break;
    case 'trace':
      why = checkTrace(m.trace) ?? checkSelection(m.selection);
      break;
    case 'select':
      if (!isInt(m.token)) why = 'select.token must be an integer >= 0';
      break;
    case 'attentionDetail':
      why = checkDetail(m.detail);
      break;
    case 'logitsRow': {
      const r = m.row as Partial<LogitsRow> | undefined;
      if (!isObj(r) || !isInt(r.position) || !isF32(r.logits) || r.logits.length === 0) why = 'logitsRow needs position and a Float32Array of logits';
      break;
    }
    case 'clear':
      break;
    case 'error':
      if (typeof m.message !== 'string') why = 'error.message must be a string';
      break;
    case 'generation':
      if (!isObj(m.state)) why = 'generation.state must be an object';
      break;
    default:
      why = `unknown message type ${JSON.stringify(m.type)}`;
  }
  return why ? bad(why) : { ok: true, value: m as unknown as HostToWebview };
}

export type { AttentionDetail, Trace };
