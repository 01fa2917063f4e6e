#!/usr/bin/env node
// Fast-path benchmark (issue 7): onnxruntime vs tuned tfjs vs PyTorch, side by side in one run, on the same weights
// and token ids. Models: a GPT-2-small-shaped random checkpoint (128/512/1024 tokens; generated in a temp dir by
// onnx-torch-peer.py and deleted afterwards) and the bundled model at 256 tokens.
//
// Fairness on a shared 2-core machine: the three backends run interleaved, round by round (PyTorch in a persistent
// peer process), so load from other processes hits all three alike; medians after one warm-up each; the first
// token changes every round, so no backend can answer from a cache. JS backends are timed on forward(ids, {}, 5),
// the request a hover makes (logits plus p, rank, surprisal, entropy and top-5 at every position: onnxruntime
// computes these in its graph, tfjs in trace.ts's JavaScript pass, whose own time is the "scoring" column).
// PyTorch computes the logits only.
// The PyTorch peer gets OPENBLAS_CORETYPE for its process alone (TRAINING.md) and 2 threads.
// `--quick`: bundled model only, few rounds. `--skip-gpt2`: bundled model only. `--model DIR --tokens 64,256`: that
// folder alone. `--gpt2-tokens 128,512`: GPT-2 small at these lengths only. Results: bench/results.json key "fastpath".
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ROOT, mergeResults } from './_results.mjs';

const require = createRequire(import.meta.url);
require(path.join(ROOT, 'test', 'support', 'register-ts.cjs'));
const { createOnnxRunner } = require(path.join(ROOT, 'src/engine/onnx-runner.ts'));
const { createTfjsRunner } = require(path.join(ROOT, 'src/engine/tfjs-runner.ts'));
const { loadCheckpoint } = require(path.join(ROOT, 'src/engine/checkpoint.ts'));
const { scoreSequence } = require(path.join(ROOT, 'src/engine/trace.ts'));

