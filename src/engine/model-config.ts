/**
 * config.json of a Hugging Face GPT-2-family folder -> ModelConfig, with every field checked.
 * Options that change the model's arithmetic in ways our forward pass does not implement are refused rather than
 * silently ignored, so a loaded model always computes what its checkpoint means.
 */
import type { ModelConfig } from '../protocol';

const ACTIVATIONS = ['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'relu'] as const;

/** Generous upper bounds: large enough for GPT-2 XL and beyond, small enough to reject garbage before allocating. */
const LIMITS = { n_layer: 1024, n_head: 1024, n_embd: 65536, n_positions: 1 << 20, vocab_size: 1 << 22, n_inner: 1 << 20 };

export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: is not a JSON object`);
  const c = raw as Record<string, unknown>;
  const int = (key: keyof typeof LIMITS, value: unknown = c[key]): number => {
    if (value === undefined || value === null) throw new Error(`${file}: field "${key}" is missing`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIMITS[key]) {
      throw new Error(`${file}: field "${key}" is ${JSON.stringify(value)?.slice(0, 30)}, expected an integer in [1, ${LIMITS[key]}]`);
    }
    return value;
  };

  if (c.model_type !== undefined && c.model_type !== 'gpt2') {
    throw new Error(`${file}: model_type ${JSON.stringify(c.model_type)} is not supported (only GPT-2-family "gpt2")`);
  }
  if (c.scale_attn_by_inverse_layer_idx === true) {
    throw new Error(`${file}: scale_attn_by_inverse_layer_idx=true is not supported`);
  }
  if (c.scale_attn_weights === false) throw new Error(`${file}: scale_attn_weights=false is not supported`);
  if (c.add_cross_attention === true) throw new Error(`${file}: add_cross_attention=true is not supported (decoder-only GPT-2)`);

  const n_layer = int('n_layer');
  const n_head = int('n_head');
  const n_embd = int('n_embd');
  if (n_embd % n_head !== 0) throw new Error(`${file}: n_embd ${n_embd} is not divisible by n_head ${n_head}`);
  // Older configs name the context length n_ctx.
  const n_positions = int('n_positions', c.n_positions ?? c.n_ctx);
  const vocab_size = int('vocab_size');
  const n_inner = c.n_inner === null || c.n_inner === undefined ? 4 * n_embd : int('n_inner');

  const eps = c.layer_norm_epsilon ?? 1e-5; // GPT2Config's default
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) {
    throw new Error(`${file}: field "layer_norm_epsilon" is ${JSON.stringify(eps)?.slice(0, 30)}, expected a number in (0, 1)`);
  }
  const act = c.activation_function ?? 'gelu_new'; // GPT2Config's default
  if (typeof act !== 'string' || !(ACTIVATIONS as readonly string[]).includes(act)) {
    throw new Error(`${file}: activation_function ${JSON.stringify(act)?.slice(0, 30)} is not supported (${ACTIVATIONS.join(', ')})`);
  }
  return {
    n_layer,
    n_head,
    n_embd,
    n_positions,
    vocab_size,
    n_inner,
    layer_norm_epsilon: eps,
    activation_function: act as ModelConfig['activation_function'],
  };
}

/** The shape every canonical weight must have under this config (Conv1D layout: [in, out]). */
export function expectedShapes(cfg: ModelConfig): Map<string, number[]> {
  const d = cfg.n_embd;
  const m = new Map<string, number[]>([
    ['wte.weight', [cfg.vocab_size, d]],
    ['wpe.weight', [cfg.n_positions, d]],
    ['ln_f.weight', [d]],
    ['ln_f.bias', [d]],
  ]);
  for (let i = 0; i < cfg.n_layer; i++) {
    const h = `h.${i}.`;
    m.set(h + 'ln_1.weight', [d]);
    m.set(h + 'ln_1.bias', [d]);
    m.set(h + 'attn.c_attn.weight', [d, 3 * d]);
    m.set(h + 'attn.c_attn.bias', [3 * d]);
    m.set(h + 'attn.c_proj.weight', [d, d]);
    m.set(h + 'attn.c_proj.bias', [d]);
    m.set(h + 'ln_2.weight', [d]);
    m.set(h + 'ln_2.bias', [d]);
    m.set(h + 'mlp.c_fc.weight', [d, cfg.n_inner]);
    m.set(h + 'mlp.c_fc.bias', [cfg.n_inner]);
    m.set(h + 'mlp.c_proj.weight', [cfg.n_inner, d]);
    m.set(h + 'mlp.c_proj.bias', [d]);
  }
  return m;
}
