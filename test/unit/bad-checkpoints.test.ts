/**
 * Bad checkpoints: each named fault gives one Error line naming the file; then a seeded fuzz of >= 200 mutations of a
 * small valid folder, where every load either succeeds only when the mutation left the model intact (or changed a
 * free setting), or fails with such an Error: never a crash, a hang, or unbounded memory.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import type { Checkpoint } from '../../src/engine/types';
import { prng, tempDir, tinyTokenizerJson, writeTinyCheckpoint } from './tiny-checkpoint';

const TRAIN_LOG = 'step,tokens,train_loss,val_loss,grad_norm,clipped,lr,tokens_per_s\n1,512,5.5,,1.5,1,0.001,900\n2,1024,5.1,5.2,0.7,0,0.001,950\n';
const SAMPLE = ' the in a Hello, 世界! 🌍\n\tx';

function writeBase(dir: string): void {
  writeTinyCheckpoint(dir, { prefix: true, seed: 42 });
  // GPT-2's original tokenizer files too: used when a mutation removes tokenizer.json.
  const model = tinyTokenizerJson().model as { vocab: Record<string, number>; merges: string[] };
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(model.vocab));
  fs.writeFileSync(path.join(dir, 'merges.txt'), ['#version: 0.2', ...model.merges, ''].join('\n'));
  fs.writeFileSync(path.join(dir, 'train_log.csv'), TRAIN_LOG);
  fs.writeFileSync(path.join(dir, 'train_meta.json'), JSON.stringify({ clip_norm: 1.0 }));
}

/** Read model.safetensors as (header object, data bytes). */
function readParts(dir: string): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Buffer } {
  const b = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const n = b.readUInt32LE(0);
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}

function writeParts(dir: string, header: unknown, data: Buffer): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeUInt32LE(h.length, 0);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([len, h, data]));
}

function editJson(file: string, edit: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

/** Expect a one-line Error whose message names `file` and matches `fault`. */
async function expectFault(dir: string, file: RegExp, fault: RegExp): Promise<void> {
  await assert.rejects(loadCheckpoint(dir), (e: unknown) => {
    assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), `not one line: ${e.message}`);
    assert.match(e.message, file);
    assert.match(e.message, fault);
    return true;
  });
}

