/**
 * The long-input policy (issue 3, part 6): analysis keeps the first min(n_positions, maxTokens) tokens, reports how
 * many the input had, and cuts the text at the last kept token's end; generation keeps a prompt's last tokens.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { TokenSpan, Trace } from '../../src/protocol';
import { keepFirstTokens, keepLastTokens, truncationNotice } from '../../src/engine/long-input';
import { engineDeps } from '../../src/engine/engine-deps';
import { EngineSession, type EngineDeps } from '../../src/engine/session';
import { repoRoot } from './repo-root';

/** Spans of one-character tokens over `text`. */
function charTokens(text: string): TokenSpan[] {
  return [...text].map((_, i) => ({ id: i, text: text[i], start: i, end: i + 1 }));
}

describe('long-input policy', () => {
  it('keeps everything when the input fits', () => {
    const toks = charTokens('abcd');
    const kept = keepFirstTokens(toks, 'abcd', 8, 100);
    assert.deepEqual(kept, { tokens: toks, text: 'abcd', totalTokens: 4 });
    assert.equal(truncationNotice(4, 4), undefined);
  });

  it('keeps the first min(n_positions, maxTokens) tokens and cuts the text at the last kept token', () => {
    const text = 'x'.repeat(10_000);
    const toks = charTokens(text);
    const byContext = keepFirstTokens(toks, text, 16, 1000);
    assert.equal(byContext.tokens.length, 16);
    assert.equal(byContext.text, 'x'.repeat(16));
    assert.equal(byContext.totalTokens, 10_000);
    assert.equal(keepFirstTokens(toks, text, 16, 5).tokens.length, 5);
    assert.match(truncationNotice(16, 10_000) ?? '', /kept the first 16 of 10000 tokens; 9984 tokens after them were left out/);
  });

  it('cuts after a whole character when the last kept token holds part of its bytes', () => {
    // Two tokens share the emoji's span (each holds two of its four UTF-8 bytes): the cut keeps the whole character.
    const text = 'a🙂b';
    const toks: TokenSpan[] = [
      { id: 1, text: 'a', start: 0, end: 1 },
      { id: 2, text: '\ufffd', start: 1, end: 3 },
      { id: 3, text: '\ufffd', start: 1, end: 3 },
      { id: 4, text: 'b', start: 3, end: 4 },
    ];
    assert.equal(keepFirstTokens(toks, text, 2, 2).text, 'a🙂');
  });

  it('rejects limits that are not positive integers with a message naming the value', () => {
    assert.throws(() => keepFirstTokens([], '', 0, 5), /n_positions must be a positive integer, got 0/);
    assert.throws(() => keepFirstTokens([], '', 8, 2.5), /maxTokens must be a positive integer, got 2.5/);
  });

  it('generation keeps the last tokens of a prompt, leaving room for the new ones', () => {
    const toks = charTokens('abcdefghij');
    assert.deepEqual(keepLastTokens(toks, 8, 3).map((t) => t.text).join(''), 'fghij');
    assert.equal(keepLastTokens(toks, 100, 3).length, 10);
    assert.throws(() => keepLastTokens(toks, 8, 8), /maxTokens must be an integer in \[0, 7\]/);
  });
});

