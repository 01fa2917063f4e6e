/**
 * GPT-2's byte-level BPE tokenizer, with every token's UTF-16 [start, end) span in the input.
 *
 * Why our own and not @huggingface/tokenizers (evaluated, 0.2.0): its encode() returns ids and token strings but no
 * offsets, and the editor needs each token's exact span in the document. The BPE itself is small (bpe.ts); ids are
 * checked against npm gpt-tokenizer's r50k_base in test/unit/tokenizer.test.ts.
 *
 * Pre-tokenization is GPT-2's regex. Each pre-token is UTF-8 encoded and merged by BPE (results cached per
 * pre-token). Spans: a token covers some of the pre-token's bytes; its span runs from the start of the character
 * holding its first byte to the end of the character holding its last byte. So a token holding only part of a
 * multi-byte character (Chinese, emoji) gets that whole character's span, and neighbouring tokens that split one
 * character share its span: spans are monotone non-decreasing and together cover the text, but may overlap by one
 * character.
 *
 * Special tokens (tokenizer.json "added_tokens", e.g. <|endoftext|>) are never produced from text: a user's text
 * that contains the literal string "<|endoftext|>" is encoded as ordinary text, as GPT-2's encoder does by default.
 * They decode to their content.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TokenSpan } from '../protocol';
import type { Tokenizer } from './types';
import { BytePairEncoder } from './bpe';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, utf8LengthAt } from './byte-level';

/** GPT-2's pre-tokenizer (also Hugging Face's ByteLevel pre-tokenizer with use_regex). */
export const GPT2_SPLIT_REGEX = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Cached pre-tokens before the cache is emptied; bounds memory on huge, varied inputs. */
const MAX_CACHE_ENTRIES = 100_000;

interface AddedToken {
  id: number;
  content: string;
}

class ByteLevelBpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  private readonly bpe: BytePairEncoder;
  /** tokenBytes[id]: the bytes a token stands for (undefined for ids the vocabulary does not use). */
  private readonly tokenBytes: Array<Uint8Array | undefined>;
  private readonly texts: Array<string | undefined> = [];
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    vocab: Map<string, number>,
    merges: Array<[string, string]>,
    added: AddedToken[],
    private readonly source: string,
    /** Hugging Face's ignore_merges: a pre-token that is itself in the vocabulary becomes that one token. */
    private readonly wholeWords?: Map<string, number>,
  ) {
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    for (const t of added) maxId = Math.max(maxId, t.id);
    this.vocabSize = maxId + 1;
    this.tokenBytes = new Array(this.vocabSize);
    for (const [token, id] of vocab) this.tokenBytes[id] = this.vocabTokenBytes(token);
    for (const t of added) this.tokenBytes[t.id] = this.encoder.encode(t.content);

    const byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(BYTE_TO_CHAR[b]);
      if (id === undefined) {
        throw new Error(`${source}: vocabulary lacks the byte-level token for byte ${b} ("${BYTE_TO_CHAR[b]}"), so some text could not be encoded`);
      }
      byteIds[b] = id;
    }
    const mergeIds = merges.map(([a, b], i): [number, number, number] => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const im = vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : a + b;
        throw new Error(`${source}: merge ${i + 1} ("${a} ${b}") uses token ${JSON.stringify(missing)} that is not in the vocabulary`);
      }
      return [ia, ib, im];
    });
    if (!wholeWords) checkEveryTokenReachable(vocab, mergeIds, added, source);
    this.bpe = new BytePairEncoder(byteIds, mergeIds, this.vocabSize);
  }

  private vocabTokenBytes(token: string): Uint8Array {
    const out: number[] = [];
    for (const ch of token) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b !== undefined) out.push(b);
      else out.push(...this.encoder.encode(ch)); // not a byte-level symbol: stands for its own UTF-8
    }
    return Uint8Array.from(out);
  }

  encode(text: string): TokenSpan[] {
    const out: TokenSpan[] = [];
    for (const m of text.matchAll(GPT2_SPLIT_REGEX)) {
      const piece = m[0];
      const base = m.index;
      const ids = this.encodePiece(piece);
      // Walk the piece's characters alongside the tokens' bytes (see the span rule at the top of this file).
      let next = 0; // UTF-16 index of the next character to load
      let rem = 0; // bytes of the current character not yet given to a token
      let charStart = 0;
      let charEnd = 0;
      for (const id of ids) {
        let need = (this.tokenBytes[id] as Uint8Array).length;
        let start = -1;
        while (need > 0) {
          if (rem === 0) {
            const u = utf8LengthAt(piece, next);
            charStart = next;
            charEnd = next + u.units;
            rem = u.bytes;
            next = charEnd;
          }
          if (start < 0) start = charStart;
          const take = Math.min(rem, need);
          rem -= take;
          need -= take;
        }
        out.push({ id, text: this.tokenText(id), start: base + start, end: base + charEnd });
      }
    }
    return out;
  }

  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const bytes = this.encoder.encode(piece);
    const whole = this.wholeWords?.get(Array.from(bytes, (b) => BYTE_TO_CHAR[b]).join(''));
    const ids = whole !== undefined ? [whole] : this.bpe.encode(bytes);
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
    this.cache.set(piece, ids);
    return ids;
  }

  bytesOf(id: number): Uint8Array {
    const b = Number.isInteger(id) ? this.tokenBytes[id] : undefined;
    if (!b) throw new Error(`${this.source}: token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    return b;
  }

  decode(ids: number[]): string {
    const parts = ids.map((id) => this.bytesOf(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let pos = 0;
    for (const p of parts) {
      all.set(p, pos);
      pos += p.length;
    }
    return this.decoder.decode(all);
  }

  tokenText(id: number): string {
    let t = this.texts[id];
    if (t === undefined) {
      t = this.decoder.decode(this.bytesOf(id));
      this.texts[id] = t;
    }
    return t;
  }
}

/**
 * In a byte-level BPE every vocabulary token is a byte, a special token, or the result of a merge: a token no merge
 * produces can never be emitted, which means the merge list was cut short (a truncated merges.txt still parses).
 */
function checkEveryTokenReachable(vocab: Map<string, number>, merges: Array<[number, number, number]>, added: AddedToken[], source: string): void {
  const reachable = new Set<number>(merges.map((m) => m[2]));
  for (const t of added) reachable.add(t.id);
  for (const [token, id] of vocab) {
    if (reachable.has(id) || (token.length === 1 && CHAR_TO_BYTE.has(token))) continue;
    if (/^<[^<>]+>$|^\[[^[\]]+\]$/.test(token)) continue; // special tokens listed in vocab.json only, e.g. <|endoftext|>
    throw new Error(`${source}: vocabulary token ${JSON.stringify(token).slice(0, 40)} (id ${id}) is produced by no merge; the merge list looks truncated`);
  }
}

/** Read and parse a JSON file; errors name the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
  }
}

function parseVocab(raw: unknown, source: string): Map<string, number> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: vocabulary is not a JSON object of token -> id`);
  }
  const vocab = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 10_000_000) {
      throw new Error(`${source}: token ${JSON.stringify(token).slice(0, 40)} has id ${String(id).slice(0, 20)}, not an integer in [0, 10000000]`);
    }
    if (seen.has(id)) throw new Error(`${source}: id ${id} is used by more than one token`);
    seen.add(id);
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new Error(`${source}: vocabulary is empty`);
  return vocab;
}

