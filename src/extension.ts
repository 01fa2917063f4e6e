/**
 * GPT X-Ray's entry point: build the services and register everything into context.subscriptions. Nothing here
 * loads tfjs: the engine worker starts on the first request. Activation time is logged.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Analyses } from './analyses';
import { registerEditor, type EditorTestApi } from './editor';
import { EngineClient } from './engine/client';
import { BUNDLED_MODEL_DIR } from './engine/model-resolver';
import { registerAttentionPanel, VIEW_TYPE } from './panel';
import { registerContinueFromCursor } from './editor/continue-from-cursor';
import { disposeContinuationPanel, showContinuation } from './panel/continuation-panel';

export interface XrayApi extends EditorTestApi {
  /** Milliseconds activate() took. */
  activationMs: number;
  /** What the panel calls to show a token in the editor. */
  revealToken(uri: string, tokenIndex: number): void;
}

export function activate(context: vscode.ExtensionContext): XrayApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('GPT X-Ray', { log: true });
  const analyses = new Analyses();
  const client = new EngineClient({
    workerPath: path.join(context.extensionPath, 'dist', 'worker.js'),
    log: (level, msg) => log[level](`engine: ${msg}`),
  });
  context.subscriptions.push(log, { dispose: () => client.dispose() });

  const editor = registerEditor(context, {
    analyses,
    engine: client,
    log,
    bundledModelPath: path.join(context.extensionPath, BUNDLED_MODEL_DIR),
    panelViewType: VIEW_TYPE,
  });
  const panel = registerAttentionPanel(context, {
    analyses,
    client,
    log,
    revealToken: (uri, token) => editor.revealToken(uri, token),
    highlightTokens: (uri, tokens) => editor.highlightTokens(uri, tokens),
  });
  editor.setPanel(panel);
  context.subscriptions.push(
    registerContinueFromCursor({
      ensureModel: () => editor.ensureModel(),
      open: (args) => showContinuation(context.extensionUri, { ...args, engine: client, log }),
      log,
    }),
    { dispose: disposeContinuationPanel },
  );

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    getAnalysis: editor.getAnalysis,
    getDecorationRanges: editor.getDecorationRanges,
    decoratedEditors: editor.decoratedEditors,
    shownMessages: editor.shownMessages,
    currentModel: editor.currentModel,
    revealToken: editor.revealToken,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
