// Shared by the benchmark scripts: bench/results.json (one key per benchmark) and README's `bench` section.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const README = path.join(ROOT, 'README.md');
const BEGIN = '<!-- section:bench -->';
const END = '<!-- /section:bench -->';

export function readResults() {
  return existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
}

/** Replaces this benchmark's key in bench/results.json, keeping the others' (re-read right before writing). */
export function mergeResults(key, value) {
  mkdirSync(path.dirname(RESULTS), { recursive: true });
  const all = readResults();
  all[key] = value;
  writeFileSync(RESULTS, JSON.stringify(all, null, 1) + '\n');
}

/** Writes `markdown` between the bench markers of README.md (appending the section when absent). */
export function writeReadmeSection(markdown) {
  const text = existsSync(README) ? readFileSync(README, 'utf8') : '';
  const block = `${BEGIN}\n${markdown.trim()}\n${END}`;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(README, next);
}
