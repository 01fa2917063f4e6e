/**
 * One attention panel beside the editor: creation, restore after reload, the ready -> init handshake and message
 * routing. Every incoming message is validated (validate.ts); a bad one or a failed request is answered with an
 * error message and logged. Lifecycle after microsoft/vscode-extension-samples webview-sample.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Analyses } from '../analyses';
import type { AttentionDetail, HostToWebview, LogitsRow, PanelSelection, WebviewToHost } from '../protocol';
import { buildPanelHtml, makeNonce } from './html';
import { validateWebviewMessage } from './validate';
import { traceToJson } from './exportTrace';

export const VIEW_TYPE = 'gptXray.attention';

/** What the panel needs from the engine (EngineClient in src/engine/client.ts satisfies it). */
export interface PanelEngine {
  attentionDetail(docKey: string, layer: number, head: number, query: number): Promise<AttentionDetail>;
  logitsRow(docKey: string, position: number): Promise<LogitsRow>;
}

export interface PanelDeps {
  analyses: Analyses;
  client: PanelEngine;
  log: vscode.LogOutputChannel;
  revealToken(uri: string, tokenIndex: number): void;
  highlightTokens(uri: string, tokenIndices: number[]): void;
}

/** What survives a window reload next to the webview's own getState/setState. */
export interface PersistedPanelState {
  uri?: string;
  selection?: PanelSelection;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'webview')],
  };
}

export class AttentionPanel implements vscode.Disposable {
  private uri: string | undefined;
  private selection: PanelSelection = { token: 0, layer: 0, head: 0 };
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly deps: PanelDeps,
    restored: PersistedPanelState | undefined,
    private readonly onDisposed: () => void,
  ) {
    this.uri = restored?.uri;
    if (restored?.selection) this.selection = restored.selection;
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      deps.analyses.onDidChange((change) => {
        if (change.uri !== this.uri) return;
        if (change.analysis) this.post({ type: 'trace', trace: change.analysis.trace, selection: this.clampSelection(), docUri: this.uri });
        else this.post({ type: 'clear' });
      }),
    );
  }

  get documentUri(): string | undefined {
    return this.uri;
  }

  /** Show the analysis of `uri` (or keep the current one), optionally selecting a token. */
  showDocument(uri: string | undefined, token?: number): void {
    if (uri !== undefined && uri !== this.uri) {
      this.uri = uri;
      const analysis = this.deps.analyses.get(uri);
      if (token !== undefined) this.selection = { ...this.selection, token };
      if (analysis) this.post({ type: 'trace', trace: analysis.trace, selection: this.clampSelection(), docUri: uri });
      else this.post({ type: 'clear' });
    } else if (token !== undefined) {
      this.selectToken(token);
    }
    this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
  }

  selectToken(token: number): void {
    this.selection = { ...this.selection, token };
    this.post({ type: 'select', token });
  }

  dispose(): void {
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.onDisposed();
  }

  private html(): string {
    const webview = this.panel.webview;
    return buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce((n) => randomBytes(n)),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'webview', 'style.css')).toString(),
    });
  }

  private clampSelection(): PanelSelection {
    const trace = this.uri ? this.deps.analyses.get(this.uri)?.trace : undefined;
    if (!trace) return this.selection;
    const { n_layer, n_head } = trace.model.config;
    const T = trace.tokens.length;
    const s = this.selection;
    this.selection = {
      token: Math.min(Math.max(0, s.token), Math.max(0, T - 1)),
      layer: Math.min(s.layer, n_layer - 1),
      head: s.head < 0 ? -1 : Math.min(s.head, n_head - 1),
    };
    return this.selection;
  }

  private post(message: HostToWebview): void {
    if (!this.ready && message.type !== 'init') return; // the init message after 'ready' carries the current state
    void this.panel.webview.postMessage(message).then(undefined, (e: unknown) => this.deps.log.error(`panel: postMessage failed: ${String(e)}`));
  }

  private replyError(message: string, requestId?: number): void {
    this.deps.log.warn(`panel: ${message}`);
    void this.panel.webview.postMessage({ type: 'error', message, requestId } satisfies HostToWebview);
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) return this.replyError(`rejected message from the panel: ${checked.error}`);
    try {
      await this.route(checked.value);
    } catch (e) {
      this.replyError(e instanceof Error ? e.message : String(e));
    }
  }

  private async route(m: WebviewToHost): Promise<void> {
    const uri = this.uri;
    const trace = uri ? this.deps.analyses.get(uri)?.trace : undefined;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post({ type: 'init', trace: trace ?? null, selection: this.clampSelection(), theme: themeKind(), docUri: uri });
        return;
      case 'selectToken':
        if (!uri || !trace) throw new Error('no analysis is shown');
        if (m.token >= trace.tokens.length) throw new Error(`token ${m.token} is outside the analysis (${trace.tokens.length} tokens)`);
        this.selection = { ...this.selection, token: m.token };
        if (m.reveal) this.deps.revealToken(uri, m.token);
        return;
      case 'hoverTokens':
        if (!uri || !trace) return;
        if (m.tokens.some((t) => t >= trace.tokens.length)) throw new Error('hovered token outside the analysis');
        this.deps.highlightTokens(uri, m.tokens);
        return;
      case 'requestAttentionDetail': {
        if (!uri || !trace) throw new Error('no analysis is shown');
        const { n_layer, n_head } = trace.model.config;
        if (m.layer >= n_layer || m.head >= n_head || m.query >= trace.tokens.length) throw new Error('attention detail request outside the model or the text');
        this.selection = { token: m.query, layer: m.layer, head: m.head };
        const detail = await this.deps.client.attentionDetail(uri, m.layer, m.head, m.query);
        this.post({ type: 'attentionDetail', detail });
        return;
      }
      case 'requestLogitsRow': {
        if (!uri || !trace) throw new Error('no analysis is shown');
        if (m.position >= trace.tokens.length) throw new Error(`position ${m.position} is outside the analysis`);
        const row = await this.deps.client.logitsRow(uri, m.position);
        this.post({ type: 'logitsRow', row });
        return;
      }
      case 'export':
        await this.export(m.format, m.data, m.suggestedName, uri, trace);
        return;
      case 'generationControl':
        throw new Error('text generation is not available in this panel yet');
      case 'error':
        this.deps.log.error(`panel (webview): ${m.message}`);
        return;
    }
  }

  private async export(format: 'svg' | 'png' | 'json', data: string, suggestedName: string, uri: string | undefined, trace: unknown): Promise<void> {
    let bytes: Uint8Array;
    if (format === 'json') {
      // The host holds the full-precision trace; the webview's copy is not re-serialised.
      if (!uri || !trace) throw new Error('no analysis to export');
      bytes = Buffer.from(traceToJson(this.deps.analyses.get(uri)!.trace, uri), 'utf8');
    } else if (format === 'png') {
      bytes = Buffer.from(data.slice('data:image/png;base64,'.length), 'base64');
    } else {
      bytes = Buffer.from(data, 'utf8');
    }
    const filters: Record<string, string[]> = { [format.toUpperCase()]: [format] };
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: base ? vscode.Uri.joinPath(base, suggestedName) : undefined,
      filters,
      title: `Export ${format.toUpperCase()}`,
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    this.deps.log.info(`panel: exported ${format} to ${target.toString()}`);
  }
}

function themeKind(): 'light' | 'dark' | 'high-contrast' {
  const kind = vscode.window.activeColorTheme.kind;
  if (kind === vscode.ColorThemeKind.Light) return 'light';
  if (kind === vscode.ColorThemeKind.Dark) return 'dark';
  return 'high-contrast';
}
