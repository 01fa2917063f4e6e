/**
 * The engine worker (dist/worker.js): owns tfjs and the loaded model, so the extension host's thread never runs them.
 * Requests arrive as WorkerEnvelopes from EngineClient and are answered one at a time by EngineSession; log lines go
 * back with id -1.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply } from '../protocol';
import { engineDeps } from './engine-deps';
import { EngineSession, type LogLevel } from './session';
import { serveRequests } from './worker-loop';

if (!parentPort) throw new Error('dist/worker.js must run inside a worker_threads Worker (it has no parentPort)');
const port = parentPort;
const log = (level: LogLevel, msg: string): void => port.postMessage({ id: -1, level, log: msg } satisfies WorkerReply);
serveRequests(port, new EngineSession(engineDeps, log));
