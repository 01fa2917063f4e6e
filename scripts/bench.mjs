#!/usr/bin/env node
// `npm run bench`: runs every scripts/bench/*.mjs (files starting with "_" are helpers, not benchmarks), one at a
// time so they do not compete for the 2 cores, then writes README's `bench` section from bench/results.json.
//
// Convention for a benchmark script: merge your results into bench/results.json under your own key with
// mergeResults() from scripts/bench/_results.mjs, and put a ready Markdown table in that object's `readme` field
// to have it shown in README's bench section. `node scripts/bench.mjs engine` runs only files whose name contains
// "engine"; extra arguments after `--` go to every script (e.g. `-- --quick`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResults, writeReadmeSection } from './bench/_results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dash = process.argv.indexOf('--');
const filters = process.argv.slice(2, dash < 0 ? undefined : dash);
const passThrough = dash < 0 ? [] : process.argv.slice(dash + 1);
const scripts = readdirSync(path.join(root, 'scripts', 'bench'))
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = 0;
for (const file of scripts) {
  console.log(`\n=== ${file}`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench', file), ...passThrough], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${file} failed (exit ${r.status ?? r.signal})`);
  }
}
const sections = Object.entries(readResults())
  .filter(([, v]) => v && typeof v === 'object' && typeof v.readme === 'string')
  .sort(([a], [b]) => (a === 'engine' ? -1 : b === 'engine' ? 1 : a.localeCompare(b)))
  .map(([, v]) => v.readme);
if (sections.length) writeReadmeSection(sections.join('\n\n'));
console.log(`\n${scripts.length - failed}/${scripts.length} benchmark scripts succeeded; results in bench/results.json`);
process.exit(failed ? 1 : 0);
