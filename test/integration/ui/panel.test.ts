// The attention panel in the real workbench (code-server in Chromium), as a person uses it: analyse a line,
// open the panel from the palette, find the heatmap inside the webview frame, click a token there and see the
// editor's selection move onto that token.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../runner/code-server';
import { useModelWorkbench } from './harness';


describe('attention panel in the real workbench', function () {
  this.timeout(600_000);
  const workbench = useModelWorkbench('panel-failure');

  it('opens after Analyze, draws the heatmap in its webview, and a click on a token selects it in the editor', async () => {
    const wb = workbench();
    const { page } = wb;
    const t0 = Date.now();
    const step = (what: string) => console.log(`    ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    await wb.openFile('example.ts');
    // Go to the line by number (a click can race the editor's layout on a busy machine).
    const lineNumber = fs.readFileSync(path.join(wb.workspace, 'example.ts'), 'utf8').split('\n').findIndex((l) => l.includes('Euclidean distance')) + 1;
    assert.ok(lineNumber > 0, 'the sample has the line');
    await wb.editorLines().first().waitFor();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget .quick-input-box input').waitFor();
    await page.keyboard.type(String(lineNumber));
    await page.keyboard.press('Enter');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    step('line selected');
    await wb.runCommand('GPT X-Ray: Analyze Selection');
    await page.locator('.statusbar-item', { hasText: 'bits/token' }).first().waitFor({ timeout: 240_000 });

    step('analysed');
    await wb.runCommand('GPT X-Ray: Open Attention Panel');
    const frame = wb.webview();
    const heatmap = frame.locator('.view-attention canvas.matrix-canvas');
    // The editor's first analysis has only the scores; opening the panel completes it with attention and the rest.
    await frame.locator('.view-attention h2', { hasText: /^Layer \d+, head \d+$/ }).waitFor({ timeout: 180_000 });
    step('heatmap drawn in the webview');
    const tokens = frame.locator('.tokens span.tok');
    const count = await tokens.count();
    assert.ok(count >= 5, `the panel shows the analysed tokens (${count})`);
    const size = await heatmap.evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    assert.equal(size[0], size[1]);
    assert.equal(size[0] % count, 0, 'one square cell per token pair');

    // Click the fourth token; the editor selects exactly its span. The panel keeps the focus, so the selection is
    // read from the editor's rendering: the characters under its (inactive) selection highlight.
    const target = tokens.nth(3);
    const label = (await target.getAttribute('aria-label')) ?? '';
    const text = /^token 3 "(.*)"/s.exec(label)?.[1];
    assert.ok(text !== undefined && text.trim().length > 0, label);
    await target.click();
    step('token clicked');
    const selectedText = async () => page.evaluate(() => {
      const editor = document.querySelector('.editor-group-container .monaco-editor')!;
      const sel = editor.querySelector('.view-overlays .selected-text');
      if (!sel) return undefined;
      const r = sel.getBoundingClientRect();
      let out = '';
      for (const line of Array.from(editor.querySelectorAll('.view-lines .view-line'))) {
        const lr = line.getBoundingClientRect();
        if (r.top + r.height / 2 < lr.top || r.top + r.height / 2 > lr.bottom) continue;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (let i = 0; i < (node.textContent ?? '').length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const c = range.getBoundingClientRect();
            if (c.left + c.width / 2 > r.left && c.left + c.width / 2 < r.right) out += node.textContent![i];
          }
        }
      }
      return out.replace(/\u00a0/g, ' ');
    });
    let got: string | undefined;
    for (let i = 0; i < 100 && got !== text; i++) {
      got = await selectedText();
      if (got !== text) await page.waitForTimeout(200);
    }
    assert.equal(got, text, 'the editor selects the clicked token');
    const shot = await wb.screenshot('panel-after-analyze');
    console.log(`    screenshot: ${path.relative(repoRoot, shot)}`);
    assert.deepEqual(wb.pageErrors().filter((e) => /x-?ray|webview\.js/i.test(e)), []);
  });
});
