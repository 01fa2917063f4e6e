import { strict as assert } from 'node:assert';
import { bucketOf } from '../../src/editor/buckets-logic';

describe('editor: GLTR bucket choice', () => {
  it('buckets by rank at 10, 100 and 1000', () => {
    const b = (rank: number) => bucketOf({ p: 0.1, rank }, 'rank');
    assert.deepEqual([1, 10, 11, 100, 101, 1000, 1001, 50000].map(b), [0, 0, 1, 1, 2, 2, 3, 3]);
  });
  it('buckets by probability at 0.5, 0.1 and 0.01', () => {
    const b = (p: number) => bucketOf({ p, rank: 1 }, 'probability');
    assert.deepEqual([0.9, 0.5, 0.49, 0.1, 0.05, 0.01, 0.0099, 0].map(b), [0, 0, 1, 1, 2, 2, 3, 3]);
  });
  it('gives the first token, which nothing predicts, no bucket', () => {
    assert.equal(bucketOf({ p: null, rank: null }, 'rank'), null);
    assert.equal(bucketOf({ p: null, rank: null }, 'probability'), null);
  });
});
