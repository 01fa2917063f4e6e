#!/usr/bin/env python3
"""An independent GPT-2 reference in PyTorch, for parity fixtures and the benchmark's peer.

Loads a Hugging Face GPT-2-family folder (config.json + model.safetensors, parsed here with numpy: F32, F16, BF16;
keys with or without "transformer."; lm_head tied to wte when absent) and runs the textbook forward (HF
GPT2LMHeadModel semantics, Conv1D weights [in, out]) in float32 on the CPU. No transformers package is needed.

    gpt2_reference.py MODEL_DIR --ids IDS_JSON --out DIR [--positions all|i,j,..] [--attention] [--hidden]

writes DIR/reference.json (shapes, ids, config) and one little-endian float32 file per array.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None}


def read_safetensors(path):
    """{name: float32 numpy array} from a safetensors file, validating offsets against the file size."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} beyond the file")
    header = json.loads(blob[8 : 8 + n])
    data = blob[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        if end > len(data) or begin > end:
            raise ValueError(f"{path}: tensor {name} data offsets outside the file")
        raw = data[begin:end]
        if dtype == "BF16":
            # bfloat16 is the top half of a float32.
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(DTYPES[dtype]).newbyteorder("<")).astype(np.float32)
        out[name] = arr.reshape(shape).copy()
    return out


def load_model(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    raw = read_safetensors(os.path.join(folder, "model.safetensors"))
    w = {}
    for name, arr in raw.items():
        key = name[len("transformer.") :] if name.startswith("transformer.") else name
        if key.endswith(".attn.bias") or key.endswith(".attn.masked_bias"):
            continue  # old HF checkpoints store the causal mask as a buffer
        w[key] = torch.from_numpy(arr)
    if "lm_head.weight" not in w:
        w["lm_head.weight"] = w["wte.weight"]
    cfg.setdefault("n_inner", None)
    if cfg["n_inner"] is None:
        cfg["n_inner"] = 4 * cfg["n_embd"]
    cfg.setdefault("layer_norm_epsilon", 1e-5)
    cfg.setdefault("activation_function", "gelu_new")
    return cfg, w


def act(name, x):
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu":
        return torch.nn.functional.gelu(x)
    if name == "relu":
        return torch.relu(x)
    raise ValueError(f"unsupported activation {name}")


@torch.no_grad()
def forward(cfg, w, ids, past=None, want_attention=False, want_hidden=False):
    """ids: list of ints. past: list of (k, v) [H, t, hd] per layer or None. Returns dict with logits [T, V],
    attention [L, H, T, t+T], hidden [L+1, T, d] and present (the new cache)."""
    L, H, d = cfg["n_layer"], cfg["n_head"], cfg["n_embd"]
    hd = d // H
    eps = cfg["layer_norm_epsilon"]
    start = 0 if past is None else past[0][0].shape[1]
    T = len(ids)
    idx = torch.tensor(ids, dtype=torch.long)
    x = w["wte.weight"][idx] + w["wpe.weight"][start : start + T]
    hidden, attn, present = [x], [], []
    # query i (absolute start+i) may see key j iff j <= start+i
    visible = torch.arange(start + T)[None, :] <= (torch.arange(T)[:, None] + start)
    for l in range(L):
        p = f"h.{l}."
        a = torch.nn.functional.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(d, dim=1)
        q = q.view(T, H, hd).transpose(0, 1)  # [H, T, hd]
        k = k.view(T, H, hd).transpose(0, 1)
        v = v.view(T, H, hd).transpose(0, 1)
        if past is not None:
            k = torch.cat([past[l][0], k], dim=1)
            v = torch.cat([past[l][1], v], dim=1)
        present.append((k, v))
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd)  # [H, T, start+T]
        s = s.masked_fill(~visible, float("-inf"))
        att = torch.softmax(s, dim=-1)
        if want_attention:
            attn.append(att)
        y = (att @ v).transpose(0, 1).reshape(T, d)
        x = x + (y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"])
        m = torch.nn.functional.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        hmid = act(cfg["activation_function"], m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + (hmid @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"])
        hidden.append(x)
    xf = torch.nn.functional.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)
    logits = xf @ w["lm_head.weight"].T
    out = {"logits": logits, "present": present}
    if want_attention:
        out["attention"] = torch.stack(attn)
    if want_hidden:
        out["hidden"] = torch.stack(hidden)
    return out


def save_arrays(out_dir, meta, arrays):
    os.makedirs(out_dir, exist_ok=True)
    meta["arrays"] = {}
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        arr.tofile(os.path.join(out_dir, name + ".f32"))
        meta["arrays"][name] = {"file": name + ".f32", "shape": list(arr.shape)}
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def reference(model_dir, ids, out_dir, positions="all", attention=False, hidden=False, label=None):
    cfg, w = load_model(model_dir)
    torch.set_num_threads(1)  # deterministic summation order
    r = forward(cfg, w, ids, want_attention=attention, want_hidden=hidden)
    logits = r["logits"].numpy()
    lse = torch.logsumexp(r["logits"], dim=-1).numpy()
    rows = list(range(len(ids))) if positions == "all" else [int(p) for p in positions.split(",")]
    # logit of the token that actually follows each position: with logsumexp it gives every p and surprisal
    nxt = logits[np.arange(len(ids) - 1), ids[1:]] if len(ids) > 1 else np.zeros(0)
    arrays = {"logits": logits[rows], "logsumexp": lse, "next_logit": nxt}
    if attention:
        arrays["attention"] = r["attention"].numpy()
    if hidden:
        arrays["hidden"] = r["hidden"].numpy()
    meta = {
        "label": label or os.path.basename(os.path.normpath(model_dir)),
        "made_by": "scripts/reference/gpt2_reference.py (PyTorch %s)" % torch.__version__,
        "ids": ids,
        "positions": rows,
        "config": {k: cfg[k] for k in ("n_layer", "n_head", "n_embd", "n_positions", "vocab_size", "n_inner", "activation_function")},
    }
    save_arrays(out_dir, meta, arrays)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--ids", required=True, help="JSON file holding a list of token ids")
    ap.add_argument("--out", required=True)
    ap.add_argument("--positions", default="all", help="'all' or comma-separated positions whose logits to keep")
    ap.add_argument("--attention", action="store_true")
    ap.add_argument("--hidden", action="store_true")
    ap.add_argument("--label")
    a = ap.parse_args()
    with open(a.ids) as f:
        ids = json.load(f)
    reference(a.model, ids, a.out, a.positions, a.attention, a.hidden, a.label)


if __name__ == "__main__":
    sys.exit(main())
