"""Trains the byte-level BPE on the train split and writes tokenizer.json, vocab.json, merges.txt.

Usage: train_tokenizer.py CORPUS_DIR OUT_DIR [VOCAB_SIZE]
"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import bpe

corpus, out = sys.argv[1], sys.argv[2]
vocab_size = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
os.makedirs(out, exist_ok=True)
t0 = time.time()
with open(os.path.join(corpus, "train.jsonl"), encoding="utf-8") as f:
    texts = [json.loads(line)["text"] for line in f]
vocab, merges = bpe.train(texts, vocab_size, log=lambda m: print(f"{time.time()-t0:6.1f}s {m}", flush=True))
with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
    json.dump(bpe.hf_tokenizer_json(vocab, merges), f, ensure_ascii=False)
with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
    json.dump(vocab, f, ensure_ascii=False)
with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
enc = bpe.Encoder(vocab, merges)
for s in ["Hello, world! def f(x): return x", "打开辅助视图中检查此项。", bytes(range(256)).decode("latin-1")]:
    assert enc.decode(enc.encode(s)) == s, s
print(f"done in {time.time()-t0:.0f}s: vocab {len(vocab)}, merges {len(merges)}")
