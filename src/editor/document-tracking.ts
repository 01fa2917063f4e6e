/**
 * Keeps analyses true to their documents: an edit inside the analysed range drops it, an edit before it shifts
 * the Trace's offset (and redraws), an edit after it only records the new version. Closing a document frees it:
 * when its last tab closes (VS Code disposes the document itself only some time later), or when it is disposed.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import type { DecorationController } from './decorations';
import { fateOfRange } from './range-shift-logic';

export function trackDocuments(analyses: Analyses, decorations: DecorationController, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeTextDocument((e) => {
      const uri = e.document.uri.toString();
      const analysis = analyses.get(uri);
      if (!analysis || e.contentChanges.length === 0) return;
      const t = analysis.trace;
      const fate = fateOfRange(t.offset, t.offset + t.text.length, e.contentChanges);
      if (fate.kind === 'drop') {
        analyses.delete(uri); // its change event clears the decorations
        log.debug(`edit inside the analysed range of ${uri}: analysis dropped`);
      } else {
        analyses.shift(uri, fate.kind === 'shift' ? fate.delta : 0, e.document.version);
        if (fate.kind === 'shift') decorations.refresh(uri);
      }
    }),
    vscode.workspace.onDidCloseTextDocument((d) => analyses.delete(d.uri.toString())),
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      if (e.closed.length === 0) return;
      const open = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap(tabUris));
      for (const uri of e.closed.flatMap(tabUris)) {
        if (!open.has(uri) && analyses.get(uri)) {
          analyses.delete(uri);
          log.debug(`last tab of ${uri} closed: analysis freed`);
        }
      }
    }),
  );
}

/** The documents a tab shows (a diff shows two). */
function tabUris(tab: vscode.Tab): string[] {
  const input = tab.input;
  if (input instanceof vscode.TabInputText) return [input.uri.toString()];
  if (input instanceof vscode.TabInputTextDiff) return [input.original.toString(), input.modified.toString()];
  return [];
}
