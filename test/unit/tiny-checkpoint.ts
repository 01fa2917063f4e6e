/**
 * Writes small, valid GPT-2-family folders (config.json, model.safetensors, tokenizer.json) with seeded random
 * weights, for loader tests and the bad-checkpoint fuzz test. The tokenizer is a real byte-level BPE: the 256 byte
 * symbols, a few merges and <|endoftext|>.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostTensor } from '../../src/engine/types';
import { writeSafetensors } from '../../src/engine/safetensors';
import { BYTE_TO_CHAR } from '../../src/engine/byte-level';
import { mulberry32 } from '../../src/engine/sampling';

export interface TinyOptions {
  n_layer?: number;
  n_head?: number;
  n_embd?: number;
  n_positions?: number;
  /** wte rows; defaults to the tokenizer's size (262). */
  vocabRows?: number;
  /** Store keys as "transformer.h.0..." (save_pretrained's layout) instead of "h.0...". */
  prefix?: boolean;
  dtype?: 'F32' | 'F16';
  lmHead?: 'absent' | 'equal' | 'different';
  /** Add GPT-2's old causal-mask buffers h.N.attn.bias / masked_bias. */
  maskBuffers?: boolean;
  seed?: number;
}

export const TINY_MERGES: Array<[string, string]> = [
  ['Ġ', 't'],
  ['h', 'e'],
  ['Ġt', 'he'],
  ['i', 'n'],
  ['Ġ', 'a'],
];
export const TINY_VOCAB_SIZE = 256 + TINY_MERGES.length + 1;

export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
  TINY_MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  vocab['<|endoftext|>'] = TINY_VOCAB_SIZE - 1;
  return {
    version: '1.0',
    added_tokens: [{ id: TINY_VOCAB_SIZE - 1, content: '<|endoftext|>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, vocab, merges: TINY_MERGES.map(([a, b]) => `${a} ${b}`) },
  };
}

/** Deterministic PRNG (the engine's mulberry32) so every failing case can be replayed from its seed. */
export const prng = mulberry32;

export function tinyConfig(o: TinyOptions = {}): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: o.n_layer ?? 2,
    n_head: o.n_head ?? 2,
    n_embd: o.n_embd ?? 8,
    n_positions: o.n_positions ?? 16,
    n_inner: null,
    vocab_size: o.vocabRows ?? TINY_VOCAB_SIZE,
    layer_norm_epsilon: 1e-5,
  };
}

/** Canonical-named random tensors for a config (plus lm_head / mask buffers when asked). */
export function tinyTensors(o: TinyOptions = {}): Map<string, HostTensor> {
  const cfg = tinyConfig(o) as { n_layer: number; n_embd: number; n_positions: number; vocab_size: number };
  const rand = prng(o.seed ?? 1);
  const d = cfg.n_embd;
  const t = (shape: number[]): HostTensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (rand() - 0.5) * 0.2;
    return { shape, data };
  };
  const m = new Map<string, HostTensor>();
  m.set('wte.weight', t([cfg.vocab_size, d]));
  m.set('wpe.weight', t([cfg.n_positions, d]));
  for (let i = 0; i < cfg.n_layer; i++) {
    const h = `h.${i}.`;
    m.set(h + 'ln_1.weight', t([d]));
    m.set(h + 'ln_1.bias', t([d]));
    m.set(h + 'attn.c_attn.weight', t([d, 3 * d]));
    m.set(h + 'attn.c_attn.bias', t([3 * d]));
    m.set(h + 'attn.c_proj.weight', t([d, d]));
    m.set(h + 'attn.c_proj.bias', t([d]));
    m.set(h + 'ln_2.weight', t([d]));
    m.set(h + 'ln_2.bias', t([d]));
    m.set(h + 'mlp.c_fc.weight', t([d, 4 * d]));
    m.set(h + 'mlp.c_fc.bias', t([4 * d]));
    m.set(h + 'mlp.c_proj.weight', t([4 * d, d]));
    m.set(h + 'mlp.c_proj.bias', t([d]));
    if (o.maskBuffers) {
      m.set(h + 'attn.bias', t([1, 1, cfg.n_positions, cfg.n_positions]));
      m.set(h + 'attn.masked_bias', t([]));
    }
  }
  m.set('ln_f.weight', t([d]));
  m.set('ln_f.bias', t([d]));
  const wte = m.get('wte.weight') as HostTensor;
  if (o.lmHead === 'equal') m.set('lm_head.weight', { shape: wte.shape.slice(), data: wte.data.slice() });
  if (o.lmHead === 'different') m.set('lm_head.weight', t(wte.shape.slice()));
  return m;
}

/** Write a complete tiny model folder into `dir` (created if needed); returns the canonical tensors written. */
export function writeTinyCheckpoint(dir: string, o: TinyOptions = {}): Map<string, HostTensor> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = tinyTensors(o);
  const stored = new Map<string, HostTensor>();
  for (const [k, v] of tensors) stored.set(o.prefix && k !== 'lm_head.weight' ? `transformer.${k}` : k, v);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyConfig(o), null, 2));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(stored, o.dtype ?? 'F32'));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  return tensors;
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gpt-xray-${tag}-`));
}
