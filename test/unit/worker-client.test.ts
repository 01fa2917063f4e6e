/**
 * EngineClient against (1) a scripted worker built from the real message loop (worker-loop.ts) with a fake model,
 * to drive crashes, hangs and races on purpose, and (2) the real dist/worker.js with a real checkpoint.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { CancelledError, EngineClient, isCancelled } from '../../src/engine/client';
import { prepareTransfer } from '../../src/engine/transferables';
import { oneLine } from '../../src/engine/worker-loop';
import { fakeGpt2Dir, repoRoot } from './repo-root';

/** A worker whose "model" obeys the analysed text: sleep:N, crash, throw-uncaught, fail. */
const SCRIPTED_WORKER = `
import { parentPort } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { serveRequests } from './worker-loop';
const port = parentPort!;
let loaded: any;
let started = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
serveRequests(port, {
  async handle(req: any, cancelled: () => boolean): Promise<any> {
    switch (req.kind) {
      case 'load':
        port.postMessage({ id: -1, level: 'info', log: 'scripted worker loading ' + req.modelPath });
        if (req.modelPath.startsWith('/') && req.modelPath.endsWith('.model') && !existsSync(req.modelPath)) {
          throw new Error(req.modelPath + ': model folder does not exist');
        }
        loaded = { name: 'scripted', path: req.modelPath, bundled: req.bundled, backend: 'scripted', parameters: 1, config: {} };
        return { kind: 'load', model: loaded };
      case 'analyze': {
        if (!loaded) throw new Error('no model is loaded: send a load request first');
        started++;
        const [cmd, arg] = req.text.split(':');
        if (cmd === 'sleep') await sleep(Number(arg));
        if (cmd === 'crash') process.exit(3);
        if (cmd === 'throw-uncaught') setTimeout(() => { throw new Error('boom in the worker'); }, 0);
        if (cmd === 'throw-uncaught') await sleep(1000);
        if (cmd === 'fail') throw new Error('first line\\n  second line');
        if (cancelled()) throw new Error('cancelled while it ran');
        const attention = new Float32Array(1 << 20).fill(0.5);
        return { kind: 'analyze', trace: { model: loaded, text: req.text, offset: 0, tokens: [], scores: [], totalTokens: 0,
          meanSurprisal: 0, perplexity: 1, meanLoss: 0, forwardMs: 0, attention } };
      }
      case 'memory':
        return { kind: 'memory', numTensors: started, numBytes: 0 };
      default:
        throw new Error('scripted worker: unsupported ' + req.kind);
    }
  },
});
`;

