/**
 * The host's typed proxy to the engine worker (dist/worker.js). Free of vscode and of tfjs: the worker starts on the
 * first request, so activating the extension loads no model code.
 *
 * - A newer analyze for the same document supersedes the older: the older rejects with a CancelledError at once and
 *   the worker skips it if it has not started (or drops its result if it has).
 * - An AbortSignal cancels a request the same way.
 * - If the worker crashes or exits, every pending request rejects with an Error saying so; the next request starts a
 *   fresh worker and reloads the last model first. A request that takes longer than requestTimeoutMs rejects and the
 *   worker is restarted (it is presumed stuck).
 */
import { Worker } from 'node:worker_threads';
import type {
  AttentionDetail, GenerateStepResult, LogitsRow, ModelInfo, TokenSpan, Trace, TraceRequest,
  WorkerEnvelope, WorkerReply, WorkerRequest, WorkerResult,
} from '../protocol';

export type ClientLogLevel = 'info' | 'warn' | 'error';

export interface EngineClientOptions {
  /** Absolute path of the built worker (dist/worker.js). */
  workerPath: string;
  log(level: ClientLogLevel, msg: string): void;
  /** Per-request limit; 0 disables it. Default 300 000 ms (loading a large checkpoint on a slow disk). */
  requestTimeoutMs?: number;
}

export interface AnalyzeOptions {
  topK: number;
  maxTokens: number;
  want: TraceRequest;
}

