/**
 * The Continue From Cursor panel (webview 'gptXray.continuation'): one at a time, beside the editor, with the same
 * CSP page as the attention panel (html.ts) running dist/continuation.js. It relays the view's actions to the
 * ContinuationController and the controller's states to the view; Insert and Copy go to the callbacks the editor
 * command gave, since only it knows the document and the cursor.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { GenerationAction, GenerationState, HostToWebview } from '../protocol';
import { ContinuationController, DEFAULT_SETTINGS, type ContinuationModel, type GenerationEngine } from './continuation-controller';
import { buildPanelHtml, makeNonce } from './html';
import { validateWebviewMessage } from './validate';
import type { SamplingSettings } from '../protocol';

export const CONTINUATION_VIEW_TYPE = 'gptXray.continuation';

export interface ContinuationRequest {
  engine: GenerationEngine;
  model: ContinuationModel;
  prompt: string;
  /** Starting settings; DEFAULT_SETTINGS fill the rest. */
  settings: Partial<SamplingSettings>;
  /** Put the text at the cursor the continuation started from; rejects with a one-line reason. */
  insert(text: string): Promise<void>;
  copy(text: string): Promise<void>;
  log: vscode.LogOutputChannel;
}

/** What the command (and the integration tests) hold of a running continuation. */
export interface ContinuationHandle {
  /** Resolves once the prompt has run and the first distribution is shown. */
  readonly started: Promise<void>;
  state(): GenerationState;
  /** The continuation's text, as the panel shows it. */
  text(): string;
  /** Do what the panel's buttons do; resolves when the action is done (a run: when it ends). */
  act(action: GenerationAction): Promise<void>;
}

let current: { panel: vscode.WebviewPanel; run: ContinuationRun } | undefined;

class ContinuationRun implements ContinuationHandle {
  readonly controller: ContinuationController;
  readonly started: Promise<void>;
  private ready = false;

  constructor(private readonly panel: vscode.WebviewPanel, private readonly req: ContinuationRequest) {
    this.controller = new ContinuationController(req.engine, req.model, req.prompt, { ...DEFAULT_SETTINGS, ...req.settings }, (s) => this.post({ type: 'generation', state: s }));
    this.started = this.controller.start();
    this.started.catch((e: unknown) => req.log.error(`continuation: could not start: ${oneLine(e)}`));
  }

  state(): GenerationState {
    return this.controller.state();
  }

  text(): string {
    return this.controller.continuation();
  }

  async act(a: GenerationAction): Promise<void> {
    await this.started;
    if (a.action === 'insert') {
      if (this.state().running) throw new Error('stop the run before inserting');
      const text = this.text();
      if (!text) throw new Error('nothing to insert: generate some tokens first');
      await this.req.insert(text);
      this.req.log.info(`continuation: inserted ${this.state().steps.length} tokens (${text.length} characters)`);
      return;
    }
    if (a.action === 'copy') {
      const text = this.text();
      if (!text) throw new Error('nothing to copy: generate some tokens first');
      await this.req.copy(text);
      return;
    }
    await this.controller.handle(a);
  }

  /** A message from the webview: validated, then acted on; a failure goes back to the view as an error line. */
  async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) return this.replyError(`rejected message from the continuation panel: ${checked.error}`);
    const m = checked.value;
    try {
      if (m.type === 'ready') {
        this.ready = true;
        this.post({ type: 'generation', state: this.state() });
      } else if (m.type === 'generationControl') {
        await this.act(m.action);
      } else if (m.type === 'error') {
        this.req.log.error(`continuation panel (webview): ${m.message}`);
      }
    } catch (e) {
      this.replyError(oneLine(e));
    }
  }

  dispose(): void {
    this.controller.dispose();
  }

  private post(message: HostToWebview): void {
    if (!this.ready) return; // 'ready' sends the current state
    void this.panel.webview.postMessage(message).then(undefined, (e: unknown) => this.req.log.error(`continuation: postMessage failed: ${String(e)}`));
  }

  private replyError(message: string): void {
    this.req.log.warn(`continuation: ${message}`);
    void this.panel.webview.postMessage({ type: 'error', message } satisfies HostToWebview);
  }
}

function oneLine(e: unknown): string {
  return ((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '').trim() || 'unknown error';
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return buildPanelHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce((n) => randomBytes(n)),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'continuation.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'continuation.css')).toString(),
  });
}

/** Show the panel (reusing the open one) with a new continuation; the previous one stops and ends. */
export function showContinuation(extensionUri: vscode.Uri, req: ContinuationRequest): ContinuationHandle {
  if (!current) {
    const panel = vscode.window.createWebviewPanel(CONTINUATION_VIEW_TYPE, 'GPT X-Ray: Continue', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    });
    const run = new ContinuationRun(panel, req);
    const entry = { panel, run };
    current = entry;
    panel.webview.onDidReceiveMessage((m: unknown) => void current?.run.receive(m));
    panel.onDidDispose(() => {
      if (current === entry || current?.panel === panel) {
        current.run.dispose();
        current = undefined;
      }
    });
    panel.webview.html = html(panel.webview, extensionUri);
    return run;
  }
  current.run.dispose();
  // A fresh page: its 'ready' asks for the new run's state.
  current.run = new ContinuationRun(current.panel, req);
  current.panel.webview.html = html(current.panel.webview, extensionUri);
  current.panel.reveal(current.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
  return current.run;
}

/** Close the panel (extension deactivation). */
export function disposeContinuationPanel(): void {
  current?.panel.dispose();
}