const WANT = { topK: 5, maxTokens: 1024, want: {} };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error, `rejected with a non-Error: ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('engine client with a scripted worker', function () {
  this.timeout(20000);
  let workerPath = '';
  let client: EngineClient;
  let logs: string[];

  before(async () => {
    workerPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'xray-scripted-')), 'scripted-worker.js');
    await esbuild.build({
      stdin: { contents: SCRIPTED_WORKER, resolveDir: path.join(repoRoot(), 'src', 'engine'), loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', outfile: workerPath, logLevel: 'error',
    });
  });

  beforeEach(async () => {
    logs = [];
    client = new EngineClient({ workerPath, log: (level, msg) => logs.push(`${level}: ${msg}`) });
    await client.load('/models/a', false);
  });

  afterEach(() => client.dispose());

  it('loads, forwards worker log lines and returns typed arrays intact', async () => {
    assert.equal(client.loadedModel?.path, '/models/a');
    assert.ok(logs.some((l) => l === 'info: scripted worker loading /models/a'), logs.join('\n'));
    const trace = await client.analyze('doc', 'hello', WANT);
    assert.ok(trace.attention instanceof Float32Array);
    assert.equal(trace.attention.length, 1 << 20);
    assert.equal(trace.attention[12345], 0.5);
  });

  it('starts no worker before the first request, and a missing worker file rejects instead of hanging', async () => {
    const bad = new EngineClient({ workerPath: path.join(os.tmpdir(), 'no-such-worker.js'), log: () => undefined });
    assert.equal(bad.loadedModel, undefined);
    const err = await rejection(bad.load('/models/a', false));
    assert.match(err.message, /engine worker (crashed|exited)/);
    bad.dispose();
  });

  it('a newer analyze of the same document supersedes the older ones; the worker skips the queued one', async () => {
    const first = client.analyze('doc', 'sleep:300', WANT);
    await new Promise((r) => setTimeout(r, 50)); // let the first one start
    const second = client.analyze('doc', 'sleep:300', WANT);
    const other = client.analyze('other-doc', 'x', WANT);
    const third = client.analyze('doc', 'final', WANT);
    const t0 = Date.now();
    const e1 = await rejection(first);
    assert.ok(Date.now() - t0 < 200, 'the superseded request should reject at once, not when the worker finishes');
    assert.ok(isCancelled(e1) && e1 instanceof CancelledError, e1.message);
    assert.ok(isCancelled(await rejection(second)));
    assert.equal((await third).text, 'final');
    assert.equal((await other).text, 'x');
    // first (already running), other and third ran; second was dropped from the worker's queue unrun.
    assert.equal((await client.memory()).numTensors, 3);
  });

  it('aborts through an AbortSignal, before sending and while running', async () => {
    const pre = new AbortController();
    pre.abort();
    assert.ok(isCancelled(await rejection(client.analyze('doc', 'x', WANT, pre.signal))));
    const ctl = new AbortController();
    const running = client.analyze('doc', 'sleep:500', WANT, ctl.signal);
    let abortedAt = 0;
    setTimeout(() => { abortedAt = Date.now(); ctl.abort(); }, 30);
    assert.ok(isCancelled(await rejection(running)));
    assert.ok(Date.now() - abortedAt < 250, 'rejects on abort, not when the worker finishes 500 ms later');
    assert.equal((await client.analyze('doc', 'after', WANT)).text, 'after');
  });

  it('a worker that exits rejects every pending request, then restarts and reloads the last model', async () => {
    const crash = client.analyze('doc', 'crash', WANT);
    const queued = client.analyze('doc2', 'x', WANT);
    assert.match((await rejection(crash)).message, /engine worker exited with code 3/);
    assert.match((await rejection(queued)).message, /engine worker exited with code 3/);
    const trace = await client.analyze('doc', 'again', WANT); // fails unless the model was reloaded first
    assert.equal(trace.model.path, '/models/a');
    assert.equal(client.loadedModel?.path, '/models/a');
    assert.ok(logs.some((l) => l.includes('reloading /models/a')), logs.join('\n'));
  });

  it('a reload that fails after a crash is reported once; later requests reach the worker again', async () => {
    const modelFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'xray-reload-')), 'vanishing.model');
    writeFileSync(modelFile, '');
    await client.load(modelFile, false);
    unlinkSync(modelFile);
    await rejection(client.analyze('doc', 'crash', WANT));
    assert.match((await rejection(client.analyze('doc', 'x', WANT))).message,
      /engine worker restarted but reloading .*vanishing.model failed: .*model folder does not exist/);
    assert.equal(client.loadedModel, undefined);
    assert.match((await rejection(client.analyze('doc', 'x', WANT))).message, /no model is loaded/);
    await client.load('/models/c', false);
    assert.equal((await client.analyze('doc', 'x', WANT)).model.path, '/models/c');
  });

  it('an uncaught exception in the worker rejects with its message and the next request works', async () => {
    assert.match((await rejection(client.analyze('doc', 'throw-uncaught', WANT))).message, /crashed: boom in the worker/);
    assert.equal((await client.analyze('doc', 'ok', WANT)).text, 'ok');
  });

  it('errors come back as one-line messages', async () => {
    assert.equal((await rejection(client.analyze('doc', 'fail', WANT))).message, 'first line second line');
    assert.match((await rejection(client.logitsRow('doc', 0))).message, /unsupported logitsRow/);
  });

  it('a request over the time limit rejects and the restarted worker answers the next one', async () => {
    // The limit leaves room for a worker to start on a busy machine; the request would sleep far longer.
    const quick = new EngineClient({ workerPath, log: () => undefined, requestTimeoutMs: 4000 });
    await quick.load('/models/b', false);
    assert.match((await rejection(quick.analyze('doc', 'sleep:60000', WANT))).message, /timed out after 4000 ms/);
    assert.equal((await quick.analyze('doc', 'ok', WANT)).model.path, '/models/b');
    quick.dispose();
  });

  it('dispose rejects pending requests and refuses later ones', async () => {
    const pending = client.analyze('doc', 'sleep:1000', WANT);
    client.dispose();
    assert.ok(isCancelled(await rejection(pending)));
    assert.match((await rejection(client.memory())).message, /disposed/);
  });
});

describe('engine client module', () => {
  it('loads no tfjs and no engine code (extension activation stays light)', () => {
    const root = repoRoot();
    const script = "require('./src/engine/client'); " +
      "const loaded = Object.keys(require.cache).filter((k) => /@tensorflow|onnxruntime|[\\\\/]engine[\\\\/](session|gpt|checkpoint)/.test(k)); " +
      'process.stdout.write(JSON.stringify(loaded));';
    const out = execFileSync(process.execPath, ['-r', './test/support/register-ts.cjs', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });
});

describe('transfer of typed arrays', () => {
  it('moves whole buffers and copies partial views instead of detaching their buffer', () => {
    const whole = new Float32Array(1000).fill(1);
    const backing = new Float32Array(100);
    const part = backing.subarray(10, 20);
    const msg = { a: whole, nested: [{ b: part }], same: whole, n: 3 };
    const { value, transfer } = prepareTransfer(msg);
    assert.equal(transfer.length, 2);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(value, transfer);
    assert.equal(whole.byteLength, 0, 'the whole buffer was transferred, not copied');
    assert.equal(backing.byteLength, 400, 'the partial view\'s backing buffer is untouched');
    port1.close();
    port2.close();
  });

  it('oneLine flattens messages and names non-Errors', () => {
    assert.equal(oneLine(new Error('a\n\n  b\r\nc')), 'a b c');
    assert.equal(oneLine('plain'), 'plain');
  });
});

describe('engine client with the real worker', function () {
  this.timeout(30000);
  const root = repoRoot();
  const workerPath = path.join(root, 'dist', 'worker.js');
  const bundled = path.join(root, 'media', 'models', 'xray-mini');
  let client: EngineClient;
  let model = '';

  before(function () {
    this.timeout(180000); // the build, on a machine shared with training
    // The bundled model when it is there (small vocabulary: fast), else the fake GPT-2 fixture.
    const found = existsSync(path.join(bundled, 'config.json')) ? bundled : fakeGpt2Dir();
    if (!found) {
      console.log('    skipped: neither media/models/xray-mini nor ../shared/fixtures/fake_gpt2 is present');
      this.skip();
    }
    model = found;
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'ignore' });
  });

  beforeEach(async () => {
    client = new EngineClient({ workerPath, log: () => undefined });
    await client.load(model, model === bundled, 'tfjs'); // the tensor-count test is about tfjs
  });

  afterEach(() => client.dispose());

  it('loads with the automatic backend choice and analyses', async () => {
    const info = await client.load(model, model === bundled, 'auto');
    assert.match(info.backend, /^(onnxruntime|tfjs-wasm|tfjs-cpu)$/);
    const trace = await client.analyze('a', 'let x = 1;', { topK: 2, maxTokens: 64, want: { attention: true } });
    assert.equal(trace.model.backend, info.backend);
    assert.ok(trace.scores.slice(1).every((s) => s.p !== null && s.p > 0 && s.p <= 1));
  });

  it('analyses, then answers attention detail and logits rows for the last analysis of each document', async () => {
    const info = client.loadedModel;
    assert.ok(info && /^tfjs-(wasm|cpu)$/.test(info.backend), info?.backend);
    const { n_layer: L, n_head: H, vocab_size: V } = info.config;
    const trace = await client.analyze('a', 'function add(a, b) { return a + b; }', { topK: 4, maxTokens: 64, want: { attention: true } });
    const T = trace.tokens.length;
    assert.ok(T > 4);
    assert.ok(trace.attention instanceof Float32Array && trace.attention.length === L * H * T * T);
    assert.equal(trace.totalTokens, T);
    await client.analyze('b', 'short', { topK: 1, maxTokens: 64, want: {} });
    const detail = await client.attentionDetail('a', L - 1, H - 1, T - 1);
    assert.equal(detail.weights.length, T);
    // The detail's softmax row is the trace's attention row for the same layer, head and query.
    const row = trace.attention.subarray((((L - 1) * H + H - 1) * T + T - 1) * T, (((L - 1) * H + H - 1) * T + T) * T);
    for (let k = 0; k < T; k++) assert.ok(Math.abs(detail.weights[k] - row[k]) < 1e-5, `key ${k}`);
    const logits = await client.logitsRow('a', 0);
    assert.ok(logits.logits instanceof Float32Array && logits.logits.length === V);
    await assert.rejects(client.attentionDetail('never-analysed', 0, 0, 0), /no analysis of document never-analysed/);
  });

  it('supersedes an older analysis of the same document', async () => {
    const older = client.analyze('doc', 'the older text '.repeat(20), { topK: 2, maxTokens: 64, want: { attention: true } });
    const newer = client.analyze('doc', 'the newer text', { topK: 2, maxTokens: 64, want: {} });
    await assert.rejects(older, (e: Error) => isCancelled(e));
    const kept = await newer;
    assert.equal(kept.text, 'the newer text');
    // The engine remembers the newer ids, not the older, longer analysis's.
    const n = kept.tokens.length;
    await assert.rejects(client.logitsRow('doc', n), new RegExp(`position must be an integer in \\[0, ${n - 1}\\]`));
  });

  it('generates step by step through the worker', async () => {
    const start = await client.generateStart('g', 'def main():', 8);
    assert.ok(start.tokens.length > 0);
    let best = 0;
    for (let i = 1; i < start.step.logits.length; i++) if (start.step.logits[i] > start.step.logits[best]) best = i;
    const step = await client.generateStep('g', best, 5);
    assert.equal(step.token.id, best);
    assert.equal(step.token.start, 'def main():'.length);
    assert.equal(step.step.length, start.tokens.length + 1);
    await client.generateEnd('g');
  });

  it('keeps tf.memory().numTensors equal before and after 100 analyses', async function () {
    this.timeout(90000); // about 3 s of CPU; minutes of wall time only on a machine that is busy training
    await client.analyze('warm', 'warm up the engine', { topK: 5, maxTokens: 64, want: { attention: true } });
    const before = await client.memory();
    for (let i = 0; i < 100; i++) {
      const trace = await client.analyze(`doc${i % 3}`, `request ${i}: the quick brown fox`, {
        topK: 3, maxTokens: 64, want: i % 2 ? { attention: true, embeddings: true, layerNorm: true } : {},
      });
      assert.equal(trace.tokens.length, trace.scores.length);
    }
    await client.attentionDetail('doc0', 0, 0, 1);
    await client.logitsRow('doc1', 0);
    const after = await client.memory();
    assert.equal(after.numTensors, before.numTensors);
  });
});
