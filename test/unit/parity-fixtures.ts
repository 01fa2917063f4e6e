/**
 * Reads the PyTorch reference fixtures written by scripts/reference/make-fixtures.sh (reference.json + float32
 * files) and builds Checkpoints for them. random-2l has no tokenizer (it is driven by ids), so its Checkpoint is
 * assembled from its config.json and model.safetensors with an id-only tokenizer.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseModelConfig } from '../../src/engine/model-config';
import { readSafetensors } from '../../src/engine/safetensors';
import type { Checkpoint, Tokenizer, Weights } from '../../src/engine/types';
import { repoRoot } from './repo-root';

export const PARITY_DIR = (): string => path.join(repoRoot(), 'test', 'fixtures', 'parity');

export interface Reference {
  dir: string;
  label: string;
  ids: number[];
  /** Positions whose full logits rows are stored, in the order of `logits`. */
  positions: number[];
  config: { n_layer: number; n_head: number; n_embd: number; vocab_size: number };
  arrays: Map<string, { shape: number[]; data: Float32Array }>;
}

export function readReference(dir: string): Reference {
  const meta = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as {
    label: string;
    ids: number[];
    positions: number[];
    config: Reference['config'];
    arrays: Record<string, { file: string; shape: number[] }>;
  };
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, { file, shape }] of Object.entries(meta.arrays)) {
    const bytes = readFileSync(path.join(dir, file));
    // Copy into an aligned buffer: Buffer slices may start at any byte offset.
    const data = new Float32Array(new Uint8Array(bytes).buffer);
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`${file}: ${data.length} floats, reference.json says [${shape.join(', ')}]`);
    arrays.set(name, { shape, data });
  }
  return { dir, label: meta.label, ids: meta.ids, positions: meta.positions, config: meta.config, arrays };
}

export function array(ref: Reference, name: string): Float32Array {
  const a = ref.arrays.get(name);
  if (!a) throw new Error(`${ref.dir}: reference has no array "${name}"`);
  return a.data;
}

/** A tokenizer for id-only fixtures: every id shows as "#id"; text cannot be encoded. */
function idTokenizer(vocabSize: number): Tokenizer {
  return {
    vocabSize,
    encode: () => {
      throw new Error('this fixture has no tokenizer; drive it with token ids');
    },
    decode: (ids) => ids.map((id) => `#${id}`).join(''),
    bytesOf: (id) => new TextEncoder().encode(`#${id}`),
    tokenText: (id) => `#${id}`,
  };
}

/** A Checkpoint from a folder's config.json and model.safetensors alone (canonical names, tied lm_head dropped). */
export function checkpointWithoutTokenizer(dir: string): Checkpoint {
  const configFile = path.join(dir, 'config.json');
  const config = parseModelConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile);
  const modelFile = path.join(dir, 'model.safetensors');
  const weights: Weights = new Map();
  for (const [key, t] of readSafetensors(readFileSync(modelFile), modelFile)) {
    weights.set(key.replace(/^transformer\./, ''), t);
  }
  return { name: path.basename(dir), path: dir, bundled: false, config, weights, tokenizer: idTokenizer(config.vocab_size) };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function exists(p: string): boolean {
  return existsSync(p);
}

/** Largest |a - b| over two equally long arrays. */
/** Index of the largest value (the first on ties): the greedy choice, written here apart from the code under test. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`comparing arrays of ${a.length} and ${b.length} values`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as the maximum
  }
  return m;
}
