#!/usr/bin/env python3
"""Random GPT-2-shaped checkpoints in Hugging Face layout, and the parity fixtures' reference outputs.

    make_fixtures.py random OUT_DIR [--layers 2 --embd 64 --heads 4 --vocab 512 --positions 64 --dtype F16 --seed 0]
        config.json + model.safetensors ("transformer."-prefixed keys, lm_head tied and left out, as save_pretrained)
    make_fixtures.py ids OUT_JSON --count N --vocab V [--seed S]
        a tokenizer-free list of N token ids

The weights are drawn larger than GPT-2's init (std 0.15-0.5 instead of 0.02) so logits span several units and
attention is far from uniform: a parity test on near-zero logits would prove little.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors, dtype="F32"):
    """tensors: {name: float32 array}. Writes them in name order with the given dtype (F32, F16 or BF16)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        if dtype == "F32":
            raw = a.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = a.astype("<f2").tobytes()
        elif dtype == "BF16":
            # round to nearest even on the top 16 bits of the float32
            u = a.view(np.uint32).astype(np.uint64)
            raw = (((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")).tobytes()
        else:
            raise ValueError(f"unsupported dtype {dtype}")
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # data starts 8-byte aligned, like the reference writer
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def random_checkpoint(out, layers, embd, heads, vocab, positions, dtype, seed, inner=None, activation="gelu_new"):
    rng = np.random.default_rng(seed)
    d = embd
    inner = inner or 4 * d
    n = lambda *shape, std: (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)
    w = {"wte.weight": n(vocab, d, std=0.5), "wpe.weight": n(positions, d, std=0.3)}
    for l in range(layers):
        p = f"h.{l}."
        w[p + "ln_1.weight"] = 1 + n(d, std=0.2)
        w[p + "ln_1.bias"] = n(d, std=0.1)
        w[p + "attn.c_attn.weight"] = n(d, 3 * d, std=0.15 * (64 / d) ** 0.5)
        w[p + "attn.c_attn.bias"] = n(3 * d, std=0.1)
        w[p + "attn.c_proj.weight"] = n(d, d, std=0.15 * (64 / d) ** 0.5)
        w[p + "attn.c_proj.bias"] = n(d, std=0.1)
        w[p + "ln_2.weight"] = 1 + n(d, std=0.2)
        w[p + "ln_2.bias"] = n(d, std=0.1)
        w[p + "mlp.c_fc.weight"] = n(d, inner, std=0.15 * (64 / d) ** 0.5)
        w[p + "mlp.c_fc.bias"] = n(inner, std=0.1)
        w[p + "mlp.c_proj.weight"] = n(inner, d, std=0.1 * (64 / d) ** 0.5)
        w[p + "mlp.c_proj.bias"] = n(d, std=0.1)
    w["ln_f.weight"] = 1 + n(d, std=0.2)
    w["ln_f.bias"] = n(d, std=0.1)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), {"transformer." + k: v for k, v in w.items()}, dtype)
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "activation_function": activation,
        "n_layer": layers,
        "n_head": heads,
        "n_embd": d,
        "n_inner": None if inner == 4 * d else inner,
        "n_positions": positions,
        "n_ctx": positions,
        "vocab_size": vocab,
        "layer_norm_epsilon": 1e-5,
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype],
        "_made_by": "scripts/reference/make_fixtures.py random (seed %d)" % seed,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random")
    r.add_argument("out")
    r.add_argument("--layers", type=int, default=2)
    r.add_argument("--embd", type=int, default=64)
    r.add_argument("--heads", type=int, default=4)
    r.add_argument("--vocab", type=int, default=512)
    r.add_argument("--positions", type=int, default=64)
    r.add_argument("--inner", type=int)
    r.add_argument("--activation", default="gelu_new")
    r.add_argument("--dtype", default="F16", choices=["F32", "F16", "BF16"])
    r.add_argument("--seed", type=int, default=0)
    i = sub.add_parser("ids")
    i.add_argument("out")
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--vocab", type=int, required=True)
    i.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "random":
        random_checkpoint(a.out, a.layers, a.embd, a.heads, a.vocab, a.positions, a.dtype, a.seed, a.inner, a.activation)
    else:
        ids = np.random.default_rng(a.seed).integers(0, a.vocab, a.count).tolist()
        with open(a.out, "w") as f:
            json.dump(ids, f)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