/** The rejection of a superseded, aborted or disposed-of request. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

export function isCancelled(e: unknown): boolean {
  return e instanceof Error && e.name === 'CancelledError';
}

type Kind = WorkerRequest['kind'];
type ResultOf<K extends Kind> = Extract<WorkerResult, { kind: K }>;
type RequestOf<K extends Kind> = Extract<WorkerRequest, { kind: K }>;

interface Pending {
  kind: Kind;
  resolve(result: WorkerResult): void;
  reject(err: Error): void;
  cleanup(): void;
}

interface LoadArgs {
  modelPath: string;
  bundled: boolean;
  backend?: 'auto' | 'tfjs' | 'onnxruntime';
}

export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The pending analyze id per document, to supersede it. */
  private readonly analyzing = new Map<string, number>();
  private lastLoad: LoadArgs | undefined;
  private model: ModelInfo | undefined;
  /** The reload of the last model into a restarted worker; requests wait for it. */
  private reloading: Promise<void> | undefined;
  private disposed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: EngineClientOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 300_000;
  }

  /** The model the worker holds (or will reload after a restart). */
  get loadedModel(): ModelInfo | undefined {
    return this.model;
  }

  async load(modelPath: string, bundled: boolean, backend?: 'auto' | 'tfjs' | 'onnxruntime'): Promise<ModelInfo> {
    const args: LoadArgs = { modelPath, bundled, ...(backend ? { backend } : {}) };
    this.model = undefined;
    this.lastLoad = undefined;
    const { model } = await this.request<'load'>({ kind: 'load', ...args }, undefined, true);
    this.reloading = undefined; // a failed reload no longer matters: this model replaced it
    this.lastLoad = args;
    this.model = model;
    return model;
  }

  async analyze(docKey: string, text: string, opts: AnalyzeOptions, signal?: AbortSignal): Promise<Trace> {
    const older = this.analyzing.get(docKey);
    if (older !== undefined) this.cancel(older, new CancelledError(`analysis of ${docKey} superseded by a newer one`));
    const { trace } = await this.request<'analyze'>(
      { kind: 'analyze', docKey, text, topK: opts.topK, maxTokens: opts.maxTokens, want: opts.want }, signal, false,
      (id) => this.analyzing.set(docKey, id),
      (id) => { if (this.analyzing.get(docKey) === id) this.analyzing.delete(docKey); },
    );
    return trace;
  }

  async attentionDetail(docKey: string, layer: number, head: number, query: number): Promise<AttentionDetail> {
    return (await this.request<'attentionDetail'>({ kind: 'attentionDetail', docKey, layer, head, query })).detail;
  }

  async logitsRow(docKey: string, position: number): Promise<LogitsRow> {
    return (await this.request<'logitsRow'>({ kind: 'logitsRow', docKey, position })).row;
  }

  async generateStart(sessionId: string, prompt: string, maxTokens: number, topK = 0): Promise<{ tokens: TokenSpan[]; step: GenerateStepResult }> {
    const { tokens, step } = await this.request<'generateStart'>({ kind: 'generateStart', sessionId, prompt, maxTokens, ...(topK ? { topK } : {}) });
    return { tokens, step };
  }

  async generateStep(sessionId: string, tokenId: number, topK: number): Promise<{ token: TokenSpan; step: GenerateStepResult }> {
    const { token, step } = await this.request<'generateStep'>({ kind: 'generateStep', sessionId, tokenId, topK });
    return { token, step };
  }

  async generateEnd(sessionId: string): Promise<void> {
    await this.request<'generateEnd'>({ kind: 'generateEnd', sessionId });
  }

  /** tfjs memory inside the worker. */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    const { numTensors, numBytes } = await this.request<'memory'>({ kind: 'memory' });
    return { numTensors, numBytes };
  }

  /** Ends the worker (freeing its wasm heap); pending requests reject with a CancelledError. Later calls reject. */
  dispose(): void {
    this.disposed = true;
    this.stopWorker(new CancelledError('the engine client was disposed'));
  }

  // -------------------------------------------------------------------------------------------------

  private request<K extends Kind>(
    request: RequestOf<K>, signal?: AbortSignal, isLoad = false,
    onSent?: (id: number) => void, onSettled?: (id: number) => void,
  ): Promise<ResultOf<K>> {
    if (this.disposed) return Promise.reject(new Error('the engine client was disposed'));
    if (signal?.aborted) return Promise.reject(new CancelledError(`${request.kind} aborted before it was sent`));
    const id = this.nextId++;
    onSent?.(id);
    return new Promise<ResultOf<K>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => this.cancel(id, new CancelledError(`${request.kind} aborted`));
      const pending: Pending = {
        kind: request.kind,
        resolve: (r) => { pending.cleanup(); resolve(r as ResultOf<K>); },
        reject: (e) => { pending.cleanup(); reject(e); },
        cleanup: () => {
          this.pending.delete(id);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          onSettled?.(id);
        },
      };
      this.pending.set(id, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.timeoutMs > 0) {
        timer = setTimeout(() => {
          pending.reject(new Error(`engine request '${request.kind}' timed out after ${this.timeoutMs} ms; restarting the engine worker`));
          this.stopWorker(new Error(`engine worker restarted after a '${request.kind}' request timed out`));
        }, this.timeoutMs);
      }
      void this.send(id, request, isLoad);
    });
  }

  /** Posts once the worker is up and, after a restart, has the last model again. */
  private async send(id: number, request: WorkerRequest, isLoad: boolean): Promise<void> {
    try {
      const worker = this.ensureWorker();
      if (!isLoad && this.reloading) await this.reloading;
      if (!this.pending.has(id) || worker !== this.worker) return; // cancelled, or the worker died meanwhile
      worker.postMessage({ id, request } satisfies WorkerEnvelope);
    } catch (err) {
      this.pending.get(id)?.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerPath);
    this.worker = worker;
    let crash: Error | undefined;
    worker.on('message', (msg: WorkerReply) => this.onReply(msg));
    worker.on('error', (err) => {
      crash = err;
      this.options.log('error', `engine worker crashed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return; // stopped on purpose; already handled
      this.worker = undefined;
      this.reloading = undefined;
      const reason = crash ? `engine worker crashed: ${crash.message}` : `engine worker exited with code ${code}`;
      this.options.log('warn', `${reason}; it restarts on the next request`);
      this.rejectAll(new Error(reason));
    });
    const last = this.lastLoad;
    if (last) {
      this.options.log('info', `engine worker restarted; reloading ${last.modelPath}`);
      const reload: Promise<void> = this.request<'load'>({ kind: 'load', ...last }, undefined, true).then(
        ({ model }) => { this.model = model; },
        (err: Error) => {
          this.lastLoad = undefined;
          this.model = undefined;
          // Requests already waiting get this error; later ones go to the worker, which says no model is loaded.
          if (this.reloading === reload) this.reloading = undefined;
          throw new Error(`engine worker restarted but reloading ${last.modelPath} failed: ${err.message}`);
        },
      );
      this.reloading = reload;
      reload.catch(() => undefined); // awaited by each request; not unhandled here
    }
    return worker;
  }

  private onReply(msg: WorkerReply): void {
    if ('log' in msg) {
      this.options.log(msg.level, msg.log);
      return;
    }
    const pending = this.pending.get(msg.id);
    if (!pending) return; // cancelled on this side already
    if (msg.ok) pending.resolve(msg.result);
    else pending.reject(new Error(msg.error));
  }

  private cancel(id: number, err: CancelledError): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.reject(err);
    const worker = this.worker;
    if (worker) {
      // Fire and forget: the worker's reply to the cancel is not awaited.
      worker.postMessage({ id: this.nextId++, request: { kind: 'cancel', requestId: id } } satisfies WorkerEnvelope);
    }
  }

  private rejectAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  private stopWorker(err: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    this.reloading = undefined;
    this.rejectAll(err);
    if (worker) void worker.terminate();
  }
}
