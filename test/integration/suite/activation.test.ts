// In the real VS Code extension host (code-server): the extension is found, activates on demand, and every
// command its manifest contributes is registered, under the "GPT X-Ray" category.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

describe('extension activation', () => {
  const id = 'gpt-xray.gpt-xray';

  it('is installed in development mode and activates', async () => {
    const extension = vscode.extensions.getExtension(id);
    assert.ok(extension, `extension ${id} is not loaded; loaded: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace); // runs in the Node host, like on a remote
  });

  it('registers every contributed command, each in the GPT X-Ray category', async () => {
    const extension = vscode.extensions.getExtension(id);
    assert.ok(extension);
    await extension.activate();
    const contributed = (extension.packageJSON.contributes?.commands ?? []) as ContributedCommand[];
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c.command)).map((c) => c.command);
    assert.deepEqual(missing, [], 'contributed but not registered');
    for (const c of contributed) {
      assert.equal(c.category, 'GPT X-Ray', `${c.command} category`);
      assert.match(c.command, /^gptXray\./);
    }
  });

  it('runs in a real VS Code of the version the manifest targets', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major === 1 && minor >= 100, `VS Code ${vscode.version} is older than engines.vscode ^1.100.0`);
  });
});
