// UI tests drive the real VS Code workbench (code-server) in headless Chromium as a person would: command
// palette, quick open, editor, hover, notifications, the panel's webview. The extension under test is this
// repository, loaded in development mode from dist/ (build first). Each workbench gets fresh user data and a
// copy of media/samples as its workspace under .test-tmp/ui/ (git-ignored); close() ends code-server's whole
// process group and Chromium.
//
//   const wb = await startWorkbench();
//   await wb.openFile('prose.md');
//   await wb.runCommand('GPT X-Ray: Analyze Selection');
//   await wb.screenshot('after-analyze');
//   await wb.close();
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { repoRoot, startCodeServer, type CodeServer } from '../runner/code-server';
import { openWorkbench, type Workbench } from '../runner/workbench';

export const screenshotDir = path.join(repoRoot, '.test-tmp/screenshots/ui');
let counter = 0;

export interface UiWorkbench {
  page: Page;
  server: CodeServer;
  /** The workspace folder (a copy of media/samples unless another folder was given). */
  workspace: string;
  /** Open a workspace file through Quick Open (Ctrl+P) and wait for its editor tab. */
  openFile(name: string): Promise<void>;
  /** Run a command from the palette (F1) by its full title, e.g. 'GPT X-Ray: Analyze Selection'. */
  runCommand(title: string): Promise<void>;
  /** The palette's entries for a filter text, as shown ('Category: Title'); the palette is closed again. */
  paletteEntries(filter: string): Promise<string[]>;
  /** Texts of the notification toasts now visible. */
  notifications(): Promise<string[]>;
  /** Wait until a notification containing `text` shows; returns its full text. */
  waitForNotification(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** The content frame of the active webview (a panel), for locators inside it. */
  webview(): FrameLocator;
  /** The active editor's visible lines. */
  editorLines(): Locator;
  /** Saves a PNG under .test-tmp/screenshots/ui/ and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Errors the workbench page logged (uncaught exceptions), for diagnostics. */
  pageErrors(): string[];
  close(): Promise<void>;
}

export interface StartOptions {
  /** Absolute folder to open instead of a copy of media/samples. */
  folder?: string;
  /** User settings written before start (merged over the harness defaults). */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
}

export async function startWorkbench(options: StartOptions = {}): Promise<UiWorkbench> {
  if (!fs.existsSync(path.join(repoRoot, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `node scripts/build.mjs` first');
  const scratch = path.join(repoRoot, '.test-tmp', 'ui', `${process.pid}-${++counter}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  const workspace = options.folder ?? path.join(scratch, 'workspace');
  if (!options.folder) fs.cpSync(path.join(repoRoot, 'media/samples'), workspace, { recursive: true });
  const userDataDir = path.join(scratch, 'user-data');
  if (options.settings) {
    fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off',
      'git.openRepositoryInParentFolders': 'never',
      ...options.settings,
    }, null, 2));
  }

  const server = await startCodeServer({ userDataDir, extensionsDir: path.join(scratch, 'extensions'), logFile: path.join(scratch, 'code-server.log') });
  let workbench: Workbench;
  try {
    workbench = await openWorkbench({ server, folder: workspace, developmentExtensions: [repoRoot], viewport: options.viewport });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const { page } = workbench;
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const close = async (): Promise<void> => {
    await workbench.close().catch(() => undefined);
    await server.stop();
  };
  try {
    // generous limits: on a busy machine the workbench takes minutes, on an idle one seconds
    await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
    // the explorer lists the workspace once the remote file system answers
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 120_000 });
  } catch (error) {
    await close();
    throw new Error(`the workbench did not become ready: ${error instanceof Error ? error.message : String(error)}\ncode-server log:\n${server.logTail()}`);
  }

  const quickInput = page.locator('.quick-input-widget');
  const quickInputBox = quickInput.locator('.quick-input-box input');
  const rows = quickInput.locator('.quick-input-list .monaco-list-row');

  const openPalette = async (prefix: string, filter: string): Promise<void> => {
    await page.keyboard.press('Escape');
    await page.keyboard.press(prefix === '>' ? 'F1' : 'Control+P');
    await quickInputBox.waitFor({ state: 'visible', timeout: 30_000 });
    await quickInputBox.fill(`${prefix}${filter}`);
  };

  const ui: UiWorkbench = {
    page,
    server,
    workspace,
    async openFile(name) {
      // A top-level file: double-click it in the explorer (a pinned editor; no file search needed).
      // Anything else: Quick Open, which searches the workspace with ripgrep.
      const exactName = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
      const explorerRow = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: exactName }) });
      const inExplorer = !name.includes('/') && (await explorerRow.first().waitFor({ timeout: 30_000 }).then(() => true, () => false));
      if (inExplorer) {
        await explorerRow.first().dblclick();
      } else {
        await openPalette('', name);
        await rows.filter({ hasText: path.basename(name) }).first().waitFor({ timeout: 60_000 });
        await page.keyboard.press('Enter');
      }
      await page.locator('.tabs-container .tab', { hasText: path.basename(name) }).first().waitFor({ timeout: 60_000 });
      await page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line').first().waitFor({ timeout: 60_000 });
    },
    async runCommand(title) {
      await openPalette('>', title);
      const row = rows.filter({ has: page.locator('.label-name', { hasText: title }) }).first();
      await row.waitFor({ timeout: 60_000 }).catch(async () => {
        const shown = await rows.allInnerTexts();
        throw new Error(`command '${title}' is not in the palette; it shows: ${shown.join(' | ') || 'nothing'}`);
      });
      // Enter runs the highlighted entry: make sure it is ours, not a fuzzy match above it
      await row.click();
      await quickInput.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    },
    async paletteEntries(filter) {
      await openPalette('>', filter);
      await page.waitForTimeout(500); // the list filters asynchronously
      const labels = await rows.locator('.label-name').allInnerTexts();
      await page.keyboard.press('Escape');
      return labels.map((l) => l.replace(/\s+/g, ' ').trim());
    },
    notifications: () => page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts(),
    async waitForNotification(text, timeoutMs = 30_000) {
      const toast = page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
      await toast.waitFor({ timeout: timeoutMs }).catch(async () => {
        throw new Error(`no notification matching ${String(text)} within ${timeoutMs} ms; visible: ${(await ui.notifications()).join(' | ') || 'none'}`);
      });
      return toast.innerText();
    },
    webview: () => page.frameLocator('iframe.webview.ready').frameLocator('#active-frame'),
    editorLines: () => page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line'),
    async screenshot(name) {
      fs.mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    pageErrors: () => errors.slice(),
    close,
  };
  return ui;
}

/**
 * The hooks every model-driven UI suite needs, in one place: start a workbench with the bundled model (or the
 * Hugging Face fixture where the bundled model is absent; the suite is skipped with a message when neither is),
 * keep a screenshot named `failureShot` of a failed test, and close the workbench afterwards. Call it inside
 * describe(); it returns a getter because the workbench only exists once before() has run.
 */
export function useModelWorkbench(failureShot: string): () => UiWorkbench {
  const fakeGpt2 = path.resolve(repoRoot, '../shared/fixtures/fake_gpt2');
  const bundledPresent = fs.existsSync(path.join(repoRoot, 'media/models/xray-mini/config.json'));
  let wb: UiWorkbench | undefined;
  before(async function () {
    if (!bundledPresent && !fs.existsSync(fakeGpt2)) {
      console.log('    skipped: neither the bundled model nor ../shared/fixtures/fake_gpt2 is present');
      this.skip();
    }
    wb = await startWorkbench({ settings: bundledPresent ? {} : { 'gptXray.modelPath': fakeGpt2 } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && wb) console.log(`    screenshot: ${path.relative(repoRoot, await wb.screenshot(failureShot))}`);
  });
  after(async () => {
    await wb?.close();
  });
  return () => {
    if (!wb) throw new Error('the workbench did not start (see the before hook)');
    return wb;
  };
}
