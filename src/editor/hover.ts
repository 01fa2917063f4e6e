/**
 * The hover on analysed tokens: the Markdown of hover-logic.ts, trusted only to run gptXray.openPanel (its link
 * opens the panel at the token). No hover where nothing is analysed.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import { hoverMarkdown } from './hover-logic';
import { tokensAt } from './navigation-logic';

export function registerHover(analyses: Analyses): vscode.Disposable {
  // Every document: the store, not the language, says where a hover applies.
  return vscode.languages.registerHoverProvider('*', {
      provideHover(doc, position) {
        const uri = doc.uri.toString();
        const analysis = analyses.get(uri);
        if (!analysis) return undefined;
        const trace = analysis.trace;
        const indices = tokensAt(trace, doc.offsetAt(position));
        if (indices.length === 0) return undefined;
        const md = new vscode.MarkdownString(hoverMarkdown(trace, indices, uri));
        md.isTrusted = { enabledCommands: ['gptXray.openPanel'] };
        const t = trace.tokens[indices[0]];
        const range = new vscode.Range(doc.positionAt(trace.offset + t.start), doc.positionAt(trace.offset + t.end));
        return new vscode.Hover(md, range);
      },
  });
}
