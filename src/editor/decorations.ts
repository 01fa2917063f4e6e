/**
 * Colours every analysed token by its GLTR bucket (theme colours from contributes.colors), draws a thin border
 * at each token's end so boundaries show, and marks the most surprising tokens in the overview ruler. Every
 * visible editor of a document (split editors too) gets the same decorations, recomputed from the stored Trace.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import { BUCKETS, type Bucket } from './buckets-logic';
import { decorationPlan, type DecorationPlan, type Span } from './decoration-logic';
import { readSettings, SECTION } from './settings';

/** Colour ids of the buckets, most expected first (package.json contributes them). */
export const BUCKET_COLORS: Record<Bucket, string> = {
  0: 'gptXray.top10Background',
  1: 'gptXray.top100Background',
  2: 'gptXray.top1000Background',
  3: 'gptXray.beyondBackground',
};

/** The applied decorations of a document as [start, end) document offsets, for the integration tests. */
export interface AppliedDecorations {
  buckets: Record<Bucket, [number, number][]>;
  tokens: [number, number][];
  surprising: [number, number][];
}

export class DecorationController implements vscode.Disposable {
  private readonly bucketTypes: Record<Bucket, vscode.TextEditorDecorationType>;
  private readonly boundaryType: vscode.TextEditorDecorationType;
  private readonly surprisingType: vscode.TextEditorDecorationType;
  private readonly applied = new Map<string, DecorationPlan>();
  /** Editors that show a plan now (split editors of one document each get it). */
  private readonly decorated = new WeakSet<vscode.TextEditor>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly analyses: Analyses) {
    const behavior = vscode.DecorationRangeBehavior.ClosedClosed;
    this.bucketTypes = {
      0: vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(BUCKET_COLORS[0]), rangeBehavior: behavior }),
      1: vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(BUCKET_COLORS[1]), rangeBehavior: behavior }),
      2: vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(BUCKET_COLORS[2]), rangeBehavior: behavior }),
      3: vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(BUCKET_COLORS[3]), rangeBehavior: behavior }),
    };
    this.boundaryType = vscode.window.createTextEditorDecorationType({
      borderStyle: 'solid',
      borderWidth: '0 1px 0 0',
      borderColor: new vscode.ThemeColor('gptXray.tokenBorder'),
      rangeBehavior: behavior,
    });
    this.surprisingType = vscode.window.createTextEditorDecorationType({
      overviewRulerColor: new vscode.ThemeColor('gptXray.surprisingOverviewRuler'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      rangeBehavior: behavior,
    });
    this.disposables.push(
      analyses.onDidChange((c) => this.refresh(c.uri)),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.apply(e))),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.colorMode`) || e.affectsConfiguration(`${SECTION}.decorations`)) this.refreshAll();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.applied.delete(d.uri.toString())),
    );
  }

  /** Redraw every visible editor of the document `uri` from its stored analysis (or clear them). */
  refresh(uri: string): void {
    for (const editor of vscode.window.visibleTextEditors) if (editor.document.uri.toString() === uri) this.apply(editor);
    if (!this.analyses.get(uri)) this.applied.delete(uri);
  }

  refreshAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.apply(editor);
  }

  /** What is drawn for `uri` now, as document offsets. */
  appliedFor(uri: string): AppliedDecorations | undefined {
    const plan = this.applied.get(uri);
    if (!plan) return undefined;
    const pairs = (spans: Span[]) => spans.map((s): [number, number] => [s.start, s.end]);
    return {
      buckets: { 0: pairs(plan.buckets[0]), 1: pairs(plan.buckets[1]), 2: pairs(plan.buckets[2]), 3: pairs(plan.buckets[3]) },
      tokens: pairs(plan.tokens),
      surprising: pairs(plan.surprising),
    };
  }

  /** How many visible editors of `uri` show its decorations. */
  decoratedEditors(uri: string): number {
    return vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === uri && this.decorated.has(e)).length;
  }

  private apply(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const uri = doc.uri.toString();
    const analysis = this.analyses.get(uri);
    const settings = readSettings(doc);
    if (!analysis || !settings.decorations) {
      for (const b of BUCKETS) editor.setDecorations(this.bucketTypes[b], []);
      editor.setDecorations(this.boundaryType, []);
      editor.setDecorations(this.surprisingType, []);
      this.decorated.delete(editor);
      this.applied.delete(uri);
      return;
    }
    const plan = decorationPlan(analysis.trace, settings.colorMode);
    const ranges = (spans: Span[]) => spans.map((s) => new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)));
    for (const b of BUCKETS) editor.setDecorations(this.bucketTypes[b], ranges(plan.buckets[b]));
    editor.setDecorations(this.boundaryType, ranges(plan.tokens));
    editor.setDecorations(this.surprisingType, ranges(plan.surprising));
    this.decorated.add(editor);
    this.applied.set(uri, plan);
  }

  dispose(): void {
    for (const b of BUCKETS) this.bucketTypes[b].dispose();
    this.boundaryType.dispose();
    this.surprisingType.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
