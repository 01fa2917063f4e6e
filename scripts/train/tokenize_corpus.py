"""Encodes the train/validation splits into uint16 token streams, <|endoftext|> between documents.

Usage: tokenize_corpus.py CORPUS_DIR TOKENIZER_DIR OUT_DIR   (writes train.bin, val.bin, val_bytes.json)
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
import bpe

corpus, tokdir, out = sys.argv[1:4]
with open(os.path.join(tokdir, "vocab.json"), encoding="utf-8") as f:
    vocab = json.load(f)
with open(os.path.join(tokdir, "merges.txt"), encoding="utf-8") as f:
    merges = [tuple(l.rstrip("\n").split(" ")) for l in f if not l.startswith("#version")]
enc = bpe.Encoder(vocab, merges)
t0 = time.time()
for split in ("train", "val"):
    ids, nbytes = [], 0
    with open(os.path.join(corpus, f"{split}.jsonl"), encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            nbytes += len(text.encode("utf-8"))
            ids.extend(enc.encode(text)); ids.append(enc.eot)
    np.array(ids, dtype=np.uint16).tofile(os.path.join(out, f"{split}.bin"))
    print(f"{split}: {nbytes} bytes -> {len(ids)} tokens ({nbytes/len(ids):.2f} bytes/token) {time.time()-t0:.0f}s", flush=True)
    with open(os.path.join(out, f"{split}_bytes.json"), "w") as f:
        json.dump({"bytes": nbytes, "tokens": len(ids)}, f)
