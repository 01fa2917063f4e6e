/**
 * Starts tfjs on the wasm backend (XNNPACK with SIMD) in Node, with the cpu backend as a logged fallback.
 *
 * The .wasm binaries are looked up, in order: beside the running bundle (dist/, where the build copies them in the
 * packaged extension), then in node_modules/@tensorflow/tfjs-backend-wasm/dist found by walking up from this file
 * (development, tests, the benchmark).
 */
import * as tf from '@tensorflow/tfjs-core';
// A named binding, not a bare import: the package declares no side effects, so esbuild drops a bare import from the
// bundles (dist/worker.js, dist/cli.js) and with it the cpu backend's registration.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The binary the wasm backend loads in Node (no threads there; SIMD is supported by Node 20). */
const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

export type TfjsBackendName = 'wasm' | 'cpu';

let ready: Promise<TfjsBackendName> | undefined;

/** Folders that may hold the wasm binaries, most specific first. */
export function wasmSearchFolders(start: string = __dirname): string[] {
  const folders = [start];
  for (let dir = start; ; dir = path.dirname(dir)) {
    folders.push(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'));
    if (path.dirname(dir) === dir) break;
  }
  return folders;
}

/** The folder holding the SIMD wasm binary, or undefined when none is found. */
export function findWasmFolder(start: string = __dirname): string | undefined {
  return wasmSearchFolders(start).find((dir) => existsSync(path.join(dir, SIMD_BINARY)));
}

/**
 * Initialises tfjs once per process (or worker) and returns the backend in use. `prefer: 'cpu'` skips wasm (tests
 * of the fallback). Every reason for falling back is passed to `log`.
 */
export function initTfjs(log: (msg: string) => void = () => undefined, prefer: TfjsBackendName = 'wasm'): Promise<TfjsBackendName> {
  ready ??= (async (): Promise<TfjsBackendName> => {
    if (prefer === 'wasm') {
      const folder = findWasmFolder();
      if (folder === undefined) {
        log(`tfjs: ${SIMD_BINARY} not found beside ${__dirname} nor in node_modules; using the slower cpu backend`);
      } else {
        try {
          // Emscripten joins prefix + file name, so the prefix needs its trailing separator.
          setWasmPaths(folder + path.sep);
          if (await tf.setBackend('wasm')) {
            await tf.ready();
            const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
            log(`tfjs: wasm backend from ${folder}${simd ? ' with SIMD' : ' WITHOUT SIMD (slow)'}`);
            return 'wasm';
          }
          log('tfjs: the wasm backend failed to initialise; using the slower cpu backend');
        } catch (err) {
          log(`tfjs: the wasm backend failed (${err instanceof Error ? err.message : String(err)}); using the slower cpu backend`);
        }
      }
    }
    log(`tfjs: cpu backend ${version_cpu}`);
    await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  })();
  return ready;
}
