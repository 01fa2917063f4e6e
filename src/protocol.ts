/**
 * Every message between the extension host, the engine worker and the webview, and the data they carry.
 * This is the one file webview/ may import from src/ (types only). Keep it free of runtime imports.
 *
 * Array layout convention: every multi-dimensional tensor travels as one flat Float32Array (row-major)
 * next to its shape, so it can be transferred (worker -> host) without copying and posted to the webview
 * as a typed array rather than a JSON number list.
 */

// ---------------------------------------------------------------------------------------------------
// Models

export interface ModelConfig {
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  vocab_size: number;
  n_inner: number;
  layer_norm_epsilon: number;
  activation_function: 'gelu_new' | 'gelu' | 'gelu_pytorch_tanh' | 'relu';
}

export interface ModelInfo {
  /** Short human name: the folder's name, or the bundled model's name. */
  name: string;
  /** Absolute path of the checkpoint folder. */
  path: string;
  bundled: boolean;
  config: ModelConfig;
  /** Total parameter count. */
  parameters: number;
  /** Which engine backend runs it ("tfjs-wasm", "tfjs-cpu", "onnxruntime"). */
  backend: string;
  /** The training log (train.csv beside the model), when the folder ships one. */
  trainingLog?: TrainingLog;
}

export interface TrainingLogRow {
  step: number;
  tokens: number;
  trainLoss: number;
  /** NaN where no validation was run at that step. */
  valLoss: number;
  gradNorm: number;
  clipped: boolean;
  lr: number;
  tokensPerSecond: number;
}

/** heads_log.csv: the strongest head's scores at one evaluation during training (scripts/train/evaluate.py's measures). */
export interface TrainingHeadsRow {
  step: number;
  tokens: number;
  /** Best over heads of the attention from a repeated random token to the token after its first occurrence. */
  bestInduction: number;
  /** Best over heads of the mean attention to the previous token on validation text. */
  bestPreviousToken: number;
  /** Loss (nats/token) on the repeated half of the random sequences: it falls when the model copies from context. */
  repeatedHalfLoss: number;
}

export interface TrainingLog {
  rows: TrainingLogRow[];
  /** The clipping threshold used in training (max global gradient norm), when known. */
  clipNorm?: number;
  /** Head scores over training, when the folder ships heads_log.csv. */
  heads?: TrainingHeadsRow[];
}

// ---------------------------------------------------------------------------------------------------
// The Trace: what one traced forward pass over the analysed text yields.

export interface TokenSpan {
  id: number;
  /**
   * The token's text as decoded on its own (may be a replacement char for partial UTF-8 bytes). A generated token's
   * text is what it adds to the decoded stream instead: '' for the first bytes of a character, the whole character
   * from the token that completes it.
   */
  text: string;
  /** UTF-16 [start, end) in the analysed text (add Trace.offset for the document offset). */
  start: number;
  end: number;
}

export interface TopToken {
  id: number;
  text: string;
  p: number;
  logit: number;
}

export interface TokenScore {
  /** Scoring of this token given the tokens before it; null for the first token. */
  p: number | null;
  rank: number | null;
  /** -log2 p, in bits. */
  surprisal: number | null;
  /** Entropy (bits) of the next-token distribution predicted at this position. */
  entropy: number;
  /** The top-k tokens predicted to come after this position. */
  topk: TopToken[];
}

export interface LayerNormStat {
  /** Name as in the checkpoint: "h.0.ln_1", "h.0.ln_2", ..., "ln_f". */
  name: string;
  layer: number;
  /** Mean over positions of the per-position mean / std across the embedding dimension. */
  meanBefore: number;
  stdBefore: number;
  meanAfter: number;
  stdAfter: number;
  /** Per position: [T] each. */
  perPosition: { meanBefore: Float32Array; stdBefore: Float32Array; meanAfter: Float32Array; stdAfter: Float32Array };
}

