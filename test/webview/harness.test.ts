// The harness itself: the panel's real CSP is in force, violations and errors are caught, messages flow both
// ways, and the built webview bundle loads cleanly and announces itself.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openPanel, repoRoot, type PanelPage } from './harness';

describe('webview harness', function () {
  this.timeout(60_000);
  let panel: PanelPage | undefined;
  afterEach(async () => {
    await panel?.close();
    panel = undefined;
  });

  it('serves the page under the panel CSP, which blocks eval and inline styles', async () => {
    panel = await openPanel({
      script: `
        try { eval('1 + 1'); } catch (e) { /* the CSP throws; the violation event is what we check */ }
        const style = document.createElement('style');
        style.textContent = 'body { color: red }';
        document.head.appendChild(style);
        acquireVsCodeApi().postMessage({ type: 'ready' });`,
    });
    await panel.waitForPosted('ready');
    const csp = await panel.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp ?? '', /default-src 'none'/);
    await panel.page.waitForTimeout(200); // violation events are dispatched asynchronously
    const violations = panel.errors().filter((e) => e.startsWith('CSP violation'));
    assert.ok(violations.some((v) => v.includes('script-src')), `no script-src violation among: ${panel.errors().join('; ')}`);
    assert.ok(violations.some((v) => v.includes('style-src')), `no style-src violation among: ${panel.errors().join('; ')}`);
    assert.throws(() => panel?.assertClean(), /CSP violation/);
  });

  it('delivers host messages with typed arrays intact and records what the page posts', async () => {
    panel = await openPanel({
      script: `
        const vscode = acquireVsCodeApi();
        window.addEventListener('message', (event) => {
          const m = event.data;
          vscode.postMessage({ type: 'error', message: m.type + ':' + m.values.constructor.name + ':' + Array.from(m.values).join(',') });
        });
        vscode.postMessage({ type: 'ready' });`,
    });
    await panel.waitForPosted('ready');
    await panel.post({ type: 'probe', values: new Float32Array([0.5, -2, 3]) } as never);
    const reply = await panel.waitForPosted('error');
    assert.equal(reply.message, 'probe:Float32Array:0.5,-2,3');
    panel.assertClean();
  });

  it('reports uncaught exceptions and console errors', async () => {
    panel = await openPanel({ script: `console.error('broken view'); setTimeout(() => { throw new Error('kaboom'); });` });
    await panel.page.waitForTimeout(300);
    assert.ok(panel.errors().some((e) => e.includes('broken view')), panel.errors().join('; '));
    assert.ok(panel.errors().some((e) => e.includes('kaboom')), panel.errors().join('; '));
  });

  it('loads the built dist/webview.js with no CSP violation or error, and it posts ready', async function () {
    if (!fs.existsSync(path.join(repoRoot, 'dist/webview.js'))) this.skip(); // built by test-all.sh before this tier
    panel = await openPanel({ theme: 'dark' });
    await panel.waitForPosted('ready', 15_000);
    await panel.screenshot('empty-panel-dark');
    panel.assertClean();
  });
});