const QUICK = process.argv.includes('--quick');
const SKIP_GPT2 = QUICK || process.argv.includes('--skip-gpt2');
const PY = '/usr/bin/python3';
const PEER = path.join(ROOT, 'scripts', 'bench', 'onnx-torch-peer.py');
const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const flags = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
const coretype = flags.has('avx512f') ? 'SkylakeX' : flags.has('avx2') ? 'Haswell' : undefined;
const log = (...a) => console.log(...a);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const maxAbsDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** The PyTorch peer as a persistent process: one forward per request. */
async function startPeer(dir) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  if (coretype) env.OPENBLAS_CORETYPE = coretype;
  const child = spawn(PY, [PEER, 'serve', dir, '--threads', '2'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const queue = [];
  lines.on('line', (l) => queue.shift()?.(JSON.parse(l)));
  const next = () => new Promise((resolve) => queue.push(resolve));
  const hello = await next();
  return {
    hello,
    async forward(ids, logitsFile) {
      const reply = next();
      child.stdin.write(JSON.stringify({ ids, logits: logitsFile }) + '\n');
      return (await reply).ms;
    },
    stop: () => child.stdin.end(),
  };
}

async function benchModel(name, dir, lengths, rounds, tmp) {
  const out = { model: name, rows: [] };
  const ckpt = await loadCheckpoint(dir);
  const c = ckpt.config;
  out.shape = `${c.n_layer} layers, d ${c.n_embd}, ${c.n_head} heads, vocab ${c.vocab_size}`;
  let t0 = performance.now();
  const onnx = await createOnnxRunner(ckpt);
  out.onnxLoadMs = performance.now() - t0;
  t0 = performance.now();
  const tfjs = await createTfjsRunner(ckpt);
  out.tfjsLoadMs = performance.now() - t0;
  const peer = await startPeer(dir);
  out.torch = peer.hello;
  log(`${name}: ${out.shape}; onnxruntime session ${out.onnxLoadMs.toFixed(0)} ms, tfjs layout ${out.tfjsLoadMs.toFixed(0)} ms; PyTorch ${peer.hello.torch}, ${peer.hello.threads} threads, OPENBLAS_CORETYPE=${peer.hello.openblas_coretype}`);
  const V = c.vocab_size;
  for (const [i, n] of lengths.entries()) {
    const idsOf = (round) => Array.from({ length: n }, (_, j) => ((j === 0 ? round : 0) + j * 7919 + 13) % V);
    // Warm-up, and the parity check on the same ids: onnxruntime vs PyTorch and vs tfjs, full logits [T, V].
    const warm = idsOf(0);
    const file = path.join(tmp, `${name}-${n}.f32`);
    await peer.forward(warm, file);
    const torchLogits = new Float32Array(new Uint8Array(readFileSync(file)).buffer);
    const onnxRows = [];
    for (const p of [0, n >> 1, n - 1]) onnxRows.push([p, await onnx.logitsRow(warm, p)]);
    await tfjs.forward(warm, {}, 5);
    const row = { tokens: n, onnxVsTorchMaxAbsDiff: 0, onnxVsTfjsMaxAbsDiff: 0 };
    for (const [p, r] of onnxRows) {
      row.onnxVsTorchMaxAbsDiff = Math.max(row.onnxVsTorchMaxAbsDiff, maxAbsDiff(r, torchLogits.subarray(p * V, (p + 1) * V)));
    }
    // tfjs at the last position only: each tfjs logitsRow is a forward of its own.
    row.onnxVsTfjsMaxAbsDiff = maxAbsDiff(onnxRows[2][1], await tfjs.logitsRow(warm, n - 1));
    const scoringT0 = performance.now();
    scoreSequence(torchLogits, warm, V, 5, (id) => ckpt.tokenizer.tokenText(id));
    row.scoringMs = performance.now() - scoringT0;
    const samples = { onnx: [], tfjs: [], torch: [] };
    const runs = {
      onnx: async (ids) => (await onnx.forward(ids, {}, 5), 0),
      tfjs: async (ids) => (await tfjs.forward(ids, {}, 5), 0),
      torch: (ids) => peer.forward(ids),
    };
    const order = ['onnx', 'tfjs', 'torch'];
    for (let r = 1; r <= rounds[i]; r++) {
      for (const k of order.slice(r % 3).concat(order.slice(0, r % 3))) {
        const s = performance.now();
        const inner = await runs[k](idsOf(r));
        samples[k].push(k === 'torch' ? inner : performance.now() - s);
      }
    }
    row.onnxMs = median(samples.onnx);
    row.tfjsMs = median(samples.tfjs);
    row.torchMs = median(samples.torch);
    row.samples = samples;
    row.tfjsOverOnnx = row.tfjsMs / row.onnxMs;
    row.onnxOverTorch = row.onnxMs / row.torchMs;
    out.rows.push(row);
    log(`  ${String(n).padStart(5)} tokens: onnxruntime ${row.onnxMs.toFixed(1)} ms, tfjs ${row.tfjsMs.toFixed(1)} ms, PyTorch ${row.torchMs.toFixed(1)} ms` +
      ` (tfjs/onnx ${row.tfjsOverOnnx.toFixed(2)}x, onnx/PyTorch ${row.onnxOverTorch.toFixed(2)});` +
      ` tfjs's JS scoring ${row.scoringMs.toFixed(1)} ms; |onnx-PyTorch| ${row.onnxVsTorchMaxAbsDiff.toExponential(1)}, |onnx-tfjs| ${row.onnxVsTfjsMaxAbsDiff.toExponential(1)}`);
  }
  peer.stop();
  onnx.dispose();
  tfjs.dispose();
  return out;
}

const started = new Date().toISOString();
const load0 = os.loadavg();
const result = { started, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAvgStart: load0, models: [] };
log(`fast-path benchmark on ${result.cpu} x ${result.cores}, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
const argOf = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const own = argOf('--model');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gpt-xray-fastpath-'));
try {
  if (own) {
    const lengths = (argOf('--tokens') ?? '256').split(',').map(Number);
    result.models.push(await benchModel(path.basename(own), path.resolve(own), lengths, lengths.map(() => QUICK ? 3 : 10), tmp));
  }
  const bundled = path.join(ROOT, 'media', 'models', 'xray-mini');
  if (own) log('--model given: the bundled model and GPT-2 small are skipped');
  else if (existsSync(path.join(bundled, 'model.safetensors'))) {
    result.models.push(await benchModel('xray-mini', bundled, [256], [QUICK ? 5 : 20], tmp));
  } else log('bundled model absent: skipped');
  if (!SKIP_GPT2 && !own) {
    const dir = path.join(tmp, 'gpt2-small-random');
    log('writing a GPT-2-small-shaped random checkpoint...');
    await new Promise((resolve, reject) => {
      const p = spawn(PY, [PEER, 'make', dir], { stdio: 'inherit' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`make exited ${code}`))));
    });
    // Rounds per length: fewer where tfjs takes tens of seconds per forward.
    const lengths = (argOf('--gpt2-tokens') ?? '128,512,1024').split(',').map(Number);
    result.models.push(await benchModel('gpt2-small-random', dir, lengths, lengths.map((n) => (n <= 128 ? 5 : n <= 512 ? 3 : 2)), tmp));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
result.loadAvgEnd = os.loadavg();
log(`load average at the end ${result.loadAvgEnd.map((x) => x.toFixed(2)).join(' ')}`);
const table = [
  '| model | tokens | onnxruntime ms | tfjs (wasm) ms | PyTorch ms | tfjs / onnxruntime | onnxruntime / PyTorch | tfjs\'s JS scoring ms |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...result.models.flatMap((m) => m.rows.map((r) =>
    `| ${m.model} | ${r.tokens} | ${r.onnxMs.toFixed(1)} | ${r.tfjsMs.toFixed(1)} | ${r.torchMs.toFixed(1)} | ${r.tfjsOverOnnx.toFixed(2)}x | ${r.onnxOverTorch.toFixed(2)} | ${r.scoringMs.toFixed(1)} |`)),
];
log('\n' + table.join('\n'));
const maxDiff = (key) => Math.max(...result.models.flatMap((m) => m.rows.map((r) => r[key])));
result.readme = [
  '### Fast path: onnxruntime vs tfjs vs PyTorch',
  '',
  `\`scripts/bench/onnx-bench.mjs\`, ${started.slice(0, 10)}: ${result.cpu}, ${result.cores} cores, load average ` +
    `${load0[0].toFixed(1)} at the start and ${result.loadAvgEnd[0].toFixed(1)} at the end. The three backends run interleaved ` +
    'round by round on the same weights and ids (a new first token each round); medians after a warm-up. JS backends are ' +
    'timed on a hover request (logits plus p, rank, surprisal, entropy and top-5 at every position; onnxruntime scores ' +
    "in its graph, tfjs in JavaScript, whose own time is the last column); PyTorch (2 threads) computes logits only.",
  '',
  ...table,
  '',
  `Parity in the same run: onnxruntime's logits within ${maxDiff('onnxVsTorchMaxAbsDiff').toExponential(1)} of PyTorch's and ` +
    `${maxDiff('onnxVsTfjsMaxAbsDiff').toExponential(1)} of tfjs's.`,
].join('\n');
if (!QUICK && !own) mergeResults('fastpath', result);
