/**
 * Sampling against independent expectations: greedy is the arg-max, top-k and top-p keep exactly the sets their
 * definitions name (computed here by brute force), draws follow the kept distribution, and a seed reproduces a run.
 */
import * as assert from 'node:assert/strict';
import { argmax, keptTokens, mulberry32, pick, sampleToken, stepUniform, type SamplingOptions } from '../../src/engine/sampling';

const opts = (o: Partial<SamplingOptions>): SamplingOptions => ({ greedy: false, temperature: 1, topK: 0, topP: 1, ...o });

/** A random logits row with a few ties, from its own seeded generator. */
function randomRow(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const row = Float32Array.from({ length: n }, () => Math.round((rng() * 8 - 4) * 4) / 4);
  return row;
}

/** softmax(row / T) by the textbook formula, in doubles. */
function probs(row: ArrayLike<number>, T: number): number[] {
  const z = Array.from(row, (x) => x / T);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** The k ids with the largest logits, equal logits lower id first, found by counting (no sort). */
function topKSet(row: ArrayLike<number>, k: number): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < row.length; i++) {
    let before = 0;
    for (let j = 0; j < row.length; j++) if (row[j] > row[i] || (row[j] === row[i] && j < i)) before++;
    if (before < k) out.add(i);
  }
  return out;
}

describe('sampling', () => {
  it('greedy returns the arg-max whatever the draw, temperature or limits', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const row = randomRow(97, seed);
      let best = 0;
      for (let i = 0; i < row.length; i++) if (row[i] > row[best]) best = i;
      assert.equal(argmax(row), best);
      for (const u of [0, 0.3, 0.999999]) {
        assert.equal(sampleToken(row, opts({ greedy: true, temperature: 1.7, topK: 5, topP: 0.2 }), u), best);
      }
    }
  });

  it('top-k keeps exactly the k largest logits (ties: lower id), renormalised', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const row = randomRow(60, 100 + seed);
      for (const k of [1, 2, 7, 59, 60]) {
        const kept = keptTokens(row, opts({ topK: k, temperature: 0.7 }));
        assert.deepEqual(new Set(kept.ids), topKSet(row, k), `seed ${seed} k ${k}`);
        const p = probs(row, 0.7);
        const mass = kept.ids.reduce((a, id) => a + p[id], 0);
        assert.ok(Math.abs(kept.mass - mass) < 1e-9);
        kept.ids.forEach((id, i) => assert.ok(Math.abs(kept.probs[i] - p[id] / mass) < 1e-9));
      }
    }
  });

  it('top-p keeps the smallest most-probable set whose probability reaches p', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const row = randomRow(80, 200 + seed);
      for (const T of [0.3, 1, 2]) {
        const p = probs(row, T);
        for (const topP of [0.05, 0.5, 0.9, 0.99]) {
          const kept = keptTokens(row, opts({ temperature: T, topP }));
          const set = new Set(kept.ids);
          const sum = kept.ids.reduce((a, id) => a + p[id], 0);
          const smallest = Math.min(...kept.ids.map((id) => p[id]));
          // Reaches p; dropping its least probable member would not; nothing outside is more probable than inside.
          assert.ok(sum >= topP - 1e-12, `sum ${sum} < ${topP}`);
          assert.ok(sum - smallest < topP, `not minimal: ${sum} - ${smallest} >= ${topP}`);
          for (let i = 0; i < p.length; i++) if (!set.has(i)) assert.ok(p[i] <= smallest + 1e-15, `${i} left out but more probable`);
        }
      }
    }
  });

  it('top-k then top-p: the nucleus is taken over the renormalised top-k distribution', () => {
    const row = [Math.log(0.4), Math.log(0.3), Math.log(0.2), Math.log(0.1)];
    // top-2 renormalises to 4/7, 3/7: top-p 0.5 keeps one token, 0.6 keeps both.
    assert.deepEqual(keptTokens(row, opts({ topK: 2, topP: 0.5 })).ids, [0]);
    assert.deepEqual(keptTokens(row, opts({ topK: 2, topP: 0.6 })).ids, [0, 1]);
    // without top-k, 0.6 needs 0.4 + 0.3
    assert.deepEqual(keptTokens(row, opts({ topP: 0.6 })).ids, [0, 1]);
    assert.deepEqual(keptTokens(row, opts({ topP: 0.75 })).ids, [0, 1, 2]);
  });

  it('draws follow the kept distribution (inverse CDF, 40 000 draws)', () => {
    const row = [2, 1, 0.5, 0, -1, -3];
    for (const o of [opts({ temperature: 0.6 }), opts({ temperature: 1.5, topK: 3 }), opts({ topP: 0.8 })]) {
      const kept = keptTokens(row, o);
      const rng = mulberry32(99);
      const counts = new Map<number, number>();
      const N = 40_000;
      for (let i = 0; i < N; i++) {
        const id = pick(kept, rng());
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const id of counts.keys()) assert.ok(kept.ids.includes(id), `drew ${id}, outside the kept set`);
      kept.ids.forEach((id, i) => {
        const f = (counts.get(id) ?? 0) / N;
        const sd = Math.sqrt((kept.probs[i] * (1 - kept.probs[i])) / N);
        assert.ok(Math.abs(f - kept.probs[i]) < 5 * sd + 1e-9, `id ${id}: frequency ${f} vs p ${kept.probs[i]}`);
      });
    }
  });

  it('a seed reproduces its draws; another seed gives others; a step draw depends only on (seed, step)', () => {
    const a = Array.from({ length: 50 }, (_v, i) => stepUniform(42, i));
    const b = Array.from({ length: 50 }, (_v, i) => stepUniform(42, i));
    const c = Array.from({ length: 50 }, (_v, i) => stepUniform(43, i));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const u of [...a, ...c]) assert.ok(u >= 0 && u < 1);
    assert.equal(new Set(a).size, 50);
    // Runs of tokens from a 500-token row: same seed, same run.
    const row = randomRow(500, 5);
    const run = (seed: number) => Array.from({ length: 30 }, (_v, i) => sampleToken(row, opts({ temperature: 1.2, topK: 40 }), stepUniform(seed, i)));
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
    const r = mulberry32(1);
    const first = [r(), r(), r()];
    const r2 = mulberry32(1);
    assert.deepEqual([r2(), r2(), r2()], first);
  });

  it('refuses bad settings and draws with one-line errors', () => {
    assert.throws(() => keptTokens([1, 2], opts({ temperature: 0 })), /temperature must be > 0/);
    assert.throws(() => keptTokens([1, 2], opts({ topK: -1 })), /topK must be an integer/);
    assert.throws(() => keptTokens([1, 2], opts({ topP: 0 })), /topP must be in \(0, 1\]/);
    assert.throws(() => pick(keptTokens([1, 2], opts({})), 1), /uniform draw/);
    assert.throws(() => keptTokens([], opts({})), /at least one entry|empty/);
  });
});
