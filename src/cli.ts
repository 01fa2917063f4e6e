/**
 * The headless entry (dist/cli.js, `npx gpt-xray`): analyze, score and bench, JSON on stdout. The engine runs
 * in-process through the same EngineSession the worker uses, so the CLI and the extension compute the same numbers.
 * The analyze JSON is a contract other tools rely on: see the README's CLI section before changing a field.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelInfo, Trace, WorkerRequest } from './protocol';
import { HELP, UsageError, intFlag, parseArgs, stringFlag, type ParsedArgs } from './cli-args';
import { truncationNotice } from './engine/long-input';
import { resolveBundledModel } from './engine/model-resolver';
import { EngineSession, type BackendChoice } from './engine/session';
import { oneLine } from './engine/worker-loop';

const BACKENDS: readonly BackendChoice[] = ['auto', 'tfjs', 'onnxruntime'];

function note(msg: string): void {
  process.stderr.write(`gpt-xray: ${msg}\n`);
}

function readTextFile(file: string): string {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (!statSync(file).isFile()) throw new UsageError(`${file}: not a file`);
  return readFileSync(file, 'utf8');
}

/** Loads --model (or the bundled model); any fault in the folder is bad input. */
async function openModel(args: ParsedArgs): Promise<{ session: EngineSession; model: ModelInfo }> {
  const backend = stringFlag(args, 'backend') ?? 'auto';
  if (!BACKENDS.includes(backend as BackendChoice)) {
    throw new UsageError(`${args.command}: --backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
  }
  const given = stringFlag(args, 'model');
  let dir: string;
  try {
    dir = given === undefined ? resolveBundledModel(__dirname) : path.resolve(given);
  } catch (err) {
    throw new UsageError(`${oneLine(err)} (pass --model DIR)`);
  }
  // Loaded only now, after the arguments were checked: bad input fails fast, without starting tfjs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { engineDeps } = require('./engine/engine-deps') as typeof import('./engine/engine-deps');
  // Engine log lines (backend choice, load time) would break the one-line error rule; errors surface as exceptions.
  const session = new EngineSession(engineDeps, () => undefined);
  try {
    const result = await session.handle({ kind: 'load', modelPath: dir, bundled: given === undefined, backend: backend as BackendChoice });
    if (result.kind !== 'load') throw new Error(`load answered ${result.kind}`);
    return { session, model: result.model };
  } catch (err) {
    throw new UsageError(`bad model: ${oneLine(err)}`);
  }
}

async function analyzeOnce(session: EngineSession, request: WorkerRequest & { kind: 'analyze' }): Promise<Trace> {
  const result = await session.handle(request);
  if (result.kind !== 'analyze') throw new Error(`analyze answered ${result.kind}`);
  const cut = truncationNotice(result.trace.tokens.length, result.trace.totalTokens);
  if (cut) note(`${request.docKey}: ${cut}`);
  return result.trace;
}

/** [L][H][T][T] nested arrays from the flat attention. */
function nestAttention(flat: Float32Array, L: number, H: number, T: number): number[][][][] {
  const out: number[][][][] = [];
  for (let l = 0; l < L; l++) {
    const heads: number[][][] = [];
    for (let h = 0; h < H; h++) {
      const rows: number[][] = [];
      for (let q = 0; q < T; q++) {
        const at = ((l * H + h) * T + q) * T;
        rows.push(Array.from(flat.subarray(at, at + T)));
      }
      heads.push(rows);
    }
    out.push(heads);
  }
  return out;
}

async function analyzeCommand(args: ParsedArgs): Promise<void> {
  const text = stringFlag(args, 'text');
  const file = stringFlag(args, 'file');
  if ((text === undefined) === (file === undefined)) throw new UsageError('analyze: give exactly one of --text T or --file F');
  const topK = intFlag(args, 'top-k', 5, 0, Number.MAX_SAFE_INTEGER);
  const input = text ?? readTextFile(file as string);
  if (input.length === 0) throw new UsageError(`analyze: empty text${file ? ` in ${file}` : ''}: nothing to analyze`);
  const { session, model } = await openModel(args);
  const c = model.config;
  if (topK > c.vocab_size) throw new UsageError(`analyze: --top-k must be at most the vocabulary size ${c.vocab_size}, got ${topK}`);
  const maxTokens = intFlag(args, 'max-tokens', c.n_positions, 1, Number.MAX_SAFE_INTEGER);
  const attention = args.flags.get('attention') === true;
  const trace = await analyzeOnce(session, {
    kind: 'analyze', docKey: file ?? '--text', text: input, topK, maxTokens, want: { attention },
  });
  const out: Record<string, unknown> = {
    model: { n_layer: c.n_layer, n_head: c.n_head, n_embd: c.n_embd, vocab_size: c.vocab_size, n_positions: c.n_positions },
    tokens: trace.tokens.map((t, i) => {
      const s = trace.scores[i];
      return {
        id: t.id, text: t.text, start: t.start, end: t.end,
        p: s.p, rank: s.rank, surprisal: s.surprisal, entropy: s.entropy,
        topk: s.topk.map((k) => ({ id: k.id, text: k.text, p: k.p })),
      };
    }),
  };
  if (attention) {
    if (!trace.attention) throw new Error(`the ${model.backend} backend returned no attention`);
    out.attention = nestAttention(trace.attention, c.n_layer, c.n_head, trace.tokens.length);
  }
  session.dispose();
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function scoreCommand(args: ParsedArgs): Promise<void> {
  if (args.positional.length === 0) throw new UsageError('score: give at least one FILE');
  // Read every file first: a missing one is reported before any output.
  const texts = args.positional.map((file) => ({ file, text: readTextFile(file) }));
  const { session, model } = await openModel(args);
  const maxTokens = intFlag(args, 'max-tokens', model.config.n_positions, 1, Number.MAX_SAFE_INTEGER);
  for (const { file, text } of texts) {
    let row = { file, tokens: 0, meanSurprisal: null as number | null, perplexity: null as number | null };
    if (text.length > 0) {
      const trace = await analyzeOnce(session, { kind: 'analyze', docKey: file, text, topK: 0, maxTokens, want: {} });
      const scored = trace.tokens.length > 1;
      row = { file, tokens: trace.tokens.length, meanSurprisal: scored ? trace.meanSurprisal : null, perplexity: scored ? trace.perplexity : null };
    }
    process.stdout.write(JSON.stringify(row) + '\n');
  }
  session.dispose();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function benchCommand(args: ParsedArgs): Promise<void> {
  const runs = intFlag(args, 'runs', 5, 1, 1000);
  const rawLengths = stringFlag(args, 'lengths') ?? '16,64,256';
  const lengths = rawLengths.split(',').map((s) => Number(s.trim()));
  if (lengths.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new UsageError(`bench: --lengths must be positive integers separated by commas, got '${rawLengths}'`);
  }
  const { session, model } = await openModel(args);
  const { runner } = session.requireModel();
  const c = model.config;
  const results: { tokens: number; medianMs: number; minMs: number; runs: number }[] = [];
  for (const T of lengths) {
    if (T > c.n_positions) {
      note(`bench: skipped ${T} tokens (the model's context is ${c.n_positions})`);
      continue;
    }
    // Deterministic token ids spread over the vocabulary; latency does not depend on which ids they are.
    const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % c.vocab_size);
    await runner.forward(ids, {}, 5); // warm-up: first-use kernel setup and weight layout
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await runner.forward(ids, {}, 5);
      times.push(performance.now() - t0);
    }
    results.push({ tokens: T, medianMs: +median(times).toFixed(2), minMs: +Math.min(...times).toFixed(2), runs });
  }
  session.dispose();
  process.stdout.write(JSON.stringify({ model: model.name, path: model.path, backend: model.backend, parameters: model.parameters, results }) + '\n');
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help')) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const args = parseArgs(argv);
  if (args.command === 'analyze') await analyzeCommand(args);
  else if (args.command === 'score') await scoreCommand(args);
  else await benchCommand(args);
}

main(process.argv.slice(2)).then(
  () => { process.exitCode = 0; },
  (err: unknown) => {
    process.stderr.write(`gpt-xray: ${oneLine(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
