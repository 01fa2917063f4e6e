import { strict as assert } from 'node:assert';
import { decorationPlan, surprisingTokens } from '../../src/editor/decoration-logic';
import { stepSurprising, tokensAt } from '../../src/editor/navigation-logic';
import { makeTrace } from './editor-trace-fixture';

describe('editor: decoration plan and navigation', () => {
  const trace = makeTrace(['The', ' cat', ' sat', ' on', ' zebra', '.'], [null, 5, 50, 1, 5000, 2], 100);

  it('puts each token in its rank bucket at document offsets', () => {
    const plan = decorationPlan(trace, 'rank');
    assert.deepEqual(plan.buckets[0], [{ start: 103, end: 107 }, { start: 111, end: 114 }, { start: 120, end: 121 }]);
    assert.deepEqual(plan.buckets[1], [{ start: 107, end: 111 }]);
    assert.deepEqual(plan.buckets[2], []);
    assert.deepEqual(plan.buckets[3], [{ start: 114, end: 120 }]);
    assert.equal(plan.tokens.length, 6, 'every token has a boundary, the first included');
  });

  it('draws tokens that share one character span once, in the worst bucket', () => {
    const t = makeTrace(['好', '好', '的'], [null, 3, 2000]);
    // two byte-tokens of one character share its span
    t.tokens[1] = { ...t.tokens[1], start: 0, end: 1 };
    t.tokens[2] = { ...t.tokens[2], start: 1, end: 2 };
    t.tokens[0] = { ...t.tokens[0], start: 0, end: 1 };
    const plan = decorationPlan(t, 'rank');
    assert.deepEqual(plan.tokens, [{ start: 0, end: 1 }, { start: 1, end: 2 }]);
    assert.deepEqual(plan.buckets[0], [{ start: 0, end: 1 }]);
    assert.deepEqual(plan.buckets[3], [{ start: 1, end: 2 }]);
  });

  it('marks the top 10 % most surprising tokens, at least one', () => {
    assert.deepEqual(surprisingTokens(trace), [4]);
    const many = makeTrace(Array.from({ length: 41 }, (_, i) => `w${i} `), [null, ...Array.from({ length: 40 }, (_, i) => i + 1)]);
    assert.deepEqual(surprisingTokens(many), [37, 38, 39, 40]);
  });

  it('finds the tokens under a document offset, splitting at boundaries', () => {
    assert.deepEqual(tokensAt(trace, 99), []);
    assert.deepEqual(tokensAt(trace, 100), [0]);
    assert.deepEqual(tokensAt(trace, 103), [1]);
    assert.deepEqual(tokensAt(trace, 120), [5]);
    assert.deepEqual(tokensAt(trace, 121), []);
  });

  it('steps to the next and previous surprising token with wrap-around', () => {
    const cands = [1, 4];
    assert.equal(stepSurprising(trace, cands, 100, 1), 1);
    assert.equal(stepSurprising(trace, cands, 103, 1), 4);
    assert.equal(stepSurprising(trace, cands, 114, 1), 1);
    assert.equal(stepSurprising(trace, cands, 114, -1), 1);
    assert.equal(stepSurprising(trace, cands, 103, -1), 4);
    assert.equal(stepSurprising(trace, [], 0, 1), undefined);
  });
});
