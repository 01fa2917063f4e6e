/** The repository root: the nearest folder above this file (or the working directory) whose package.json is ours. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

function isRepoRoot(dir: string): boolean {
  const pkg = path.join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gpt-xray';
  } catch {
    return false;
  }
}

export function repoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      if (isRepoRoot(dir)) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`repository root (package.json named gpt-xray) not found above ${__dirname} or ${process.cwd()}`);
}

/** The fake GPT-2 fixture (a real save_pretrained output), or undefined when ../shared is absent. */
export function fakeGpt2Dir(): string | undefined {
  const dir = path.join(repoRoot(), '..', 'shared', 'fixtures', 'fake_gpt2');
  return existsSync(path.join(dir, 'config.json')) ? dir : undefined;
}
