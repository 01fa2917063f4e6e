// A person's first contact: in the real workbench (code-server in Chromium), the command palette offers the
// GPT X-Ray commands, hides the ones that need an analysis, and running one reaches the extension.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startWorkbench, type UiWorkbench } from './harness';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as Manifest;
const hiddenUntilAnalysis = new Set(
  (manifest.contributes.menus?.commandPalette ?? []).filter((m) => m.when === 'gptXray.hasAnalysis').map((m) => m.command),
);
const paletteTitle = (c: { title: string; category: string }): string => `${c.category}: ${c.title}`;

describe('command palette in the real workbench', function () {
  this.timeout(240_000);
  let wb: UiWorkbench;
  before(async () => {
    wb = await startWorkbench();
  });
  after(async () => {
    await wb?.close();
  });

  it('lists the GPT X-Ray commands, and not those that need an analysis', async () => {
    await wb.openFile('prose.md');
    const entries = await wb.paletteEntries('GPT X-Ray');
    for (const c of manifest.contributes.commands) {
      if (hiddenUntilAnalysis.has(c.command)) assert.ok(!entries.includes(paletteTitle(c)), `${paletteTitle(c)} shown before any analysis`);
      else assert.ok(entries.includes(paletteTitle(c)), `${paletteTitle(c)} missing; the palette shows: ${entries.join(' | ')}`);
    }
  });

  it('runs "GPT X-Ray: Choose Model…" from the palette and shows its model picker', async () => {
    await wb.runCommand('GPT X-Ray: Choose Model…');
    const picker = wb.page.locator('.quick-input-widget');
    await picker.locator('.quick-input-title', { hasText: 'GPT X-Ray: Choose Model' }).waitFor({ timeout: 90_000 });
    const items = await picker.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    assert.ok(items.some((i) => i.includes('Bundled model')), `picker items: ${items.join(' | ')}`);
    const shot = await wb.screenshot('palette-choose-model');
    assert.ok(fs.statSync(shot).size > 10_000, 'screenshot is suspiciously small');
    await wb.page.keyboard.press('Escape');
  });
});