describe('long inputs through the engine session', function () {
  this.timeout(30000);
  const bundled = path.join(repoRoot(), 'media', 'models', 'xray-mini');
  const CONTEXT = 24;
  let session: EngineSession;

  before(async function () {
    if (!existsSync(path.join(bundled, 'config.json'))) {
      console.log('    skipped: the bundled model media/models/xray-mini is absent');
      this.skip();
    }
    // The real loader and tfjs runner on the bundled model with its context cut to CONTEXT positions (the first rows
    // of wpe): filling the context stays fast.
    const deps: EngineDeps = {
      ...engineDeps,
      async loadCheckpoint(dir, opts) {
        const ckpt = await engineDeps.loadCheckpoint(dir, opts);
        const wpe = ckpt.weights.get('wpe.weight');
        if (!wpe) throw new Error(`${dir}: no wpe.weight`);
        const d = ckpt.config.n_embd;
        ckpt.weights.set('wpe.weight', { shape: [CONTEXT, d], data: wpe.data.slice(0, CONTEXT * d) });
        return { ...ckpt, config: { ...ckpt.config, n_positions: CONTEXT } };
      },
    };
    session = new EngineSession(deps, () => undefined);
    await session.handle({ kind: 'load', modelPath: bundled, bundled: true });
  });

  after(() => session?.dispose());

  async function analyze(text: string, maxTokens: number): Promise<Trace> {
    const r = await session.handle({ kind: 'analyze', docKey: 'doc', text, topK: 2, maxTokens, want: { attention: true } });
    assert.equal(r.kind, 'analyze');
    return (r as { trace: Trace }).trace;
  }

  it('analyses text far longer than the context: the first tokens, the true total, the text cut to match', async () => {
    const { ckpt } = session.requireModel();
    const text = 'const answer = compute(42); // 数据 🙂\n'.repeat(4000); // about 150 KB
    const all = ckpt.tokenizer.encode(text);
    assert.equal(ckpt.config.n_positions, CONTEXT);
    assert.ok(all.length > 1000 * CONTEXT, `only ${all.length} tokens`);
    const whole = await analyze(text, Number.MAX_SAFE_INTEGER);
    assert.equal(whole.tokens.length, CONTEXT);
    assert.equal(whole.totalTokens, all.length);
    assert.equal(whole.text, text.slice(0, all[CONTEXT - 1].end));
    const trace = await analyze(text, 12);
    assert.equal(trace.tokens.length, 12);
    assert.equal(trace.totalTokens, all.length);
    assert.deepEqual(trace.tokens.map((t) => t.id), all.slice(0, 12).map((t) => t.id));
    assert.equal(trace.text, text.slice(0, all[11].end));
    assert.equal(trace.scores.length, 12);
    assert.equal(trace.attention?.length, ckpt.config.n_layer * ckpt.config.n_head * 12 * 12);
    // The kept ids are what attention detail and logits rows use afterwards.
    const detail = await session.handle({ kind: 'attentionDetail', docKey: 'doc', layer: 0, head: 0, query: 11 });
    assert.equal(detail.kind === 'attentionDetail' && detail.detail.weights.length, 12);
    await assert.rejects(session.handle({ kind: 'logitsRow', docKey: 'doc', position: 12 }), /position must be an integer in \[0, 11\]/);
  });

  it('empty text and bad limits are errors, not crashes', async () => {
    await assert.rejects(analyze('', 10), /nothing to analyze: the text is empty/);
    await assert.rejects(analyze('abc', 0), /maxTokens must be an integer in \[1, /);
    assert.equal((await analyze('still alive', 8)).text, 'still alive');
  });

  it('generated tokens that split a character add no text until the character is whole (never U+FFFD)', async () => {
    const { ckpt } = session.requireModel();
    const target = '鬱龘🙂'; // rare characters: each takes several byte-level tokens in a 4k vocabulary
    const ids = ckpt.tokenizer.encode(target).map((t) => t.id);
    assert.ok(ids.length > 3, `"${target}" is only ${ids.length} tokens`);
    assert.ok(ids.some((id) => ckpt.tokenizer.tokenText(id).includes('\uFFFD')), 'some token holds part of a character');
    const start = await session.handle({ kind: 'generateStart', sessionId: 'utf8', prompt: 'x =', maxTokens: ids.length });
    assert.ok(start.kind === 'generateStart');
    const texts: string[] = [];
    let end = 'x ='.length;
    for (const id of ids) {
      const r = await session.handle({ kind: 'generateStep', sessionId: 'utf8', tokenId: id, topK: 0 });
      assert.ok(r.kind === 'generateStep');
      assert.ok(!r.token.text.includes('\uFFFD'), `step text ${JSON.stringify(r.token.text)}`);
      assert.equal(r.token.start, end);
      end = r.token.end;
      texts.push(r.token.text);
    }
    assert.equal(texts.join(''), target);
    assert.ok(texts.includes(''), 'a token holding only the first bytes of a character adds no text');
    await session.handle({ kind: 'generateEnd', sessionId: 'utf8' });
  });

  it('a generation prompt keeps its last tokens and stops with an error when the context is full', async () => {
    const { ckpt } = session.requireModel();
    const nPos = ckpt.config.n_positions;
    const prompt = 'x = 1\n'.repeat(nPos); // more tokens than the context
    const start = await session.handle({ kind: 'generateStart', sessionId: 'g1', prompt, maxTokens: 2 });
    assert.ok(start.kind === 'generateStart');
    assert.equal(start.tokens.length, nPos - 2);
    assert.equal(start.tokens[start.tokens.length - 1].end, prompt.length);
    assert.equal(start.step.logits.length, ckpt.config.vocab_size);
    for (let i = 0; i < 2; i++) {
      const step = await session.handle({ kind: 'generateStep', sessionId: 'g1', tokenId: 10, topK: 5 });
      assert.ok(step.kind === 'generateStep');
      assert.equal(step.step.length, nPos - 1 + i);
    }
    await assert.rejects(session.handle({ kind: 'generateStep', sessionId: 'g1', tokenId: 10, topK: 5 }), /context is full/);
    await session.handle({ kind: 'generateEnd', sessionId: 'g1' });
    await assert.rejects(session.handle({ kind: 'generateStep', sessionId: 'g1', tokenId: 10, topK: 5 }), /not active/);
  });
});

describe('engine session without a model', () => {
  it('answers every model request with an error saying a load is needed', async () => {
    const deps: EngineDeps = {
      loadCheckpoint: () => Promise.reject(new Error('/m/config.json: missing')),
      createRunner: () => Promise.reject(new Error('unreachable')),
      memory: () => ({ numTensors: 0, numBytes: 0 }),
    };
    const s = new EngineSession(deps, () => undefined);
    await assert.rejects(s.handle({ kind: 'analyze', docKey: 'd', text: 'x', topK: 1, maxTokens: 1, want: {} }), /no model is loaded/);
    await assert.rejects(s.handle({ kind: 'load', modelPath: '/m', bundled: false }), /\/m\/config.json: missing/);
    await assert.rejects(s.handle({ kind: 'logitsRow', docKey: 'd', position: 0 }), /no model is loaded/);
  });
});
