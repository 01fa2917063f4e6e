/**
 * The backend-free trace arithmetic against values worked out by hand (closed forms), not against its own output.
 */
import * as assert from 'node:assert/strict';
import {
  entropyBits, layerNormStat, logSoftmax, logSumExp, logitLensEntry, rankOf, rowMeanStd, rowStats, scoreSequence, softmax, surprisalBits, topK,
} from '../../src/engine/trace';

const close = (a: number, b: number, tol = 1e-6, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

describe('trace arithmetic', () => {
  it('softmax: ln 1, ln 2, ln 5 give 1/8, 2/8, 5/8; temperature 2 takes square roots before normalising', () => {
    const row = [Math.log(1), Math.log(2), Math.log(5)];
    assert.deepEqual(Array.from(softmax(row), (x) => +x.toFixed(6)), [0.125, 0.25, 0.625]);
    const s = 1 + Math.SQRT2 + Math.sqrt(5);
    const t2 = softmax(row, 2);
    close(t2[0], 1 / s, 1e-6);
    close(t2[2], Math.sqrt(5) / s, 1e-6);
    assert.throws(() => softmax(row, 0), /temperature must be > 0/);
  });

  it('stays finite for huge and tiny logits', () => {
    close(logSumExp([1000, 1000]), 1000 + Math.LN2, 1e-9);
    const lp = logSoftmax([-1000, 0]);
    close(lp[0], -1000, 1e-9);
    assert.equal(surprisalBits(Math.exp(lp[0])), Infinity); // p underflows to 0 ...
    // ... which is why scores work in log space: the surprisal stays finite.
    const r = scoreSequence(new Float32Array([0, -1000, 0, 0]), [0, 1], 2, 1, String);
    close(r.scores[1].surprisal as number, 1000 / Math.LN2, 1e-6);
  });

  it('surprisal: p = 1/2 is 1 bit, p = 1/1024 is 10 bits', () => {
    close(surprisalBits(0.5), 1, 0);
    close(surprisalBits(1 / 1024), 10, 1e-12);
  });

  it('entropy: uniform over 8 is 3 bits, a certain outcome 0, (1/2, 1/4, 1/4) 1.5 bits', () => {
    close(entropyBits(new Float32Array(8).fill(3.7)), 3, 1e-9);
    close(entropyBits([0, -1e4, -1e4]), 0, 1e-9);
    close(entropyBits([Math.log(2), 0, 0]), 1.5, 1e-7);
  });

  it('rank is 1 + the number of strictly larger logits; ties share the better rank', () => {
    const row = [0.5, 2, 2, -1, 3];
    assert.deepEqual([4, 1, 2, 0, 3].map((i) => rankOf(row, i)), [1, 2, 2, 4, 5]);
    assert.throws(() => rankOf(row, 5), /outside a row of 5/);
  });

  it('top-k: the largest first, ties in index order, k beyond the row clipped', () => {
    const row = [0.1, 5, -2, 5, 3, 0.2];
    assert.deepEqual(topK(row, 3), { ids: [1, 3, 4], values: [5, 5, 3] });
    assert.deepEqual(topK(row, 10).ids, [1, 3, 4, 5, 0, 2]);
    assert.deepEqual(topK(row, 0).ids, []);
  });

  it('rowStats: probabilities, logits and token text of the top tokens', () => {
    const s = rowStats([Math.log(1), Math.log(3), Math.log(4)], 2, (id) => `t${id}`);
    assert.deepEqual(s.topk.map((t) => [t.id, t.text, +t.p.toFixed(6), +t.logit.toFixed(6)]), [
      [2, 't2', 0.5, +Math.log(4).toFixed(6)],
      [1, 't1', 0.375, +Math.log(3).toFixed(6)],
    ]);
    close(s.entropy, -(0.125 * Math.log2(0.125) + 0.375 * Math.log2(0.375) + 0.5 * Math.log2(0.5)), 1e-7);
  });

  it('scores token i with the row of position i-1; mean loss, mean surprisal and perplexity of the sequence', () => {
    // vocab 4, three tokens. Row 0 predicts token 1 with p 1/2; row 1 predicts token 3 with p 1/4.
    const logits = new Float32Array([
      Math.log(1), Math.log(4), Math.log(2), Math.log(1), // p = 1/8, 4/8, 2/8, 1/8
      0, 0, 0, 0, //                                         uniform
      0, 0, 0, 10,
    ]);
    const r = scoreSequence(logits, [2, 1, 3], 4, 2, String);
    assert.equal(r.scores[0].p, null);
    assert.equal(r.scores[0].rank, null);
    close(r.scores[1].p as number, 0.5, 1e-7);
    assert.equal(r.scores[1].rank, 1);
    close(r.scores[1].surprisal as number, 1, 1e-6);
    close(r.scores[2].p as number, 0.25, 1e-7);
    assert.equal(r.scores[2].rank, 1); // all tie, so the best rank
    close(r.scores[2].surprisal as number, 2, 1e-6);
    close(r.scores[1].entropy, 2, 1e-7); // row 1 is uniform over 4
    close(r.meanSurprisal, 1.5, 1e-6);
    close(r.perplexity, 2 ** 1.5, 1e-5);
    close(r.meanLoss, 1.5 * Math.LN2, 1e-6);
    assert.deepEqual(r.scores[2].topk.map((t) => t.id), [3, 0]);
    assert.throws(() => scoreSequence(logits, [1, 2], 4, 2, String), /expected \[2\]\[4\]/);
    assert.ok(Number.isNaN(scoreSequence(new Float32Array(4), [0], 4, 1, String).meanSurprisal));
  });

  it('rowMeanStd uses the population standard deviation, as LayerNorm does', () => {
    const { mean, std } = rowMeanStd(new Float32Array([1, 2, 3, 4, 10, 10, 10, 10]), 2, 4);
    assert.deepEqual(Array.from(mean), [2.5, 10]);
    close(std[0], Math.sqrt(1.25), 1e-7);
    assert.equal(std[1], 0);
    const stat = layerNormStat('h.0.ln_1', 0, { mean, std }, { mean: new Float32Array([0, 0]), std: new Float32Array([1, 0.5]) });
    close(stat.meanBefore, 6.25, 0);
    close(stat.stdAfter, 0.75, 0);
  });

  it('logit lens entries hold the top-k ids and their softmax probabilities per position', () => {
    const logits = new Float32Array([Math.log(1), Math.log(2), Math.log(5), 0, 7, 0]);
    const e = logitLensEntry(2, logits, 2, 3, 2);
    assert.equal(e.layer, 2);
    assert.deepEqual(Array.from(e.ids), [2, 1, 1, 0]);
    close(e.probs[0], 0.625, 1e-6);
    close(e.probs[1], 0.25, 1e-6);
    close(e.probs[2], Math.exp(7) / (Math.exp(7) + 2), 1e-6);
  });
});
