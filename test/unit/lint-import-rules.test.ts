// The import rules of DESIGN.md are enforced by eslint.config.mjs: lint small snippets as if they lived in
// each folder and check which imports are refused.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../..');

async function refused(file: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.mjs') });
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules (eslint.config.mjs)', function () {
  this.timeout(60_000);

  it("refuses 'vscode' and the editor/panel/webview folders in src/engine", async () => {
    assert.equal((await refused('src/engine/x.ts', "import * as vscode from 'vscode';\nexport const a = vscode;\n")).length, 1);
    assert.equal((await refused('src/engine/x.ts', "import { a } from '../editor/decoration-logic';\nexport const b = a;\n")).length, 1);
    assert.equal((await refused('src/engine/x.ts', "import { a } from '../panel/html';\nexport const b = a;\n")).length, 1);
    assert.equal((await refused('src/engine/x.ts', "import { a } from '../../webview/main';\nexport const b = a;\n")).length, 1);
    assert.deepEqual(await refused('src/engine/x.ts', "import type { Trace } from '../protocol';\nimport { a } from './gpt';\nexport type T = Trace;\nexport const b = a;\n"), []);
  });

  it('lets webview/ import only src/protocol from src, and nothing of Node or VS Code', async () => {
    assert.deepEqual(await refused('webview/views/x.ts', "import type { Trace } from '../../src/protocol';\nexport type T = Trace;\n"), []);
    assert.equal((await refused('webview/views/x.ts', "import { a } from '../../src/analyses';\nexport const b = a;\n")).length, 1);
    assert.equal((await refused('webview/x.ts', "import * as fs from 'node:fs';\nexport const b = fs;\n")).length, 1);
    assert.equal((await refused('webview/x.ts', "import * as vscode from 'vscode';\nexport const b = vscode;\n")).length, 1);
  });

  it("allows 'vscode' only in src/extension.ts, src/editor and src/panel", async () => {
    const source = "import * as vscode from 'vscode';\nexport const a = vscode;\n";
    for (const file of ['src/extension.ts', 'src/editor/commands.ts', 'src/panel/panel.ts', 'test/integration/suite/x.test.ts']) {
      assert.deepEqual(await refused(file, source), [], file);
    }
    for (const file of ['src/analyses.ts', 'src/cli.ts', 'test/unit/x.test.ts']) {
      assert.equal((await refused(file, source)).length, 1, file);
    }
  });
});
