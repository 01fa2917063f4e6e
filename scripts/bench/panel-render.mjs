// Panel rendering benchmark in headless Chromium: the real built webview (dist/webview.js under the panel's CSP,
// through the webview test harness) draws a 512 x 512 attention heatmap and the 12 x 12 all-heads grid from a trace
// the real engine made (a seeded 12-layer, 12-head checkpoint, 512 tokens). Timed in the page from the message
// dispatch to the next animation frame, i.e. including validation, the tokens strip, canvas work and layout.
//
//   node scripts/build.mjs && node scripts/bench/panel-render.mjs [--tokens 512] [--runs 5]
// Prints one JSON object. Budget (issue 6): heatmap + grid under 200 ms.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { mergeResults } from './_results.mjs';

const require = createRequire(import.meta.url);
require('../../test/support/register-ts.cjs');
const { openPanel, closeBrowser } = require('../../test/webview/harness.ts');
const { tempDir, writeTinyCheckpoint } = require('../../test/unit/tiny-checkpoint.ts');
const { engineDeps } = require('../../src/engine/engine-deps.ts');
const { EngineSession } = require('../../src/engine/session.ts');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const T = arg('tokens', 512);
const RUNS = arg('runs', 5);
const L = 12, H = 12;

const dir = tempDir('panel-bench');
writeTinyCheckpoint(dir, { n_layer: L, n_head: H, n_embd: 48, n_positions: T, seed: 3 });
const session = new EngineSession(engineDeps, () => undefined);
await session.handle({ kind: 'load', modelPath: dir, bundled: false, backend: 'tfjs' });
// Text of single-byte tokens (the seeded tokenizer knows few merges), cut to T tokens by the engine.
const text = Array.from({ length: T * 2 }, (_v, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
const t0 = Date.now();
const res = await session.handle({ kind: 'analyze', docKey: 'bench', text, topK: 10, maxTokens: T, want: { attention: true } });
const forwardMs = Date.now() - t0;
const trace = res.trace;
if (trace.tokens.length !== T) throw new Error(`expected ${T} tokens, the engine made ${trace.tokens.length}`);

const panel = await openPanel({ theme: 'dark', viewport: { width: 1400, height: 1000 } });
await panel.waitForPosted('ready');
// The attention ([12][12][T][T] float32) goes into the page as base64 chunks; the rest as JSON.
const { attention, ...rest } = trace;
await panel.page.evaluate((json) => { window.__benchTrace = JSON.parse(json); }, JSON.stringify(rest));
const bytes = Buffer.from(attention.buffer, attention.byteOffset, attention.byteLength);
const CHUNK = 8 * 1024 * 1024;
await panel.page.evaluate((n) => { window.__benchAtt = new Uint8Array(n); }, bytes.length);
for (let off = 0; off < bytes.length; off += CHUNK) {
  await panel.page.evaluate(({ b64, off }) => {
    const s = atob(b64);
    const a = window.__benchAtt;
    for (let i = 0; i < s.length; i++) a[off + i] = s.charCodeAt(i);
  }, { b64: bytes.subarray(off, off + CHUNK).toString('base64'), off });
}

const runs = [];
for (let r = 0; r < RUNS; r++) {
  runs.push(await panel.page.evaluate(async () => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const tabs = document.querySelector('vscode-tabs');
    const show = (i) => tabs.dispatchEvent(new CustomEvent('vsc-tabs-select', { detail: { selectedIndex: i } }));
    tabs.selectedIndex = 0;
    show(0);
    await frame();
    // A fresh trace object each run, so every view redraws from scratch.
    const trace = { ...window.__benchTrace, attention: new Float32Array(window.__benchAtt.buffer) };
    const message = { type: 'init', trace, selection: { token: 100, layer: 0, head: 0 }, theme: 'dark' };
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data: message }));
    const s1 = performance.now();
    await frame();
    const t1 = performance.now();
    tabs.selectedIndex = 1;
    show(1);
    const s2 = performance.now();
    await frame();
    const t2 = performance.now();
    await new Promise((resolve) => {
      const check = () => (document.querySelector('.heads-grid[data-stats-done]') ? resolve() : setTimeout(check, 5));
      check();
    });
    const t3 = performance.now();
    const canvas = document.querySelector('.view-attention canvas.matrix-canvas');
    return {
      heatmapMs: t1 - t0, gridMs: t2 - t1, totalMs: t2 - t0, headStatsMs: t3 - t2, scriptMs: s1 - t0 + (s2 - t1),
      heatmapPx: canvas.width, thumbnails: document.querySelectorAll('.heads-grid canvas').length,
    };
  }));
}
panel.assertClean();
await panel.close();
await closeBrowser();

const median = (k) => [...runs.map((x) => x[k])].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
const round = (x) => Math.round(x * 10) / 10;
const result = {
  tokens: T, layers: L, heads: H, attentionMB: round(bytes.length / 2 ** 20), engineForwardMs: forwardMs,
  runs: RUNS, heatmapPx: runs[0].heatmapPx, thumbnails: runs[0].thumbnails,
  medianMs: { heatmap: round(median('heatmapMs')), grid: round(median('gridMs')), total: round(median('totalMs')), scriptOnly: round(median('scriptMs')), headStatsAfterPaint: round(median('headStatsMs')) },
  budgetMs: 200, withinBudget: median('totalMs') < 200, loadAverage: os.loadavg()[0], cpus: os.cpus().length,
};
const m = result.medianMs;
result.readme = [
  `Panel rendering in headless Chromium (${T} tokens, ${L} x ${H} heads, median of ${RUNS}; load average ${result.loadAverage.toFixed(1)} on ${result.cpus} cores):`,
  '',
  '| step | ms |',
  '| --- | --- |',
  `| trace message -> ${T} x ${T} heatmap on screen | ${m.heatmap} |`,
  `| tab switch -> ${L * H} head thumbnails on screen | ${m.grid} |`,
  `| both (budget 200 ms) | ${m.total} |`,
  `| of which script | ${m.scriptOnly} |`,
  `| exact thumbnails + head summaries, after the paint | ${m.headStatsAfterPaint} |`,
].join('\n');
mergeResults('panel', result);
console.log(JSON.stringify(result, null, 1));
