/**
 * GPT X-Ray: Continue From Cursor. The text before the cursor (its last n_positions × 16 characters; the engine keeps
 * the last tokens that fit the context) is the prompt; the continuation panel shows the model writing from there.
 * Nothing touches the document until the person presses Insert: then the continuation goes in at the cursor it started
 * from as ONE edit (undo stops before and after, so a single undo removes it). Copy puts it on the clipboard.
 */
import * as vscode from 'vscode';
import type { GenerationAction, ModelInfo, SamplingSettings } from '../protocol';
import { firstLine, isCancelled } from './engine-port';

/** Characters of prompt per context position: far more than any token needs, so the engine decides what fits. */
const CHARS_PER_POSITION = 16;

export interface ContinuationOpenArgs {
  model: ModelInfo;
  prompt: string;
  settings: Partial<SamplingSettings>;
  insert(text: string): Promise<void>;
  copy(text: string): Promise<void>;
}

/** What the panel side returns for a continuation (src/panel/continuation-panel.ts's ContinuationHandle). */
export interface ContinuationHandleLike {
  readonly started: Promise<void>;
  act(action: GenerationAction): Promise<void>;
}

export interface ContinueDeps {
  /** The workspace's chosen model, loaded (the editor's ModelService). */
  ensureModel(): Promise<ModelInfo>;
  open(args: ContinuationOpenArgs): ContinuationHandleLike;
  log: vscode.LogOutputChannel;
}

/** Optional command argument (tests, keybindings): starting settings, and whether to run at once. */
export interface ContinueArgs {
  settings?: Partial<SamplingSettings>;
  run?: boolean;
}

/** Where an Insert goes: the cursor's offset in the document version the prompt was read from. */
interface Anchor {
  uri: vscode.Uri;
  version: number;
  offset: number;
}

/** The position after `text` inserted at `start` (counts lines, so CRLF documents come out right too). */
export function endAfter(start: vscode.Position, text: string): vscode.Position {
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1];
  return lines.length === 1 ? start.translate(0, last.length) : new vscode.Position(start.line + lines.length - 1, last.length);
}

async function insertAt(anchor: Anchor, text: string): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === anchor.uri.toString());
  if (!doc || doc.isClosed) throw new Error('the document the continuation started in is closed');
  if (doc.version !== anchor.version) {
    throw new Error('the document changed since the continuation started; run Continue From Cursor again');
  }
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc) ?? (await vscode.window.showTextDocument(doc));
  const at = doc.positionAt(anchor.offset);
  const ok = await editor.edit((b) => b.insert(at, text), { undoStopBefore: true, undoStopAfter: true });
  if (!ok) throw new Error('VS Code did not apply the edit');
  const end = endAfter(at, text);
  editor.selection = new vscode.Selection(end, end);
  editor.revealRange(new vscode.Range(at, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export async function continueFromCursor(deps: ContinueDeps, args?: ContinueArgs): Promise<ContinuationHandleLike | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage('GPT X-Ray: open a text editor and put the cursor where the text should continue.');
    return undefined;
  }
  try {
    const model = await deps.ensureModel();
    const doc = editor.document;
    const cursor = editor.selection.active;
    const offset = doc.offsetAt(cursor);
    const from = Math.max(0, offset - model.config.n_positions * CHARS_PER_POSITION);
    const prompt = doc.getText(new vscode.Range(doc.positionAt(from), cursor));
    if (prompt.trim() === '') throw new Error('there is no text before the cursor to continue');
    const anchor: Anchor = { uri: doc.uri, version: doc.version, offset };
    const handle = deps.open({
      model,
      prompt,
      settings: args?.settings ?? {},
      insert: (text) => insertAt(anchor, text),
      copy: async (text) => {
        await vscode.env.clipboard.writeText(text);
        void vscode.window.setStatusBarMessage(`GPT X-Ray: copied ${text.length} characters`, 3000);
      },
    });
    deps.log.info(`continuation: started at ${doc.uri.path.split('/').pop()}:${cursor.line + 1}:${cursor.character + 1} with ${prompt.length} characters of prompt`);
    await handle.started;
    if (args?.run) await handle.act({ action: 'run' });
    return handle;
  } catch (e) {
    if (isCancelled(e)) return undefined;
    const msg = `GPT X-Ray: could not continue from the cursor: ${firstLine(e)}`;
    deps.log.error(msg);
    void vscode.window.showErrorMessage(msg);
    return undefined;
  }
}

export function registerContinueFromCursor(deps: ContinueDeps): vscode.Disposable {
  return vscode.commands.registerCommand('gptXray.continueFromCursor', (args?: ContinueArgs) =>
    continueFromCursor(deps, args && typeof args === 'object' ? args : undefined),
  );
}
