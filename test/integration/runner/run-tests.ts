// The integration tier's in-host half: @vscode/test-electron's runTests with our code-server launcher as the
// VS Code executable (it cannot download VS Code here). User data and extensions go to .test-tmp/ (git-ignored).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from './code-server';

async function main(): Promise<void> {
  const scratch = path.join(repoRoot, '.test-tmp', 'integration');
  fs.rmSync(scratch, { recursive: true, force: true });
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.cpSync(path.join(repoRoot, 'media/samples'), workspace, { recursive: true });
  await runTests({
    vscodeExecutablePath: path.join(repoRoot, 'scripts/code-server/code-server'),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'test/integration/runner/index.cjs'),
    launchArgs: [workspace, `--user-data-dir=${path.join(scratch, 'user-data')}`, `--extensions-dir=${path.join(scratch, 'extensions')}`],
  });
}

main().catch((error: unknown) => {
  console.error(`integration: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
