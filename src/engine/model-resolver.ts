/**
 * Finds the bundled model folder, media/models/xray-mini/. The same code runs from the repository (dist/*.js after a
 * build, src/ or a temporary bundle during tests) and from the installed extension (dist/ beside media/), so the
 * folder is looked for in every ancestor of the running file, then of the working directory.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const BUNDLED_MODEL_DIR = path.join('media', 'models', 'xray-mini');

function ancestors(start: string): string[] {
  const out: string[] = [];
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    out.push(dir);
    if (path.dirname(dir) === dir) return out;
  }
}

/** Every folder where the bundled model could be, nearest first. */
export function bundledModelCandidates(from: string = __dirname, cwd: string = process.cwd()): string[] {
  const roots = [...ancestors(from), ...ancestors(cwd)];
  return [...new Set(roots)].map((root) => path.join(root, BUNDLED_MODEL_DIR));
}

/** The absolute path of the bundled model folder (the one holding config.json); throws when there is none. */
export function resolveBundledModel(from: string = __dirname, cwd: string = process.cwd()): string {
  const found = bundledModelCandidates(from, cwd).find((dir) => existsSync(path.join(dir, 'config.json')));
  if (found === undefined) {
    throw new Error(`bundled model not found: no ${BUNDLED_MODEL_DIR}${path.sep}config.json above ${from} or ${cwd}`);
  }
  return found;
}
