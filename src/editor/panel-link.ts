/**
 * The editor's half of the link with the attention panel: reveal a token's span when the panel asks, highlight
 * tokens briefly, and tell the panel which token the cursor is on. The panel is bound late (it needs these
 * callbacks to be built), so calls before that are dropped.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import { tokensAt } from './navigation-logic';

/** The part of the panel's API (src/panel/index.ts PanelApi) the editor calls. */
export interface PanelPort {
  show(uri?: string, token?: number): void;
  selectToken(uri: string, token: number): void;
}

export const HIGHLIGHT_MS = 1500;

export class PanelLink implements vscode.Disposable {
  panel: PanelPort | undefined;
  private readonly highlightType = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('gptXray.highlightBackground'),
    borderStyle: 'solid',
    borderWidth: '1px',
    borderColor: new vscode.ThemeColor('gptXray.highlightBorder'),
  });
  private highlightTimer: NodeJS.Timeout | undefined;
  /** The token we just revealed for the panel: its cursor move is not echoed back. */
  private echo: { uri: string; token: number } | undefined;
  /** The selection revealToken made last, so analyse-on-selection can tell it from the person's. */
  private revealed: { editor: vscode.TextEditor; selection: vscode.Selection } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly analyses: Analyses,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.highlightType,
      vscode.window.onDidChangeTextEditorSelection((e) => this.cursorMoved(e.textEditor)),
    );
  }

  private span(uri: string, token: number, doc: vscode.TextDocument): vscode.Range | undefined {
    const trace = this.analyses.get(uri)?.trace;
    const t = trace?.tokens[token];
    if (!trace || !t) return undefined;
    return new vscode.Range(doc.positionAt(trace.offset + t.start), doc.positionAt(trace.offset + t.end));
  }

  /** Select and reveal token `token` of document `uri` in its editor (opened beside the panel if not visible). */
  async revealToken(uri: string, token: number): Promise<void> {
    try {
      const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
      const editor =
        visible ??
        (await vscode.window.showTextDocument(vscode.Uri.parse(uri), { viewColumn: vscode.ViewColumn.One, preserveFocus: true }));
      const range = this.span(uri, token, editor.document);
      if (!range) return;
      this.echo = { uri, token };
      const selection = new vscode.Selection(range.start, range.end);
      this.revealed = { editor, selection };
      editor.selection = selection;
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      this.log.warn(`could not reveal token ${token} of ${uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Whether an attention panel is open in any editor group (its tab's view type carries VIEW_TYPE). */
  static panelOpen(viewType: string): boolean {
    return vscode.window.tabGroups.all.some((g) =>
      g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType)),
    );
  }

  /** Whether `selection` is the one revealToken just made in `editor`. */
  isRevealed(editor: vscode.TextEditor, selection: vscode.Selection): boolean {
    return this.revealed !== undefined && this.revealed.editor === editor && this.revealed.selection.isEqual(selection);
  }

  /** Highlight tokens of `uri` in every visible editor of it for a moment (an empty list clears). */
  highlightTokens(uri: string, tokens: number[]): void {
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri) continue;
      const ranges = tokens.map((k) => this.span(uri, k, editor.document)).filter((r): r is vscode.Range => r !== undefined);
      editor.setDecorations(this.highlightType, ranges);
    }
    if (tokens.length > 0) this.highlightTimer = setTimeout(() => this.highlightTokens(uri, []), HIGHLIGHT_MS);
  }

  private cursorMoved(editor: vscode.TextEditor): void {
    if (!this.panel) return;
    const uri = editor.document.uri.toString();
    const trace = this.analyses.get(uri)?.trace;
    if (!trace) return;
    const token = tokensAt(trace, editor.document.offsetAt(editor.selection.active))[0];
    if (token === undefined) return;
    const echo = this.echo;
    this.echo = undefined;
    if (echo && echo.uri === uri && echo.token === token) return;
    this.panel.selectToken(uri, token);
  }

  dispose(): void {
    if (this.highlightTimer) clearTimeout(this.highlightTimer);
    this.disposables.forEach((d) => d.dispose());
  }
}
