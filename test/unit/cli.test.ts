/**
 * The CLI as other tools use it: `node dist/cli.js ...` in a child process, JSON on stdout, exit code 2 and one
 * stderr line for bad input. The analyze JSON is checked field by field against the README's contract.
 */
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLED_MODEL_DIR, resolveBundledModel } from '../../src/engine/model-resolver';
import { fakeGpt2Dir, repoRoot } from './repo-root';

const root = repoRoot();
const cli = path.join(root, 'dist', 'cli.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface TopJson { id: number; text: string; p: number }
interface TokenJson {
  id: number; text: string; start: number; end: number;
  p: number | null; rank: number | null; surprisal: number | null; entropy: number; topk: TopJson[];
}
interface AnalyzeJson {
  model: { n_layer: number; n_head: number; n_embd: number; vocab_size: number; n_positions: number };
  tokens: TokenJson[];
  attention?: number[][][][];
}

/** The same as run(), without blocking: the quick failing runs go side by side. */
function runAsync(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 }, (_err, stdout, stderr) => {
      resolve({ status: child.exitCode, stdout, stderr });
    });
  });
}

function parseOk(r: Run): AnalyzeJson {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as AnalyzeJson;
}

describe('bundled model resolver', () => {
  it('finds media/models/xray-mini above dist/ in the repository and in an installed extension', () => {
    const ext = mkdtempSync(path.join(os.tmpdir(), 'xray-ext-'));
    mkdirSync(path.join(ext, 'dist'));
    mkdirSync(path.join(ext, BUNDLED_MODEL_DIR), { recursive: true });
    writeFileSync(path.join(ext, BUNDLED_MODEL_DIR, 'config.json'), '{}');
    assert.equal(resolveBundledModel(path.join(ext, 'dist'), os.tmpdir()), path.join(ext, BUNDLED_MODEL_DIR));
    if (existsSync(path.join(root, BUNDLED_MODEL_DIR, 'config.json'))) {
      assert.equal(resolveBundledModel(path.join(root, 'dist'), os.tmpdir()), path.join(root, BUNDLED_MODEL_DIR));
      assert.equal(resolveBundledModel(path.join(root, 'src', 'engine'), os.tmpdir()), path.join(root, BUNDLED_MODEL_DIR));
    }
  });

  it('says where it looked when there is no bundled model', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'xray-none-'));
    assert.throws(() => resolveBundledModel(empty, empty), /bundled model not found: no media.models.xray-mini.config\.json above /);
  });
});

