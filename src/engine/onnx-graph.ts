/**
 * The GPT-2-family forward pass as an ONNX graph, built for one loaded config from the same weights the tfjs
 * path uses. No batch dimension: the only input is `input_ids` int64 [T], so every activation is 2-D
 * [T, d] and attention is 3-D [H, T, T].
 *
 * Variants (each its own session; see onnx-runner.ts):
 *  - plain: output `logits` [T, V] only, so onnxruntime is free to fuse and reuse every buffer;
 *  - traced: adds `attention` [L, H, T, T], `residuals` [L+1, T, d], `ln_in`/`ln_out` [2L+1, T, d]
 *    (inputs and outputs of h.0.ln_1, h.0.ln_2, ..., ln_f in that order) and `qkv` [L, T, 3d].
 * The logit lens is a separate small graph (buildLensHeadOnnx) run on each residual: it holds only ln_f and the
 * unembedding, not a third copy of the whole model.
 *
 * Both variants also score every logits row in the graph (inputs `targets` int64 [T]: the next token of each
 * position, any valid id for the last; `top_k` int64 [1]): `row_lse` and `row_entropy` (nats) [T, 1], `row_greater`
 * [T, 1] (how many logits exceed the target's: its rank minus one), `next_logit` [T, 1] (the target's logit) and
 * `top_values` / `top_ids` [T, K]. On a small model, one JavaScript pass over [T][V] cost more than the model itself;
 * here it runs on onnxruntime's threads, and a hover need not fetch the logits at all (onnx-runner.ts).
 */
import type { ModelConfig } from '../protocol';
import type { HostTensor, Weights } from './types';
import { modelProto, nodeProto, OnnxType, tensorProto, valueInfoProto, type AttrValue, type ProtoMessage } from './onnx-proto';

export interface GraphVariant {
  traced: boolean;
}

/** The row-scoring outputs both variants declare after `logits`. */
export const SCORING_OUTPUTS = ['row_lse', 'row_entropy', 'row_greater', 'next_logit', 'top_values', 'top_ids'];

/** Names of the graph's outputs, in the order they are declared. */
export function graphOutputs(v: GraphVariant): string[] {
  const names = ['logits', ...SCORING_OUTPUTS];
  if (v.traced) names.push('attention', 'residuals', 'ln_in', 'ln_out', 'qkv');
  return names;
}


/** Opset 17: the first with LayerNormalization as a standard op. */
const OPSET = 17;
/** Masked scores take float32's lowest value, as Hugging Face's GPT-2 does (softmax gives exactly 0). */
const MASK_VALUE = -3.4028234663852886e38;

