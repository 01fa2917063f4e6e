// The webview tier's harness: the built dist/webview.js in real headless Chromium, inside exactly the HTML and
// Content Security Policy the panel serves (src/panel/html.ts), with a stand-in for acquireVsCodeApi().
// Any CSP violation, console error, uncaught exception or request to another origin is recorded and fails
// assertClean(). Screenshots go to .test-tmp/screenshots/webview/ (git-ignored).
//
//   const panel = await openPanel({ theme: 'dark' });
//   await panel.post({ type: 'init', trace, selection, theme: 'dark' });
//   await panel.waitForPosted('ready');
//   await panel.page.locator('...').hover();
//   await panel.screenshot('attention-grid');
//   panel.assertClean();
//   await panel.close();
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildPanelHtml } from '../../src/panel/html';
import type { HostToWebview, WebviewToHost } from '../../src/protocol';
import { launchChromium } from '../integration/runner/workbench';

export const repoRoot = path.resolve(__dirname, '../..');
/** The origin the page is served from; it plays the part of webview.cspSource. */
export const origin = 'https://gpt-xray-webview.test';
export const screenshotDir = path.join(repoRoot, '.test-tmp/screenshots/webview');
/** Folders of the repository the page may load files from. */
const servedRoots = ['dist', 'webview', 'media', 'node_modules/@vscode/codicons/dist'];

export type Theme = 'dark' | 'light' | 'high-contrast';

export interface PanelPageOptions {
  theme?: Theme;
  viewport?: { width: number; height: number };
  /** Replace dist/webview.js with this script (served from the same origin), e.g. to probe the CSP itself. */
  script?: string;
  /** Value getState() returns first, as after a reload of a restored panel. */
  state?: unknown;
}