describe('CLI', function () {
  this.timeout(120000); // each run is a fresh Node with tfjs: about a second of CPU, more on a busy machine
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xray-cli-'));
  const sample = 'function add(a, b) {\n  return a + b;\n}\n';
  const sampleFile = path.join(tmp, 'sample.js');
  const bundled = existsSync(path.join(root, 'media', 'models', 'xray-mini', 'config.json'));
  /** Flags selecting the model: none for the bundled model (the default), else the fake GPT-2 fixture. */
  let modelArgs: string[] = [];

  before(function () {
    this.timeout(180000); // the build, on a machine shared with training
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' });
    writeFileSync(sampleFile, sample);
    writeFileSync(path.join(tmp, 'empty.txt'), '');
    if (!bundled) {
      const fake = fakeGpt2Dir();
      if (fake) modelArgs = ['--model', fake];
    }
  });

  it('is an executable script (shebang) and prints usage for --help', () => {
    assert.equal(readFileSync(cli, 'utf8').split('\n')[0], '#!/usr/bin/env node');
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /gpt-xray analyze .*--text T \| --file F/);
  });

  describe('with a model', () => {
    let plain: AnalyzeJson;

    before(function () {
      if (!bundled && modelArgs.length === 0) {
        console.log('    skipped: neither the bundled model nor ../shared/fixtures/fake_gpt2 is present');
        this.skip();
      }
    });

    it('analyze --text prints the documented JSON, with no attention unless asked', () => {
      plain = parseOk(run(['analyze', ...modelArgs, '--text', sample, '--top-k', '3']));
      assert.deepEqual(Object.keys(plain), ['model', 'tokens']);
      assert.deepEqual(Object.keys(plain.model), ['n_layer', 'n_head', 'n_embd', 'vocab_size', 'n_positions']);
      const { tokens } = plain;
      assert.ok(tokens.length > 5);
      assert.equal(tokens.map((t) => sample.slice(t.start, t.end)).join(''), sample, 'spans tile the text');
      tokens.forEach((t, i) => {
        assert.deepEqual(Object.keys(t), ['id', 'text', 'start', 'end', 'p', 'rank', 'surprisal', 'entropy', 'topk']);
        if (i === 0) {
          assert.deepEqual([t.p, t.rank, t.surprisal], [null, null, null]);
        } else {
          assert.ok(t.p !== null && t.p > 0 && t.p <= 1);
          assert.ok(t.rank !== null && Number.isInteger(t.rank) && t.rank >= 1);
          assert.ok(Math.abs((t.surprisal as number) + Math.log2(t.p)) < 1e-9);
          // Rank 1 means the previous position's top prediction was this very token.
          if (t.rank === 1) assert.equal(tokens[i - 1].topk[0].id, t.id);
        }
        assert.ok(t.entropy >= 0 && t.entropy <= Math.log2(plain.model.vocab_size) + 1e-6);
        assert.equal(t.topk.length, 3);
        assert.deepEqual(Object.keys(t.topk[0]), ['id', 'text', 'p']);
        assert.ok(t.topk[0].p >= t.topk[1].p && t.topk[1].p >= t.topk[2].p);
      });
    });

    it('analyze --file --attention gives the same tokens and causal attention [layer][head][query][key]', () => {
      const withAttention = parseOk(run(['analyze', ...modelArgs, '--file', sampleFile, '--top-k', '3', '--attention']));
      assert.deepEqual(withAttention.tokens, plain.tokens);
      const { n_layer: L, n_head: H } = withAttention.model;
      const T = plain.tokens.length;
      const att = withAttention.attention as number[][][][];
      assert.equal(att.length, L);
      for (const layer of att) {
        assert.equal(layer.length, H);
        for (const head of layer) {
          assert.equal(head.length, T);
          head.forEach((row, q) => {
            assert.equal(row.length, T);
            assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, `row ${q} sums to 1`);
            for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, 'no attention to later tokens');
          });
        }
      }
    });

    it('score prints one line per file whose mean surprisal matches analyze', () => {
      const other = path.join(tmp, 'other.txt');
      writeFileSync(other, 'The quick brown fox jumps over the lazy dog.');
      const r = run(['score', ...modelArgs, sampleFile, other, path.join(tmp, 'empty.txt')]);
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(rows.length, 3);
      assert.deepEqual(Object.keys(rows[0]), ['file', 'tokens', 'meanSurprisal', 'perplexity']);
      assert.equal(rows[0].file, sampleFile);
      assert.equal(rows[0].tokens, plain.tokens.length);
      const scored = plain.tokens.slice(1).map((t) => t.surprisal as number);
      const mean = scored.reduce((a, b) => a + b, 0) / scored.length;
      assert.ok(Math.abs((rows[0].meanSurprisal as number) - mean) < 1e-6);
      assert.ok(Math.abs((rows[0].perplexity as number) - 2 ** mean) < 1e-6 * 2 ** mean);
      assert.ok((rows[1].tokens as number) > 5);
      assert.deepEqual(rows[2], { file: path.join(tmp, 'empty.txt'), tokens: 0, meanSurprisal: null, perplexity: null });
    });

    it('keeps the first tokens of a long input and says on stderr how many were left out', () => {
      const long = path.join(tmp, 'long.txt');
      writeFileSync(long, 'let x = [1, 2, 3]; // 数据 🙂\n'.repeat(5000));
      const r = run(['analyze', ...modelArgs, '--file', long, '--max-tokens', '8', '--top-k', '1']);
      const out = parseOk(r);
      assert.equal(out.tokens.length, 8);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0], /kept the first 8 of \d+ tokens; \d+ tokens after them were left out/);
    });

    it('bench prints median latencies per length', () => {
      const r = run(['bench', ...modelArgs, '--lengths', '4,8', '--runs', '2']);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { backend: string; results: { tokens: number; medianMs: number; runs: number }[] };
      assert.match(out.backend, /^(onnxruntime|tfjs-wasm|tfjs-cpu)$/);
      assert.deepEqual(out.results.map((x) => x.tokens), [4, 8]);
      for (const x of out.results) assert.ok(x.medianMs > 0 && x.runs === 2);
    });
  });

  describe('bad input: exit code 2, exactly one line on stderr, nothing on stdout', () => {
    const emptyModelDir = mkdtempSync(path.join(os.tmpdir(), 'xray-not-a-model-'));
    const cases: [string, string[], RegExp][] = [
      ['no command', [], /missing command/],
      ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
      ['unknown flag', ['analyze', '--text', 'x', '--colour'], /unknown flag --colour/],
      ['no text', ['analyze'], /exactly one of --text T or --file F/],
      ['text and file', ['analyze', '--text', 'x', '--file', 'y'], /exactly one of --text T or --file F/],
      ['missing file', ['analyze', '--file', '/nonexistent/input.txt'], /\/nonexistent\/input.txt: no such file/],
      ['empty text', ['analyze', '--text', ''], /empty text/],
      ['--top-k not a number', ['analyze', '--text', 'x', '--top-k', 'many'], /--top-k must be an integer/],
      ['--top-k negative', ['analyze', '--text', 'x', '--top-k', '-1'], /--top-k must be an integer/],
      ['--top-k fractional', ['analyze', '--text', 'x', '--top-k', '2.5'], /--top-k must be an integer/],
      ['--top-k without value', ['analyze', '--text', 'x', '--top-k'], /--top-k needs a value/],
      ['missing model folder', ['analyze', '--text', 'x', '--model', '/nonexistent/model'], /bad model: .*\/nonexistent\/model/],
      ['folder without a model', ['analyze', '--text', 'x', '--model', emptyModelDir], /bad model: .*config\.json/],
      ['unknown backend', ['analyze', '--text', 'x', '--backend', 'gpu'], /--backend must be one of/],
      ['score without files', ['score'], /give at least one FILE/],
      ['score with a missing file', ['score', '/nonexistent/a.txt'], /\/nonexistent\/a.txt: no such file/],
      ['bench with bad lengths', ['bench', '--lengths', '4,x'], /--lengths must be positive integers/],
    ];
    const results = new Map<string, Run>();
    before(async () => {
      const runs = await Promise.all(cases.map(([, args]) => runAsync(args)));
      cases.forEach(([name], i) => results.set(name, runs[i]));
    });
    for (const [name, , message] of cases) {
      it(name, () => {
        const r = results.get(name) as Run;
        assert.equal(r.status, 2, `exit ${r.status}, stderr: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.ok(r.stderr.endsWith('\n') && r.stderr.trim().split('\n').length === 1, `stderr: ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr, message);
      });
    }

    it('--top-k beyond the vocabulary', function () {
      if (!bundled && modelArgs.length === 0) this.skip();
      const r = run(['analyze', ...modelArgs, '--text', 'x', '--top-k', '99999999']);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /--top-k must be at most the vocabulary size/);
    });
  });
});
