/**
 * The engine's internal contracts: a loaded checkpoint, the tokenizer and a backend that runs the model.
 * Shared by the loader (checkpoint.ts), the tokenizer, the backends and the worker.
 */
import type { ModelConfig, TokenSpan, TrainingLog, TraceRequest, Trace, AttentionDetail, GenerateStepResult } from '../protocol';

/** A dense float32 tensor, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Weights under GPT-2's canonical names without the "transformer." prefix, Conv1D layout ([in, out]):
 * wte.weight [V, d], wpe.weight [P, d], h.{i}.ln_1.{weight,bias} [d], h.{i}.attn.c_attn.{weight [d, 3d], bias [3d]},
 * h.{i}.attn.c_proj.{weight [d, d], bias}, h.{i}.ln_2.*, h.{i}.mlp.c_fc.{weight [d, inner], bias},
 * h.{i}.mlp.c_proj.{weight [inner, d], bias}, ln_f.{weight,bias}. lm_head is tied to wte (absent here unless untied:
 * then "lm_head.weight" [V, d]).
 */
export type Weights = Map<string, HostTensor>;

export interface Tokenizer {
  readonly vocabSize: number;
  /** Tokens with UTF-16 [start, end) spans in `text`; a token holding part of a character's bytes gets that character's span. */
  encode(text: string): TokenSpan[];
  decode(ids: number[]): string;
  /** The text of one token on its own (partial UTF-8 shows as U+FFFD). */
  tokenText(id: number): string;
  /** The bytes one token stands for (UTF-8, possibly part of a character); throws for an id outside the vocabulary. */
  bytesOf(id: number): Uint8Array;
}

export interface Checkpoint {
  name: string;
  path: string;
  bundled: boolean;
  config: ModelConfig;
  weights: Weights;
  tokenizer: Tokenizer;
  trainingLog?: TrainingLog;
}

/** One backend (tfjs, onnxruntime) runs a loaded checkpoint. */
export interface ModelRunner {
  readonly backend: string;
  /** Traced forward over token ids (length <= n_positions). Text/offset/model fields are filled by the caller. */
  forward(ids: number[], want: TraceRequest, topK: number): Promise<Omit<Trace, 'model' | 'text' | 'offset' | 'tokens' | 'totalTokens'>>;
  attentionDetail(ids: number[], layer: number, head: number, query: number): Promise<AttentionDetail>;
  logitsRow(ids: number[], position: number): Promise<Float32Array>;
  dispose(): void;
}

/**
 * Token-by-token generation with a KV cache: one session per runner (a new start ends the previous one). Each step
 * returns the next-token logits after the tokens so far and the attention of the newest query, [n_layer][n_head][t].
 */
export interface GenerationRunner {
  /** Runs the prompt (1..n_positions ids) and keeps its keys and values. */
  startGeneration(ids: number[]): Promise<GenerateStepResult>;
  /** Appends one token, computing only its position; throws past n_positions or without a started session. */
  stepGeneration(id: number): Promise<GenerateStepResult>;
  /** Frees the cache; harmless when no session is open. */
  endGeneration(): void;
}
