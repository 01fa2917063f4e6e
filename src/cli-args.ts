/**
 * Command-line parsing for the CLI: `gpt-xray COMMAND [--flag value | --flag=value | --switch] [FILE...]`.
 * Every fault is a UsageError (exit code 2, one line on stderr).
 */

/** Bad input from the person running the CLI: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** true: the flag takes a value; false: a switch. */
  value: boolean;
}

export interface ParsedArgs {
  command: string;
  flags: Map<string, string | true>;
  positional: string[];
}

export const COMMANDS: Record<string, { flags: Record<string, FlagSpec>; positional: boolean }> = {
  analyze: {
    flags: {
      model: { value: true }, backend: { value: true }, text: { value: true }, file: { value: true },
      'top-k': { value: true }, 'max-tokens': { value: true }, attention: { value: false },
    },
    positional: false,
  },
  score: { flags: { model: { value: true }, backend: { value: true }, 'max-tokens': { value: true } }, positional: true },
  bench: { flags: { model: { value: true }, backend: { value: true }, lengths: { value: true }, runs: { value: true } }, positional: false },
};

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command: expected analyze, score or bench (see gpt-xray --help)');
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command '${command}': expected analyze, score or bench (see gpt-xray --help)`);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--') || arg === '--') {
      if (!spec.positional) throw new UsageError(`${command}: unexpected argument '${arg}'`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = spec.flags[name];
    if (!flag) throw new UsageError(`${command}: unknown flag --${name}`);
    if (flags.has(name)) throw new UsageError(`${command}: --${name} given twice`);
    if (!flag.value) {
      if (eq >= 0) throw new UsageError(`${command}: --${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    flags.set(name, value);
  }
  return { command, flags, positional };
}

/** A flag's value as an integer in [min, max], or the default when the flag is absent. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${args.command}: --${name} must be an integer in [${min}, ${max}], got '${String(raw)}'`);
  }
  return n;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const raw = args.flags.get(name);
  return typeof raw === 'string' ? raw : undefined;
}

export const HELP = `gpt-xray: run a GPT-2-family model on text and print what it sees, as JSON.

Usage:
  gpt-xray analyze [--model DIR] (--text T | --file F) [--top-k K] [--attention] [--max-tokens N]
  gpt-xray score [--model DIR] [--max-tokens N] FILE...
  gpt-xray bench [--model DIR] [--lengths 16,64,256] [--runs 5]

--model defaults to the bundled model; --backend auto|tfjs|onnxruntime picks the engine (default auto).
Text longer than the model's context keeps its first min(n_positions, --max-tokens) tokens (a note on stderr).
Bad input exits with code 2 and one line on stderr.`;
