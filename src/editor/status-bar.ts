/**
 * The status bar item for the active editor's analysis (model name, mean surprisal, perplexity; a click opens the
 * panel) and the context key gptXray.hasAnalysis that shows or hides the commands needing an analysis.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import { statusText } from './hover-logic';

export const HAS_ANALYSIS_KEY = 'gptXray.hasAnalysis';

export class StatusIndicator implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gptXray.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private hasAnalysis: boolean | undefined;

  constructor(private readonly analyses: Analyses) {
    this.item.name = 'GPT X-Ray';
    this.item.command = { command: 'gptXray.openPanel', title: 'Open Attention Panel' };
    this.disposables.push(
      this.item,
      analyses.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
    );
    this.update();
  }

  update(): void {
    const editor = vscode.window.activeTextEditor;
    const analysis = editor ? this.analyses.get(editor.document.uri.toString()) : undefined;
    const has = analysis !== undefined;
    if (has !== this.hasAnalysis) {
      this.hasAnalysis = has;
      void vscode.commands.executeCommand('setContext', HAS_ANALYSIS_KEY, has);
    }
    if (!analysis) {
      this.item.hide();
      return;
    }
    const t = analysis.trace;
    const m = t.model;
    this.item.text = statusText(m.name, t.meanSurprisal, t.perplexity);
    const tip = new vscode.MarkdownString(
      `**GPT X-Ray** · ${m.name}${m.bundled ? ' (bundled)' : ''}\n\n` +
        `${m.config.n_layer} layers × ${m.config.n_head} heads, width ${m.config.n_embd}, ${m.parameters.toLocaleString('en')} parameters, ${m.backend}\n\n` +
        `${t.tokens.length} tokens${t.totalTokens > t.tokens.length ? ` (of ${t.totalTokens})` : ''}: ` +
        `mean surprisal ${t.meanSurprisal.toFixed(2)} bits/token, perplexity ${t.perplexity.toFixed(2)}\n\n` +
        'Click to open the attention panel.',
    );
    this.item.tooltip = tip;
    this.item.show();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
