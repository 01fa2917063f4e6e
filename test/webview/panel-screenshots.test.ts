// A screenshot of every view of the panel in a light, a dark and a high-contrast theme, from an engine-made trace
// (files in .test-tmp/screenshots/webview/panel-THEME-VIEW.png, looked at by a person). Each page must stay free of
// CSP violations and errors, and every view must draw something.
import * as assert from 'node:assert/strict';
import { openPanel, type Theme } from './harness';
import { engineFixture, serveRequests } from './panel-engine';

const VIEWS = ['attention', 'heads', 'qkv', 'softmax', 'embeddings', 'lens', 'loss', 'layernorm', 'training'];

describe('attention panel screenshots', function () {
  this.timeout(120_000);
  for (const theme of ['light', 'dark', 'high-contrast'] as Theme[]) {
    it(`draws every view in the ${theme} theme`, async () => {
      const fx = await engineFixture();
      const panel = await openPanel({ theme, viewport: { width: 1000, height: 760 } });
      try {
        await panel.waitForPosted('ready');
        await panel.post({ type: 'init', trace: fx.trace, selection: { token: Math.min(12, fx.trace.tokens.length - 1), layer: 0, head: 0 }, theme });
        for (const view of VIEWS) {
          await panel.page.locator(`vscode-tab-header[data-tab="${view}"]`).click();
          await panel.page.waitForTimeout(150);
          await serveRequests(panel, fx);
          await panel.page.waitForTimeout(150);
          const drawn = await panel.page.locator(`.view-${view}`).evaluate((el) => el.querySelectorAll('svg *, canvas, td').length);
          assert.ok(drawn > 0, `${view} drew nothing`);
          await panel.screenshot(`panel-${theme}-${view}`);
        }
        panel.assertClean();
      } finally {
        await panel.close();
      }
    });
  }
});