export interface LogitLensEntry {
  /** Layer index l: the residual after block l-1 (0 = embeddings), n_layer = final (after ln_f, the model's own output). */
  layer: number;
  /** [T][k] top token ids and probabilities. */
  ids: Int32Array;
  probs: Float32Array;
  k: number;
  /** [T][k] the tokens' texts beside ids (optional; the panel shows #id where absent). */
  texts?: string[];
}

export interface Trace {
  model: ModelInfo;
  /** The analysed text (after truncation to the model's context). */
  text: string;
  /** Document offset (UTF-16) of text[0]; the host sets it. */
  offset: number;
  tokens: TokenSpan[];
  scores: TokenScore[];
  /** Tokens of the input before truncation; equal to tokens.length when nothing was cut. */
  totalTokens: number;
  /** Mean surprisal (bits) over scored tokens, and perplexity = 2^mean (per token). */
  meanSurprisal: number;
  perplexity: number;
  /** Mean cross-entropy in nats per scored token. */
  meanLoss: number;
  /** Attention probabilities, [n_layer][n_head][T][T] flattened; present when asked. */
  attention?: Float32Array;
  /** Token and position embeddings of the input, [T][n_embd] each. */
  embeddings?: { wte: Float32Array; wpe: Float32Array };
  /** Residual stream: [n_layer + 1][T][n_embd] (index 0 = wte + wpe, index l = after block l-1). */
  residuals?: Float32Array;
  layerNorm?: LayerNormStat[];
  logitLens?: LogitLensEntry[];
  /** Wall time of the forward pass in ms (worker side). */
  forwardMs: number;
}

/** What an analyze request asks to be traced. Hover-only requests leave everything false. */
export interface TraceRequest {
  attention?: boolean;
  embeddings?: boolean;
  residuals?: boolean;
  layerNorm?: boolean;
  logitLens?: boolean;
}

/** The real numbers behind one attention row: one (layer, head, query position). */
export interface AttentionDetail {
  layer: number;
  head: number;
  query: number;
  dHead: number;
  /** [dHead] */
  q: Float32Array;
  /** [T][dHead] for all key positions (positions after the query are masked). */
  k: Float32Array;
  v: Float32Array;
  /** [T] raw q.k, q.k / sqrt(dHead), mask (1 = visible, 0 = masked), softmax weights. */
  scores: Float32Array;
  scaled: Float32Array;
  mask: Uint8Array;
  weights: Float32Array;
  /** [dHead] the weighted sum of v. */
  output: Float32Array;
}

/** The full logits row at one position, for softmax with temperature. */
export interface LogitsRow {
  position: number;
  logits: Float32Array;
}

// ---------------------------------------------------------------------------------------------------
// Host <-> engine worker

export type WorkerRequest =
  | { kind: 'load'; modelPath: string; bundled: boolean; backend?: 'auto' | 'tfjs' | 'onnxruntime' }
  | { kind: 'analyze'; docKey: string; text: string; topK: number; maxTokens: number; want: TraceRequest }
  | { kind: 'attentionDetail'; docKey: string; layer: number; head: number; query: number }
  | { kind: 'logitsRow'; docKey: string; position: number }
  /** topK > 0: each step result carries the topK most likely next tokens with their texts (GenerateStepResult.topk). */
  | { kind: 'generateStart'; sessionId: string; prompt: string; maxTokens: number; topK?: number }
  | { kind: 'generateStep'; sessionId: string; tokenId: number; topK: number }
  | { kind: 'generateEnd'; sessionId: string }
  | { kind: 'memory' }
  /** Drop the request with envelope id `requestId` (superseded or aborted): skipped if queued, its result discarded if running. */
  | { kind: 'cancel'; requestId: number };

