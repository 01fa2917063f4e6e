/**
 * The worker's message loop: requests run one at a time in arrival order (the model is single-threaded anyway), so a
 * 'cancel' can still drop a queued request before it costs a forward pass. Every request gets exactly one reply;
 * every error becomes an error reply with a one-line message.
 */
import type { WorkerEnvelope, WorkerReply, WorkerRequest, WorkerResult } from '../protocol';
import { prepareTransfer } from './transferables';

/** The side of a worker_threads port the loop uses (parentPort in the worker, a MessageChannel port in tests). */
export interface LoopPort {
  on(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
}

export interface RequestHandler {
  handle(req: WorkerRequest, cancelled: () => boolean): Promise<WorkerResult>;
}

/** An error as one line: its message (or name) without line breaks. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'unknown error';
}

export function serveRequests(port: LoopPort, handler: RequestHandler): void {
  const queue: WorkerEnvelope[] = [];
  const cancelledWhileRunning = new Set<number>();
  let running: number | undefined;

  const reply = (msg: WorkerReply): void => {
    if ('ok' in msg && msg.ok) {
      const { value, transfer } = prepareTransfer(msg);
      port.postMessage(value, transfer);
    } else {
      port.postMessage(msg);
    }
  };

  const pump = async (): Promise<void> => {
    if (running !== undefined) return;
    for (let env = queue.shift(); env; env = queue.shift()) {
      const id = env.id;
      running = id;
      try {
        const result = await handler.handle(env.request, () => cancelledWhileRunning.has(id));
        reply({ id, ok: true, result });
      } catch (err) {
        reply({ id, ok: false, error: oneLine(err) });
      } finally {
        running = undefined;
        cancelledWhileRunning.delete(id);
      }
    }
  };

  port.on('message', (raw) => {
    const env = raw as Partial<WorkerEnvelope>;
    if (typeof env?.id !== 'number' || typeof env.request?.kind !== 'string') {
      port.postMessage({ id: -1, level: 'error', log: `engine worker: ignored a malformed message (${typeof raw})` } satisfies WorkerReply);
      return;
    }
    const request = env.request;
    if (request.kind === 'cancel') {
      const target = request.requestId;
      const index = queue.findIndex((e) => e.id === target);
      let dropped = false;
      if (index >= 0) {
        queue.splice(index, 1);
        reply({ id: target, ok: false, error: 'cancelled before it ran' });
        dropped = true;
      } else if (running === target) {
        cancelledWhileRunning.add(target);
        dropped = true;
      }
      reply({ id: env.id, ok: true, result: { kind: 'cancel', dropped } });
      return;
    }
    queue.push({ id: env.id, request });
    void pump();
  });
}
