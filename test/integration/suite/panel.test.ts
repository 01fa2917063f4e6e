/**
 * The attention panel in the real extension host: one panel per window, shown again (not duplicated) when asked
 * twice, and opened afresh after it was closed.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { closeAllEditors, openSample, waitFor, xray } from './editor-helpers';

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('gptXray.attention'));
}

describe('attention panel (in the extension host)', function () {
  this.timeout(180_000);

  after(closeAllEditors);

  it('keeps one panel, reveals it when asked again, and opens a new one after it was closed', async () => {
    await xray();
    const editor = await openSample('prose.md');
    editor.selection = new vscode.Selection(2, 0, 3, 0);
    const count = await vscode.commands.executeCommand<number | undefined>('gptXray.analyzeSelection');
    assert.ok(count && count > 0, 'the selection was analysed');
    const uri = editor.document.uri.toString();
    await vscode.commands.executeCommand('gptXray.openPanel', uri, 2);
    await waitFor('the panel', () => panelTabs().length === 1, 30_000);
    await vscode.commands.executeCommand('gptXray.openPanel', uri, 5);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(panelTabs().length, 1, 'asking again reveals the same panel');
    assert.equal(panelTabs()[0].label, 'GPT X-Ray');
    await vscode.window.tabGroups.close(panelTabs()[0]);
    await waitFor('the panel closed', () => panelTabs().length === 0);
    await vscode.commands.executeCommand('gptXray.openPanel', uri);
    await waitFor('a new panel', () => panelTabs().length === 1, 30_000);
    await vscode.window.tabGroups.close(panelTabs()[0]);
  });
});