export interface GenerateStepResult {
  /** Logits of the next-token distribution after the tokens so far. */
  logits: Float32Array;
  /** Attention of this step's query over all tokens so far: [n_layer][n_head][t]. */
  attention: Float32Array;
  /** Number of tokens in context after this step. */
  length: number;
  stepMs: number;
  /** The topK largest logits with their tokens' texts (p at temperature 1), when the request asked for them. */
  topk?: TopToken[];
}

export type WorkerResult =
  | { kind: 'load'; model: ModelInfo }
  | { kind: 'analyze'; trace: Trace }
  | { kind: 'attentionDetail'; detail: AttentionDetail }
  | { kind: 'logitsRow'; row: LogitsRow }
  | { kind: 'generateStart'; tokens: TokenSpan[]; step: GenerateStepResult }
  | { kind: 'generateStep'; token: TokenSpan; step: GenerateStepResult }
  | { kind: 'generateEnd' }
  | { kind: 'memory'; numTensors: number; numBytes: number }
  /** `dropped`: the target was still queued or running when the cancel arrived. */
  | { kind: 'cancel'; dropped: boolean };

/** Envelope: every request carries an id; every reply answers it with a result or an error. */
export interface WorkerEnvelope {
  id: number;
  request: WorkerRequest;
}
export type WorkerReply =
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: false; error: string }
  | { id: -1; log: string; level: 'info' | 'warn' | 'error' };

// ---------------------------------------------------------------------------------------------------
// Host <-> webview

export interface PanelSelection {
  /** Selected token (query position). */
  token: number;
  layer: number;
  /** -1 = average over heads. */
  head: number;
}

export type HostToWebview =
  | { type: 'init'; trace: Trace | null; selection: PanelSelection; theme: 'light' | 'dark' | 'high-contrast'; docUri?: string }
  | { type: 'trace'; trace: Trace; selection: PanelSelection; docUri?: string }
  | { type: 'select'; token: number }
  | { type: 'attentionDetail'; detail: AttentionDetail }
  | { type: 'logitsRow'; row: LogitsRow }
  | { type: 'clear' }
  | { type: 'error'; requestId?: number; message: string }
  | { type: 'generation'; state: GenerationState };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectToken'; token: number; reveal: boolean }
  | { type: 'hoverTokens'; tokens: number[] }
  | { type: 'requestAttentionDetail'; layer: number; head: number; query: number }
  | { type: 'requestLogitsRow'; position: number }
  | { type: 'export'; format: 'svg' | 'png' | 'json'; data: string; suggestedName: string }
  | { type: 'generationControl'; action: GenerationAction }
  | { type: 'error'; message: string };

// Continue-from-cursor (text generation) state, drawn by the panel.
export interface SamplingSettings {
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  maxTokens: number;
}

export interface GenerationStepView {
  token: TokenSpan;
  /** Top candidates of the distribution it was drawn from (after temperature, before top-k/top-p filtering). */
  candidates: TopToken[];
  rank: number;
  p: number;
  /** This step's query attention over the context: [n_layer][n_head][t]. */
  attention: Float32Array;
  contextLength: number;
  /** How many of `candidates` (most probable first) top-k / top-p / greedy left to draw from, and their total p. */
  kept?: number;
  keptMass?: number;
}

export interface GenerationState {
  running: boolean;
  prompt: string;
  promptTokens: TokenSpan[];
  steps: GenerationStepView[];
  settings: SamplingSettings;
  /** The distribution for the next step (not yet taken), recomputed when a control changes. */
  pending?: { candidates: TopToken[]; kept?: number; keptMass?: number; attention?: Float32Array; contextLength?: number };
  /** The model's shape, for the attention layer/head picker. */
  model?: { name: string; n_layer: number; n_head: number };
  /** One line about the run: why it stopped, or what went wrong. */
  note?: string;
}

export type GenerationAction =
  | { action: 'step' }
  | { action: 'run' }
  | { action: 'stop' }
  | { action: 'settings'; settings: SamplingSettings }
  | { action: 'branch'; step: number; tokenId: number }
  | { action: 'insert' }
  | { action: 'copy' };
