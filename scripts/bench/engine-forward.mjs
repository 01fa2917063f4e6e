#!/usr/bin/env node
// Engine benchmark (issue 3 part 10, issue 8 part 5): median forward latency after warm-up of the tfjs engine
// against the PyTorch reference on the same weights and ids, in the same run; the machine's sgemm GFLOP/s as the
// limit; KV-cache generation tokens/s. Models: the bundled model (64/256/1024 tokens, as far as its context
// goes) and a GPT-2-small-shaped random checkpoint (128/512, plus 1024 once: the no-crash check), generated in a
// temp dir and deleted afterwards. onnxruntime joins as a column when src/engine/onnx-runner.ts exists.
// `--quick`: a smoke run (tiny counts, no GPT-2 small).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, mergeResults } from './_results.mjs';

const require = createRequire(import.meta.url);
require(path.join(ROOT, 'test', 'support', 'register-ts.cjs')); // lets require() load the engine's .ts sources
const { createTfjsRunner } = require(path.join(ROOT, 'src/engine/tfjs-runner.ts'));
const { loadCheckpoint } = require(path.join(ROOT, 'src/engine/checkpoint.ts'));
const { parseModelConfig } = require(path.join(ROOT, 'src/engine/model-config.ts'));
const { readSafetensors } = require(path.join(ROOT, 'src/engine/safetensors.ts'));
const tf = require('@tensorflow/tfjs-core');

const QUICK = process.argv.includes('--quick');
const PY = '/usr/bin/python3'; // Debian's python3, the one with python3-torch
const REF = path.join(ROOT, 'scripts', 'reference');
const log = (...a) => console.log(...a);

// --- the PyTorch peer's BLAS tuning (TRAINING.md): name the CPU family for OpenBLAS, for its command only
const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const flags = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
const coretype = flags.has('avx512f') ? 'SkylakeX' : flags.has('avx2') ? 'Haswell' : undefined;
const cpuName = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';

function python(args, tuned) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  if (tuned && coretype) env.OPENBLAS_CORETYPE = coretype;
  const r = spawnSync(PY, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${PY} ${args.slice(0, 2).join(' ')} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** fn(round) must use different ids each round (see `vary`), so no backend answers from its cache of the last run. */
async function timeIt(fn, repeats, warmup) {
  for (let i = 0; i < warmup; i++) await fn(repeats + i);
  const samples = [];
  const cpu = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await fn(i);
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  // CPU time: what the run itself cost, when other work shares the cores (wall time then measures the queue).
  return { ms: median(samples), cpuMs: median(cpu), samples: samples.map((x) => +x.toFixed(1)) };
}

/** Multiply-adds x 2 of one forward over T tokens: projections and MLP, attention (QK^T and AV) and unembedding. */
function forwardFlops(c, T) {
  const { n_layer: L, n_embd: d, n_inner: inner, vocab_size: V } = c;
  return L * (2 * T * d * 4 * d + 2 * 2 * T * d * inner + 2 * 2 * T * T * d) + 2 * T * d * V;
}

/** A Checkpoint from config.json + model.safetensors alone (the random checkpoint has no tokenizer). */
function checkpointFromWeights(dir) {
  const configFile = path.join(dir, 'config.json');
  const config = parseModelConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile);
  const modelFile = path.join(dir, 'model.safetensors');
  const weights = new Map();
  for (const [k, t] of readSafetensors(readFileSync(modelFile), modelFile)) weights.set(k.replace(/^transformer\./, ''), t);
  const tokenText = (id) => `#${id}`;
  return { name: path.basename(dir), path: dir, bundled: false, config, weights,
    tokenizer: { vocabSize: config.vocab_size, encode: () => { throw new Error('no tokenizer'); }, decode: (ids) => ids.map(tokenText).join(''), tokenText, bytesOf: (id) => new TextEncoder().encode(tokenText(id)) } };
}

