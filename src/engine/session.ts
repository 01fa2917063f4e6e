/**
 * The engine's state on the worker side (and in the CLI, which runs it in-process): the loaded checkpoint and its
 * runner, the token ids last analysed per document (so attention detail and logits rows need no re-send of the text),
 * and the one generation session the runner's KV cache can hold. Every request goes through handle().
 */
import type { GenerateStepResult, ModelInfo, TokenSpan, Trace, TraceRequest, WorkerRequest, WorkerResult } from '../protocol';
import type { Checkpoint, GenerationRunner, ModelRunner } from './types';
import { keepFirstTokens, keepLastTokens } from './long-input';
import { rowStats } from './trace';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string) => void;
export type BackendChoice = 'auto' | 'tfjs' | 'onnxruntime';

export type EngineRunner = ModelRunner & Partial<GenerationRunner>;

/** What the session needs from the rest of the engine; injected so the CLI, the worker and tests share this file. */
export interface EngineDeps {
  loadCheckpoint(dir: string, opts: { bundled: boolean }): Promise<Checkpoint>;
  createRunner(ckpt: Checkpoint, backend: BackendChoice, log: LogFn): Promise<EngineRunner>;
  memory(): { numTensors: number; numBytes: number };
}

/** Raised when a request was cancelled while it ran; its result is dropped. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** How many documents keep their last analysed ids (least recently analysed are forgotten first). */
const MAX_DOCS = 32;

interface Loaded {
  ckpt: Checkpoint;
  runner: EngineRunner;
  info: ModelInfo;
}

interface Generation {
  sessionId: string;
  /** Tokens in the runner's context. */
  length: number;
  /** UTF-16 length of prompt + generated text, where the next generated token's span starts. */
  textEnd: number;
  topK: number;
}