class GraphBuilder {
  readonly nodes: ProtoMessage[] = [];
  readonly initializers: ProtoMessage[] = [];
  private count = 0;

  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, outName?: string, outNames?: string[]): string[] {
    const id = this.count++;
    const outs = outNames ?? Array.from({ length: outputs }, (_, i) => (outName && outputs === 1 ? outName : `${type}_${id}_${i}`));
    this.nodes.push(nodeProto(type, inputs, outs, `${type}_${id}`, attrs));
    return outs;
  }

  /** One-output op. */
  o(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    return this.op(type, inputs, attrs, 1, outName)[0];
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(tensorProto(name, OnnxType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    return name;
  }

  scalar(name: string, value: number): string {
    return this.floats(name, [], Float32Array.of(value));
  }

  int64s(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(tensorProto(name, OnnxType.INT64, [values.length], new Uint8Array(data.buffer)));
    return name;
  }

  bools(name: string, dims: number[], data: Uint8Array): string {
    this.initializers.push(tensorProto(name, OnnxType.BOOL, dims, data));
    return name;
  }
}

function weight(w: Weights, name: string, shape: number[]): HostTensor {
  const t = w.get(name);
  if (!t) throw new Error(`ONNX graph: weight "${name}" is missing`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`ONNX graph: weight "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return t;
}

/** The serialized ModelProto for `config` and `weights` (weights referenced until one final copy). */
export function buildGptOnnx(config: ModelConfig, weights: Weights, v: GraphVariant): Uint8Array {
  const { n_layer: L, n_head: H, n_embd: d, n_positions: P, vocab_size: V, n_inner: inner, layer_norm_epsilon: eps } = config;
  if (d % H !== 0) throw new Error(`ONNX graph: n_embd ${d} is not divisible by n_head ${H}`);
  const hd = d / H;
  const g = new GraphBuilder();
  const added = new Set<string>();
  // Each weight becomes one initializer, however many nodes read it (wte: embedding and tied unembedding).
  const param = (name: string, shape: number[]): string => {
    const t = weight(weights, name, shape);
    if (!added.has(name)) g.floats(name, shape, t.data);
    added.add(name);
    return name;
  };

  // Shared constants.
  const wte = param('wte.weight', [V, d]);
  const wpe = param('wpe.weight', [P, d]);
  const lmHead = weights.has('lm_head.weight') ? param('lm_head.weight', [V, d]) : wte;
  const causal = new Uint8Array(P * P);
  for (let i = 0; i < P; i++) causal.fill(1, i * P, i * P + i + 1);
  g.bools('causal_mask', [P, P], causal);
  g.scalar('mask_value', MASK_VALUE);
  g.scalar('sqrt_hd', Math.sqrt(hd));
  g.int64s('zero1', [0]);
  g.int64s('zero2', [0, 0]);
  g.int64s('axes01', [0, 1]);
  g.int64s('axis0', [0]);
  g.int64s('heads_shape', [-1, H, hd]);
  g.int64s('merge_shape', [-1, d]);
  g.int64s('qkv_split', [d, d, d]);

  // Embeddings: tok [T, d] + pos [T, d].
  const T = g.o('Shape', ['input_ids']); // [1] = T
  const tok = g.o('Gather', [wte, 'input_ids'], { axis: 0 });
  const pos = g.o('Slice', [wpe, 'zero1', T, 'axis0']);
  let h = g.o('Add', [tok, pos]);
  const TT = g.o('Concat', [T, T], { axis: 0 });
  const mask = g.o('Slice', ['causal_mask', 'zero2', TT, 'axes01']); // [T, T] bool, true where key <= query

  const layerNorm = (x: string, prefix: string): string =>
    g.o('LayerNormalization', [x, param(`${prefix}.weight`, [d]), param(`${prefix}.bias`, [d])], { axis: -1, epsilon: { float: eps } });
  const linear = (x: string, prefix: string, nIn: number, nOut: number): string =>
    g.o('Add', [g.o('MatMul', [x, param(`${prefix}.weight`, [nIn, nOut])]), param(`${prefix}.bias`, [nOut])]);
  const activation = activationFn(g, config.activation_function);

  const residuals = [h];
  const lnIn: string[] = [];
  const lnOut: string[] = [];
  const attention: string[] = [];
  const qkvs: string[] = [];
  for (let l = 0; l < L; l++) {
    const p = `h.${l}`;
    const a = layerNorm(h, `${p}.ln_1`);
    lnIn.push(h);
    lnOut.push(a);
    const qkv = linear(a, `${p}.attn.c_attn`, d, 3 * d); // [T, 3d]
    qkvs.push(qkv);
    const [q, k, val] = g.op('Split', [qkv, 'qkv_split'], { axis: 1 }, 3); // 3 x [T, d]
    const qh = g.o('Transpose', [g.o('Reshape', [q, 'heads_shape'])], { perm: [1, 0, 2] }); // [H, T, hd]
    const kt = g.o('Transpose', [g.o('Reshape', [k, 'heads_shape'])], { perm: [1, 2, 0] }); // [H, hd, T]
    const vh = g.o('Transpose', [g.o('Reshape', [val, 'heads_shape'])], { perm: [1, 0, 2] }); // [H, T, hd]
    const scaled = g.o('Div', [g.o('MatMul', [qh, kt]), 'sqrt_hd']); // [H, T, T]
    const probs = g.o('Softmax', [g.o('Where', [mask, scaled, 'mask_value'])], { axis: -1 }); // [H, T, T]
    attention.push(probs);
    const ctx = g.o('Transpose', [g.o('MatMul', [probs, vh])], { perm: [1, 0, 2] }); // [T, H, hd]
    const attnOut = linear(g.o('Reshape', [ctx, 'merge_shape']), `${p}.attn.c_proj`, d, d); // [T, d]
    const mid = g.o('Add', [h, attnOut]);
    const m = layerNorm(mid, `${p}.ln_2`);
    lnIn.push(mid);
    lnOut.push(m);
    const ff = linear(activation(linear(m, `${p}.mlp.c_fc`, d, inner)), `${p}.mlp.c_proj`, inner, d);
    h = g.o('Add', [mid, ff]);
    residuals.push(h);
  }
  const final = layerNorm(h, 'ln_f');
  lnIn.push(h);
  lnOut.push(final);
  const logits = g.o('Gemm', [final, lmHead], { transB: 1 }, 'logits'); // [T, V]: tied unembedding, wte used as stored
  scoreRows(g, logits);

  const stack = (xs: string[], name: string): string => g.o('Concat', xs.map((x) => g.o('Unsqueeze', [x, 'axis0'])), { axis: 0 }, name);
  const outputs = [
    valueInfoProto('logits', OnnxType.FLOAT, ['T', V]),
    valueInfoProto('row_lse', OnnxType.FLOAT, ['T', 1]),
    valueInfoProto('row_entropy', OnnxType.FLOAT, ['T', 1]),
    valueInfoProto('row_greater', OnnxType.FLOAT, ['T', 1]),
    valueInfoProto('next_logit', OnnxType.FLOAT, ['T', 1]),
    valueInfoProto('top_values', OnnxType.FLOAT, ['T', 'K']),
    valueInfoProto('top_ids', OnnxType.INT64, ['T', 'K']),
  ];
  if (v.traced) {
    stack(attention, 'attention');
    stack(residuals, 'residuals');
    stack(lnIn, 'ln_in');
    stack(lnOut, 'ln_out');
    stack(qkvs, 'qkv');
    outputs.push(
      valueInfoProto('attention', OnnxType.FLOAT, [L, H, 'T', 'T']),
      valueInfoProto('residuals', OnnxType.FLOAT, [L + 1, 'T', d]),
      valueInfoProto('ln_in', OnnxType.FLOAT, [2 * L + 1, 'T', d]),
      valueInfoProto('ln_out', OnnxType.FLOAT, [2 * L + 1, 'T', d]),
      valueInfoProto('qkv', OnnxType.FLOAT, [L, 'T', 3 * d]),
    );
  }
  const inputs = [
    valueInfoProto('input_ids', OnnxType.INT64, ['T']),
    valueInfoProto('targets', OnnxType.INT64, ['T']),
    valueInfoProto('top_k', OnnxType.INT64, [1]),
  ];
  return modelProto({ name: 'gpt', nodes: g.nodes, initializers: g.initializers, inputs, outputs }, OPSET, 'gpt-xray');
}

/**
 * Per-row log-sum-exp, entropy (nats), count of logits above the target's and top k, as trace.ts's rowStats computes
 * them in one JavaScript pass: lse = m + log s and entropy = log s - w / s with z = x - max, s = sum e^z,
 * w = sum e^z z. TopK lists equal values lowest index first, as rowStats does.
 */
function scoreRows(g: GraphBuilder, logits: string): void {
  g.int64s('last_axis', [-1]);
  const max = g.o('ReduceMax', [logits], { axes: [-1], keepdims: 1 }); // [T, 1]; axes an attribute until opset 18
  const z = g.o('Sub', [logits, max]);
  const e = g.o('Exp', [z]);
  const s = g.o('ReduceSum', [e, 'last_axis'], { keepdims: 1 });
  const w = g.o('ReduceSum', [g.o('Mul', [e, z]), 'last_axis'], { keepdims: 1 });
  const logS = g.o('Log', [s]);
  g.o('Add', [max, logS], {}, 'row_lse');
  g.o('Sub', [logS, g.o('Div', [w, s])], {}, 'row_entropy');
  const target = g.o('GatherElements', [logits, g.o('Unsqueeze', ['targets', 'last_axis'])], { axis: 1 }, 'next_logit'); // [T, 1]
  g.o('ReduceSum', [g.o('Cast', [g.o('Greater', [logits, target])], { to: OnnxType.FLOAT }), 'last_axis'], { keepdims: 1 }, 'row_greater');
  g.op('TopK', [logits, 'top_k'], { axis: -1 }, 2, undefined, ['top_values', 'top_ids']);
}

/**
 * The logit lens head: `hidden` [T, d] -> ln_f -> unembedding -> softmax -> top K (`lens_k` [1]):
 * `lens_probs` float / `lens_ids` int64 [T, K]. Run once per residual; for the last residual it is the model's own
 * prediction.
 */
export function buildLensHeadOnnx(config: ModelConfig, weights: Weights): Uint8Array {
  const { n_embd: d, vocab_size: V, layer_norm_epsilon: eps } = config;
  const g = new GraphBuilder();
  const head = weights.has('lm_head.weight') ? 'lm_head.weight' : 'wte.weight';
  g.floats(head, [V, d], weight(weights, head, [V, d]).data);
  const lnW = g.floats('ln_f.weight', [d], weight(weights, 'ln_f.weight', [d]).data);
  const lnB = g.floats('ln_f.bias', [d], weight(weights, 'ln_f.bias', [d]).data);
  const x = g.o('LayerNormalization', ['hidden', lnW, lnB], { axis: -1, epsilon: { float: eps } });
  const probs = g.o('Softmax', [g.o('Gemm', [x, head], { transB: 1 })], { axis: -1 }); // [T, V]
  g.op('TopK', [probs, 'lens_k'], { axis: -1 }, 2, undefined, ['lens_probs', 'lens_ids']);
  return modelProto(
    {
      name: 'gpt_lens_head',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [valueInfoProto('hidden', OnnxType.FLOAT, ['T', d]), valueInfoProto('lens_k', OnnxType.INT64, [1])],
      outputs: [valueInfoProto('lens_probs', OnnxType.FLOAT, ['T', 'K']), valueInfoProto('lens_ids', OnnxType.INT64, ['T', 'K'])],
    },
    OPSET,
    'gpt-xray',
  );
}

/** The MLP activation as ONNX ops, per Hugging Face's ACT2FN. */
function activationFn(g: GraphBuilder, name: ModelConfig['activation_function']): (x: string) => string {
  switch (name) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), written in the order onnxruntime's FastGelu fusion matches.
      g.scalar('gelu_three', 3);
      g.scalar('gelu_c', 0.044715);
      g.scalar('gelu_sqrt2pi', Math.sqrt(2 / Math.PI));
      g.scalar('gelu_one', 1);
      g.scalar('gelu_half', 0.5);
      return (x) => {
        const inner = g.o('Add', [x, g.o('Mul', [g.o('Pow', [x, 'gelu_three']), 'gelu_c'])]);
        const t = g.o('Tanh', [g.o('Mul', [inner, 'gelu_sqrt2pi'])]);
        return g.o('Mul', [g.o('Mul', [x, 'gelu_half']), g.o('Add', [t, 'gelu_one'])]);
      };
    }
    case 'gelu': {
      // Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
      g.scalar('gelu_sqrt2', Math.SQRT2);
      g.scalar('gelu_one', 1);
      g.scalar('gelu_half', 0.5);
      return (x) => g.o('Mul', [g.o('Mul', [x, 'gelu_half']), g.o('Add', [g.o('Erf', [g.o('Div', [x, 'gelu_sqrt2'])]), 'gelu_one'])]);
    }
    case 'relu':
      return (x) => g.o('Relu', [x]);
    default:
      throw new Error(`ONNX graph: activation "${String(name)}" is not supported`);
  }
}
