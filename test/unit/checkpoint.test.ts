import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import type { HostTensor } from '../../src/engine/types';
import { writeSafetensors } from '../../src/engine/safetensors';
import { fakeGpt2Dir, repoRoot } from './repo-root';
import { TINY_VOCAB_SIZE, tempDir, tinyConfig, tinyTensors, writeTinyCheckpoint } from './tiny-checkpoint';

const dirs: string[] = [];
function fresh(tag: string): string {
  const d = tempDir(tag);
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
}

describe('checkpoint loader', function () {
  // Each test takes well under a second of CPU; the limit is for a shared, overloaded machine.
  this.timeout(120_000);
  it('loads the real save_pretrained output in ../shared/fixtures/fake_gpt2', async function () {
    const dir = fakeGpt2Dir();
    if (!dir) {
      console.log('    skipped: ../shared/fixtures/fake_gpt2 is absent');
      this.skip();
    }
    const ck = await loadCheckpoint(dir);
    // Values from the fixture's config.json (n_inner null -> 4 * n_embd).
    assert.deepEqual(ck.config, {
      n_layer: 1, n_head: 1, n_embd: 2, n_positions: 1024, vocab_size: 50257, n_inner: 8,
      layer_norm_epsilon: 1e-5, activation_function: 'gelu_new',
    });
    assert.equal(ck.bundled, false);
    assert.equal(ck.name, 'fake_gpt2');
    assert.equal(ck.path, dir);
    // Canonical names, no prefix, no lm_head (tied: save_pretrained omits it).
    assert.deepEqual([...ck.weights.keys()].sort(), [
      'h.0.attn.c_attn.bias', 'h.0.attn.c_attn.weight', 'h.0.attn.c_proj.bias', 'h.0.attn.c_proj.weight',
      'h.0.ln_1.bias', 'h.0.ln_1.weight', 'h.0.ln_2.bias', 'h.0.ln_2.weight',
      'h.0.mlp.c_fc.bias', 'h.0.mlp.c_fc.weight', 'h.0.mlp.c_proj.bias', 'h.0.mlp.c_proj.weight',
      'ln_f.bias', 'ln_f.weight', 'wpe.weight', 'wte.weight',
    ]);
    const shape = (k: string) => ck.weights.get(k)?.shape;
    assert.deepEqual(shape('wte.weight'), [50257, 2]);
    assert.deepEqual(shape('wpe.weight'), [1024, 2]);
    assert.deepEqual(shape('h.0.attn.c_attn.weight'), [2, 6]); // Conv1D: [in, out]
    assert.deepEqual(shape('h.0.mlp.c_fc.weight'), [2, 8]);
    assert.deepEqual(shape('h.0.mlp.c_proj.weight'), [8, 2]);
    // A value numpy reads from the same file: wpe[1023] = [0.00081842, 0.0028202].
    const wpe = ck.weights.get('wpe.weight') as HostTensor;
    assert.ok(Math.abs(wpe.data[2046] - 0.00081842) < 1e-8 && Math.abs(wpe.data[2047] - 0.0028202) < 1e-8);
    assert.deepEqual(ck.tokenizer.encode('Hello, World!').map((t) => t.id), [15496, 11, 2159, 0]);
    assert.equal(ck.trainingLog, undefined);
  });

  it('loads the bundled model (media/models/xray-mini) strictly, with its training log and clip norm', async function () {
    const dir = path.join(repoRoot(), 'media', 'models', 'xray-mini');
    if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
      console.log('    skipped: the bundled model is not exported yet');
      this.skip();
    }
    const ck = await loadCheckpoint(dir, { bundled: true });
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, number>;
    assert.equal(ck.bundled, true);
    for (const k of ['n_layer', 'n_head', 'n_embd', 'n_positions', 'vocab_size'] as const) assert.equal(ck.config[k], raw[k], k);
    assert.equal(ck.weights.get('wte.weight')?.shape.join(), `${raw.vocab_size},${raw.n_embd}`);
    assert.ok(ck.tokenizer.vocabSize <= raw.vocab_size);
    const csvLines = fs.readFileSync(path.join(dir, 'train_log.csv'), 'utf8').trim().split('\n');
    assert.equal(ck.trainingLog?.rows.length, csvLines.length - 1);
    assert.equal(ck.trainingLog?.rows[0].step, Number(csvLines[1].split(',')[0]));
    assert.equal(ck.trainingLog?.clipNorm, raw.xray_clip_norm);
    const headsLines = fs.readFileSync(path.join(dir, 'heads_log.csv'), 'utf8').trim().split('\n');
    assert.equal(ck.trainingLog?.heads?.length, headsLines.length - 1);
    assert.equal(ck.trainingLog?.heads?.at(-1)?.step, Number(headsLines.at(-1)!.split(',')[0]));
  });

  it('loads keys with and without the "transformer." prefix to the same canonical weights', async () => {
    const a = fresh('ck');
    const b = fresh('ck');
    const written = writeTinyCheckpoint(a, { prefix: true, seed: 3 });
    writeTinyCheckpoint(b, { prefix: false, seed: 3 });
    const [ca, cb] = [await loadCheckpoint(a, { bundled: true }), await loadCheckpoint(b)];
    assert.equal(ca.bundled, true);
    assert.deepEqual([...ca.weights.keys()].sort(), [...written.keys()].sort());
    for (const [k, t] of written) {
      assert.deepEqual(ca.weights.get(k)?.shape, t.shape);
      assert.deepEqual(ca.weights.get(k)?.data, t.data);
      assert.deepEqual(cb.weights.get(k)?.data, t.data);
    }
    assert.equal(ca.config.n_layer, 2);
    assert.equal(ca.config.n_inner, 32);
    assert.equal(ca.tokenizer.vocabSize, TINY_VOCAB_SIZE);
  });

  it('widens F16 and BF16 files to float32', async () => {
    const d = fresh('ck');
    const written = writeTinyCheckpoint(d, { dtype: 'F16', seed: 4 });
    const ck = await loadCheckpoint(d);
    const w = written.get('h.1.mlp.c_fc.weight') as HostTensor;
    const got = ck.weights.get('h.1.mlp.c_fc.weight') as HostTensor;
    for (let i = 0; i < w.data.length; i++) {
      // |x| < 0.1: half precision keeps 11 significant bits, so the error is below 2^-14 absolute.
      assert.ok(Math.abs(got.data[i] - w.data[i]) <= 2 ** -14, `F16 element ${i}`);
    }
    // BF16: write by hand (bits = top 16 bits of float32, truncated), then expect exactly those values.
    const bf = fresh('ck');
    writeTinyCheckpoint(bf, { seed: 5 });
    const tensors = tinyTensors({ seed: 5 });
    const header: Record<string, unknown> = {};
    const chunks: Uint8Array[] = [];
    let off = 0;
    const expected = new Map<string, Float32Array>();
    for (const [k, t] of tensors) {
      const bits = new Uint32Array(Float32Array.from(t.data).buffer);
      const halves = Uint16Array.from(bits, (b) => b >>> 16);
      expected.set(k, new Float32Array(Uint32Array.from(halves, (h) => h << 16).buffer));
      header[k] = { dtype: 'BF16', shape: t.shape, data_offsets: [off, off + halves.byteLength] };
      chunks.push(new Uint8Array(halves.buffer));
      off += halves.byteLength;
    }
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeUInt32LE(h.length, 0);
    fs.writeFileSync(path.join(bf, 'model.safetensors'), Buffer.concat([len, h, ...chunks]));
    const ckb = await loadCheckpoint(bf);
    for (const [k, v] of expected) assert.deepEqual(ckb.weights.get(k)?.data, v, k);
  });

  it('drops lm_head when absent or equal to wte, keeps it when it differs', async () => {
    for (const [mode, kept] of [['absent', false], ['equal', false], ['different', true]] as const) {
      const d = fresh('ck');
      const written = writeTinyCheckpoint(d, { lmHead: mode, prefix: true, seed: 6 });
      const ck = await loadCheckpoint(d);
      assert.equal(ck.weights.has('lm_head.weight'), kept, mode);
      if (kept) assert.deepEqual(ck.weights.get('lm_head.weight')?.data, written.get('lm_head.weight')?.data);
    }
  });

  it('takes lm_head as the tied embedding when a file stores only lm_head.weight', async () => {
    const d = fresh('ck');
    const written = writeTinyCheckpoint(d, { lmHead: 'equal', seed: 8 });
    const stored = new Map(written);
    stored.delete('wte.weight');
    fs.writeFileSync(path.join(d, 'model.safetensors'), writeSafetensors(stored));
    const ck = await loadCheckpoint(d);
    assert.equal(ck.weights.has('lm_head.weight'), false);
    assert.deepEqual(ck.weights.get('wte.weight')?.data, written.get('wte.weight')?.data);
  });

  it('ignores the attention mask buffers of old checkpoints', async () => {
    const d = fresh('ck');
    writeTinyCheckpoint(d, { maskBuffers: true, prefix: true });
    const ck = await loadCheckpoint(d);
    assert.ok(![...ck.weights.keys()].some((k) => /\.attn\.(bias|masked_bias)$/.test(k)));
    assert.equal(ck.weights.size, 4 + 2 * 12);
  });

  it('reads n_ctx when n_positions is absent, explicit n_inner, and every supported activation', async () => {
    const d = fresh('ck');
    writeTinyCheckpoint(d);
    for (const act of ['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'relu']) {
      editConfig(d, (c) => {
        delete c.n_positions;
        c.n_ctx = 16;
        c.n_inner = 32;
        c.activation_function = act;
      });
      const ck = await loadCheckpoint(d);
      assert.equal(ck.config.n_positions, 16);
      assert.equal(ck.config.n_inner, 32);
      assert.equal(ck.config.activation_function, act);
    }
  });

  it('accepts a tokenizer smaller than wte (padded vocabulary)', async () => {
    const d = fresh('ck');
    writeTinyCheckpoint(d, { vocabRows: TINY_VOCAB_SIZE + 10 });
    const ck = await loadCheckpoint(d);
    assert.equal(ck.config.vocab_size, TINY_VOCAB_SIZE + 10);
    assert.equal(ck.tokenizer.vocabSize, TINY_VOCAB_SIZE);
  });

  it('reads train_log.csv (empty val_loss -> NaN) with the clip norm from train_meta.json or config.json', async () => {
    const d = fresh('ck');
    writeTinyCheckpoint(d);
    fs.writeFileSync(
      path.join(d, 'train_log.csv'),
      'step,tokens,train_loss,val_loss,grad_norm,clipped,lr,tokens_per_s\n1,4096,8.31,,2.5,1,0.0003,12000\n2,8192,7.9,7.95,0.8,0,0.0006,12500\n',
    );
    fs.writeFileSync(path.join(d, 'train_meta.json'), JSON.stringify({ clip_norm: 1.0, args: {} }));
    let ck = await loadCheckpoint(d);
    assert.equal(ck.trainingLog?.clipNorm, 1.0);
    assert.deepEqual(ck.trainingLog?.rows, [
      { step: 1, tokens: 4096, trainLoss: 8.31, valLoss: NaN, gradNorm: 2.5, clipped: true, lr: 0.0003, tokensPerSecond: 12000 },
      { step: 2, tokens: 8192, trainLoss: 7.9, valLoss: 7.95, gradNorm: 0.8, clipped: false, lr: 0.0006, tokensPerSecond: 12500 },
    ]);
    fs.rmSync(path.join(d, 'train_meta.json'));
    editConfig(d, (c) => (c.xray_clip_norm = 0.5));
    ck = await loadCheckpoint(d);
    assert.equal(ck.trainingLog?.clipNorm, 0.5);
    // Another tool's log (not our columns) is skipped for a person's model, refused for the bundled one.
    fs.writeFileSync(path.join(d, 'train_log.csv'), 'step,tokens\n1,2\n');
    assert.equal((await loadCheckpoint(d)).trainingLog, undefined);
    await assert.rejects(loadCheckpoint(d, { bundled: true }), /train_log\.csv: header lacks column "train_loss"/);
    // Our header with a broken row is refused either way.
    fs.writeFileSync(path.join(d, 'train_log.csv'), 'step,tokens,train_loss,val_loss,grad_norm,clipped,lr,tokens_per_s\n1,2,x,,1,0,1,1\n');
    await assert.rejects(loadCheckpoint(d), /train_log\.csv: line 2 column "train_loss" is "x", not a number/);
  });

  it('refuses a pickle-only folder, saying why and how to convert', async () => {
    const d = fresh('ck');
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(tinyConfig()));
    fs.writeFileSync(path.join(d, 'pytorch_model.bin'), 'not really a pickle');
    await assert.rejects(loadCheckpoint(d), (e: unknown) => {
      assert.ok(e instanceof Error && !e.message.includes('\n'));
      assert.match(e.message, /model\.safetensors: missing, and pytorch_model\.bin is not loaded: pickle files run code when loaded/);
      assert.match(e.message, /GPT2LMHeadModel\.from_pretrained\(.*\)\.save_pretrained\("OUT_DIR", safe_serialization=True\)/);
      return true;
    });
  });
});