/** Token ids of this repository's own source text under the bundled tokenizer: realistic, reproducible. */
function bundledIds(ckpt, n) {
  let text = '';
  for (const dir of ['src/engine', 'src', 'scripts']) {
    for (const f of readdirSync(path.join(ROOT, dir)).sort()) {
      if (/\.(ts|mjs)$/.test(f)) text += readFileSync(path.join(ROOT, dir, f), 'utf8');
      if (text.length > 20 * n) break;
    }
  }
  const ids = ckpt.tokenizer.encode(text).map((t) => t.id);
  if (ids.length < n) throw new Error(`only ${ids.length} tokens of source text for a ${n}-token benchmark`);
  return ids.slice(0, n);
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function benchModel(spec, ckpt, ids, limitGiven, tmp) {
  const c = ckpt.config;
  const out = { model: spec.name, shape: `${c.n_layer} layers, d ${c.n_embd}, ${c.n_head} heads, vocab ${c.vocab_size}, context ${c.n_positions}`,
    parameters: [...ckpt.weights.values()].reduce((a, t) => a + t.data.length, 0), rows: [], generation: {} };
  const idsFile = path.join(tmp, `${spec.name}.ids.json`);
  writeFileSync(idsFile, JSON.stringify(ids));
  const runner = await createTfjsRunner(ckpt, (m) => log(`  ${m}`));
  let onnx;
  const onnxFile = path.join(ROOT, 'src/engine/onnx-runner.ts');
  if (existsSync(onnxFile)) {
    try {
      onnx = await require(onnxFile).createOnnxRunner(ckpt);
    } catch (err) {
      out.onnxError = String(err?.message ?? err).split('\n')[0];
      log(`  onnxruntime column skipped: ${out.onnxError}`);
    }
  }
  const lengths = spec.lengths.filter(([n]) => n <= c.n_positions);
  for (const [n] of spec.lengths.filter(([n]) => n > c.n_positions)) out.rows.push({ tokens: n, skipped: `beyond the model's context (${c.n_positions})` });
  // PyTorch first (one process for all lengths), with the tuned BLAS; then one unset run to check it computes the same.
  const timed = lengths.filter(([, , torchToo]) => torchToo !== false);
  const torchLogits = path.join(tmp, `${spec.name}.tuned.f32`);
  const peer = JSON.parse(python([path.join(REF, 'bench_torch.py'), spec.dir, '--ids', idsFile,
    '--lengths', timed.map(([n]) => n).join(','), '--repeats', timed.map(([, r]) => r).join(','),
    '--gen', `${spec.gen[0]},${spec.gen[1]}`, '--dump-logits', torchLogits, ...(limitGiven ? [] : ['--gflops'])], true));
  const untunedLogits = path.join(tmp, `${spec.name}.untuned.f32`);
  python([path.join(REF, 'bench_torch.py'), spec.dir, '--ids', idsFile, '--lengths', String(timed[0][0]), '--repeats', '1',
    '--dump-logits', untunedLogits], false);
  const readF32 = (f) => new Float32Array(new Uint8Array(readFileSync(f)).buffer); // copy: small Buffers share a pool
  const tunedRow = readF32(torchLogits);
  out.openblasCoretype = coretype ?? null;
  out.tunedVsUnsetMaxAbsDiff = maxAbsDiff(tunedRow, readF32(untunedLogits));
  const ours = await runner.logitsRow(ids.slice(0, timed[0][0]), timed[0][0] - 1);
  out.oursVsTorchMaxAbsDiff = maxAbsDiff(ours, tunedRow);
  log(`  PyTorch with OPENBLAS_CORETYPE=${coretype} vs unset: max |diff| ${out.tunedVsUnsetMaxAbsDiff.toExponential(1)}; ours vs PyTorch: ${out.oursVsTorchMaxAbsDiff.toExponential(1)}`);
  // The limit: torch sgemm on 2 threads, per CPU-second times 2 (what it reaches when it has both cores).
  const limit = limitGiven ?? { wall: peer.sgemm_gflops, perCpu: peer.sgemm_gflops_per_cpu };
  const gflops = limit.perCpu;

  for (const [n, repeats, , warmup] of lengths) {
    const x = ids.slice(0, n);
    // The same text with a different first token each round: the onnxruntime runner keeps the last run's outputs for
    // follow-up requests on the same ids, and a repeated request would time that cache, not the model.
    const vary = (round) => [(x[0] + 1 + round) % c.vocab_size, ...x.slice(1)];
    const row = { tokens: n };
    try {
      const t = await timeIt((r) => runner.forward(vary(r), {}, 5), repeats, warmup ?? (repeats > 1 ? 1 : 0));
      row.oursMs = t.ms;
      row.oursCpuMs = t.cpuMs;
      row.oursSamples = t.samples;
    } catch (err) {
      row.oursError = String(err?.message ?? err).split('\n')[0];
    }
    if (spec.traced && n === spec.traced) {
      const all = { attention: true, embeddings: true, residuals: true, layerNorm: true, logitLens: true };
      const traced = await timeIt((r) => runner.forward(vary(r), all, 5), Math.max(1, repeats >> 1), 1);
      row.oursAllTracedMs = traced.ms;
      row.oursAllTracedCpuMs = traced.cpuMs;
    }
    if (onnx) {
      try {
        const t = await timeIt((r) => onnx.forward(vary(r), {}, 5), repeats, 1);
        row.onnxMs = t.ms;
        row.onnxCpuMs = t.cpuMs;
      } catch (err) {
        row.onnxError = String(err?.message ?? err).split('\n')[0];
      }
    }
    row.torchMs = peer.forward_ms[String(n)] ?? null;
    row.torchCpuMs = peer.cpu_ms[String(n)] ?? null;
    row.cpuRatio = row.oursCpuMs && row.torchCpuMs ? row.oursCpuMs / row.torchCpuMs : null;
    row.ratio = row.oursMs && row.torchMs ? row.oursMs / row.torchMs : null;
    row.gflop = forwardFlops(c, n) / 1e9;
    // From CPU time (ours runs on one thread; PyTorch's CPU time is spread over its threads).
    row.fractionOfLimit = row.oursCpuMs ? row.gflop / (row.oursCpuMs / 1000) / gflops : null;
    row.torchFractionOfLimit = row.torchCpuMs ? row.gflop / (row.torchCpuMs / peer.threads / 1000) / gflops : null;
    out.rows.push(row);
    log(`  ${String(n).padStart(5)} tokens: ours ${row.oursMs?.toFixed(1) ?? row.oursError} ms (CPU ${row.oursCpuMs?.toFixed(1)})` +
      (row.oursAllTracedMs ? ` (all traced ${row.oursAllTracedMs.toFixed(1)})` : '') +
      (row.onnxMs ? `, onnxruntime ${row.onnxMs.toFixed(1)} ms` : '') +
      (row.torchMs ? `, PyTorch ${row.torchMs.toFixed(1)} ms (CPU ${row.torchCpuMs?.toFixed(1)}), ratio ${row.ratio?.toFixed(2)} (CPU ${row.cpuRatio?.toFixed(2)})` : '') +
      (row.fractionOfLimit ? `, ${(100 * row.fractionOfLimit).toFixed(1)}% of ${gflops.toFixed(0)} GFLOP/s` : ''));
  }

  // Greedy generation with the KV cache: tokens/s over `steps` cached steps after a `prompt`-token start.
  const [prompt, steps] = spec.gen;
  let step = await runner.startGeneration(ids.slice(0, prompt));
  const argmax = (row) => row.reduce((b, v, i) => (v > row[b] ? i : b), 0);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step = await runner.stepGeneration(argmax(step.logits));
  const cachedMs = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cachedCpuMs = (cpu.user + cpu.system) / 1000 / steps;
  runner.endGeneration();
  // An uncached step (the full prefix again) for comparison.
  const uncachedMs = (await timeIt(() => runner.logitsRow(ids.slice(0, prompt + steps), prompt + steps - 1), 1, 0)).ms;
  out.generation = { prompt, steps, oursTokensPerS: 1000 / cachedMs, oursStepMs: cachedMs, oursStepCpuMs: cachedCpuMs,
    oursUncachedStepMs: uncachedMs, torchTokensPerS: peer.generation_tokens_per_s, torchStepCpuMs: peer.generation_cpu_ms_per_step };
  log(`  generation (prompt ${prompt}, ${steps} steps): ours ${out.generation.oursTokensPerS.toFixed(1)} tokens/s with the KV cache ` +
    `(${cachedMs.toFixed(1)} ms/step vs ${uncachedMs.toFixed(0)} ms uncached), PyTorch ${peer.generation_tokens_per_s.toFixed(1)} tokens/s`);

  out.memory = { numTensors: tf.memory().numTensors, wasmHeapBytes: tf.memory().numBytes };
  runner.dispose();
  onnx?.dispose();
  return { out, limit };
}

function wasmMatmulGflops() {
  const n = QUICK ? 256 : 1024;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.matMul(a, b).dispose();
  let best = Infinity;
  for (let i = 0; i < (QUICK ? 2 : 5); i++) {
    const c0 = process.cpuUsage(); // CPU time: on a shared machine wall time measures the queue
    const c = tf.matMul(a, b);
    c.dataSync();
    const u = process.cpuUsage(c0);
    best = Math.min(best, (u.user + u.system) / 1000);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

function table(r) {
  const f = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
  const pct = (x) => (x == null ? '—' : (100 * x).toFixed(1));
  const lines = [];
  lines.push(`Measured by \`npm run bench\` on ${r.date.slice(0, 10)}: ${r.cpu}, ${r.cores} cores, Node ${r.node}, tfjs ${r.tfjs} on ${r.backend}; ` +
    `PyTorch ${r.torch} with ${r.torchThreads} threads and OPENBLAS_CORETYPE=${r.openblasCoretype ?? 'unset'}. The load average was ` +
    `${r.loadAverage} at the start (on a shared machine wall times include waiting for a core; ` +
    'the CPU-time columns say what each run itself cost, for one-threaded tfjs-wasm close to its wall time on an idle machine). ' +
    `Limit: torch sgemm on 2 threads, ${f(r.sgemmGflopsPerCpu, 0)} GFLOP/s per CPU-second x 2 (${f(r.sgemmGflops, 0)} GFLOP/s of wall time ` +
    `in this run); one tfjs-wasm matMul reaches ${f(r.wasmMatmulGflops, 0)} GFLOP/s per CPU-second (tfjs-wasm runs on one thread in Node). ` +
    'Medians after warm-up of a hover-only forward (p, rank, surprisal, entropy and top-5 at every position).');
  lines.push('');
  lines.push('| model | tokens | tfjs ms | tfjs CPU ms | all traced, CPU ms | onnxruntime ms | PyTorch ms | PyTorch CPU ms | tfjs / PyTorch (wall) | tfjs / PyTorch (CPU) | tfjs % of limit | PyTorch % of limit |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of r.models) {
    for (const row of m.rows) {
      if (row.skipped) {
        lines.push(`| ${m.model} | ${row.tokens} | ${row.skipped} | | | | | | | | | |`);
        continue;
      }
      lines.push(`| ${m.model} | ${row.tokens} | ${row.oursMs != null ? f(row.oursMs) : row.oursError} | ${f(row.oursCpuMs)} | ${f(row.oursAllTracedCpuMs)} | ` +
        `${f(row.onnxMs)} | ${f(row.torchMs)} | ${f(row.torchCpuMs)} | ${f(row.ratio, 2)} | ${f(row.cpuRatio, 2)} | ${pct(row.fractionOfLimit)} | ${pct(row.torchFractionOfLimit)} |`);
    }
  }
  lines.push('');
  lines.push('| model | KV-cache generation: tfjs tokens/s | CPU ms per cached step | ms per uncached step | PyTorch (KV cache) tokens/s | PyTorch CPU ms per step |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const m of r.models) {
    const g = m.generation;
    lines.push(`| ${m.model} (prompt ${g.prompt}, ${g.steps} steps) | ${f(g.oursTokensPerS)} | ${f(g.oursStepCpuMs)} | ${f(g.oursUncachedStepMs)} | ` +
      `${f(g.torchTokensPerS)} | ${f(g.torchStepCpuMs)} |`);
  }
  lines.push('');
  lines.push('Checks in the same run: ' + r.models.map((m) => `${m.model}: ours vs PyTorch logits max |diff| ${m.oursVsTorchMaxAbsDiff.toExponential(1)}, ` +
    `PyTorch tuned vs unset BLAS ${m.tunedVsUnsetMaxAbsDiff.toExponential(1)}`).join('; ') + '.');
  return lines.join('\n');
}

/** README prose around the engine tables: how the numbers are made and what each lever gave. */
const ENGINE_NOTES = `### Engine: tfjs forward vs PyTorch

\`npm run bench\` runs every \`scripts/bench/*.mjs\` one after another and writes \`bench/results.json\` and this section.
\`scripts/bench/engine-forward.mjs\` times the tfjs engine (\`src/engine/gpt.ts\`, wasm backend) against the independent
PyTorch reference (\`scripts/reference/gpt2_reference.py\`, run by \`bench_torch.py\` with \`torch.set_num_threads(2)\` and
\`OPENBLAS_CORETYPE\` naming the CPU family for that command only; an unset run checks the tuned BLAS computes the same
logits) on the same weights and token ids: the bundled model on this repository's own source text, and a random
GPT-2-small-shaped checkpoint written to a temp dir and deleted afterwards. \`node scripts/bench.mjs engine -- --quick\`
is a smoke run that writes nothing.

Parity (unit tests, no Python needed): logits equal the PyTorch reference to 1e-4 and attention to 1e-5 on a random
2-layer checkpoint, on transformers' own \`save_pretrained\` output and on the bundled model (English, code, Chinese);
fixtures are re-made by \`bash scripts/reference/make-fixtures.sh\`.

What the levers gave (CPU time, 4 layers d 192 vocab 8192 at 256 tokens unless said): never returning a typed array
from \`tf.tidy\` (tidy walks every element of a returned value looking for tensors: 2.0 s of a 2.2 s forward went to
walking the [T][V] logits); gelu_new as \`x * sigmoid(2u)\` instead of \`0.5 x (1 + tanh(u))\` with \`pow\` (wasm's tanh and
pow are scalar loops: 4.2 ms + 4.8 ms per [256, 768] against 0.7 ms for XNNPACK's sigmoid); one \`exp\` per logit and
top-k and rank folded into the same two passes (scoring 75 -> 21 ms); and, from the start, the issue's layout:
q/k/v weights split at load, keys kept transposed so every head is two plain 2-D matmuls, a pre-transposed unembedding,
one \`tf.tidy\` per block, \`dataSync()\` only.`;

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gpt-xray-bench-'));
  const results = { date: new Date().toISOString(), cpu: cpuName, cores: os.cpus().length, loadAverage: os.loadavg()[0].toFixed(1),
    node: process.version, tfjs: tf.version_core, quick: QUICK, models: [] };
  try {
    const specs = [];
    const bundledDir = path.join(ROOT, 'media', 'models', 'xray-mini');
    if (existsSync(path.join(bundledDir, 'model.safetensors'))) {
      specs.push({ name: 'bundled xray-mini', dir: bundledDir, load: () => loadCheckpoint(bundledDir, { bundled: true }),
        lengths: QUICK ? [[64, 3], [256, 2]] : [[64, 10], [256, 5], [1024, 3]], traced: 256, gen: QUICK ? [16, 4] : [64, 64] });
    } else {
      log('bundled model absent (media/models/xray-mini): skipped');
    }
    if (QUICK) {
      const dir = path.join(ROOT, 'test', 'fixtures', 'parity', 'random-2l');
      specs.push({ name: 'random-2l', dir, load: async () => checkpointFromWeights(dir), lengths: [[32, 3], [64, 2]], gen: [8, 8] });
    } else {
      const dir = path.join(tmp, 'gpt2-small-random');
      log('writing a random GPT-2-small-shaped checkpoint (124M parameters) to a temp dir');
      python([path.join(REF, 'make_fixtures.py'), 'random', dir, '--layers', '12', '--embd', '768', '--heads', '12', '--vocab', '50257',
        '--positions', '1024', '--dtype', 'F32', '--seed', '0'], false);
      // 1024 tokens: ours only, once (the no-crash check against the 4 GB wasm heap).
      // On 2 shared cores a 512-token forward takes minutes of wall time: 2 samples there, the 128-token runs warm up.
      specs.push({ name: 'GPT-2 small (random)', dir, load: async () => checkpointFromWeights(dir), lengths: [[128, 3], [512, 2, true, 0], [1024, 1, false]],
        gen: [64, 16] });
    }
    let limit;
    for (const spec of specs) {
      log(`\n${spec.name}`);
      const ckpt = await spec.load();
      const ids = spec.dir === bundledDir
        ? bundledIds(ckpt, Math.min(ckpt.config.n_positions, 1024))
        : Array.from({ length: 1024 }, (_, i) => (i * 7919 + 13) % ckpt.config.vocab_size);
      const r = await benchModel(spec, ckpt, ids, limit, tmp);
      const out = r.out;
      limit ??= r.limit;
      results.models.push(out);
      results.backend = out.backend;
    }
    results.sgemmGflops = limit?.wall ?? null;
    results.sgemmGflopsPerCpu = limit?.perCpu ?? null;
    results.wasmMatmulGflops = wasmMatmulGflops();
    const peer = JSON.parse(python(['-c', 'import torch,json; torch.set_num_threads(2); print(json.dumps([torch.__version__, torch.get_num_threads()]))'], true));
    [results.torch, results.torchThreads] = peer;
    results.openblasCoretype = coretype ?? null;
    results.backend = `tfjs-${tf.getBackend()}`;
    results.readme = `${ENGINE_NOTES}\n\n${table(results)}`;
    if (QUICK) log('\n--quick: results not written');
    else mergeResults('engine', results);
    log('\n' + table(results));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
