/**
 * Continue From Cursor, host side and free of vscode: drives the engine's KV-cached generation one token at a time,
 * chooses each token with the sampling settings (src/engine/sampling.ts), and keeps the GenerationState the
 * continuation view draws. The panel wrapper (continuation-panel.ts) only relays messages and does Insert / Copy.
 *
 * - The pending distribution (the next step, not yet taken) is recomputed from its full logits row whenever a
 *   setting changes, so the view shows at once what temperature, top-k and top-p do to it.
 * - Stop is a flag read between steps: a run halts after the step in flight, never later.
 * - A branch (another candidate at step k) restarts the engine's session on the same prompt, replays the k kept
 *   tokens (one cached position each), feeds the chosen token and runs on.
 */
import type {
  GenerateStepResult, GenerationAction, GenerationState, GenerationStepView, ModelConfig, SamplingSettings, TokenSpan, TopToken,
} from '../protocol';
import { argmax, keptTokens, pick, probabilities, stepUniform } from '../engine/sampling';
import { rankOf } from '../engine/trace';

/** How many candidates each step shows (the largest logits, named by the engine). */
export const CANDIDATES = 12;

export const DEFAULT_SETTINGS: SamplingSettings = { greedy: false, temperature: 0.8, topK: 40, topP: 0.95, seed: 1, maxTokens: 32 };

/** What the controller needs from the engine; EngineClient satisfies it. */
export interface GenerationEngine {
  generateStart(sessionId: string, prompt: string, maxTokens: number, topK?: number): Promise<{ tokens: TokenSpan[]; step: GenerateStepResult }>;
  generateStep(sessionId: string, tokenId: number, topK: number): Promise<{ token: TokenSpan; step: GenerateStepResult }>;
  generateEnd(sessionId: string): Promise<void>;
}

export interface ContinuationModel {
  name: string;
  config: Pick<ModelConfig, 'n_layer' | 'n_head' | 'n_positions' | 'vocab_size'>;
}

/** The distribution the next token is drawn from: the engine's output after the tokens so far. */
interface Pending {
  logits: Float32Array;
  attention: Float32Array;
  /** Tokens in context (the query's position + 1). */
  length: number;
  topk: TopToken[];
  /** softmax(logits / T) for the temperature last asked (one exp pass over the vocabulary, reused). */
  probs?: { temperature: number; p: Float64Array };
}

/** A candidate list at the settings' temperature, with how many of them the sampler may draw. */
interface Distribution {
  candidates: TopToken[];
  kept: number;
  keptMass: number;
}

let sessions = 0;

