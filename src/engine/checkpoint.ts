/**
 * Load a Hugging Face GPT-2-family folder (config.json, model.safetensors, tokenizer, optional train_log.csv) into a
 * Checkpoint, checking everything: each failure is an Error with one line naming the file and the fault.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Checkpoint, HostTensor, Weights } from './types';
import { readSafetensorsFile } from './safetensors';
import { loadTokenizerFromFolder, readJsonFile } from './tokenizer';
import { expectedShapes, parseModelConfig } from './model-config';
import { readTrainingLog } from './training-log';

const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt'];

export async function loadCheckpoint(dir: string, opts: { bundled?: boolean } = {}): Promise<Checkpoint> {
  const root = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new Error(`${root}: model folder does not exist`);
  }
  if (!stat.isDirectory()) throw new Error(`${root}: is not a folder (expected a model folder with config.json and model.safetensors)`);

  const configFile = path.join(root, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${configFile}: missing (a GPT-2 model folder needs config.json)`);
  const rawConfig = readJsonFile(configFile);
  const config = parseModelConfig(rawConfig, configFile);

  const modelFile = path.join(root, 'model.safetensors');
  if (!fs.existsSync(modelFile)) throw new Error(missingModelMessage(root, modelFile));
  const weights = canonicalWeights(readSafetensorsFile(modelFile), modelFile);
  checkWeights(weights, expectedShapes(config), modelFile);

  const tokenizer = loadTokenizerFromFolder(root);
  if (tokenizer.vocabSize > config.vocab_size) {
    // Smaller is fine: GPT-2-family checkpoints often pad wte to a round row count.
    const tokFile = fs.existsSync(path.join(root, 'tokenizer.json')) ? 'tokenizer.json' : 'vocab.json';
    throw new Error(
      `${path.join(root, tokFile)}: tokenizer has ${tokenizer.vocabSize} tokens but wte in model.safetensors has only ${config.vocab_size} rows (config.json vocab_size)`,
    );
  }
  const trainingLog = readTrainingLog(root, rawConfig as Record<string, unknown>, opts.bundled ?? false);
  return {
    name: path.basename(root),
    path: root,
    bundled: opts.bundled ?? false,
    config,
    weights,
    tokenizer,
    ...(trainingLog ? { trainingLog } : {}),
  };
}

function missingModelMessage(root: string, modelFile: string): string {
  let pickles: string[] = [];
  try {
    pickles = fs.readdirSync(root).filter((f) => PICKLE_EXTENSIONS.includes(path.extname(f).toLowerCase()));
  } catch {
    // unreadable folder: report the missing model file below
  }
  if (fs.existsSync(path.join(root, 'model.safetensors.index.json'))) {
    return `${modelFile}: missing; sharded safetensors (model.safetensors.index.json) are not supported, save the model as one file`;
  }
  if (pickles.length === 0) return `${modelFile}: missing (a GPT-2 model folder needs model.safetensors)`;
  return (
    `${modelFile}: missing, and ${pickles.join(', ')} is not loaded: pickle files run code when loaded. ` +
    `Convert it once in Python: from transformers import GPT2LMHeadModel; ` +
    `GPT2LMHeadModel.from_pretrained("${root}").save_pretrained("OUT_DIR", safe_serialization=True)`
  );
}

/** Strip "transformer.", drop attention mask buffers, and drop lm_head when it is tied to (equal to) wte. */
function canonicalWeights(raw: Map<string, HostTensor>, file: string): Weights {
  const out: Weights = new Map();
  let lmHead: HostTensor | undefined;
  for (const [key, t] of raw) {
    const name = key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) continue; // causal-mask buffers of older checkpoints
    if (name === 'lm_head.weight') {
      lmHead = t;
      continue;
    }
    if (out.has(name)) throw new Error(`${file}: tensor "${name}" appears both with and without the "transformer." prefix`);
    out.set(name, t);
  }
  if (lmHead) {
    const wte = out.get('wte.weight');
    // Some exporters keep only one copy of tied weights, under lm_head: it is then the token embedding too.
    if (!wte) out.set('wte.weight', lmHead);
    else if (!sameTensor(lmHead, wte)) out.set('lm_head.weight', lmHead);
  }
  return out;
}

function sameTensor(a: HostTensor, b: HostTensor): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

function checkWeights(weights: Weights, expected: Map<string, number[]>, file: string): void {
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) throw new Error(`${file}: missing tensor "${name}" (expected shape [${shape.join(', ')}] from config.json)`);
    checkShape(name, t, shape, file);
  }
  for (const [name, t] of weights) {
    if (name === 'lm_head.weight') {
      checkShape(name, t, expected.get('wte.weight') as number[], file);
    } else if (!expected.has(name)) {
      throw new Error(`${file}: unexpected tensor "${name}" (not part of a GPT-2 model with this config.json)`);
    }
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`${file}: tensor "${name}" holds ${data[i]} at flat index ${i}; weights must be finite`);
      }
    }
  }
}

function checkShape(name: string, t: HostTensor, shape: number[], file: string): void {
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${file}: tensor "${name}" has shape [${t.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
  }
}
