/**
 * Picks the engine backend for a loaded checkpoint (the `gptXray.backend` setting):
 *  - 'tfjs': the portable path (wasm), the one that trains and generates with a KV cache;
 *  - 'onnxruntime': the native fast path (onnx-runner.ts); an Error in plain words where it cannot load;
 *  - 'auto': onnxruntime where it loads, tfjs elsewhere (the universal .vsix ships without onnxruntime).
 * Exactly one log line says which backend runs and why.
 *
 * Step-by-step generation stays on tfjs (its KV cache): an onnxruntime runner gets a tfjs runner beside it,
 * created on the first generation request only, so analysis alone never pays for a second copy of the weights.
 */
import * as os from 'node:os';
import { createOnnxRunner } from './onnx-runner';
import { createTfjsRunner } from './tfjs-runner';
import type { BackendChoice } from './session';
import type { Checkpoint, GenerationRunner, ModelRunner } from './types';

export type { BackendChoice };

export async function createRunner(
  ckpt: Checkpoint,
  backend: BackendChoice,
  log: (msg: string) => void,
): Promise<ModelRunner & GenerationRunner> {
  if (backend === 'tfjs') {
    const runner = await createTfjsRunner(ckpt, log);
    log(`backend: ${runner.backend} (gptXray.backend is "tfjs")`);
    return runner;
  }
  if (backend !== 'auto' && backend !== 'onnxruntime') throw new Error(`unknown backend "${String(backend)}": use auto, tfjs or onnxruntime`);
  let onnx: ModelRunner;
  try {
    onnx = await createOnnxRunner(ckpt);
  } catch (err) {
    const why = firstLine(err);
    if (backend === 'onnxruntime') {
      throw new Error(`gptXray.backend is "onnxruntime" but onnxruntime cannot run here (${why}); set it to "auto" or "tfjs"`);
    }
    const runner = await createTfjsRunner(ckpt, log);
    log(`backend: ${runner.backend} (auto: onnxruntime unavailable: ${why})`);
    return runner;
  }
  log(`backend: onnxruntime with ${os.cpus().length} intra-op threads (${backend === 'auto' ? 'auto: onnxruntime-node loaded' : 'gptXray.backend is "onnxruntime"'}; generation uses tfjs)`);
  return withTfjsGeneration(onnx, ckpt, log);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
}

/** The onnxruntime runner for analysis, with tfjs's KV-cache generation created on first use. */
function withTfjsGeneration(onnx: ModelRunner, ckpt: Checkpoint, log: (msg: string) => void): ModelRunner & GenerationRunner {
  let pending: Promise<ModelRunner & GenerationRunner> | undefined;
  let ready: (ModelRunner & GenerationRunner) | undefined;
  let disposed = false;
  const generator = async (): Promise<GenerationRunner> => {
    pending ??= createTfjsRunner(ckpt, log).then((r) => {
      if (disposed) r.dispose();
      else ready = r;
      return r;
    });
    // A failed creation is forgotten, so the next request can retry.
    return pending.catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
  };
  return {
    backend: onnx.backend,
    forward: (ids, want, topK) => onnx.forward(ids, want, topK),
    attentionDetail: (ids, layer, head, query) => onnx.attentionDetail(ids, layer, head, query),
    logitsRow: (ids, position) => onnx.logitsRow(ids, position),
    startGeneration: async (ids) => (await generator()).startGeneration(ids),
    stepGeneration: async (id) => (await generator()).stepGeneration(id),
    endGeneration: () => ready?.endGeneration(),
    dispose: () => {
      disposed = true;
      onnx.dispose();
      ready?.dispose();
      ready = undefined;
    },
  };
}
