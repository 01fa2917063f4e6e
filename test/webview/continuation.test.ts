/**
 * The Continue From Cursor view (dist/continuation.js under the panel's CSP in Chromium) wired to the real host-side
 * controller and the real engine, as in VS Code: the page's generationControl messages go to a
 * ContinuationController over an EngineSession, its states come back as 'generation' messages. Checks: the prompt
 * and every generated token are drawn, each step's candidates and chosen token match the engine's run, moving the
 * temperature slider redraws the next token's probabilities as softmax(logits / T) of the engine's own uncached
 * logits, and clicking another candidate takes that branch. Screenshots in light and dark.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GenerationState, HostToWebview, WebviewToHost } from '../../src/protocol';
import { ContinuationController, DEFAULT_SETTINGS } from '../../src/panel/continuation-controller';
import type { EngineSession } from '../../src/engine/session';
import { openPanel, origin, repoRoot, type PanelPage, type Theme } from './harness';
import { engineFixture } from './panel-engine';
import { generationEngineOf } from '../unit/session-generation-engine';
import { referenceSoftmax } from '../unit/reference-softmax';

const PROMPT = 'function mean(xs: number[]): number {\n  let total = 0;\n  for (const x of xs) total += x;\n  return';


interface Wired {
  panel: PanelPage;
  controller: ContinuationController;
  last(): GenerationState;
  /** Deliver the page's actions to the controller (as the panel host does) until it has no more; then flush posts. */
  serve(): Promise<void>;
}

async function wire(session: EngineSession, theme: Theme, settings = {}): Promise<Wired> {
  const panel = await openPanel({ theme, script: fs.readFileSync(path.join(repoRoot, 'dist/continuation.js'), 'utf8') });
  await panel.page.addStyleTag({ url: `${origin}/dist/continuation.css` });
  await panel.waitForPosted('ready');
  const info = session.model!;
  let last: GenerationState | undefined;
  let posting = Promise.resolve();
  const controller = new ContinuationController(generationEngineOf(session), { name: info.name, config: info.config }, PROMPT, { ...DEFAULT_SETTINGS, ...settings }, (s) => {
    last = s;
    const m: HostToWebview = { type: 'generation', state: s };
    posting = posting.then(() => panel.post(m));
  });
  await controller.start();
  await posting;
  let seen = 0;
  return {
    panel,
    controller,
    last: () => last!,
    async serve() {
      for (;;) {
        const all: WebviewToHost[] = await panel.posted();
        const fresh = all.slice(seen);
        seen = all.length;
        if (!fresh.length) break;
        for (const m of fresh) if (m.type === 'generationControl') await controller.handle(m.action);
      }
      await posting;
    },
  };
}

describe('continuation view (Chromium, real engine)', function () {
  this.timeout(120_000);
  let session: EngineSession;
  const open: Wired[] = [];
  before(async () => {
    session = (await engineFixture()).session;
  });
  afterEach(async () => {
    while (open.length) {
      const w = open.pop()!;
      w.controller.dispose();
      await w.panel.close();
    }
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`draws the prompt, each generated token and its candidates from a real run (${theme})`, async () => {
      const w = await wire(session, theme, { greedy: true, maxTokens: 8 });
      open.push(w);
      await w.panel.page.locator('#run').click();
      await w.serve();
      const s = w.last();
      assert.equal(s.steps.length, 8);
      const page = w.panel.page;
      const gen = await page.locator('[data-testid=continuation-text] .tok.gen').allTextContents();
      assert.deepEqual(gen, s.steps.map((st) => st.token.text));
      const prompt = await page.locator('[data-testid=continuation-text] .tok.prompt').allTextContents();
      assert.equal(prompt.join(''), s.promptTokens.slice(-80).map((t) => t.text).join(''));
      // The latest step's bars: its candidates in order, the chosen (greedy: rank 1) marked.
      const last = s.steps[7];
      const ids = await page.locator('[data-testid=step-bars] g.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
      assert.deepEqual(ids, last.candidates.map((c) => c.id));
      assert.equal(Number(await page.locator('[data-testid=step-bars] g.bar.actual').getAttribute('data-id')), last.token.id);
      assert.equal(last.rank, 1);
      assert.match(await page.locator('.cont-step h3').textContent() ?? '', /Step 8: chose .* rank 1, p /);
      // The attention strip: one span per context token, weights of the head average summing to 1.
      const weights = await page.locator('[data-testid=attention-strip] .tok').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.weight)));
      assert.equal(weights.length, Math.min(160, last.contextLength));
      if (last.contextLength <= 160) assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      await w.panel.screenshot(`continuation-${theme}`);
      w.panel.assertClean();
    });
  }

  it('moving the temperature slider redraws the next token as softmax(logits / T) of the uncached forward', async () => {
    const w = await wire(session, 'dark', { greedy: false, topK: 0, topP: 1, temperature: 1 });
    open.push(w);
    const ids = w.last().promptTokens.map((t) => t.id);
    const row = await session.requireModel().runner.logitsRow(ids, ids.length - 1);
    for (const T of [0.3, 1.6]) {
      await w.panel.page.locator('#temperature').fill(String(T));
      await w.serve();
      assert.equal(w.last().settings.temperature, T);
      const p = referenceSoftmax(row, T);
      const bars = await w.panel.page.locator('[data-testid=pending-bars] g.bar').evaluateAll((els) =>
        els.map((e) => ({ id: Number(e.getAttribute('data-id')), p: Number(e.getAttribute('data-p')) })));
      assert.equal(bars.length, 12);
      for (const b of bars) assert.ok(Math.abs(b.p - p[b.id]) < 1e-4, `T ${T}: token ${b.id} drawn with p ${b.p}, softmax says ${p[b.id]}`);
      assert.match(await w.panel.page.locator('.cont-pending h3').textContent() ?? '', new RegExp(`T = ${T}`));
    }
    // top-k 3 dims all but three candidates
    await w.panel.page.locator('#top-k').fill('3');
    await w.panel.page.locator('#top-k').dispatchEvent('change');
    await w.serve();
    assert.equal(await w.panel.page.locator('[data-testid=pending-bars] g.bar:not(.dropped)').count(), 3);
    await w.panel.screenshot('continuation-dark-topk3');
    w.panel.assertClean();
  });

  it('clicking another candidate at a step takes that branch and continues from it', async () => {
    const w = await wire(session, 'light', { greedy: true, maxTokens: 5 });
    open.push(w);
    await w.panel.page.locator('#run').click();
    await w.serve();
    const before = w.last().steps.map((s) => s.token.id);
    await w.panel.page.locator('[data-testid=continuation-text] .tok.gen[data-step="1"]').click();
    const alt = w.last().steps[1].candidates[2];
    await w.panel.page.locator(`[data-testid=step-bars] g.bar[data-id="${alt.id}"]`).click();
    await w.serve();
    const after = w.last().steps;
    assert.equal(after.length, 5);
    assert.equal(after[0].token.id, before[0]);
    assert.equal(after[1].token.id, alt.id);
    assert.equal(after[1].rank, 3);
    const gen = await w.panel.page.locator('[data-testid=continuation-text] .tok.gen').allTextContents();
    assert.deepEqual(gen, after.map((s) => s.token.text));
    w.panel.assertClean();
  });
});
