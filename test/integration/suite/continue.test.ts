/**
 * Continue From Cursor in the real VS Code extension host: the command opens the continuation panel and runs the
 * model from the cursor without touching the document; Insert puts exactly the text the panel shows at the cursor
 * as one edit, and one undo restores the document; an edit made meanwhile makes Insert refuse rather than misplace.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { GenerationAction, GenerationState } from '../../../src/protocol';
import { FAKE_GPT2, bundledModelPresent, closeAllEditors, openUntitled, waitFor, xray } from './editor-helpers';

/** What the command returns (src/panel/continuation-panel.ts ContinuationHandle). */
interface Handle {
  started: Promise<void>;
  state(): GenerationState;
  text(): string;
  act(action: GenerationAction): Promise<void>;
}

const BEFORE = 'function total(xs) {\n  let sum = 0;\n  for (const x of xs) sum += x;\n  return';
const AFTER = '\n}\n';

async function continueHere(settings: Record<string, unknown>): Promise<Handle> {
  const handle = await vscode.commands.executeCommand<Handle | undefined>('gptXray.continueFromCursor', { settings, run: true });
  assert.ok(handle && typeof handle.state === 'function', 'the command returns the continuation it started');
  return handle;
}

describe('Continue From Cursor in VS Code', function () {
  this.timeout(120_000);

  before(async function () {
    const { extension } = await xray();
    if (!bundledModelPresent(extension)) {
      const fs = await import('node:fs');
      if (!fs.existsSync(FAKE_GPT2)) this.skip();
      await vscode.commands.executeCommand('gptXray.chooseModel', FAKE_GPT2);
    }
  });
  after(closeAllEditors);

  it('runs from the cursor, writes nothing until Insert, inserts exactly what the panel shows, one undo removes it', async () => {
    const editor = await openUntitled(BEFORE + AFTER);
    const doc = editor.document;
    const cursor = doc.positionAt(BEFORE.length);
    editor.selection = new vscode.Selection(cursor, cursor);
    const original = doc.getText();

    const handle = await continueHere({ greedy: true, maxTokens: 6 });
    const state = handle.state();
    assert.equal(state.running, false);
    assert.equal(state.steps.length, 6);
    assert.equal(state.prompt, BEFORE, 'the prompt is the text before the cursor');
    assert.equal(doc.getText(), original, 'nothing is written before Insert');
    const kinds = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .map((t) => (t.input instanceof vscode.TabInputWebview ? `webview:${t.input.viewType}` : t.label));
    const isPanel = (k: string): boolean => k.startsWith('webview:') && k.endsWith('gptXray.continuation');
    await waitFor('the continuation panel', () => kinds().some(isPanel), 15_000).catch(() => undefined);
    assert.ok(kinds().some(isPanel), `the continuation panel is open (tabs: ${kinds().join(', ')})`);

    const shown = state.steps.map((s) => s.token.text).join('');
    assert.equal(handle.text(), shown);
    const version = doc.version;
    await handle.act({ action: 'insert' });
    assert.equal(doc.getText(), BEFORE + shown + AFTER, 'Insert puts the shown continuation at the cursor');
    assert.equal(doc.version, version + 1, 'Insert is one edit');
    const end = doc.positionAt(BEFORE.length + shown.length);
    assert.ok(vscode.window.activeTextEditor?.selection.active.isEqual(end), 'the cursor ends after the inserted text');

    await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, preserveFocus: false });
    await vscode.commands.executeCommand('undo');
    await waitFor('the undo', () => doc.getText() === original, 5000);
    assert.equal(doc.getText(), original, 'one undo restores the document');
  });

  it('Insert refuses when the document changed since the continuation started', async () => {
    const editor = await openUntitled(BEFORE);
    const doc = editor.document;
    const end = doc.positionAt(BEFORE.length);
    editor.selection = new vscode.Selection(end, end);
    const handle = await continueHere({ greedy: true, maxTokens: 2 });
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// edited\n'));
    const text = doc.getText();
    await assert.rejects(handle.act({ action: 'insert' }), /document changed since the continuation started/);
    assert.equal(doc.getText(), text);
  });
});
