// The attention panel's views in real headless Chromium, fed a trace made by the real engine (panel-engine.ts):
// every count, value and colour below is checked against numbers computed here, independently of the webview code.
import * as assert from 'node:assert/strict';
import { interpolateViridis } from 'd3-scale-chromatic';
import { color } from 'd3-color';
import type { AttentionDetail, Trace, WebviewToHost } from '../../src/protocol';
import { openPanel, type PanelPage } from './harness';
import { engineFixture, serveRequests, type EngineFixture } from './panel-engine';
import { referenceSoftmax } from '../unit/reference-softmax';

const fmt4 = (x: number) => x.toFixed(4);

function att(trace: Trace, l: number, h: number, i: number, j: number): number {
  const T = trace.tokens.length, H = trace.model.config.n_head;
  return trace.attention![((l * H + h) * T + i) * T + j];
}

function viridisRgb(w: number): [number, number, number] {
  const c = color(interpolateViridis(Math.round(w * 255) / 255))!.rgb();
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

async function pixel(panel: PanelPage, selector: string, x: number, y: number): Promise<[number, number, number]> {
  return panel.page.evaluate(({ selector, x, y }) => {
    const c = document.querySelector<HTMLCanvasElement>(selector)!;
    const d = c.getContext('2d')!.getImageData(x, y, 1, 1).data;
    return [d[0], d[1], d[2]] as [number, number, number];
  }, { selector, x, y });
}

async function openTab(panel: PanelPage, title: string): Promise<void> {
  await panel.page.locator('vscode-tab-header', { hasText: title }).click();
}

async function lastPosted<T extends WebviewToHost['type']>(panel: PanelPage, type: T): Promise<Extract<WebviewToHost, { type: T }> | undefined> {
  const all = await panel.posted();
  return all.filter((m) => m.type === type).pop() as Extract<WebviewToHost, { type: T }> | undefined;
}

describe('attention panel views (engine trace in Chromium)', function () {
  this.timeout(120_000);
  let fx: EngineFixture;
  let trace: Trace;
  let panel: PanelPage;
  let T: number, L: number, H: number;
  const QUERY = 5;

  before(async () => {
    fx = await engineFixture();
    trace = fx.trace;
    T = trace.tokens.length;
    ({ n_layer: L, n_head: H } = trace.model.config);
    panel = await openPanel({ theme: 'dark' });
    await panel.waitForPosted('ready');
    await panel.post({ type: 'init', trace, selection: { token: QUERY, layer: 0, head: 0 }, theme: 'dark', docUri: 'file:///test/doc.ts' });
    await panel.page.locator('.view-attention canvas.matrix-canvas').waitFor();
  });
  after(async () => {
    panel?.assertClean();
    await panel?.close();
  });

  it('shows every token, coloured by its surprisal bin, with an aria label naming its numbers', async () => {
    const toks = panel.page.locator('.tokens span.tok');
    assert.equal(await toks.count(), T);
    for (const i of [0, 1, Math.floor(T / 2), T - 1]) {
      const s = trace.scores[i].surprisal;
      const cls = (await toks.nth(i).getAttribute('class')) ?? '';
      assert.ok(cls.includes(s === null ? 'snone' : `s${Math.min(7, Math.floor(s / 2))}`), `token ${i} class "${cls}" for ${s} bits`);
      const label = (await toks.nth(i).getAttribute('aria-label')) ?? '';
      if (s !== null) assert.ok(label.includes(`surprisal ${s.toFixed(2)} bits`) && label.includes(`rank ${trace.scores[i].rank}`), label);
    }
    assert.equal(await panel.page.locator('.tokens span.tok[aria-selected="true"]').getAttribute('data-index'), String(QUERY));
  });

  it('moves the selection with the arrow keys and tells the host to reveal the token', async () => {
    await panel.page.locator('.tokens').focus();
    await panel.page.keyboard.press('ArrowRight');
    assert.deepEqual(await lastPosted(panel, 'selectToken'), { type: 'selectToken', token: QUERY + 1, reveal: true });
    await panel.page.keyboard.press('ArrowLeft');
    assert.deepEqual(await lastPosted(panel, 'selectToken'), { type: 'selectToken', token: QUERY, reveal: true });
    await panel.page.keyboard.press('End');
    assert.equal(await panel.page.locator('.tokens span.tok[aria-selected="true"]').getAttribute('data-index'), String(T - 1));
    await panel.page.locator('.tokens span.tok').nth(QUERY).click();
    assert.deepEqual(await lastPosted(panel, 'selectToken'), { type: 'selectToken', token: QUERY, reveal: true });
  });

  it('selects a token the editor names, without echoing it back', async () => {
    const before = (await panel.posted()).length;
    await panel.post({ type: 'select', token: 2 });
    assert.equal(await panel.page.locator('.tokens span.tok[aria-selected="true"]').getAttribute('data-index'), '2');
    assert.equal((await panel.posted()).length, before);
    await panel.post({ type: 'select', token: QUERY });
  });

  it('draws the heatmap: weights in viridis, keys after the query masked (not the colour of zero), query row outlined', async () => {
    const { cell, width } = await panel.page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('.view-attention canvas.matrix-canvas')!;
      return { width: c.width, cell: c.width / Number(document.querySelectorAll('.tokens span.tok').length) };
    });
    assert.equal(width, cell * T);
    assert.ok(Number.isInteger(cell) && cell >= 1);
    const sel = '.view-attention canvas.matrix-canvas';
    for (const [i, j] of [[0, 0], [QUERY, 0], [QUERY, QUERY], [T - 1, 1], [T - 1, T - 1]]) {
      const got = await pixel(panel, sel, j * cell + Math.floor(cell / 2), i * cell + Math.floor(cell / 2));
      assert.deepEqual(got, viridisRgb(att(trace, 0, 0, i, j)), `cell (${i}, ${j})`);
    }
    const masked = await pixel(panel, sel, (QUERY + 1) * cell + 1, QUERY * cell + Math.floor(cell / 2));
    const bgOrHatch = [[0x1e, 0x1e, 0x1e], [128, 128, 128]];
    assert.ok(bgOrHatch.some((c) => c.every((v, k) => Math.abs(v - masked[k]) <= 40)), `masked pixel ${masked}`);
    assert.notDeepEqual(masked, viridisRgb(0));
    const row = panel.page.locator('.view-attention rect.row-sel');
    assert.equal(Number(await row.getAttribute('y')), QUERY * cell);
  });

  it('names both tokens and the weight on hover, and asks the editor to highlight both', async () => {
    const box = (await panel.page.locator('.view-attention svg.matrix-overlay').boundingBox())!;
    const cell = box.width / T;
    const [i, j] = [QUERY, 1];
    await panel.page.mouse.move(box.x + (j + 0.5) * cell, box.y + (i + 0.5) * cell);
    const tip = panel.page.locator('.view-attention .tooltip');
    const text = (await tip.textContent()) ?? '';
    assert.ok(text.includes(`(${i})`) && text.includes(`(${j})`) && text.includes(`weight ${fmt4(att(trace, 0, 0, i, j))}`), text);
    assert.deepEqual(await lastPosted(panel, 'hoverTokens'), { type: 'hoverTokens', tokens: [i, j] });
    await panel.page.mouse.move(box.x + (QUERY + 2.5) * cell, box.y + (QUERY + 0.5) * cell);
    assert.match((await tip.textContent()) ?? '', /masked/);
    await panel.page.mouse.move(0, 0);
  });

  it('colours by the square root or by each row over its maximum on request, with the real weight in the tooltip', async () => {
    const sel = '.view-attention canvas.matrix-canvas';
    const cell = await panel.page.evaluate((s) => document.querySelector<HTMLCanvasElement>(s)!.width, sel) / T;
    const choose = (v: string): Promise<void> => panel.page.evaluate((value) => {
      const s = document.getElementById('heatmap-colour') as HTMLElement & { value: string };
      s.value = value;
      s.dispatchEvent(new Event('change'));
    }, v);
    // The default, auto, is the weight itself below 128 tokens (row maximum from there).
    assert.equal(await panel.page.locator('#heatmap-colour').evaluate((e) => (e as HTMLElement & { value: string }).value), 'auto');
    assert.equal(await panel.page.locator('.view-attention .legend').getAttribute('data-mode'), T >= 128 ? 'row' : 'weight');
    const [i, j] = [T - 1, 1];
    let rowMax = 0;
    for (let k = 0; k <= i; k++) rowMax = Math.max(rowMax, att(trace, 0, 0, i, k));
    const at = (): Promise<[number, number, number]> => pixel(panel, sel, j * cell + Math.floor(cell / 2), i * cell + Math.floor(cell / 2));
    await choose('sqrt');
    assert.deepEqual(await at(), viridisRgb(Math.sqrt(att(trace, 0, 0, i, j))));
    await choose('row');
    assert.deepEqual(await at(), viridisRgb(att(trace, 0, 0, i, j) / rowMax));
    assert.match((await panel.page.locator('.view-attention .legend').textContent()) ?? '', /row's largest weight/);
    const box = (await panel.page.locator('.view-attention svg.matrix-overlay').boundingBox())!;
    await panel.page.mouse.move(box.x + (j + 0.5) * (box.width / T), box.y + (QUERY + 0.5) * (box.width / T));
    const tipText = (await panel.page.locator('.view-attention .tooltip').textContent()) ?? '';
    assert.ok(tipText.includes(`weight ${fmt4(att(trace, 0, 0, QUERY, j))}`), tipText);
    await panel.page.mouse.move(0, 0);
    assert.equal(((await panel.state()) as { settings: Record<string, string> }).settings['heatmap.colour'], 'row');
    await choose('weight');
    assert.deepEqual(await at(), viridisRgb(att(trace, 0, 0, i, j)));
  });

  it('walks the cells with the keyboard and announces them', async () => {
    await panel.page.locator('.view-attention svg.matrix-overlay').focus();
    await panel.page.keyboard.press('ArrowDown'); // first key press places the cursor on the selected row
    await panel.page.keyboard.press('ArrowRight');
    const live = (await panel.page.locator('.view-attention [aria-live]').textContent()) ?? '';
    assert.ok(live.includes(`(${QUERY})`) && live.includes('(1)') && live.includes(fmt4(att(trace, 0, 0, QUERY, 1))), live);
    await panel.page.keyboard.press('Escape');
  });

  it('averages the heads of a layer in head-average mode', async () => {
    await panel.page.evaluate(() => {
      const s = document.getElementById('head') as HTMLElement & { value: string };
      s.value = '-1';
      s.dispatchEvent(new Event('change'));
    });
    await panel.page.locator('.view-attention h2', { hasText: 'average' }).waitFor();
    const cell = await panel.page.evaluate(() => document.querySelector<HTMLCanvasElement>('.view-attention canvas.matrix-canvas')!.width) / T;
    const [i, j] = [T - 1, 2];
    let mean = 0;
    for (let h = 0; h < H; h++) mean += att(trace, 0, h, i, j) / H;
    const got = await pixel(panel, '.view-attention canvas.matrix-canvas', j * cell + Math.floor(cell / 2), i * cell + Math.floor(cell / 2));
    const want = viridisRgb(mean);
    assert.ok(got.every((v, k) => Math.abs(v - want[k]) <= 3), `mean ${mean}: ${got} vs ${want}`);
  });

  it('draws all L x H heads with entropy, first-token share, previous-token and induction scores', async () => {
    await openTab(panel, 'All heads');
    const cells = panel.page.locator('.heads-grid button.head-cell');
    assert.equal(await cells.count(), L * H);
    await panel.page.locator('.heads-grid[data-stats-done]').waitFor();
    for (const [l, h] of [[0, 0], [L - 1, H - 1]]) {
      let ent = 0, first = 0, prev = 0;
      for (let i = 0; i < T; i++) {
        for (let j = 0; j <= i; j++) {
          const w = att(trace, l, h, i, j);
          if (w > 0) ent -= w * Math.log2(w);
        }
        if (i > 0) {
          first += att(trace, l, h, i, 0);
          prev += att(trace, l, h, i, i - 1);
        }
      }
      // Induction on this text: from each token seen before (not just before), the weight on what followed it then.
      let ind = 0, repeats = 0;
      for (let i = 0; i < T; i++) {
        const after = [];
        for (let j = 0; j + 1 < i; j++) if (trace.tokens[j].id === trace.tokens[i].id) after.push(j + 1);
        if (after.length === 0) continue;
        repeats++;
        for (const k of after) ind += att(trace, l, h, i, k);
      }
      assert.ok(repeats > 0, 'the sample repeats some token');
      const b = panel.page.locator(`button.head-cell[data-layer="${l}"][data-head="${h}"]`);
      assert.ok(Math.abs(Number(await b.getAttribute('data-induction')) - ind / repeats) < 1e-4);
      if (ind / repeats >= 1e-3) assert.match((await b.locator('.head-stats').textContent()) ?? '', new RegExp(`ind ${(ind / repeats).toFixed(2)}`));
      assert.ok(Math.abs(Number(await b.getAttribute('data-entropy')) - ent / T) < 1e-4);
      assert.ok(Math.abs(Number(await b.getAttribute('data-first')) - first / (T - 1)) < 1e-4);
      assert.ok(Math.abs(Number(await b.getAttribute('data-prev')) - prev / (T - 1)) < 1e-4);
      assert.match((await b.getAttribute('aria-label')) ?? '', new RegExp(`Layer ${l} head ${h}: entropy ${(ent / T).toFixed(2)} bits`));
    }
    await panel.page.locator(`button.head-cell[data-layer="${L - 1}"][data-head="${H - 1}"]`).click();
    await panel.page.locator('.view-attention h2', { hasText: `Layer ${L - 1}, head ${H - 1}` }).waitFor();
    assert.equal(await panel.page.locator('vscode-tab-header[data-tab="attention"]').evaluate((e) => (e as HTMLElement & { active: boolean }).active), true);
  });

  it('works q·k, /sqrt(d), the mask, softmax and the weighted sum of v for the selected query', async () => {
    await openTab(panel, 'Q · K · V');
    const asked = await panel.waitForPosted('requestAttentionDetail');
    assert.deepEqual(asked, { type: 'requestAttentionDetail', layer: L - 1, head: H - 1, query: QUERY });
    await serveRequests(panel, fx);
    await panel.page.locator('svg.qkv g.key-row').first().waitFor();
    const r = await fx.session.handle({ kind: 'attentionDetail', docKey: 'file:///test/doc.ts', layer: L - 1, head: H - 1, query: QUERY });
    const d = (r as { detail: AttentionDetail }).detail;
    const dh = d.dHead;
    const dots = Array.from({ length: QUERY + 1 }, (_v, j) => {
      let s = 0;
      for (let k = 0; k < dh; k++) s += d.q[k] * d.k[j * dh + k];
      return s;
    });
    const w = referenceSoftmax(dots.map((x) => x / Math.sqrt(dh)), 1);
    assert.equal(await panel.page.locator('svg.qkv g.key-row').count(), QUERY + 1);
    for (let j = 0; j <= QUERY; j++) {
      const row = panel.page.locator(`svg.qkv g.key-row[data-key="${j}"]`);
      assert.ok(Math.abs(Number(await row.locator('text.dot').textContent()) - dots[j]) < 2e-3, `q·k ${j}`);
      assert.ok(Math.abs(Number(await row.locator('text.scaled').textContent()) - dots[j] / Math.sqrt(dh)) < 2e-3, `scaled ${j}`);
      assert.ok(Math.abs(Number(await row.locator('text.weight').textContent()) - w[j]) < 2e-4, `weight ${j}`);
      assert.ok(Math.abs(w[j] - att(trace, L - 1, H - 1, QUERY, j)) < 1e-4, 'the detail agrees with the traced attention');
    }
    for (let k = 0; k < dh; k++) {
      let o = 0;
      for (let j = 0; j <= QUERY; j++) o += w[j] * d.v[j * dh + k];
      assert.ok(Math.abs(o - d.output[k]) < 1e-4, `output[${k}] is the weighted sum of v`);
    }
    assert.match((await panel.page.locator('svg.qkv text.masked-note').textContent()) ?? '', new RegExp(`keys ${QUERY + 1}…${T - 1} \\(${T - QUERY - 1}\\): masked`));
    assert.match((await panel.page.locator('.view-qkv .formula').textContent()) ?? '', new RegExp(`√${dh}`));
  });

  it('recomputes the softmax from the full logits row as the temperature slider moves', async () => {
    await openTab(panel, 'Softmax');
    await panel.waitForPosted('requestLogitsRow');
    await serveRequests(panel, fx);
    const r = await fx.session.handle({ kind: 'logitsRow', docKey: 'file:///test/doc.ts', position: QUERY });
    const logits = (r as { row: { logits: Float32Array } }).row.logits;
    await panel.page.locator('.view-softmax table.arith tr.sum').waitFor();
    const bars = panel.page.locator('svg.softmax-bars g.bar');
    const top = trace.scores[QUERY].topk;
    assert.equal(await bars.count(), top.length);
    for (const t of [1, 0.5, 2, 0.1]) {
      await panel.page.locator('#temperature').fill(String(t));
      const p = referenceSoftmax(logits, t);
      for (let k = 0; k < top.length; k++) {
        const got = Number(await bars.nth(k).getAttribute('data-p'));
        assert.ok(Math.abs(got - p[top[k].id]) < 1e-6, `T=${t} token ${top[k].id}: ${got} vs ${p[top[k].id]}`);
        if (t === 1) assert.ok(Math.abs(got - top[k].p) < 1e-4, 'T = 1 gives the trace probabilities');
      }
      const first = panel.page.locator('.view-softmax table.arith tr').nth(1).locator('td');
      assert.equal(await first.nth(4).textContent(), p[top[0].id].toFixed(4));
    }
    const ex = referenceSoftmax([1, 2, 3], 0.1).map((v) => v.toFixed(2)).join(', ');
    assert.ok(((await panel.page.locator('.view-softmax p.note').first().textContent()) ?? '').includes(`[${ex}]`));
    await panel.page.locator('#temperature').fill('1');
  });

  it('projects the embeddings on their first principal component and shows cosine similarity', async () => {
    await openTab(panel, 'Embeddings');
    const points = panel.page.locator('svg.pca g.pt');
    await points.first().waitFor();
    assert.equal(await points.count(), T);
    // First principal component by power iteration on the covariance, independent of ml-pca; compare up to sign.
    const d = trace.model.config.n_embd, x = trace.embeddings!.wte;
    const mean = new Float64Array(d);
    for (let i = 0; i < T; i++) for (let k = 0; k < d; k++) mean[k] += x[i * d + k] / T;
    let v = new Float64Array(d).map((_v, k) => 1 + k / d);
    for (let it = 0; it < 500; it++) {
      const next = new Float64Array(d);
      for (let i = 0; i < T; i++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (x[i * d + k] - mean[k]) * v[k];
        for (let k = 0; k < d; k++) next[k] += s * (x[i * d + k] - mean[k]);
      }
      const n = Math.hypot(...next);
      v = next.map((a) => a / n);
    }
    const mine = Array.from({ length: T }, (_v, i) => v.reduce((s, vk, k) => s + (x[i * d + k] - mean[k]) * vk, 0));
    const theirs = await points.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-x'))));
    const dot = mine.reduce((s, m, i) => s + m * theirs[i], 0);
    const corr = dot / (Math.hypot(...mine) * Math.hypot(...theirs));
    assert.ok(Math.abs(Math.abs(corr) - 1) < 1e-3, `|corr| = ${Math.abs(corr)}`);
    // Cosine similarity of two tokens, read from the hover.
    const box = (await panel.page.locator('.view-embeddings svg.matrix-overlay').boundingBox())!;
    const cell = box.width / T;
    const [a, b] = [1, T - 1];
    let ab = 0, aa = 0, bb = 0;
    for (let k = 0; k < d; k++) {
      ab += x[a * d + k] * x[b * d + k];
      aa += x[a * d + k] ** 2;
      bb += x[b * d + k] ** 2;
    }
    await panel.page.mouse.move(box.x + (b + 0.5) * cell, box.y + (a + 0.5) * cell);
    const tip = (await panel.page.locator('.view-embeddings .tooltip').textContent()) ?? '';
    assert.ok(tip.endsWith(`= ${(ab / Math.sqrt(aa * bb)).toFixed(3)}`), tip);
    await panel.page.mouse.move(0, 0);
    // The layer slider switches to the residual stream after that layer.
    await panel.page.locator('#emb-layer').fill(String(L));
    assert.match((await panel.page.locator('.view-embeddings p.note').first().textContent()) ?? '', new RegExp(`residual stream after layer ${L - 1}`));
  });

  it('lists the logit lens top tokens of every layer at the selected position', async () => {
    await openTab(panel, 'Logit lens');
    const lens = trace.logitLens!;
    const rows = panel.page.locator('table.lens tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), lens.length);
    for (const e of [lens[0], lens[lens.length - 1]]) {
      const cells = panel.page.locator(`table.lens tr[data-layer="${e.layer}"] td`);
      assert.equal(await cells.count(), e.k);
      assert.equal(await cells.first().getAttribute('data-id'), String(e.ids[QUERY * e.k]));
      assert.ok(((await cells.first().textContent()) ?? '').endsWith(e.probs[QUERY * e.k].toFixed(2)));
    }
    // The last row is the model's own prediction: the same top token as the trace's top-k.
    assert.equal(lens[lens.length - 1].ids[QUERY * lens[lens.length - 1].k], trace.scores[QUERY].topk[0].id);
  });

  it('draws one surprisal bar per token with the mean cross-entropy and perplexity', async () => {
    await openTab(panel, 'Loss');
    const bars = panel.page.locator('svg.loss rect.bar');
    await bars.nth(1).waitFor();
    assert.equal(await bars.count(), T);
    const scored = trace.scores.filter((s) => s.surprisal !== null).map((s) => s.surprisal!);
    const meanBits = scored.reduce((a, b) => a + b, 0) / scored.length;
    const text = (await panel.page.locator('.loss-summary').textContent()) ?? '';
    assert.ok(text.includes(`${(meanBits * Math.LN2).toFixed(3)} nats`) && text.includes(`= ${(2 ** meanBits).toFixed(2)}.`), text);
    const h1 = Number(await bars.nth(1).getAttribute('height')), h2 = Number(await bars.nth(2).getAttribute('height'));
    assert.ok(Math.abs(h1 / h2 - trace.scores[1].surprisal! / trace.scores[2].surprisal!) < 1e-3, 'bar heights are proportional to surprisal');
    await bars.nth(3).click();
    assert.deepEqual(await lastPosted(panel, 'selectToken'), { type: 'selectToken', token: 3, reveal: true });
    await panel.post({ type: 'select', token: QUERY });
  });

  it('tabulates LayerNorm statistics for every LayerNorm', async () => {
    await openTab(panel, 'LayerNorm');
    const ln = trace.layerNorm!;
    assert.equal(ln.length, 2 * L + 1);
    const rows = panel.page.locator('table.ln-table tr[data-name]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), ln.length);
    const last = ln[ln.length - 1];
    const cells = panel.page.locator(`table.ln-table tr[data-name="${last.name}"] td`);
    assert.equal(Number(await cells.nth(2).textContent()).toFixed(2), last.stdBefore.toFixed(2));
    assert.equal(Number(await cells.nth(6).textContent()).toFixed(2), last.perPosition.stdAfter[QUERY].toFixed(2));
    assert.equal(await panel.page.locator('svg[data-testid="ln-std"] g.series-points circle').count(), 2 * ln.length);
  });

  it('shows the training log when the model has one', async () => {
    await openTab(panel, 'Training');
    const log = trace.model.trainingLog;
    const note = (await panel.page.locator('[data-testid="training-note"]').textContent()) ?? '';
    if (!log) {
      assert.match(note, /ships no training log/);
      return;
    }
    assert.match(note, new RegExp(`${log.rows.length} logged steps`));
    assert.equal(await panel.page.locator('svg[data-testid="train-grad"] path.marker').count(), log.rows.filter((r) => r.clipped).length);
    const heads = panel.page.locator('svg[data-testid="train-heads"]');
    if (!log.heads?.length) {
      assert.equal(await heads.getAttribute('visibility'), 'hidden');
      return;
    }
    assert.equal(await heads.locator('path.series').count(), 2);
    assert.match((await heads.getAttribute('aria-label')) ?? '', /previous-token, induction by step/);
    if (log.heads.length <= 64) assert.equal(await heads.locator('g.series-points circle').count(), 2 * log.heads.length);
  });

  it('rejects a malformed message with an error reply', async () => {
    const bad = { ...trace, attention: new Float32Array(3) };
    await panel.post({ type: 'trace', trace: bad, selection: { token: 0, layer: 0, head: 0 } });
    const err = await lastPosted(panel, 'error');
    assert.match(err?.message ?? '', /attention must be a Float32Array/);
    await panel.post({ type: 'bogus' } as never);
    assert.match((await lastPosted(panel, 'error'))?.message ?? '', /unknown message type "bogus"/);
    assert.equal(await panel.page.locator('.tokens span.tok').count(), T, 'the good trace stays');
  });

  it('exports the current view as SVG and PNG and asks the host for JSON', async () => {
    await openTab(panel, 'Attention');
    await panel.page.locator('vscode-button', { hasText: 'SVG' }).click();
    const svg = await panel.waitForPosted('export');
    assert.equal(svg.format, 'svg');
    assert.match(svg.data, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg.data, /<image[^>]*href="data:image\/png;base64,/);
    await panel.page.locator('vscode-button', { hasText: 'PNG' }).click();
    await panel.page.waitForFunction(() => (window as unknown as { __xrayPosted: { type: string; format?: string }[] }).__xrayPosted.some((m) => m.type === 'export' && m.format === 'png'));
    const png = (await panel.posted()).filter((m) => m.type === 'export').pop() as Extract<WebviewToHost, { type: 'export' }>;
    assert.match(png.data, /^data:image\/png;base64,/);
    assert.ok(Buffer.from(png.data.split(',')[1], 'base64').subarray(1, 4).toString() === 'PNG');
    await panel.page.locator('vscode-button', { hasText: 'JSON' }).click();
    assert.equal((await lastPosted(panel, 'export'))?.format, 'json');
  });

  it('keeps its selection and tab in the webview state, and restores them after a reload', async () => {
    const state = (await panel.state()) as { uri: string; selection: { token: number }; tab: number };
    assert.equal(state.uri, 'file:///test/doc.ts');
    assert.equal(state.selection.token, QUERY);
    const settings = { 'heatmap.colour': 'sqrt', 'heatmap.zoom': '4', 'softmax.temperature': '0.5' };
    const again = await openPanel({ theme: 'dark', state: { ...state, selection: { token: 3, layer: L - 1, head: 0 }, tab: 6, settings } });
    try {
      await again.waitForPosted('ready');
      await again.post({ type: 'init', trace, selection: { token: 0, layer: 0, head: 0 }, theme: 'dark' });
      await again.page.locator('svg.loss rect.bar.selected').waitFor();
      assert.equal(await again.page.locator('svg.loss rect.bar.selected').getAttribute('data-index'), '3');
      assert.equal(await again.page.locator('.tokens span.tok[aria-selected="true"]').getAttribute('data-index'), '3');
      // Each view's own controls come back as they were.
      await openTab(again, 'Attention');
      assert.equal(await again.page.locator('#heatmap-colour').evaluate((e) => (e as HTMLElement & { value: string }).value), 'sqrt');
      assert.equal(await again.page.locator('#heatmap-zoom').evaluate((e) => (e as HTMLElement & { value: string }).value), '4');
      await openTab(again, 'Softmax');
      assert.equal(await again.page.locator('#temperature').inputValue(), '0.5');
      assert.deepEqual(((await again.state()) as { settings: unknown }).settings, settings);
      again.assertClean();
    } finally {
      await again.close();
    }
  });
});
