/**
 * gptXray.analyzeOnSelection: analyse a non-empty selection once it has been still for a moment (debounced), so
 * dragging a selection does not start a request per mouse move. Off by default.
 */
import * as vscode from 'vscode';
import type { Analyzer } from './analyze';
import { readSettings } from './settings';

export const SELECTION_DEBOUNCE_MS = 600;

/** `ignore` tells selections the extension made itself (revealing a token for the panel), which are not requests. */
export function watchSelections(analyzer: Analyzer, ignore: (editor: vscode.TextEditor, selection: vscode.Selection) => boolean): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const sub = vscode.window.onDidChangeTextEditorSelection((e) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (e.selections.length !== 1 || e.selections[0].isEmpty) return;
    if (ignore(e.textEditor, e.selections[0])) return;
    if (!readSettings(e.textEditor.document).analyzeOnSelection) return;
    const editor = e.textEditor;
    const selection = e.selections[0];
    timer = setTimeout(() => {
      timer = undefined;
      if (editor.selection.isEqual(selection)) void analyzer.analyze(editor, 'selection');
    }, SELECTION_DEBOUNCE_MS);
  });
  return new vscode.Disposable(() => {
    if (timer) clearTimeout(timer);
    sub.dispose();
  });
}
