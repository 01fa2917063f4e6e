import { strict as assert } from 'node:assert';
import { HOVER_ONLY, MAX_CHARS, hasPanelData, refusal, wantFor } from '../../src/editor/analyze-logic';
import { makeTrace } from './editor-trace-fixture';

describe('editor: what Analyze Selection refuses and asks for', () => {
  it('refuses empty, whitespace-only, huge and binary text with a reason naming the input', () => {
    assert.equal(refusal('', false), 'nothing to analyse: the selection is empty');
    assert.equal(refusal(' \n\t', true), 'nothing to analyse: the document is empty');
    assert.match(refusal('a'.repeat(MAX_CHARS + 1), true) ?? '', /^the document is too large \(1,000,001 characters, at most 1,000,000\)/);
    assert.equal(refusal('PK\u0003\u0004\u0000data', false), 'the selection looks binary (it holds NUL characters)');
    assert.equal(refusal('你好, world', false), undefined);
  });

  it('asks for the panel data, dropping attention and residuals only when they would be huge', () => {
    const small = makeTrace(['a'], [null]).model; // 1 layer, 1 head, width 2
    assert.deepEqual(wantFor(small, 256), { attention: true, embeddings: true, layerNorm: true, logitLens: true, residuals: true });
    const gpt2 = { ...small, config: { ...small.config, n_layer: 12, n_head: 12, n_embd: 768 } };
    assert.equal(wantFor(gpt2, 256).attention, true, '12·12·256² floats = 36 MB is fine');
    assert.equal(wantFor(gpt2, 1024).attention, false, '12·12·1024² floats = 604 MB is not');
    assert.equal(wantFor(gpt2, 1024).residuals, false);
  });

  it('asks for the scores alone while the panel is closed, and knows when a trace lacks the panel data', () => {
    assert.deepEqual(HOVER_ONLY, {});
    const t = makeTrace(['a', 'b'], [null, 1]);
    assert.equal(hasPanelData(t), false);
    assert.equal(hasPanelData({ ...t, embeddings: { wte: new Float32Array(4), wpe: new Float32Array(4) }, layerNorm: [] }), true);
  });
});
