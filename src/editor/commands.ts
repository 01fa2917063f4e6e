/**
 * The editor's commands. Each catches its own errors: a command never throws at the person.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import type { Analyzer } from './analyze';
import { chooseModelCommand, type ChooseModelArg } from './choose-model';
import { surprisingTokens } from './decoration-logic';
import type { ModelService } from './model-choice';
import { stepSurprising } from './navigation-logic';
import type { Notifier } from './notify';
import type { PanelLink } from './panel-link';

export interface CommandDeps {
  analyses: Analyses;
  analyzer: Analyzer;
  models: ModelService;
  notify: Notifier;
  link: PanelLink;
}

function activeEditor(notify: Notifier): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) notify.error('GPT X-Ray: open a text editor and select some text first.');
  return editor;
}

function navigate(deps: CommandDeps, dir: 1 | -1): number | undefined {
  const editor = vscode.window.activeTextEditor;
  const analysis = editor && deps.analyses.get(editor.document.uri.toString());
  if (!editor || !analysis) {
    deps.notify.error('GPT X-Ray: nothing is analysed in this editor; run Analyze Selection first.');
    return undefined;
  }
  const trace = analysis.trace;
  const doc = editor.document;
  const token = stepSurprising(trace, surprisingTokens(trace), doc.offsetAt(editor.selection.active), dir);
  if (token === undefined) return undefined;
  const t = trace.tokens[token];
  const range = new vscode.Range(doc.positionAt(trace.offset + t.start), doc.positionAt(trace.offset + t.end));
  // Cursor at the token's start: the next step moves on from there; the panel follows via the cursor.
  editor.selection = new vscode.Selection(range.start, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return token;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const { analyses, analyzer, models, notify, link } = deps;
  return vscode.Disposable.from(
    vscode.commands.registerCommand('gptXray.analyzeSelection', async () => {
      const editor = activeEditor(notify);
      if (!editor) return undefined;
      const analysis = await analyzer.analyze(editor, 'command');
      return analysis ? analysis.trace.tokens.length : undefined;
    }),
    vscode.commands.registerCommand('gptXray.clearAnalysis', (uri?: string) => {
      const target = typeof uri === 'string' ? uri : vscode.window.activeTextEditor?.document.uri.toString();
      if (target) analyses.delete(target);
    }),
    vscode.commands.registerCommand('gptXray.openPanel', (uri?: unknown, token?: unknown) => {
      if (!link.panel) {
        notify.error('GPT X-Ray: the attention panel is not available in this build.');
        return;
      }
      const target = typeof uri === 'string' ? uri : vscode.window.activeTextEditor?.document.uri.toString();
      link.panel.show(typeof uri === 'string' ? uri : undefined, Number.isInteger(token) ? (token as number) : undefined);
      if (target) return analyzer.completeForPanel(target);
      return undefined;
    }),
    vscode.commands.registerCommand('gptXray.chooseModel', (arg?: ChooseModelArg) => chooseModelCommand(models, notify, arg)),
    vscode.commands.registerCommand('gptXray.nextSurprisingToken', () => navigate(deps, 1)),
    vscode.commands.registerCommand('gptXray.previousSurprisingToken', () => navigate(deps, -1)),
  );
}