/** A tokenizer from a parsed Hugging Face tokenizer.json (byte-level BPE, GPT-2 style). */
export function tokenizerFromJson(json: unknown, source: string): Tokenizer {
  if (typeof json !== 'object' || json === null) throw new Error(`${source}: not a JSON object`);
  const j = json as Record<string, unknown>;
  const model = j.model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null) throw new Error(`${source}: has no "model" object`);
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new Error(`${source}: model type ${JSON.stringify(model.type)} is not supported (only byte-level BPE)`);
  }
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    if (model[key] !== undefined && model[key] !== null && model[key] !== '') {
      throw new Error(`${source}: model.${key} ${JSON.stringify(model[key])} is not supported (GPT-2 BPE has none)`);
    }
  }
  if (model.byte_fallback === true) throw new Error(`${source}: model.byte_fallback is not supported (GPT-2 BPE is byte-level)`);
  if (typeof model.dropout === 'number' && model.dropout > 0) {
    throw new Error(`${source}: model.dropout ${model.dropout} is not supported (BPE dropout makes encoding random)`);
  }
  if (j.normalizer !== undefined && j.normalizer !== null) {
    throw new Error(`${source}: normalizer ${JSON.stringify((j.normalizer as { type?: unknown }).type)} is not supported (GPT-2 has none)`);
  }
  const pre = j.pre_tokenizer as Record<string, unknown> | null | undefined;
  if (!pre || pre.type !== 'ByteLevel' || pre.use_regex === false) {
    throw new Error(`${source}: pre_tokenizer must be ByteLevel with GPT-2's regex, found ${JSON.stringify(pre?.type ?? null)}`);
  }
  if (pre.add_prefix_space === true) throw new Error(`${source}: pre_tokenizer add_prefix_space=true is not supported (spans would not match the text)`);

  const vocab = parseVocab(model.vocab, `${source} model.vocab`);
  if (!Array.isArray(model.merges)) throw new Error(`${source}: model.merges is not a list`);
  const merges = (model.merges as unknown[]).map((m, i): [string, string] => {
    // Two formats exist: "a b" strings (tokenizers < 0.20) and ["a", "b"] pairs.
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      return [m[0], m[1]];
    }
    throw new Error(`${source}: model.merges[${i}] is not a pair of tokens: ${JSON.stringify(m).slice(0, 60)}`);
  });
  const added: AddedToken[] = [];
  if (j.added_tokens !== undefined && j.added_tokens !== null) {
    if (!Array.isArray(j.added_tokens)) throw new Error(`${source}: added_tokens is not a list`);
    const tokenById = new Map<number, string>();
    for (const [token, id] of vocab) tokenById.set(id, token);
    for (const [i, t] of (j.added_tokens as unknown[]).entries()) {
      const a = t as { id?: unknown; content?: unknown };
      if (typeof a !== 'object' || a === null || !Number.isInteger(a.id) || (a.id as number) < 0 || typeof a.content !== 'string') {
        throw new Error(`${source}: added_tokens[${i}] lacks an integer id and a string content`);
      }
      const existing = vocab.get(a.content);
      if (existing !== undefined && existing !== a.id) {
        throw new Error(`${source}: added token ${JSON.stringify(a.content)} has id ${a.id} but the vocabulary gives it ${existing}`);
      }
      const clash = tokenById.get(a.id as number);
      if (clash !== undefined && clash !== a.content) {
        throw new Error(`${source}: added token ${JSON.stringify(a.content)} has id ${a.id}, which the vocabulary gives to ${JSON.stringify(clash)}`);
      }
      added.push({ id: a.id as number, content: a.content });
    }
  }
  return new ByteLevelBpeTokenizer(vocab, merges, added, source, model.ignore_merges === true ? vocab : undefined);
}

/** GPT-2's original files: vocab.json (token -> id) and merges.txt ("#version" line, then "a b" per line). */
export function gpt2TokenizerFromFiles(vocabJsonPath: string, mergesPath: string): Tokenizer {
  const vocab = parseVocab(readJsonFile(vocabJsonPath), vocabJsonPath);
  let text: string;
  try {
    text = fs.readFileSync(mergesPath, 'utf8');
  } catch (e) {
    throw new Error(`${mergesPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const merges: Array<[string, string]> = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Error(`${mergesPath}: line ${i + 1} is not two tokens separated by one space: ${JSON.stringify(line).slice(0, 60)}`);
    }
    merges.push([parts[0], parts[1]]);
  });
  return new ByteLevelBpeTokenizer(vocab, merges, [], `${vocabJsonPath} + ${path.basename(mergesPath)}`);
}

/** The tokenizer of a model folder: tokenizer.json, else vocab.json + merges.txt. */
export function loadTokenizerFromFolder(dir: string): Tokenizer {
  const tokJson = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(tokJson)) return tokenizerFromJson(readJsonFile(tokJson), tokJson);
  const vocab = path.join(dir, 'vocab.json');
  const merges = path.join(dir, 'merges.txt');
  if (fs.existsSync(vocab) && fs.existsSync(merges)) return gpt2TokenizerFromFiles(vocab, merges);
  throw new Error(`${dir}: no tokenizer found (need tokenizer.json, or vocab.json and merges.txt)`);
}
