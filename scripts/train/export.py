"""Exports a training checkpoint as a Hugging Face GPT-2 folder.

Usage: export.py RUN_DIR TOKENIZER_DIR OUT_DIR
Writes config.json, model.safetensors (F32, written by hand: 8-byte little-endian header length, JSON
header, raw data), tokenizer.json, vocab.json, merges.txt, train_log.csv and heads_log.csv. Linear weights are transposed
to GPT-2's Conv1D layout [in, out]; lm_head is tied to wte and so not stored.
"""
import json, os, shutil, struct, sys
import numpy as np
import torch


def hf_tensors(sd, n_layer):
    out = {"transformer.wte.weight": sd["wte.weight"], "transformer.wpe.weight": sd["wpe.weight"],
           "transformer.ln_f.weight": sd["ln_f.weight"], "transformer.ln_f.bias": sd["ln_f.bias"]}
    for i in range(n_layer):
        for name in ("ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "attn.c_attn.bias",
                     "attn.c_proj.bias", "mlp.c_fc.bias", "mlp.c_proj.bias"):
            out[f"transformer.h.{i}.{name}"] = sd[f"h.{i}.{name}"]
        for name in ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"):
            out[f"transformer.h.{i}.{name}"] = sd[f"h.{i}.{name}"].t()  # [out, in] -> Conv1D [in, out]
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        data = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson))); f.write(hjson)
        for b in blobs:
            f.write(b)


def config_json(cfg, clip_norm):
    eot = cfg["vocab_size"] - 1
    return {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
            "bos_token_id": eot, "eos_token_id": eot, "embd_pdrop": 0.0, "initializer_range": 0.02,
            "layer_norm_epsilon": cfg["layer_norm_epsilon"], "model_type": "gpt2",
            "n_ctx": cfg["n_positions"], "n_embd": cfg["n_embd"], "n_head": cfg["n_head"], "n_inner": None,
            "n_layer": cfg["n_layer"], "n_positions": cfg["n_positions"], "resid_pdrop": 0.0,
            "scale_attn_weights": True, "tie_word_embeddings": True, "torch_dtype": "float32",
            "vocab_size": cfg["vocab_size"], "xray_clip_norm": clip_norm}


def main():
    run, tokdir, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    ck = torch.load(os.path.join(run, "ckpt.pt"))
    cfg = ck["cfg"]
    meta = json.load(open(os.path.join(run, "train_meta.json")))
    write_safetensors(os.path.join(out, "model.safetensors"), hf_tensors(ck["model"], cfg["n_layer"]))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config_json(cfg, meta["clip_norm"]), f, indent=2)
    for name in ("tokenizer.json", "vocab.json", "merges.txt"):
        shutil.copy(os.path.join(tokdir, name), os.path.join(out, name))
    # the logs up to the checkpoint's step, so the shipped curves match the shipped weights
    for name in ("train_log.csv", "heads_log.csv"):
        if not os.path.exists(os.path.join(run, name)):
            continue
        with open(os.path.join(run, name)) as f:
            rows = f.read().splitlines()
        keep = [rows[0]] + [r for r in rows[1:] if int(r.split(",")[0]) <= ck["state"]["step"]]
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(keep) + "\n")
    print(f"exported step {ck['state']['step']} ({ck['state']['tokens']} tokens) to {out}")


if __name__ == "__main__":
    main()
