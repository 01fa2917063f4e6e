/**
 * The editor side of GPT X-Ray, built and registered in one call: commands, decorations, hover, status bar,
 * document tracking, the link with the panel and analyse-on-selection. Returns the small API that
 * extension.ts hands to the panel and the integration tests.
 */
import * as vscode from 'vscode';
import type { Analyses, Analysis } from '../analyses';
import type { ModelInfo } from '../protocol';
import { Analyzer } from './analyze';
import { registerCommands } from './commands';
import { DecorationController, type AppliedDecorations } from './decorations';
import { trackDocuments } from './document-tracking';
import type { EnginePort } from './engine-port';
import { registerHover } from './hover';
import { ModelService } from './model-choice';
import { Notifier } from './notify';
import { PanelLink, type PanelPort } from './panel-link';
import { watchSelections } from './selection-watch';
import { StatusIndicator } from './status-bar';

export interface EditorDeps {
  analyses: Analyses;
  engine: EnginePort;
  log: vscode.LogOutputChannel;
  /** Folder of the model that ships with the extension. */
  bundledModelPath: string;
  /** View type of the attention panel (src/panel VIEW_TYPE): while one is open, analyses carry its data. */
  panelViewType: string;
}

/** What the integration tests read through the extension's exports. */
export interface EditorTestApi {
  getAnalysis(uri: string): Analysis | undefined;
  getDecorationRanges(uri: string): AppliedDecorations | undefined;
  /** How many visible editors of the document show its decorations (split editors). */
  decoratedEditors(uri: string): number;
  /** Error and info messages shown so far, oldest first. */
  shownMessages(): string[];
  currentModel(): ModelInfo | undefined;
}

export interface EditorApi extends EditorTestApi {
  revealToken(uri: string, tokenIndex: number): void;
  highlightTokens(uri: string, tokenIndices: number[]): void;
  /** Bind the attention panel once it is registered. */
  setPanel(panel: PanelPort): void;
  /** The chosen model, loaded (Continue From Cursor uses the same model as the analyses). */
  ensureModel(): Promise<ModelInfo>;
}

export function registerEditor(context: vscode.ExtensionContext, deps: EditorDeps): EditorApi {
  const { analyses, engine, log } = deps;
  const notify = new Notifier(log);
  const models = new ModelService(engine, context.workspaceState, deps.bundledModelPath, log, notify);
  const analyzer = new Analyzer(engine, models, analyses, log, notify, () => PanelLink.panelOpen(deps.panelViewType));
  const decorations = new DecorationController(analyses);
  const link = new PanelLink(analyses, log);
  context.subscriptions.push(
    models,
    decorations,
    link,
    new StatusIndicator(analyses),
    registerHover(analyses),
    trackDocuments(analyses, decorations, log),
    watchSelections(analyzer, (editor, selection) => link.isRevealed(editor, selection)),
    registerCommands({ analyses, analyzer, models, notify, link }),
  );
  return {
    getAnalysis: (uri) => analyses.get(uri),
    getDecorationRanges: (uri) => decorations.appliedFor(uri),
    decoratedEditors: (uri) => decorations.decoratedEditors(uri),
    shownMessages: () => notify.shown(),
    currentModel: () => models.current,
    ensureModel: () => models.ensureLoaded(),
    revealToken: (uri, token) => void link.revealToken(uri, token),
    highlightTokens: (uri, tokens) => link.highlightTokens(uri, tokens),
    setPanel: (panel) => {
      link.panel = panel;
    },
  };
}
