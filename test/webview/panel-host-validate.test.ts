// The host side of the panel's message boundary (no browser needed): every webview message type is checked by
// hand and bad ones get a one-line reason; the panel HTML carries the strict CSP with its nonce.
import * as assert from 'node:assert/strict';
import { validateWebviewMessage } from '../../src/panel/validate';
import { buildCsp, buildPanelHtml, makeNonce } from '../../src/panel/html';
import { traceToJson } from '../../src/panel/exportTrace';
import { engineFixture } from './panel-engine';

describe('panel host: message validation, CSP and JSON export', () => {
  it('accepts each well-formed message as it is', () => {
    const good: unknown[] = [
      { type: 'ready' },
      { type: 'selectToken', token: 3, reveal: true },
      { type: 'hoverTokens', tokens: [4, 1] },
      { type: 'hoverTokens', tokens: [] },
      { type: 'requestAttentionDetail', layer: 0, head: 1, query: 2 },
      { type: 'requestLogitsRow', position: 0 },
      { type: 'export', format: 'svg', data: '<svg/>', suggestedName: 'gpt-xray-attention.svg' },
      { type: 'export', format: 'png', data: 'data:image/png;base64,iVBORw0KGgo=', suggestedName: 'a.png' },
      { type: 'generationControl', action: { action: 'settings', settings: { greedy: false, temperature: 0.7, topK: 40, topP: 0.9, seed: 1, maxTokens: 20 } } },
      { type: 'error', message: 'view failed' },
    ];
    for (const m of good) assert.deepEqual(validateWebviewMessage(m), { ok: true, value: m });
  });

  it('rejects malformed messages with a reason', () => {
    const bad: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ type: 'nope' }, /unknown message type "nope"/],
      [{ type: 'selectToken', token: -1, reveal: true }, /token must be an integer >= 0/],
      [{ type: 'selectToken', token: 1.5, reveal: true }, /integer/],
      [{ type: 'selectToken', token: 1 }, /reveal must be a boolean/],
      [{ type: 'hoverTokens', tokens: [1, 2, 3] }, /up to two/],
      [{ type: 'requestAttentionDetail', layer: 0, head: '1', query: 0 }, /integer layer, head, query/],
      [{ type: 'export', format: 'exe', data: '', suggestedName: 'x' }, /format must be svg, png or json/],
      [{ type: 'export', format: 'png', data: 'hello', suggestedName: 'x.png' }, /base64 URL/],
      [{ type: 'export', format: 'svg', data: '', suggestedName: '../../etc/passwd' }, /plain file name/],
      [{ type: 'generationControl', action: { action: 'settings', settings: { greedy: false, temperature: 5, topK: 1, topP: 1, seed: 0, maxTokens: 1 } } }, /temperature/],
    ];
    for (const [m, why] of bad) {
      const r = validateWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      if (!r.ok) assert.match(r.error, why);
    }
  });

  it('builds the panel HTML with a nonce-only script policy and no inline styles', () => {
    const nonce = makeNonce((n) => new Uint8Array(n).map((_v, i) => i * 7));
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    const html = buildPanelHtml({ cspSource: 'vscode-resource:', nonce, scriptUri: 'vscode-resource:/dist/webview.js', styleUri: 'vscode-resource:/webview/style.css' });
    const csp = buildCsp('vscode-resource:', nonce);
    assert.ok(html.includes(`content="${csp}"`));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal((html.match(/<script /g) ?? []).length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="vscode-resource:/dist/webview.js">`));
    assert.doesNotMatch(html, /style="|<style/);
    assert.throws(() => buildPanelHtml({ cspSource: 'x', nonce: 'short', scriptUri: 'a', styleUri: 'b' }), /nonce/);
    assert.throws(() => buildPanelHtml({ cspSource: 'x" onload="', nonce, scriptUri: 'a', styleUri: 'b' }), /quote/);
  });

  it('exports the engine trace as JSON with typed arrays as plain lists and their shapes', async () => {
    const { trace } = await engineFixture();
    const parsed = JSON.parse(traceToJson(trace, 'file:///doc.ts'));
    const { n_layer: L, n_head: H } = trace.model.config;
    const T = trace.tokens.length;
    assert.deepEqual(parsed.shapes.attention, [L, H, T, T]);
    assert.equal(parsed.trace.attention.length, L * H * T * T);
    assert.equal(parsed.trace.attention[7], trace.attention![7]);
    assert.equal(parsed.trace.tokens.length, T);
  });
});
