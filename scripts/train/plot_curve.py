"""Draws the training curve (loss, gradient norm with clipping, learning rate) from train_log.csv.

Usage: plot_curve.py MODEL_DIR   (reads train_log.csv and config.json, writes training_curve.png)
"""
import csv, json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

folder = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(folder, "train_log.csv"))))
clip = json.load(open(os.path.join(folder, "config.json"))).get("xray_clip_norm")
tok = [int(r["tokens"]) / 1e6 for r in rows]
tl = [float(r["train_loss"]) for r in rows]
vt = [(int(r["tokens"]) / 1e6, float(r["val_loss"])) for r in rows if r["val_loss"]]
gn = [float(r["grad_norm"]) for r in rows]
lr = [float(r["lr"]) for r in rows]
clipped = [(t, g) for t, g, r in zip(tok, gn, rows) if r["clipped"] == "1"]

# smooth the noisy per-step train loss with a trailing mean
w = 25
sm = [sum(tl[max(0, i - w + 1):i + 1]) / (i + 1 - max(0, i - w + 1)) for i in range(len(tl))]
heads_path = os.path.join(folder, "heads_log.csv")
heads = list(csv.DictReader(open(heads_path))) if os.path.exists(heads_path) else []
fig, ax = plt.subplots(4 if heads else 3, 1, figsize=(8, 12 if heads else 9), sharex=True)
ax[0].plot(tok, tl, color="#9ecae1", lw=0.5, label="train loss (per step)")
ax[0].plot(tok, sm, color="#3182bd", lw=1.2, label=f"train loss (mean of {w} steps)")
ax[0].plot([t for t, _ in vt], [v for _, v in vt], "o-", color="#e6550d", ms=2.5, lw=1, label="validation loss")
ax[0].set_ylabel("cross-entropy (nats/token)"); ax[0].set_ylim(min(tl) - 0.2, min(8.5, max(tl) + 0.2)); ax[0].legend()
ax[1].plot(tok, gn, color="#756bb1", lw=0.5, label="gradient norm before clipping")
if clipped:
    ax[1].scatter([t for t, _ in clipped], [g for _, g in clipped], s=4, color="#d62728", zorder=3,
                  label=f"clipped ({len(clipped)} of {len(rows)} steps)")
if clip:
    ax[1].axhline(clip, color="#d62728", ls="--", lw=0.8, label=f"clip threshold {clip}")
ax[1].set_yscale("log"); ax[1].set_ylabel("global L2 norm"); ax[1].legend()
ax[2].plot(tok, lr, color="#31a354"); ax[2].set_ylabel("learning rate")
if heads:  # the best head's scores at each evaluation (evaluate.py's measures): when copying from context appears
    ht = [int(r["tokens"]) / 1e6 for r in heads]
    ax[3].plot(ht, [float(r["best_induction"]) for r in heads], "o-", ms=2, color="#e6550d", label="best induction score")
    ax[3].plot(ht, [float(r["best_previous_token"]) for r in heads], "o-", ms=2, color="#756bb1", label="best previous-token score")
    ax[3].set_ylim(0, 1); ax[3].set_ylabel("attention score"); ax[3].legend()
ax[-1].set_xlabel("training tokens (millions)")
fig.suptitle("xray-mini training run")
fig.tight_layout()
fig.savefig(os.path.join(folder, "training_curve.png"), dpi=90)
