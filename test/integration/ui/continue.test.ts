// Continue From Cursor in the real workbench (code-server in Chromium), as a person uses it: put the cursor at the
// end of a line, run the command from the palette, press Greedy and Run in the panel's webview, read the generated
// tokens it shows, press Insert; the saved file holds exactly the shown text at the cursor, and one undo restores it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../runner/code-server';
import { useModelWorkbench } from './harness';


describe('Continue From Cursor in the real workbench', function () {
  this.timeout(600_000);
  const workbench = useModelWorkbench('continue-failure');

  it('Insert puts exactly the continuation the panel shows at the cursor; one undo restores the file', async () => {
    const wb = workbench();
    const { page } = wb;
    const file = path.join(wb.workspace, 'example.ts');
    const original = fs.readFileSync(file, 'utf8');
    const lines = original.split('\n');
    const lineIndex = lines.findIndex((l) => l.includes('Euclidean distance'));
    assert.ok(lineIndex >= 0, 'the sample has the line');
    const offset = lines.slice(0, lineIndex + 1).join('\n').length; // end of that line
    await wb.openFile('example.ts');
    await wb.editorLines().first().waitFor();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget .quick-input-box input').waitFor();
    await page.keyboard.type(String(lineIndex + 1));
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');

    await wb.runCommand('GPT X-Ray: Continue From Cursor');
    const frame = wb.webview();
    await frame.locator('[data-testid=pending-bars] g.bar').first().waitFor({ timeout: 240_000 });
    await frame.locator('#greedy').check();
    await frame.locator('#max-tokens').fill('5');
    await frame.locator('#max-tokens').dispatchEvent('change');
    await frame.locator('.cont-pending h3', { hasText: 'greedy' }).waitFor({ timeout: 30_000 });
    await frame.locator('#run').click();
    const generated = frame.locator('[data-testid=continuation-text] .tok.gen');
    await frame.locator('#insert:not([disabled])').waitFor({ timeout: 240_000 });
    assert.equal(await generated.count(), 5);
    const shown = (await generated.allTextContents()).join('');
    assert.equal(fs.readFileSync(file, 'utf8'), original, 'nothing is written before Insert');

    await frame.locator('#insert').click();
    await wb.runCommand('View: Focus First Editor Group');
    // Save (the harness may auto-save as well) and wait for the file on disk to change.
    await page.keyboard.press('Control+S');
    const changed = Date.now() + 30_000;
    while (fs.readFileSync(file, 'utf8') === original && Date.now() < changed) await page.waitForTimeout(200);
    const inserted = fs.readFileSync(file, 'utf8');
    assert.equal(inserted, original.slice(0, offset) + shown + original.slice(offset), 'the file holds the shown continuation at the cursor');
    const shot = await wb.screenshot('continue-after-insert');
    console.log(`    screenshot: ${path.relative(repoRoot, shot)}`);

    await page.keyboard.press('Control+Z');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 30_000;
    while (fs.readFileSync(file, 'utf8') !== original && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(fs.readFileSync(file, 'utf8'), original, 'one undo restores the file');
    assert.deepEqual(wb.pageErrors().filter((e) => /x-?ray|continuation\.js/i.test(e)), []);
  });
});
