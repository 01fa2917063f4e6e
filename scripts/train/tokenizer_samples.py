"""Writes [{text, ids}] samples (corpus validation snippets, Chinese, all bytes) for check_tokenizer.mjs.

Usage: tokenizer_samples.py TOKENIZER_DIR CORPUS_DIR OUT.json
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
import bpe

tokdir, corpus, out = sys.argv[1:4]
vocab = json.load(open(os.path.join(tokdir, "vocab.json"), encoding="utf-8"))
merges = [tuple(l.rstrip("\n").split(" ")) for l in open(os.path.join(tokdir, "merges.txt"), encoding="utf-8")
          if not l.startswith("#version")]
enc = bpe.Encoder(vocab, merges)
texts = ["Hello, world!\n\n  def f(x):\n\treturn x ** 2  # square\n", "打开辅助视图中检查此项。错误: {0}",
         "".join(chr(c) for c in range(1, 1000)), "emoji 🙂 and ｆｕｌｌｗｉｄｔｈ", "x" * 300, "  \n\n\n   end"]
with open(os.path.join(corpus, "val.jsonl"), encoding="utf-8") as f:
    for line in f:
        texts.append(json.loads(line)["text"][:3000])
json.dump([{"text": t, "ids": enc.encode(t)} for t in texts], open(out, "w"), ensure_ascii=False)
print(f"{len(texts)} samples")
