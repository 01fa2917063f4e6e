#!/usr/bin/env node
// Platform-specific .vsix files (issue 7): each carries onnxruntime-node's CPU runtime for its own platform only,
// and one universal .vsix carries none (the engine falls back to tfjs there; gptXray.backend "auto").
//
//   node scripts/package-targets.mjs [--skip-build] [--targets linux-x64,win32-x64] [--out out/vsix]
//
// Why staging: esbuild keeps onnxruntime-node external (native binaries) and the .vsix is made with
// `vsce --no-dependencies`, which never packs the top-level node_modules/. So each target is staged in a temp
// folder (package.json, README.md, LICENSE, .vscodeignore, media/, dist/) with the runtime copied to
// dist/node_modules/onnxruntime-node (+ onnxruntime-common): Node resolves require('onnxruntime-node') from
// dist/worker.js there, and .vscodeignore's `!dist/**` line already admits it. The shared dist/ is never touched
// after the build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argOf = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const OUT = path.resolve(ROOT, argOf('--out') ?? path.join('out', 'vsix'));
const ORT = path.join(ROOT, 'node_modules', 'onnxruntime-node');
const COMMON = path.join(ROOT, 'node_modules', 'onnxruntime-common');
const NAPI = 'napi-v6';

/** vsce targets for which onnxruntime-node ships a CPU binary (1.30: no darwin-x64, no musl). */
const ALL_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const targets = (argOf('--targets') ?? ['universal', ...ALL_TARGETS].join(',')).split(',');

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Copies the JS of onnxruntime-node / -common (no maps, typings or sources) and one platform's binaries. */
function stageRuntime(dist, target) {
  const [platform, arch] = target.split('-');
  const bin = path.join(ORT, 'bin', NAPI, platform, arch);
  if (!existsSync(bin)) throw new Error(`onnxruntime-node has no binaries for ${target} (${bin})`);
  const ortDest = path.join(dist, 'node_modules', 'onnxruntime-node');
  const jsOnly = (src) => statSync(src).isDirectory() || src.endsWith('.js') || src.endsWith('package.json');
  cpSync(path.join(ORT, 'package.json'), path.join(ortDest, 'package.json'));
  cpSync(path.join(ORT, 'dist'), path.join(ortDest, 'dist'), { recursive: true, filter: jsOnly });
  cpSync(bin, path.join(ortDest, 'bin', NAPI, platform, arch), { recursive: true });
  const commonDest = path.join(dist, 'node_modules', 'onnxruntime-common');
  cpSync(path.join(COMMON, 'package.json'), path.join(commonDest, 'package.json'));
  cpSync(path.join(COMMON, 'dist', 'cjs'), path.join(commonDest, 'dist', 'cjs'), { recursive: true, filter: jsOnly });
}

function listZip(file) {
  return execFileSync('unzip', ['-Z1', file], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
}

if (!process.argv.includes('--skip-build')) run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--production'], ROOT);
if (!existsSync(path.join(ROOT, 'dist', 'worker.js'))) throw new Error('dist/worker.js is missing: build first');
mkdirSync(OUT, { recursive: true });
const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const rows = [];
for (const target of targets) {
  if (target !== 'universal' && !ALL_TARGETS.includes(target)) throw new Error(`unknown target ${target}: one of universal, ${ALL_TARGETS.join(', ')}`);
  const stage = mkdtempSync(path.join(os.tmpdir(), `gpt-xray-vsix-${target}-`));
  try {
    for (const f of ['package.json', 'README.md', 'LICENSE', '.vscodeignore']) {
      if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(stage, f));
    }
    cpSync(path.join(ROOT, 'media'), path.join(stage, 'media'), { recursive: true });
    cpSync(path.join(ROOT, 'dist'), path.join(stage, 'dist'), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
    if (target !== 'universal') stageRuntime(path.join(stage, 'dist'), target);
    const file = path.join(OUT, `gpt-xray-${target}.vsix`);
    rmSync(file, { force: true });
    // Relative README links stay relative: the package has no repository URL to rewrite them against.
    const args = ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', file];
    if (target !== 'universal') args.push('--target', target);
    run(process.execPath, [vsce, ...args], stage);
    // Each package holds exactly its own platform's runtime (the universal one none).
    const binaries = listZip(file).filter((e) => e.includes(`/bin/${NAPI}/`));
    const platforms = [...new Set(binaries.map((e) => e.split(`/bin/${NAPI}/`)[1].split('/').slice(0, 2).join('-')))];
    const expected = target === 'universal' ? [] : [target];
    if (JSON.stringify(platforms) !== JSON.stringify(expected)) throw new Error(`${file} holds runtimes for [${platforms}], expected [${expected}]`);
    rows.push({ target, file: path.relative(ROOT, file), bytes: statSync(file).size, runtimeFiles: binaries.length });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
writeFileSync(path.join(OUT, 'sizes.json'), JSON.stringify(rows, null, 1) + '\n');
console.log('\n| target | .vsix | size (MB) | onnxruntime files |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.target} | ${path.basename(r.file)} | ${(r.bytes / 1e6).toFixed(1)} | ${r.runtimeFiles} |`);
