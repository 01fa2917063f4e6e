// As a person would, in the real workbench (code-server in Chromium): select a sentence, run
// "GPT X-Ray: Analyze Selection" from the palette, see the status bar and the commands that need an analysis,
// hover a token and read its probabilities, and keep a screenshot of the coloured text with its hover.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../runner/code-server';
import { useModelWorkbench } from './harness';


describe('editor in the real workbench: analyse, colour, hover', function () {
  this.timeout(300_000);
  const workbench = useModelWorkbench('editor-failure');

  it('analyses a selection from the palette and shows the hover of a token', async () => {
    const wb = workbench();
    const { page } = wb;
    await wb.openFile('prose.md');
    const line = wb.editorLines().filter({ hasText: 'Every evening the keeper' }).first();
    await line.click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    // The palette by hand: the harness's runCommand presses Escape first, which would collapse the selection.
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 60_000 });
    await input.fill('>GPT X-Ray: Analyze Selection');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: 'GPT X-Ray: Analyze Selection' }) }).first().click({ timeout: 60_000 });

    // the status bar shows the model, mean surprisal and perplexity once the analysis is in
    const status = page.locator('.statusbar-item', { hasText: 'bits/token' }).first();
    await status.waitFor({ timeout: 240_000 });
    const statusText = await status.innerText();
    assert.match(statusText, /(xray-mini|fake_gpt2): \d+\.\d\d bits\/token · ppl \d+\.\d/);
    const entries = await wb.paletteEntries('GPT X-Ray');
    assert.ok(entries.includes('GPT X-Ray: Next Surprising Token'), `after an analysis the palette shows: ${entries.join(' | ')}`);

    // collapse the selection so the token colours show, then hover the word "twelve" (on the first visual line:
    // Home / Shift+End select one visual line of a wrapped line)
    await page.keyboard.press('Escape');
    await line.click({ position: { x: 2, y: 2 } });
    const box = await page.evaluate(() => {
      for (const el of Array.from(document.querySelectorAll('.monaco-editor .view-lines .view-line span span'))) {
        const node = el.firstChild;
        const at = node?.textContent?.indexOf('twelve') ?? -1;
        if (!node || at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at + 1);
        range.setEnd(node, at + 5);
        const r = range.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }
      return undefined;
    });
    assert.ok(box, 'the word "twelve" is on screen');
    await page.mouse.move(box.x - 40, box.y);
    await page.mouse.move(box.x, box.y, { steps: 4 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'GPT X-Ray' }).first();
    await hover.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      await wb.screenshot('editor-hover-missing');
      throw error;
    });
    const text = await hover.innerText();
    const [, index, count] = /token (\d+) of (\d+)/.exec(text) ?? [];
    assert.ok(Number(index) > 0 && Number(count) < 60, `only the selected line was analysed: ${text.split('\n')[0]}`);
    assert.match(text, /probability/);
    assert.match(text, /rank/);
    assert.match(text, /surprisal\s+\d+\.\d\d bits/);
    assert.match(text, /entropy\s+\d+\.\d\d bits/);
    assert.match(text, /Top 5 the model expected here/);
    assert.match(text, /Open in the attention panel/);
    const shot = await wb.screenshot('editor-hover');
    assert.ok(fs.statSync(shot).size > 10_000, 'screenshot is suspiciously small');
    console.log(`    screenshot: ${path.relative(repoRoot, shot)}`);
  });
});
