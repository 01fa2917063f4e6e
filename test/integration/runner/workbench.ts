// Opens code-server's workbench in headless Debian Chromium (playwright-core). Extensions under development and
// an in-host test entry are injected the way VS Code's own web test runner does it: by patching
// `developmentOptions` in the workbench's configuration <meta> before the workbench script reads it.
import * as fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { CodeServer } from './code-server';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags that keep Chromium quiet and headless on a closed network. */
export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run bash scripts/setup.sh as root`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
}

export interface WorkbenchOptions {
  server: CodeServer;
  /** Absolute folder to open as the workspace. */
  folder: string;
  /** Absolute paths of extensions loaded in development mode (like --extensionDevelopmentPath). */
  developmentExtensions?: string[];
  /** Absolute path of a module exporting run(): the workbench runs it in the extension host, then exits. */
  extensionTestsPath?: string;
  /** Output of the in-host tests (console.log etc. inside the extension host). */
  onLog?: (type: string, args: unknown[]) => void;
  /** The in-host tests' exit code. */
  onExit?: (code: number) => void;
  viewport?: { width: number; height: number };
}

export interface Workbench {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

interface RemoteUri {
  scheme: 'vscode-remote';
  authority: string;
  path: string;
}

export async function openWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    const authority = new URL(options.server.url).host;
    const remote = (p: string): RemoteUri => ({ scheme: 'vscode-remote', authority, path: p });
    const developmentOptions: Record<string, unknown> = {};
    if (options.developmentExtensions?.length) developmentOptions.extensions = options.developmentExtensions.map(remote);
    if (options.extensionTestsPath) developmentOptions.extensionTestsPath = remote(options.extensionTestsPath);

    if (options.onLog) await page.exposeFunction('codeAutomationLog', options.onLog);
    if (options.onExit) await page.exposeFunction('codeAutomationExit', options.onExit);
    await page.addInitScript((patch: Record<string, unknown>) => {
      const id = 'vscode-workbench-web-configuration';
      const apply = (element: Element): void => {
        const raw = element.getAttribute('data-settings');
        if (!raw) return;
        const settings = JSON.parse(raw) as { developmentOptions?: Record<string, unknown> };
        settings.developmentOptions = { ...settings.developmentOptions, ...patch };
        element.setAttribute('data-settings', JSON.stringify(settings));
      };
      const present = document.getElementById(id);
      if (present) {
        apply(present);
        return;
      }
      const observer = new MutationObserver(() => {
        const element = document.getElementById(id);
        if (element) {
          observer.disconnect();
          apply(element);
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    }, developmentOptions);

    // Only the response: on a loaded machine the 11 MB workbench script alone can take a minute to fetch and run.
    // Callers wait for what they need (.monaco-workbench, the in-host tests' output), each with its own limit.
    await page.goto(`${options.server.url}/?folder=${encodeURIComponent(options.folder)}`, { waitUntil: 'commit', timeout: 120_000 });
    return { browser, context, page, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
