/**
 * Every tensor a request creates is disposed: tf.memory().numTensors is the same before and after 100 forwards of
 * every kind (and generation, attention detail, logits rows), and dispose() frees the model's weights.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createTfjsRunner } from '../../src/engine/tfjs-runner';
import type { TraceRequest } from '../../src/protocol';
import { PARITY_DIR, checkpointWithoutTokenizer } from './parity-fixtures';

describe('tfjs engine tensor hygiene', function () {
  this.timeout(60_000);

  it('holds the same number of tensors before and after 100 requests, and none after dispose', async () => {
    const ckpt = checkpointWithoutTokenizer(path.join(PARITY_DIR(), 'random-2l'));
    const runner = await createTfjsRunner(ckpt);
    // Initialising the backend may create tensors of its own; count from after the first runner exists.
    const loaded = tf.memory().numTensors;
    const ids = Array.from({ length: 24 }, (_, i) => (i * 37) % ckpt.config.vocab_size);
    const wants: TraceRequest[] = [
      {},
      { attention: true },
      { embeddings: true, residuals: true },
      { layerNorm: true, logitLens: true },
      { attention: true, embeddings: true, residuals: true, layerNorm: true, logitLens: true },
    ];
    for (let i = 0; i < 100; i++) {
      await runner.forward(ids.slice(0, 2 + (i % 22)), wants[i % wants.length], 5);
    }
    assert.equal(tf.memory().numTensors, loaded, 'forward leaks tensors');
    await runner.attentionDetail(ids, 1, 3, 10);
    await runner.logitsRow(ids, 7);
    await runner.startGeneration(ids.slice(0, 4));
    for (let i = 0; i < 5; i++) await runner.stepGeneration(i);
    runner.endGeneration();
    assert.equal(tf.memory().numTensors, loaded, 'detail, logits row or generation leak tensors');
    // A failing request cleans up too.
    await assert.rejects(runner.forward([0, ckpt.config.vocab_size + 5], {}, 5), /outside the vocabulary/);
    await assert.rejects(runner.forward(Array.from({ length: 65 }, () => 1), { attention: true }, 5), /n_positions = 64/);
    assert.equal(tf.memory().numTensors, loaded, 'failed requests leak tensors');
    const before = tf.memory().numTensors;
    runner.dispose();
    const weights = before - tf.memory().numTensors;
    // wte, wpe, unembedding, ln_f (2) + per layer 16 tensors (ln x4, q/k/v weight+bias, two projections x2, fc x2).
    assert.equal(weights, 5 + 16 * ckpt.config.n_layer, 'dispose frees every weight tensor');
  });
});
