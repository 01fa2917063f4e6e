/**
 * Hand-written validation of every message the webview sends: the webview is untrusted input to the host.
 * Each check returns the typed message or a one-line reason, which the router sends back as an error reply.
 */
import type { GenerationAction, SamplingSettings, WebviewToHost } from '../protocol';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => Number.isInteger(v) && (v as number) >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

function fail<T>(error: string): Checked<T> {
  return { ok: false, error };
}

function checkSettings(s: unknown): string | undefined {
  if (!isObj(s)) return 'settings must be an object';
  const v = s as Partial<SamplingSettings>;
  if (typeof v.greedy !== 'boolean') return 'settings.greedy must be a boolean';
  if (!isNum(v.temperature) || v.temperature < 0.1 || v.temperature > 2) return 'settings.temperature must be in [0.1, 2]';
  if (!isInt(v.topK)) return 'settings.topK must be an integer >= 0';
  if (!isNum(v.topP) || v.topP <= 0 || v.topP > 1) return 'settings.topP must be in (0, 1]';
  if (!isInt(v.seed)) return 'settings.seed must be an integer >= 0';
  if (!isInt(v.maxTokens, 1) || v.maxTokens > 1024) return 'settings.maxTokens must be an integer in [1, 1024]';
  return undefined;
}

function checkAction(a: unknown): string | undefined {
  if (!isObj(a)) return 'action must be an object';
  const v = a as Obj;
  switch (v.action) {
    case 'step': case 'run': case 'stop': case 'insert': case 'copy':
      return undefined;
    case 'settings':
      return checkSettings(v.settings);
    case 'branch':
      return isInt(v.step) && isInt(v.tokenId) ? undefined : 'branch needs integer step and tokenId';
    default:
      return `unknown generation action ${JSON.stringify(v.action)}`;
  }
}

export function validateWebviewMessage(m: unknown): Checked<WebviewToHost> {
  if (!isObj(m)) return fail('message must be an object');
  const type = m.type;
  switch (type) {
    case 'ready':
      return { ok: true, value: { type } };
    case 'selectToken':
      if (!isInt(m.token)) return fail('selectToken.token must be an integer >= 0');
      if (typeof m.reveal !== 'boolean') return fail('selectToken.reveal must be a boolean');
      return { ok: true, value: { type, token: m.token, reveal: m.reveal } };
    case 'hoverTokens':
      if (!Array.isArray(m.tokens) || m.tokens.length > 2 || !m.tokens.every((t) => isInt(t))) {
        return fail('hoverTokens.tokens must be up to two integers >= 0');
      }
      return { ok: true, value: { type, tokens: m.tokens as number[] } };
    case 'requestAttentionDetail':
      if (!isInt(m.layer) || !isInt(m.head) || !isInt(m.query)) return fail('requestAttentionDetail needs integer layer, head, query >= 0');
      return { ok: true, value: { type, layer: m.layer, head: m.head, query: m.query } };
    case 'requestLogitsRow':
      if (!isInt(m.position)) return fail('requestLogitsRow.position must be an integer >= 0');
      return { ok: true, value: { type, position: m.position } };
    case 'export': {
      if (m.format !== 'svg' && m.format !== 'png' && m.format !== 'json') return fail('export.format must be svg, png or json');
      if (typeof m.data !== 'string' || m.data.length > MAX_EXPORT_CHARS) return fail('export.data must be a string under 64 MiB');
      if (m.format === 'png' && !m.data.startsWith('data:image/png;base64,')) return fail('export.data for png must be a data:image/png;base64 URL');
      if (typeof m.suggestedName !== 'string' || !/^[\w .-]{1,100}$/.test(m.suggestedName)) return fail('export.suggestedName must be a plain file name');
      return { ok: true, value: { type, format: m.format, data: m.data, suggestedName: m.suggestedName } };
    }
    case 'generationControl': {
      const why = checkAction(m.action);
      if (why) return fail(`generationControl: ${why}`);
      return { ok: true, value: { type, action: m.action as GenerationAction } };
    }
    case 'error':
      if (typeof m.message !== 'string') return fail('error.message must be a string');
      return { ok: true, value: { type, message: m.message.slice(0, 2000) } };
    default:
      return fail(`unknown message type ${JSON.stringify(type)}`);
  }
}