export class ContinuationController {
  private readonly sessionId = `continuation-${++sessions}`;
  private settings: SamplingSettings;
  private promptTokens: TokenSpan[] = [];
  private steps: GenerationStepView[] = [];
  private pending: Pending | undefined;
  private running = false;
  private stopRequested = false;
  private note: string | undefined;
  /** Positions kept free for generated tokens when the prompt is cut (fixed at start so replays cut the same way). */
  private reserve = 0;
  /** Actions that drive the engine run one after another. */
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly engine: GenerationEngine,
    private readonly model: ContinuationModel,
    readonly prompt: string,
    settings: SamplingSettings,
    private readonly post: (state: GenerationState) => void,
  ) {
    this.settings = { ...settings };
  }

  /** Runs the prompt; the first pending distribution is then shown. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      this.reserve = Math.min(this.settings.maxTokens, this.model.config.n_positions - 1);
      await this.restart();
      this.publish();
    });
  }

  /** The generated text so far, exactly as the view shows it token by token. */
  continuation(): string {
    return this.steps.map((s) => s.token.text).join('');
  }

  state(): GenerationState {
    const dist = this.pending ? this.distribution(this.pending) : undefined;
    return {
      running: this.running,
      prompt: this.prompt,
      promptTokens: this.promptTokens,
      steps: this.steps,
      settings: { ...this.settings },
      ...(this.pending && dist
        ? { pending: { candidates: dist.candidates, kept: dist.kept, keptMass: dist.keptMass, attention: this.pending.attention, contextLength: this.pending.length } }
        : {}),
      model: { name: this.model.name, n_layer: this.model.config.n_layer, n_head: this.model.config.n_head },
      ...(this.note ? { note: this.note } : {}),
    };
  }

  /** One action from the view. Insert and Copy belong to the panel wrapper and are refused here. */
  handle(a: GenerationAction): Promise<void> {
    switch (a.action) {
      case 'stop':
        if (this.running) this.stopRequested = true;
        return Promise.resolve();
      case 'settings':
        this.settings = { ...a.settings };
        this.publish();
        return Promise.resolve();
      case 'step':
        if (this.running) return Promise.resolve(); // the view disables Step while a run goes on
        return this.enqueue(async () => {
          this.note = undefined;
          await this.stepOnce();
          this.publish();
        });
      case 'run':
        if (this.running) return Promise.resolve();
        return this.enqueue(() => this.run());
      case 'branch':
        if (this.running) this.stopRequested = true;
        return this.enqueue(async () => {
          await this.branch(a.step, a.tokenId);
          await this.run();
        });
      case 'insert':
      case 'copy':
        return Promise.reject(new Error(`${a.action} is done by the panel, not the generation controller`));
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopRequested = true;
    void this.queue.then(() => this.engine.generateEnd(this.sessionId)).catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------------

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.disposed) return;
      try {
        await job();
      } catch (e) {
        this.running = false;
        this.note = e instanceof Error ? e.message.split('\n')[0] : String(e);
        this.publish();
        throw e;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private publish(): void {
    if (!this.disposed) this.post(this.state());
  }

  private async restart(): Promise<void> {
    const { tokens, step } = await this.engine.generateStart(this.sessionId, this.prompt, this.reserve, CANDIDATES);
    this.promptTokens = tokens;
    this.pending = pendingOf(step);
  }

  private canStep(): boolean {
    return this.pending !== undefined && this.pending.length < this.model.config.n_positions;
  }

  private async run(): Promise<void> {
    this.running = true;
    this.stopRequested = false;
    this.note = undefined;
    this.publish();
    while (!this.stopRequested && !this.disposed && this.steps.length < this.settings.maxTokens && this.canStep()) {
      await this.stepOnce();
      this.publish();
    }
    this.running = false;
    if (this.stopRequested) this.note = `stopped after ${this.steps.length} tokens`;
    else if (!this.canStep()) this.note = `the context is full (${this.model.config.n_positions} tokens): the continuation ends here`;
    this.stopRequested = false;
    this.publish();
  }

  /** Draw the next token from the pending distribution with the current settings, and feed it. */
  private async stepOnce(): Promise<void> {
    const p = this.requireStep();
    const s = this.settings;
    const id = s.greedy ? argmax(p.logits) : pick(keptTokens(p.logits, s, this.probs(p)), stepUniform(s.seed, this.steps.length));
    await this.take(p, id);
  }

  /** Record `id` as the next step of the continuation and advance the engine by it. */
  private async take(p: Pending, id: number): Promise<void> {
    const dist = this.distribution(p);
    const probs = this.probs(p);
    const { token, step } = await this.engine.generateStep(this.sessionId, id, CANDIDATES);
    this.steps.push({
      token,
      candidates: dist.candidates,
      rank: rankOf(p.logits, id),
      p: probs[id],
      attention: p.attention,
      contextLength: p.length,
      kept: dist.kept,
      keptMass: dist.keptMass,
    });
    this.pending = pendingOf(step);
  }

  private requireStep(): Pending {
    if (!this.pending) throw new Error('the continuation has not started');
    if (!this.canStep()) throw new Error(`the context is full (${this.model.config.n_positions} tokens): no further step`);
    return this.pending;
  }

  /** Keep steps[0..k-1], take `tokenId` at step k instead of what was drawn. */
  private async branch(k: number, tokenId: number): Promise<void> {
    if (!(k >= 0 && k < this.steps.length) && k !== this.steps.length) {
      throw new Error(`there is no step ${k} to branch from (the continuation has ${this.steps.length})`);
    }
    if (!(Number.isInteger(tokenId) && tokenId >= 0 && tokenId < this.model.config.vocab_size)) {
      throw new Error(`token ${tokenId} is outside the vocabulary`);
    }
    const kept = this.steps.slice(0, k);
    if (k < this.steps.length) {
      // The cache holds later positions: rebuild it up to step k (same prompt cut, same tokens, so the same numbers).
      await this.restart();
      for (const s of kept) {
        const { step } = await this.engine.generateStep(this.sessionId, s.token.id, CANDIDATES);
        this.pending = pendingOf(step);
      }
      this.steps = kept;
    }
    this.publish();
    await this.take(this.requireStep(), tokenId);
    this.publish();
  }

  private probs(p: Pending): Float64Array {
    const T = this.settings.temperature;
    if (p.probs?.temperature !== T) p.probs = { temperature: T, p: probabilities(p.logits, T) };
    return p.probs.p;
  }

  private distribution(p: Pending): Distribution {
    const s = this.settings;
    const probs = this.probs(p);
    const candidates = p.topk.map((c) => ({ ...c, p: probs[c.id] }));
    const kept = keptTokens(p.logits, s, probs);
    const ids = new Set(kept.ids);
    return { candidates, kept: candidates.filter((c) => ids.has(c.id)).length, keptMass: kept.mass };
  }
}

function pendingOf(step: GenerateStepResult): Pending {
  if (!step.topk) throw new Error('the engine sent no candidate tokens with its generation step');
  return { logits: step.logits, attention: step.attention, length: step.length, topk: step.topk };
}