function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export class EngineSession {
  private loaded: Loaded | undefined;
  private readonly lastIds = new Map<string, number[]>();
  private generation: Generation | undefined;

  constructor(private readonly deps: EngineDeps, private readonly log: LogFn) {}

  get model(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  /** The loaded checkpoint and runner (the CLI's bench drives the runner directly). */
  requireModel(): Loaded {
    if (!this.loaded) throw new Error('no model is loaded: send a load request first');
    return this.loaded;
  }

  /** Answers one request. `cancelled` is polled after long steps: a cancelled analysis leaves no state behind. */
  async handle(req: WorkerRequest, cancelled: () => boolean = () => false): Promise<WorkerResult> {
    switch (req.kind) {
      case 'load':
        return { kind: 'load', model: await this.load(req.modelPath, req.bundled, req.backend ?? 'auto') };
      case 'analyze':
        return { kind: 'analyze', trace: await this.analyze(req.docKey, req.text, req.topK, req.maxTokens, req.want, cancelled) };
      case 'attentionDetail': {
        const { runner, ids } = this.idsOf(req.docKey);
        checkInt('query', req.query, 0, ids.length - 1);
        return { kind: 'attentionDetail', detail: await runner.attentionDetail(ids, req.layer, req.head, req.query) };
      }
      case 'logitsRow': {
        const { runner, ids } = this.idsOf(req.docKey);
        checkInt('position', req.position, 0, ids.length - 1);
        return { kind: 'logitsRow', row: { position: req.position, logits: await runner.logitsRow(ids, req.position) } };
      }
      case 'generateStart':
        return { kind: 'generateStart', ...(await this.generateStart(req.sessionId, req.prompt, req.maxTokens, req.topK ?? 0)) };
      case 'generateStep':
        return { kind: 'generateStep', ...(await this.generateStep(req.sessionId, req.tokenId, req.topK)) };
      case 'generateEnd':
        this.generateEnd(req.sessionId);
        return { kind: 'generateEnd' };
      case 'memory':
        return { kind: 'memory', ...this.deps.memory() };
      case 'cancel':
        throw new Error('cancel requests are handled by the worker loop, not the session');
    }
  }

  dispose(): void {
    this.unload();
  }

  private unload(): void {
    if (this.generation) this.loaded?.runner.endGeneration?.();
    this.generation = undefined;
    this.lastIds.clear();
    this.loaded?.runner.dispose();
    this.loaded = undefined;
  }

  private async load(modelPath: string, bundled: boolean, backend: BackendChoice): Promise<ModelInfo> {
    // Free the old model first: two models at once could exceed wasm's 4 GB heap.
    this.unload();
    const started = Date.now();
    const ckpt = await this.deps.loadCheckpoint(modelPath, { bundled });
    const runner = await this.deps.createRunner(ckpt, backend, this.log);
    let parameters = 0;
    for (const t of ckpt.weights.values()) parameters += t.data.length;
    const info: ModelInfo = {
      name: ckpt.name,
      path: ckpt.path,
      bundled: ckpt.bundled,
      config: ckpt.config,
      parameters,
      backend: runner.backend,
      ...(ckpt.trainingLog ? { trainingLog: ckpt.trainingLog } : {}),
    };
    this.loaded = { ckpt, runner, info };
    this.log('info', `loaded ${ckpt.name} (${parameters} parameters) on ${runner.backend} in ${Date.now() - started} ms`);
    return info;
  }

  private async analyze(
    docKey: string, text: string, topK: number, maxTokens: number, want: TraceRequest | undefined,
    cancelled: () => boolean,
  ): Promise<Trace> {
    const { ckpt, runner, info } = this.requireModel();
    if (typeof text !== 'string') throw new Error('analyze: text must be a string');
    checkInt('topK', topK, 0, ckpt.config.vocab_size);
    checkInt('maxTokens', maxTokens, 1, Number.MAX_SAFE_INTEGER);
    const all = ckpt.tokenizer.encode(text);
    if (all.length === 0) throw new Error('nothing to analyze: the text is empty');
    const kept = keepFirstTokens(all, text, ckpt.config.n_positions, maxTokens);
    const ids = kept.tokens.map((t) => t.id);
    if (cancelled()) throw new CancelledError('analysis cancelled before it ran');
    const out = await runner.forward(ids, want ?? {}, topK);
    if (cancelled()) throw new CancelledError('analysis cancelled while it ran');
    this.lastIds.delete(docKey);
    this.lastIds.set(docKey, ids);
    if (this.lastIds.size > MAX_DOCS) this.lastIds.delete(this.lastIds.keys().next().value as string);
    return { ...out, model: info, text: kept.text, offset: 0, tokens: kept.tokens, totalTokens: kept.totalTokens };
  }

  private idsOf(docKey: string): { runner: ModelRunner; ids: number[] } {
    const { runner } = this.requireModel();
    const ids = this.lastIds.get(docKey);
    if (!ids) throw new Error(`no analysis of document ${docKey} in the engine: analyze it first`);
    return { runner, ids };
  }

  private generator(): { ckpt: Checkpoint; runner: GenerationRunner } {
    const { ckpt, runner } = this.requireModel();
    if (!runner.startGeneration || !runner.stepGeneration || !runner.endGeneration) {
      throw new Error(`the ${runner.backend} backend cannot generate text step by step`);
    }
    return { ckpt, runner: runner as GenerationRunner };
  }

  /** Adds the topK candidates with their texts (the host has no tokenizer to name them). */
  private withTopk(ckpt: Checkpoint, step: GenerateStepResult, topK: number): GenerateStepResult {
    if (topK === 0) return step;
    return { ...step, topk: rowStats(step.logits, topK, (id) => ckpt.tokenizer.tokenText(id)).topk };
  }

  private async generateStart(sessionId: string, prompt: string, maxTokens: number, topK: number): Promise<{ tokens: TokenSpan[]; step: GenerateStepResult }> {
    const { ckpt, runner } = this.generator();
    const nPos = ckpt.config.n_positions;
    checkInt('maxTokens', maxTokens, 0, nPos - 1);
    checkInt('topK', topK, 0, ckpt.config.vocab_size);
    const all = ckpt.tokenizer.encode(prompt);
    if (all.length === 0) throw new Error('the prompt is empty: generation needs at least one token before the cursor');
    // The runner holds one KV cache: a new session replaces the old one.
    if (this.generation) runner.endGeneration();
    this.generation = undefined;
    const tokens = keepLastTokens(all, nPos, maxTokens);
    const step = await runner.startGeneration(tokens.map((t) => t.id));
    this.generation = { sessionId, length: tokens.length, textEnd: prompt.length, topK };
    return { tokens, step: this.withTopk(ckpt, step, topK) };
  }

  private async generateStep(sessionId: string, tokenId: number, topK: number): Promise<{ token: TokenSpan; step: GenerateStepResult }> {
    const { ckpt, runner } = this.generator();
    const gen = this.generation;
    if (!gen || gen.sessionId !== sessionId) {
      throw new Error(`generation session ${sessionId} is not active (it ended or a newer one replaced it)`);
    }
    checkInt('tokenId', tokenId, 0, ckpt.config.vocab_size - 1);
    checkInt('topK', topK, 0, ckpt.config.vocab_size);
    if (gen.length >= ckpt.config.n_positions) {
      throw new Error(`the context is full (${ckpt.config.n_positions} tokens): start a new generation`);
    }
    const step = await runner.stepGeneration(tokenId);
    const text = ckpt.tokenizer.tokenText(tokenId);
    const token: TokenSpan = { id: tokenId, text, start: gen.textEnd, end: gen.textEnd + text.length };
    gen.length += 1;
    gen.textEnd = token.end;
    return { token, step: this.withTopk(ckpt, step, topK) };
  }

  private generateEnd(sessionId: string): void {
    if (this.generation?.sessionId !== sessionId) return;
    this.generation = undefined;
    this.loaded?.runner.endGeneration?.();
  }
}
