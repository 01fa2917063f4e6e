"""Evaluates an exported model folder: validation loss against unigram/bigram baselines, per-head scores.

Usage: evaluate.py MODEL_DIR WORK_DIR   (WORK_DIR holds train.bin, val.bin, val_bytes.json)
Writes MODEL_DIR/eval.json. Loading goes through the exported safetensors, so this also checks the export.
"""
import json, math, os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
from model import GPT

torch.set_num_threads(2)
LN2 = math.log(2)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", h
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(h["shape"]).copy())
    return out


def load_model(folder):
    c = json.load(open(os.path.join(folder, "config.json")))
    cfg = {k: c[k] for k in ("vocab_size", "n_layer", "n_head", "n_embd", "n_positions", "layer_norm_epsilon")}
    model = GPT(cfg)
    sd = {}
    for name, t in read_safetensors(os.path.join(folder, "model.safetensors")).items():
        name = name[len("transformer."):]
        conv1d = name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight"))
        sd[name] = t.t() if conv1d else t  # Conv1D [in, out] -> Linear [out, in]
    model.load_state_dict(sd, strict=True)
    return model.eval(), cfg


@torch.no_grad()
def model_loss(model, val, T):
    """Sum of next-token cross-entropy (nats) over the validation stream in non-overlapping blocks."""
    total, count = 0.0, 0
    n_blocks = (len(val) - 1) // T
    for s in range(0, n_blocks, 8):
        idx = [i * T for i in range(s, min(s + 8, n_blocks))]
        x = torch.from_numpy(np.stack([val[i:i + T] for i in idx]).astype(np.int64))
        y = torch.from_numpy(np.stack([val[i + 1:i + T + 1] for i in idx]).astype(np.int64))
        total += F.cross_entropy(model(x).flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    return total, count


def baselines(train, val, V, n_pred):
    """Token unigram (add-one) and bigram (Dirichlet-smoothed toward the unigram) on the same targets."""
    x, y = val[:n_pred].astype(np.int64), val[1:n_pred + 1].astype(np.int64)
    uni = np.bincount(train, minlength=V).astype(np.float64)
    p_uni = (uni + 1) / (uni.sum() + V)
    uni_nats = -np.log(p_uni[y]).sum()
    t = train.astype(np.int64)
    big = np.bincount(t[:-1] * V + t[1:], minlength=V * V).astype(np.float64)
    ctx = uni  # count of each context token (close enough: off by one at the end)
    best = None
    for k in (1, 3, 10, 30, 100):  # smoothing strength; the best one on validation (kind to the baseline)
        p = (big[x * V + y] + k * p_uni[y]) / (ctx[x] + k)
        nats = -np.log(p).sum()
        if best is None or nats < best[0]:
            best = (nats, k)
    return uni_nats, best[0], best[1]


@torch.no_grad()
def head_scores(model, val, cfg, seed=0):
    L, H = cfg["n_layer"], cfg["n_head"]
    # previous-token score: mean attention from position i to i-1 on real validation text
    T = 256
    x = torch.from_numpy(np.stack([val[i * T:(i + 1) * T] for i in range(16)]).astype(np.int64))
    _, atts = model(x, want_attn=True)
    prev = [[atts[l][:, h].diagonal(offset=-1, dim1=-2, dim2=-1).mean().item() for h in range(H)] for l in range(L)]
    # induction score: [eot, R, R] with R random tokens; from the second occurrence of R[i]
    # (position n+1+i) to the token after its first occurrence (position i+2)
    g = torch.Generator().manual_seed(seed)
    n, B = 100, 16
    eot = cfg["vocab_size"] - 1
    R = torch.randint(0, eot, (B, n), generator=g)
    seq = torch.cat([torch.full((B, 1), eot), R, R], dim=1)
    _, atts = model(seq, want_attn=True)
    q = torch.arange(n + 1, 2 * n)          # second occurrences R[0..n-2]
    k = q - n + 1                           # the token after the first occurrence
    ind = [[atts[l][:, h, q, k].mean().item() for h in range(H)] for l in range(L)]
    # loss on the repeated half shows whether the model copies
    logits = model(seq)
    rep = F.cross_entropy(logits[:, n + 1:-1].flatten(0, 1), seq[:, n + 2:].flatten()).item()
    first = F.cross_entropy(logits[:, 1:n].flatten(0, 1), seq[:, 2:n + 1].flatten()).item()
    return prev, ind, first, rep


def main():
    folder, work = sys.argv[1:3]
    model, cfg = load_model(folder)
    V = cfg["vocab_size"]
    train = np.fromfile(os.path.join(work, "train.bin"), dtype=np.uint16)
    val = np.fromfile(os.path.join(work, "val.bin"), dtype=np.uint16)
    vb = json.load(open(os.path.join(work, "val_bytes.json")))
    nats, n_pred = model_loss(model, val, cfg["n_positions"])
    uni, big, k = baselines(train, val, V, n_pred)
    # bits per byte: total bits over the predicted tokens / the UTF-8 bytes they cover
    bytes_covered = vb["bytes"] * n_pred / vb["tokens"]
    res = {"validation_tokens": n_pred, "validation_bytes": round(bytes_covered),
           "params": sum(p.numel() for p in model.parameters()), "context": cfg["n_positions"]}
    for name, total in (("model", nats), ("unigram", uni), ("bigram", big)):
        res[name] = {"nats_per_token": total / n_pred, "bits_per_byte": total / LN2 / bytes_covered}
    res["bigram"]["smoothing_k"] = k
    res["model_vs_bigram_bpb"] = res["model"]["bits_per_byte"] / res["bigram"]["bits_per_byte"] - 1
    prev, ind, first, rep = head_scores(model, val, cfg)
    res["heads"] = [{"layer": l, "head": h, "previous_token": round(prev[l][h], 4), "induction": round(ind[l][h], 4)}
                    for l in range(cfg["n_layer"]) for h in range(cfg["n_head"])]
    res["repeated_random_tokens_loss"] = {"first_half": first, "second_half": rep}
    with open(os.path.join(folder, "eval.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != "heads"}, indent=1))
    for r in res["heads"]:
        print(r)


if __name__ == "__main__":
    main()
