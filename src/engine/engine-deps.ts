/**
 * The real engine behind EngineSession: the checkpoint loader, the model runners and tfjs's memory counter. Only the
 * worker and the CLI import this file (it pulls in tfjs); the extension host never does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from './checkpoint';
import { createRunner } from './runner-factory';
import type { EngineDeps, EngineRunner, LogFn } from './session';

/** The backends report falling back to a slower path in plain words; those lines are warnings. */
const FALLBACK = /slower|failed|without simd|not found/i;

export const engineDeps: EngineDeps = {
  loadCheckpoint: (dir, opts) => loadCheckpoint(dir, opts),
  async createRunner(ckpt, backend, log: LogFn): Promise<EngineRunner> {
    return createRunner(ckpt, backend, (msg) => log(FALLBACK.test(msg) ? 'warn' : 'info', msg));
  },
  memory: () => {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  },
};