export interface PanelPage {
  page: Page;
  context: BrowserContext;
  /** Deliver a message the way the extension's webview.postMessage does. */
  post(message: HostToWebview): Promise<void>;
  /** Every message the page sent with vscode.postMessage, in order. */
  posted(): Promise<WebviewToHost[]>;
  /** Wait (time-boxed) for the page to post a message of this type; returns it. */
  waitForPosted<T extends WebviewToHost['type']>(type: T, timeoutMs?: number): Promise<Extract<WebviewToHost, { type: T }>>;
  /** The last value the page passed to setState(). */
  state(): Promise<unknown>;
  /** CSP violations, console errors, page errors and blocked requests, so far. */
  errors(): string[];
  /** Throws one Error listing every recorded problem. */
  assertClean(): void;
  /** Saves a PNG under .test-tmp/screenshots/webview/ and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

let sharedBrowser: Promise<Browser> | undefined;
function browser(): Promise<Browser> {
  sharedBrowser ??= launchChromium();
  return sharedBrowser;
}
export async function closeBrowser(): Promise<void> {
  const launched = sharedBrowser;
  sharedBrowser = undefined;
  if (launched) await (await launched).close();
}
// One Chromium for the whole webview tier, closed when mocha ends.
if (typeof after === 'function') after(closeBrowser);

/** Theme variables VS Code sets on the webview's <html>; a small, representative subset per theme kind. */
const themeVariables: Record<Theme, Record<string, string>> = {
  dark: {
    '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '14px', '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1e1e1e',
    '--vscode-editor-foreground': '#d4d4d4', '--vscode-panel-border': '#80808059', '--vscode-focusBorder': '#007fd4',
    '--vscode-button-background': '#0e639c', '--vscode-button-foreground': '#ffffff', '--vscode-descriptionForeground': '#ccccccb3',
    '--vscode-textLink-foreground': '#3794ff', '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#cca700', '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7', '--vscode-input-background': '#3c3c3c', '--vscode-input-foreground': '#cccccc',
    '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-list-activeSelectionBackground': '#04395e',
    '--vscode-editorWidget-background': '#252526', '--vscode-widget-border': '#303031', '--vscode-errorForeground': '#f48771',
  },
  light: {
    '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '14px', '--vscode-foreground': '#616161', '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#000000', '--vscode-panel-border': '#80808059', '--vscode-focusBorder': '#0090f1',
    '--vscode-button-background': '#007acc', '--vscode-button-foreground': '#ffffff', '--vscode-descriptionForeground': '#717171',
    '--vscode-textLink-foreground': '#006ab1', '--vscode-charts-red': '#e51400', '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-yellow': '#bf8803', '--vscode-charts-green': '#388a34', '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#652d90', '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#616161',
    '--vscode-list-hoverBackground': '#e8e8e8', '--vscode-list-activeSelectionBackground': '#0060c0',
    '--vscode-editorWidget-background': '#f3f3f3', '--vscode-widget-border': '#d4d4d4', '--vscode-errorForeground': '#a1260d',
  },
  'high-contrast': {
    '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '14px', '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff', '--vscode-panel-border': '#6fc3df', '--vscode-focusBorder': '#f38518',
    '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffffb3',
    '--vscode-textLink-foreground': '#21a6ff', '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#ffd700', '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7', '--vscode-input-background': '#000000', '--vscode-input-foreground': '#ffffff',
    '--vscode-list-hoverBackground': '#000000', '--vscode-list-activeSelectionBackground': '#000000',
    '--vscode-editorWidget-background': '#0c141f', '--vscode-widget-border': '#6fc3df', '--vscode-errorForeground': '#f48771',
  },
};
const bodyClass: Record<Theme, string> = { dark: 'vscode-dark', light: 'vscode-light', 'high-contrast': 'vscode-high-contrast' };

/** Typed arrays are tagged here and rebuilt in the page, so the webview receives real Float32Arrays as from VS Code. */
function encode(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return { __typedArray: value.constructor.name, values: Array.from(value as unknown as ArrayLike<number>) };
  }
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

function contentType(file: string): string {
  const types: Record<string, string> = {
    '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json',
    '.svg': 'image/svg+xml', '.png': 'image/png', '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.map': 'application/json',
  };
  return types[path.extname(file)] ?? 'application/octet-stream';
}

export async function openPanel(options: PanelPageOptions = {}): Promise<PanelPage> {
  const theme = options.theme ?? 'dark';
  const scriptPath = path.join(repoRoot, 'dist/webview.js');
  if (options.script === undefined && !fs.existsSync(scriptPath)) {
    throw new Error('dist/webview.js is missing: run `node scripts/build.mjs` first');
  }
  const context = await (await browser()).newContext({ viewport: options.viewport ?? { width: 1100, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];

  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  await page.exposeFunction('__xrayCspViolation', (text: string) => problems.push(`CSP violation: ${text}`));

  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== origin) {
      problems.push(`request to another origin: ${url.href}`);
      return route.abort('blockedbyclient');
    }
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    if (relative === 'index.html') {
      const nonce = 'XrayHarnessNonce' + Math.random().toString(36).slice(2).replace(/[^a-z0-9]/g, '') + 'A1';
      const codicons = 'node_modules/@vscode/codicons/dist/codicon.css';
      const html = buildPanelHtml({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/${options.script === undefined ? 'dist/webview.js' : 'test-probe.js'}`,
        styleUri: `${origin}/webview/style.css`,
        ...(fs.existsSync(path.join(repoRoot, codicons)) ? { codiconsUri: `${origin}/${codicons}` } : {}),
      });
      return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    }
    if (options.script !== undefined) {
      // A probe page tests the CSP, not the views: its stylesheet may not exist yet.
      if (relative === 'test-probe.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: options.script });
      if (relative === 'webview/style.css' && !fs.existsSync(path.join(repoRoot, relative))) {
        return route.fulfill({ status: 200, contentType: 'text/css', body: '' });
      }
    }
    const file = path.resolve(repoRoot, relative);
    const allowed = servedRoots.some((root) => file.startsWith(path.join(repoRoot, root) + path.sep));
    if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      problems.push(`not found: /${relative}`);
      return route.fulfill({ status: 404, body: 'not found' });
    }
    return route.fulfill({ status: 200, contentType: contentType(file), body: fs.readFileSync(file) });
  });

  // What VS Code's webview host provides before the page's own scripts run: acquireVsCodeApi (callable once),
  // the theme's CSS variables and body class, and (here) a record of CSP violations.
  await page.addInitScript(({ variables, themeClass, initialState }) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    let state: unknown = initialState;
    let acquired = false;
    w.__xrayPosted = posted;
    w.__xrayState = () => state;
    w.acquireVsCodeApi = () => {
      if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
      acquired = true;
      return Object.freeze({
        postMessage: (message: unknown) => posted.push(structuredClone(message)),
        getState: () => state,
        setState: (next: unknown) => {
          state = next;
          return next;
        },
      });
    };
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = w.__xrayCspViolation as (text: string) => void;
      report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
    // The init script runs before <html> exists: style it, and class <body>, as soon as the parser creates them.
    const themed = (): boolean => {
      const root = document.documentElement;
      if (!root || !document.body) return false;
      for (const [name, value] of Object.entries(variables)) root.style.setProperty(name, value);
      document.body.classList.add(themeClass);
      return true;
    };
    const observer = new MutationObserver(() => themed() && observer.disconnect());
    observer.observe(document, { childList: true, subtree: true });
  }, { variables: themeVariables[theme], themeClass: bodyClass[theme], initialState: options.state ?? null });

  await page.goto(`${origin}/index.html`, { timeout: 30_000 });

  const panel: PanelPage = {
    page,
    context,
    async post(message) {
      await page.evaluate((encoded: unknown) => {
        const revive = (value: unknown): unknown => {
          if (Array.isArray(value)) return value.map(revive);
          if (value && typeof value === 'object') {
            const tagged = value as { __typedArray?: string; values?: number[] };
            if (tagged.__typedArray && tagged.values) {
              const Ctor = (globalThis as unknown as Record<string, new (values: number[]) => unknown>)[tagged.__typedArray];
              return new Ctor(tagged.values);
            }
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
          }
          return value;
        };
        window.dispatchEvent(new MessageEvent('message', { data: revive(encoded), origin: window.location.origin }));
      }, encode(message));
    },
    posted: () => page.evaluate(() => (window as unknown as { __xrayPosted: WebviewToHost[] }).__xrayPosted.slice()),
    async waitForPosted(type, timeoutMs = 10_000) {
      const handle = await page.waitForFunction(
        (wanted) => (window as unknown as { __xrayPosted: { type: string }[] }).__xrayPosted.find((m) => m.type === wanted),
        type,
        { timeout: timeoutMs },
      ).catch(() => {
        throw new Error(`the page did not post a '${type}' message within ${timeoutMs} ms; problems so far: ${problems.join('; ') || 'none'}`);
      });
      return (await handle.jsonValue()) as Extract<WebviewToHost, { type: typeof type }>;
    },
    state: () => page.evaluate(() => (window as unknown as { __xrayState: () => unknown }).__xrayState()),
    errors: () => problems.slice(),
    assertClean() {
      if (problems.length) throw new Error(`the webview reported ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    },
    async screenshot(name) {
      fs.mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => context.close(),
  };
  return panel;
}
