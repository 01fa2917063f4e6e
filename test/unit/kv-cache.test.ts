/**
 * KV-cached generation: each cached step gives the logits and attention of a full uncached forward (and of the
 * PyTorch reference), greedy decoding equals the arg-max of the uncached forward at every step, and the cache is
 * bounded by the model's context.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createTfjsRunner } from '../../src/engine/tfjs-runner';
import type { GenerationRunner, ModelRunner } from '../../src/engine/types';
import { PARITY_DIR, argmax, array, checkpointWithoutTokenizer, maxAbsDiff, readReference, type Reference } from './parity-fixtures';

describe('KV-cache generation (random-2l)', function () {
  this.timeout(60_000);
  const dir = path.join(PARITY_DIR(), 'random-2l');
  let runner: ModelRunner & GenerationRunner;
  let ref: Reference;
  let V: number;
  before(async () => {
    const ckpt = checkpointWithoutTokenizer(dir);
    V = ckpt.config.vocab_size;
    ref = readReference(path.join(dir, 'reference'));
    runner = await createTfjsRunner(ckpt);
  });
  after(() => runner?.dispose());
  afterEach(() => runner.endGeneration());

  it('gives, step by step, the logits and last-query attention of PyTorch\'s full forward', async () => {
    const { n_layer: L, n_head: H } = ref.config;
    const T = ref.ids.length;
    const logits = array(ref, 'logits'); // all positions are stored for random-2l
    const attention = array(ref, 'attention'); // [L][H][T][T]
    const prompt = 8;
    let step = await runner.startGeneration(ref.ids.slice(0, prompt));
    for (let pos = prompt - 1; pos < T; pos++) {
      assert.equal(step.length, pos + 1);
      assert.equal(step.logits.length, V);
      const diff = maxAbsDiff(step.logits, logits.subarray(pos * V, (pos + 1) * V));
      assert.ok(diff <= 1e-4, `cached logits at position ${pos} differ from PyTorch by ${diff}`);
      assert.equal(step.attention.length, L * H * (pos + 1));
      for (let lh = 0; lh < L * H; lh++) {
        const row = attention.subarray((lh * T + pos) * T, (lh * T + pos) * T + pos + 1);
        assert.ok(maxAbsDiff(step.attention.subarray(lh * (pos + 1), (lh + 1) * (pos + 1)), row) <= 1e-5, `attention ${lh} at ${pos}`);
      }
      if (pos + 1 < T) step = await runner.stepGeneration(ref.ids[pos + 1]);
    }
  });

  it('greedy decoding with the cache equals the arg-max of the uncached forward at each step', async () => {
    const ids = ref.ids.slice(0, 5);
    let step = await runner.startGeneration(ids);
    for (let i = 0; i < 12; i++) {
      const uncached = await runner.logitsRow(ids, ids.length - 1);
      assert.ok(maxAbsDiff(step.logits, uncached) <= 1e-4, `step ${i}: cached vs uncached logits`);
      const next = argmax(uncached);
      assert.equal(argmax(step.logits), next, `step ${i}: greedy choice`);
      ids.push(next);
      step = await runner.stepGeneration(next);
    }
  });

  it('refuses to step past n_positions or without a session, and frees its cache', async () => {
    const P = 64;
    const before = tf.memory().numTensors;
    await runner.startGeneration(ref.ids.slice(0, 40).concat(ref.ids.slice(0, P - 40)));
    assert.ok(tf.memory().numTensors > before, 'the cache holds tensors');
    await assert.rejects(runner.stepGeneration(1), /exceed the model's context of n_positions = 64/);
    runner.endGeneration();
    assert.equal(tf.memory().numTensors, before, 'endGeneration frees the cache');
    await assert.rejects(runner.stepGeneration(1), /before startGeneration/);
    await assert.rejects(runner.startGeneration([V]), /outside the vocabulary/);
    assert.equal(tf.memory().numTensors, before);
  });
});
