/** Shared steps of the editor's in-host tests: the extension's API, sample documents, polling, hover text. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { XrayApi } from '../../../src/extension';

export const EXTENSION_ID = 'gpt-xray.gpt-xray';
export const FAKE_GPT2 = path.resolve(__dirname, '../../../../shared/fixtures/fake_gpt2');

export async function xray(): Promise<{ api: XrayApi; extension: vscode.Extension<XrayApi> }> {
  const extension = vscode.extensions.getExtension<XrayApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  return { api, extension };
}

export function bundledModelPresent(extension: vscode.Extension<unknown>): boolean {
  return fs.existsSync(path.join(extension.extensionPath, 'media/models/xray-mini/config.json'));
}

export async function openSample(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need the samples folder open as the workspace');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, name));
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

export async function openUntitled(content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content, language: 'plaintext' });
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

/** Select [start, end) as document offsets. */
export function selectOffsets(editor: vscode.TextEditor, start: number, end: number): vscode.Selection {
  const doc = editor.document;
  editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(end));
  return editor.selection;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every hover's Markdown at a position, joined. */
export async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position)) ?? [];
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('gptXray').update(key, value, vscode.ConfigurationTarget.Global);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
