/**
 * Which model the editor uses and loading it on first use. The choice is the workspace's (workspaceState, set
 * with Choose Model…), else the gptXray.modelPath setting, else the bundled model. A folder that fails to load is
 * reported once in one line and the bundled model is used until the person chooses again.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol';
import { CancelledError, firstLine, isCancelled, type EnginePort } from './engine-port';
import type { Notifier } from './notify';
import { readSettings } from './settings';

export type ModelChoice = { kind: 'bundled' } | { kind: 'folder'; path: string };

export const CHOICE_KEY = 'gptXray.modelChoice';

function keyOf(choice: ModelChoice): string {
  return choice.kind === 'bundled' ? 'bundled' : `folder:${choice.path}`;
}

/** A folder path from a setting or an argument: `~` expanded, relative paths taken from the first workspace folder. */
export function resolveFolder(p: string): string {
  let out = p.startsWith('~') ? path.join(os.homedir(), p.slice(1)) : p;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!path.isAbsolute(out) && root?.scheme === 'file') out = path.join(root.fsPath, out);
  return path.resolve(out);
}

export class ModelService implements vscode.Disposable {
  private loaded: { key: string; info: ModelInfo } | undefined;
  private pending: { key: string; promise: Promise<ModelInfo> } | undefined;
  /** The folder that failed last: not retried until chosen again. */
  private broken: string | undefined;
  private readonly changed = new vscode.EventEmitter<ModelInfo>();
  readonly onDidChangeModel = this.changed.event;

  constructor(
    private readonly engine: EnginePort,
    private readonly state: vscode.Memento,
    private readonly bundledPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly notify: Notifier,
  ) {}

  get current(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  choice(): ModelChoice {
    const saved = this.state.get<ModelChoice>(CHOICE_KEY);
    if (saved?.kind === 'bundled') return saved;
    if (saved?.kind === 'folder' && typeof saved.path === 'string') return saved;
    const setting = readSettings().modelPath;
    return setting ? { kind: 'folder', path: resolveFolder(setting) } : { kind: 'bundled' };
  }

  /** Remember a choice for this workspace and load it now, so a broken folder is reported at once. */
  async choose(choice: ModelChoice): Promise<ModelInfo> {
    await this.state.update(CHOICE_KEY, choice);
    this.broken = undefined;
    this.log.info(`model: chose ${keyOf(choice)}`);
    return this.ensureLoaded();
  }

  /** The chosen model, loaded (with a cancellable progress notification the first time). */
  async ensureLoaded(): Promise<ModelInfo> {
    let choice = this.choice();
    if (choice.kind === 'folder' && choice.path === this.broken) choice = { kind: 'bundled' };
    try {
      return await this.load(choice);
    } catch (e) {
      if (isCancelled(e) || choice.kind === 'bundled') throw e;
      this.broken = choice.path;
      this.notify.error(`GPT X-Ray: could not load the model in ${choice.path}: ${firstLine(e)}. Using the bundled model instead.`);
      return this.load({ kind: 'bundled' });
    }
  }

  private load(choice: ModelChoice): Promise<ModelInfo> {
    const key = keyOf(choice);
    if (this.loaded?.key === key) return Promise.resolve(this.loaded.info);
    if (this.pending?.key !== key) {
      const promise = this.startLoad(choice, key);
      this.pending = { key, promise };
      promise.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        if (this.pending?.promise === promise) this.pending = undefined;
      });
    }
    return this.withProgress(choice, this.pending!.promise);
  }

  private async startLoad(choice: ModelChoice, key: string): Promise<ModelInfo> {
    const folder = choice.kind === 'bundled' ? this.bundledPath : choice.path;
    if (choice.kind === 'bundled' && !fs.existsSync(path.join(folder, 'config.json'))) {
      throw new Error(`no model: the bundled model is missing from ${folder}; use "GPT X-Ray: Choose Model…" to pick a GPT-2 folder`);
    }
    if (choice.kind === 'folder' && !fs.existsSync(folder)) throw new Error('the folder does not exist');
    const t0 = performance.now();
    let info: ModelInfo;
    try {
      info = await this.engine.load(folder, choice.kind === 'bundled');
    } catch (e) {
      this.loaded = undefined; // the worker may have dropped the previous model while trying
      throw e;
    }
    this.loaded = { key, info };
    this.log.info(`model: loaded ${info.name} (${info.parameters} parameters, ${info.backend}) from ${folder} in ${Math.round(performance.now() - t0)} ms`);
    this.changed.fire(info);
    return info;
  }

  /** Wait for a load behind a progress notification; cancelling stops the wait (the worker finishes in the background). */
  private withProgress(choice: ModelChoice, promise: Promise<ModelInfo>): Promise<ModelInfo> {
    const name = choice.kind === 'bundled' ? 'the bundled model' : path.basename(choice.path);
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `GPT X-Ray: loading ${name}…`, cancellable: true },
        (_progress, token) =>
          new Promise<ModelInfo>((resolve, reject) => {
            const sub = token.onCancellationRequested(() => reject(new CancelledError('model loading cancelled')));
            promise.then(resolve, reject).finally(() => sub.dispose());
          }),
      ),
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
