// Used by `XRAY_PRODUCT_CHECK=1 bash scripts/run-product.sh`: opens the running product (the .vsix installed in
// code-server, not the development copy) in Chromium as a person would, checks the README sample is open and
// the GPT X-Ray commands are in the command palette, and saves a screenshot. Usage: check-product.ts URL FOLDER
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './code-server';
import { openWorkbench } from './workbench';

async function main(): Promise<void> {
  const [url, folder] = process.argv.slice(2);
  if (!url || !folder) throw new Error('usage: check-product.ts <code-server url> <workspace folder>');
  const server = { url, port: Number(new URL(url).port), stop: async () => undefined, logTail: () => '' };
  const workbench = await openWorkbench({ server, folder });
  try {
    const { page } = workbench;
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.tabs-container .tab', { hasText: 'README.md' }).first().waitFor({ timeout: 60_000 });
    // the README opens as a Markdown preview (a webview, which keeps the keyboard): focus the workbench first
    await page.locator('.statusbar').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>GPT X-Ray');
    const row = page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: 'GPT X-Ray: Analyze Selection' });
    await row.first().waitFor({ timeout: 60_000 });
    const shown = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    const dir = path.join(repoRoot, '.test-tmp/screenshots/product');
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'palette.png') });
    console.log(`check-product: the palette offers ${shown.filter((s) => s.startsWith('GPT X-Ray')).join(', ')}`);
  } finally {
    await workbench.close();
  }
}

main().catch((error: unknown) => {
  console.error(`check-product: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