describe('bad checkpoints', function () {
  this.timeout(60_000);
  let base: string;
  let work: string;
  let n = 0;
  const fresh = (): string => {
    const d = path.join(work, `case-${n++}`);
    fs.cpSync(base, d, { recursive: true });
    return d;
  };
  before(() => {
    base = tempDir('bad-base');
    work = tempDir('bad-work');
    writeBase(base);
  });
  after(() => {
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  describe('each fault names the file', () => {
    it('base folder loads', async () => {
      const ck = await loadCheckpoint(fresh());
      assert.equal(ck.trainingLog?.rows.length, 2);
    });
    it('missing folder / config.json / model.safetensors / tokenizer', async () => {
      await expectFault(path.join(work, 'nope'), /nope/, /model folder does not exist/);
      for (const [file, fault] of [
        ['config.json', /config\.json: missing/],
        ['model.safetensors', /model\.safetensors: missing/],
        ['tokenizer.json', /no tokenizer found/],
      ] as const) {
        const d = fresh();
        fs.rmSync(path.join(d, file));
        if (file === 'tokenizer.json') ['vocab.json', 'merges.txt'].forEach((f) => fs.rmSync(path.join(d, f)));
        await expectFault(d, file === 'tokenizer.json' ? /tokenizer/ : new RegExp(file.replace('.', '\\.')), fault);
      }
    });
    it('unreadable JSON in config.json and tokenizer.json', async () => {
      let d = fresh();
      fs.writeFileSync(path.join(d, 'config.json'), '{"n_layer": 2,');
      await expectFault(d, /config\.json/, /not valid JSON/);
      d = fresh();
      fs.writeFileSync(path.join(d, 'tokenizer.json'), '\u0000\u0001');
      await expectFault(d, /tokenizer\.json/, /not valid JSON/);
    });
    it('config fields missing or out of range', async () => {
      const cases: Array<[(c: Record<string, unknown>) => void, RegExp]> = [
        [(c) => delete c.n_head, /field "n_head" is missing/],
        [(c) => (c.n_layer = 0), /field "n_layer" is 0, expected an integer in \[1, /],
        [(c) => (c.n_embd = 7.5), /field "n_embd" is 7\.5/],
        [(c) => (c.n_head = 3), /n_embd 8 is not divisible by n_head 3/],
        [(c) => (c.vocab_size = '262'), /field "vocab_size" is "262"/],
        [(c) => (c.layer_norm_epsilon = -1), /layer_norm_epsilon" is -1/],
        [(c) => (c.activation_function = 'swish'), /activation_function "swish" is not supported/],
        [(c) => (c.model_type = 'llama'), /model_type "llama" is not supported/],
        [(c) => (c.n_positions = 1e12), /field "n_positions" is 1000000000000/],
      ];
      for (const [edit, fault] of cases) {
        const d = fresh();
        editJson(path.join(d, 'config.json'), edit);
        await expectFault(d, /config\.json/, fault);
      }
    });
    it('safetensors header length beyond the file, header not JSON', async () => {
      let d = fresh();
      const f = path.join(d, 'model.safetensors');
      const b = fs.readFileSync(f);
      b.writeUInt32LE(b.length, 0);
      fs.writeFileSync(f, b);
      await expectFault(d, /model\.safetensors/, /header length \d+ is beyond the file/);
      d = fresh();
      const c = fs.readFileSync(path.join(d, 'model.safetensors'));
      c[8] = 0x5b; // '{' -> '['
      fs.writeFileSync(path.join(d, 'model.safetensors'), c);
      await expectFault(d, /model\.safetensors/, /header is not JSON/);
    });
    it('data offsets outside the file or overlapping; unsupported dtype; wrong shape; missing and unexpected tensors', async () => {
      const cases: Array<[(h: ReturnType<typeof readParts>['header']) => void, RegExp]> = [
        [(h) => (h['transformer.ln_f.bias'].data_offsets = [0, 1e9]), /"transformer\.ln_f\.bias" has data_offsets \[0, 1000000000\] outside/],
        [(h) => (h['transformer.ln_f.bias'].data_offsets = [0, 32]), /overlap/],
        [(h) => (h['transformer.wpe.weight'].dtype = 'F64'), /unsupported dtype "F64"/],
        [(h) => (h['transformer.wpe.weight'].dtype = 'I8'), /unsupported dtype "I8"/],
        [(h) => (h['transformer.wpe.weight'].shape = [8, 16]), /"wpe\.weight" has shape \[8, 16\] but config\.json implies \[16, 8\]/],
        [(h) => (h['transformer.wpe.weight'].shape = [1e6, 1e6]), /declares shape \[1000000, 1000000\]/],
      ];
      for (const [edit, fault] of cases) {
        const d = fresh();
        const { header, data } = readParts(d);
        edit(header);
        writeParts(d, header, data);
        await expectFault(d, /model\.safetensors/, fault);
      }
      let d = fresh();
      const { header, data } = readParts(d);
      header['transformer.h.9.ln_1.weight'] = { dtype: 'F32', shape: [8], data_offsets: [data.length, data.length + 32] };
      writeParts(d, header, Buffer.concat([data, Buffer.alloc(32)]));
      await expectFault(d, /model\.safetensors/, /unexpected tensor "h\.9\.ln_1\.weight"/);
      d = fresh();
      editJson(path.join(d, 'config.json'), (c) => (c.n_layer = 3));
      await expectFault(d, /model\.safetensors.*config\.json/, /missing tensor "h\.2\.ln_1\.weight"/);
    });
    it('NaN or infinite weights', async () => {
      for (const bits of [0x7fc00000, 0xff800000, 0x7f800000]) {
        const d = fresh();
        const { header, data } = readParts(d);
        const [begin] = header['transformer.h.1.mlp.c_fc.weight'].data_offsets;
        data.writeUInt32LE(bits, begin + 4 * 5);
        writeParts(d, header, data);
        await expectFault(d, /model\.safetensors/, /tensor "h\.1\.mlp\.c_fc\.weight" holds (NaN|-?Infinity) at flat index 5; weights must be finite/);
      }
    });
    it('a tokenizer vocabulary larger than wte', async () => {
      const d = path.join(work, `case-${n++}`);
      writeTinyCheckpoint(d, { vocabRows: 200 });
      await expectFault(d, /tokenizer\.json/, /tokenizer has 262 tokens but wte in model\.safetensors has only 200 rows/);
    });
    it('a broken heads_log.csv names the file, line and column; another tool\'s heads_log.csv is skipped', async () => {
      const header = 'step,tokens,best_induction,best_previous_token,repeated_half_loss\n';
      const d = fresh();
      fs.writeFileSync(path.join(d, 'heads_log.csv'), `${header}100,409600,0.007,0.021,8.8\n200,819200,0.5,x,2.0\n`);
      await expectFault(d, /heads_log\.csv/, /line 3 column "best_previous_token" is "x", not a number/);
      const ok = fresh();
      fs.writeFileSync(path.join(ok, 'heads_log.csv'), `${header}100,409600,0.007,0.021,8.8\n`);
      assert.deepEqual((await loadCheckpoint(ok)).trainingLog?.heads,
        [{ step: 100, tokens: 409600, bestInduction: 0.007, bestPreviousToken: 0.021, repeatedHalfLoss: 8.8 }]);
      const other = fresh();
      fs.writeFileSync(path.join(other, 'heads_log.csv'), 'epoch,head,score\n1,2,3\n');
      assert.equal((await loadCheckpoint(other)).trainingLog?.heads, undefined);
    });
    it('a broken train_log.csv', async () => {
      const d = fresh();
      fs.writeFileSync(path.join(d, 'train_log.csv'), TRAIN_LOG.replace('5.5', 'five'));
      await expectFault(d, /train_log\.csv/, /line 2 column "train_loss" is "five", not a number/);
    });
  });

  it('survives >= 200 seeded mutations: harmless ones load intact, the rest fail with one line naming the file', async function () {
    // About 2 s of CPU; the generous limit is for a shared, overloaded machine.
    this.timeout(180_000);
    const baseCk = await loadCheckpoint(base);
    const baseIds = baseCk.tokenizer.encode(SAMPLE).map((t) => t.id);
    const rand = prng(20261129);
    const int = (k: number) => Math.floor(rand() * k);
    const pick = <T>(a: readonly T[]): T => a[int(a.length)];
    const st = (d: string) => path.join(d, 'model.safetensors');
    const baseHeaderLen = fs.readFileSync(st(base)).readUInt32LE(0);
    const baseSize = fs.statSync(st(base)).size;

    interface Mutation {
      what: string;
      /** The file an error must name. */
      file: RegExp;
      apply(dir: string): void;
      /** For data bit flips: the canonical tensor and flat index that changed, and its new value. */
      changed?: { name: string; index: number; value: number };
    }
    const flipBit = (file: string, pos: number, bit: number) => {
      const b = fs.readFileSync(file);
      b[pos] ^= 1 << bit;
      fs.writeFileSync(file, b);
    };
    const tensorAt = (dataPos: number) => {
      const { header } = readParts(base);
      for (const [k, e] of Object.entries(header)) {
        if (k === '__metadata__') continue;
        const [a, z] = e.data_offsets;
        if (dataPos >= a && dataPos < z) return { name: k.replace(/^transformer\./, ''), index: Math.floor((dataPos - a) / 4), elemStart: a + 4 * Math.floor((dataPos - a) / 4) };
      }
      throw new Error(`no tensor at data byte ${dataPos}`);
    };
    const CONFIG_FIELDS = ['n_layer', 'n_head', 'n_embd', 'n_positions', 'n_ctx', 'vocab_size', 'n_inner', 'layer_norm_epsilon', 'activation_function', 'model_type', 'scale_attn_weights'];
    const CONFIG_VALUES: unknown[] = [undefined, 0, -1, 1, 2, 3, 4, 8, 16, 32, 262, 1.5, 1e12, '8', null, true, false, [], {}, 1e-3, 'gelu', 'swish', 'gpt2', 'bert', NaN];

    const mutations: Mutation[] = [];
    const add = (count: number, make: () => Mutation) => {
      for (let i = 0; i < count; i++) mutations.push(make());
    };
    // Bit flips in the weight data: harmless exactly when the flipped float is still finite.
    add(60, () => {
      const dataPos = int(baseSize - 8 - baseHeaderLen);
      const bit = int(8);
      const t = tensorAt(dataPos);
      const raw = readParts(base).data;
      const word = Buffer.from(raw.subarray(t.elemStart, t.elemStart + 4));
      word[dataPos - t.elemStart] ^= 1 << bit;
      return {
        what: `flip bit ${bit} of data byte ${dataPos}`,
        file: /model\.safetensors/,
        apply: (d) => flipBit(st(d), 8 + baseHeaderLen + dataPos, bit),
        changed: { name: t.name, index: t.index, value: word.readFloatLE(0) },
      };
    });
    // Bit flips in the length field and the JSON header.
    add(45, () => {
      const pos = rand() < 0.2 ? int(8) : 8 + int(baseHeaderLen);
      const bit = int(8);
      return { what: `flip bit ${bit} of header byte ${pos}`, file: /model\.safetensors/, apply: (d) => flipBit(st(d), pos, bit) };
    });
    // Truncations anywhere, and trailing garbage.
    add(20, () => {
      const len = pick([0, 1, 7, 8, 9, 8 + int(baseHeaderLen), 8 + baseHeaderLen + int(baseSize - 8 - baseHeaderLen), baseSize - 1]);
      return { what: `truncate model.safetensors to ${len} bytes`, file: /model\.safetensors/, apply: (d) => fs.truncateSync(st(d), len) };
    });
    add(5, () => {
      const extra = 1 + int(64);
      return { what: `append ${extra} bytes`, file: /model\.safetensors/, apply: (d) => fs.appendFileSync(st(d), Buffer.alloc(extra, 0x41)) };
    });
    // Structured header edits.
    add(30, () => {
      const keys = Object.keys(readParts(base).header).filter((k) => k !== '__metadata__');
      const key = pick(keys);
      const kind = int(7);
      return {
        what: `header edit ${kind} on ${key}`,
        file: /model\.safetensors/,
        apply: (d) => {
          const { header, data } = readParts(d);
          const e = header[key];
          if (kind === 0) e.dtype = pick(['F64', 'I32', 'U8', 'BOOL', 'F8_E4M3', 'f32', '']);
          else if (kind === 1) e.shape = e.shape.map((s) => s + pick([-1, 1, 1e9]));
          else if (kind === 2) e.data_offsets = [e.data_offsets[0] + pick([-4, 4, 1]), e.data_offsets[1]];
          else if (kind === 3) e.data_offsets = [e.data_offsets[0], e.data_offsets[1] + pick([-4, 4, 2 ** 40])];
          else if (kind === 4) delete header[key];
          else if (kind === 5) (header as Record<string, unknown>)[key] = pick([null, 3, 'x', [], { dtype: 'F32' }]);
          else header[key.replace(/\d/, '7')] = e;
          writeParts(d, header, data);
        },
      };
    });
    // Weights poisoned with NaN or infinity.
    add(10, () => {
      const dataPos = 4 * int((baseSize - 8 - baseHeaderLen) / 4);
      const bits = pick([0x7fc00000, 0x7f800000, 0xff800000, 0x7f800001]);
      return {
        what: `write ${bits.toString(16)} at data byte ${dataPos}`,
        file: /model\.safetensors/,
        apply: (d) => {
          const b = fs.readFileSync(st(d));
          b.writeUInt32LE(bits, 8 + baseHeaderLen + dataPos);
          fs.writeFileSync(st(d), b);
        },
      };
    });
    // Config edits (a free setting such as layer_norm_epsilon may legitimately load).
    add(40, () => {
      const field = pick(CONFIG_FIELDS);
      const value = pick(CONFIG_VALUES);
      return {
        what: `config ${field} = ${JSON.stringify(value)}`,
        file: /config\.json/,
        apply: (d) =>
          editJson(path.join(d, 'config.json'), (c) => {
            if (value === undefined) delete c[field];
            else c[field] = value;
          }),
      };
    });
    add(5, () => {
      const len = int(fs.statSync(path.join(base, 'config.json')).size);
      return { what: `truncate config.json to ${len}`, file: /config\.json/, apply: (d) => fs.truncateSync(path.join(d, 'config.json'), len) };
    });
    add(15, () => {
      const pos = int(fs.statSync(path.join(base, 'config.json')).size);
      const bit = int(7);
      return { what: `flip bit ${bit} of config.json byte ${pos}`, file: /config\.json/, apply: (d) => flipBit(path.join(d, 'config.json'), pos, bit) };
    });
    // tokenizer.json: bit flips, truncation.
    add(20, () => {
      const size = fs.statSync(path.join(base, 'tokenizer.json')).size;
      if (rand() < 0.25) {
        const len = int(size);
        return { what: `truncate tokenizer.json to ${len}`, file: /tokenizer\.json/, apply: (d) => fs.truncateSync(path.join(d, 'tokenizer.json'), len) };
      }
      const pos = int(size);
      const bit = int(7);
      return { what: `flip bit ${bit} of tokenizer.json byte ${pos}`, file: /tokenizer\.json/, apply: (d) => flipBit(path.join(d, 'tokenizer.json'), pos, bit) };
    });
    // vocab.json + merges.txt (tokenizer.json removed): bit flips and truncation.
    add(20, () => {
      const file = pick(['vocab.json', 'merges.txt']);
      const size = fs.statSync(path.join(base, file)).size;
      const truncate = rand() < 0.25;
      const pos = int(size);
      const bit = int(7);
      return {
        what: truncate ? `truncate ${file} to ${pos}` : `flip bit ${bit} of ${file} byte ${pos}`,
        file: /vocab\.json|merges\.txt/,
        apply: (d) => {
          fs.rmSync(path.join(d, 'tokenizer.json'));
          if (truncate) fs.truncateSync(path.join(d, file), pos);
          else flipBit(path.join(d, file), pos, bit);
        },
      };
    });
    // train_log.csv and train_meta.json damage.
    add(10, () => {
      const pos = int(TRAIN_LOG.length);
      const bit = int(7);
      return { what: `flip bit ${bit} of train_log.csv byte ${pos}`, file: /train_log\.csv/, apply: (d) => flipBit(path.join(d, 'train_log.csv'), pos, bit) };
    });
    add(3, () => ({ what: 'train_meta.json clip_norm -1', file: /train_meta\.json/, apply: (d) => editJson(path.join(d, 'train_meta.json'), (m) => (m.clip_norm = -1)) }));
    // Deleted files.
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      add(2, () => ({ what: `delete ${f}`, file: f === 'tokenizer.json' ? /tokenizer/ : new RegExp(f.replace('.', '\\.')), apply: (d) => fs.rmSync(path.join(d, f)) }));
    }
    assert.ok(mutations.length >= 200, `${mutations.length} mutations`);

    // Settings no weight shape pins down (n_head only splits n_embd): a valid new value loads, the rest must not change.
    const sameModel = (ck: Checkpoint, changed?: Mutation['changed']): string | undefined => {
      const { layer_norm_epsilon: _e1, activation_function: _a1, n_head: _h1, ...fixed } = ck.config;
      const { layer_norm_epsilon: _e2, activation_function: _a2, n_head: _h2, ...baseFixed } = baseCk.config;
      if (JSON.stringify(fixed) !== JSON.stringify(baseFixed)) return 'config differs';
      if (ck.config.layer_norm_epsilon !== baseCk.config.layer_norm_epsilon && !(ck.config.layer_norm_epsilon > 0)) return 'bad epsilon';
      if (ck.weights.size !== baseCk.weights.size) return 'weight count differs';
      for (const [k, t] of baseCk.weights) {
        const got = ck.weights.get(k);
        if (!got || got.shape.join() !== t.shape.join()) return `tensor ${k} missing or reshaped`;
        for (let i = 0; i < t.data.length; i++) {
          const want = changed && changed.name === k && changed.index === i ? changed.value : t.data[i];
          if (!Object.is(got.data[i], want)) return `${k}[${i}] = ${got.data[i]}, expected ${want}`;
        }
      }
      if (ck.tokenizer.encode(SAMPLE).map((t) => t.id).join() !== baseIds.join()) return 'tokenizer encodes differently';
      if (ck.tokenizer.decode(baseIds) !== SAMPLE) return 'tokenizer decodes differently';
      if (ck.trainingLog && ck.trainingLog.rows.some((r) => ![r.step, r.tokens, r.trainLoss, r.gradNorm, r.lr].every(Number.isFinite))) {
        return 'training log has non-numbers';
      }
      return undefined;
    };

    const heapBefore = process.memoryUsage();
    let loaded = 0;
    let failed = 0;
    let slowest = 0;
    let peakRss = heapBefore.rss;
    for (const m of mutations) {
      const d = fresh();
      m.apply(d);
      const t0 = Date.now();
      let ck: Checkpoint | undefined;
      try {
        ck = await loadCheckpoint(d);
      } catch (e) {
        assert.ok(e instanceof Error, `${m.what}: threw a non-Error ${String(e)}`);
        assert.ok(e.message.trim().length > 0, `${m.what}: empty message`);
        assert.ok(!e.message.includes('\n'), `${m.what}: multi-line message: ${e.message}`);
        assert.match(e.message, m.file, `${m.what}: message does not name the file: ${e.message}`);
        if (m.changed) assert.ok(!Number.isFinite(m.changed.value), `${m.what}: a finite weight change was refused: ${e.message}`);
        failed++;
      }
      slowest = Math.max(slowest, Date.now() - t0);
      if (ck) {
        const why = sameModel(ck, m.changed);
        assert.equal(why, undefined, `${m.what}: loaded although the model changed (${why})`);
        if (m.changed) assert.ok(Number.isFinite(m.changed.value), `${m.what}: loaded a non-finite weight`);
        loaded++;
      }
      fs.rmSync(d, { recursive: true, force: true });
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const grown = (process.memoryUsage().heapUsed - heapBefore.heapUsed) / 2 ** 20;
    console.log(`    ${mutations.length} mutations: ${loaded} loaded intact, ${failed} refused; slowest load ${slowest} ms; ` +
      `peak RSS +${((peakRss - heapBefore.rss) / 2 ** 20).toFixed(0)} MB, heap +${grown.toFixed(0)} MB`);
    assert.ok(failed >= mutations.length / 2, 'most mutations must be refused');
    assert.ok(slowest < 5_000, `a load took ${slowest} ms`);
    assert.ok(peakRss - heapBefore.rss < 512 * 2 ** 20, 'memory grew by more than 512 MB');
  });
});
