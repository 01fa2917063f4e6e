"""Trains the bundled GPT on CPU with a wall-clock budget; resumable.

Usage: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 train.py --data WORK --out WORK/run [--minutes 70]
The learning rate warms up linearly over --warmup steps, then follows a cosine over the fraction of the
time budget used (so the schedule ends on time however busy the shared cores are). Every step is logged
to train_log.csv with the gradient norm measured before clipping and whether clipping fired.
"""
import argparse, csv, json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
from model import GPT
from evaluate import head_scores

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--minutes", type=float, default=70)
ap.add_argument("--n_layer", type=int, default=4)
ap.add_argument("--n_head", type=int, default=4)
ap.add_argument("--n_embd", type=int, default=128)
ap.add_argument("--n_positions", type=int, default=512)
ap.add_argument("--block", type=int, default=256)
ap.add_argument("--batch", type=int, default=16)
# Attention at 512 tokens costs twice as much per token on CPU, so most steps use 256-token blocks and
# every --long_every-th step uses n_positions-token blocks (same tokens per step) to train all of wpe.
ap.add_argument("--long_every", type=int, default=4)
ap.add_argument("--lr", type=float, default=2e-3)
ap.add_argument("--min_lr", type=float, default=1e-4)
ap.add_argument("--warmup", type=int, default=150)
ap.add_argument("--wd", type=float, default=0.1)
ap.add_argument("--clip", type=float, default=1.0)
ap.add_argument("--eval_every", type=int, default=100)
ap.add_argument("--eval_blocks", type=int, default=24)
ap.add_argument("--ckpt_seconds", type=float, default=180)
ap.add_argument("--threads", type=int, default=2)
# Fraction of each batch's sequences in which a passage of the text recurs (random length and place, so no
# fixed offset can predict the copy): real text that rewards copying from context, which is what an
# induction head does. Natural text alone forms induction heads only after far more tokens than 2 cores give.
ap.add_argument("--repeat_frac", type=float, default=0.0)
ap.add_argument("--max_steps", type=int, default=0, help="stop after this many steps (0: budget only)")
args = ap.parse_args()

torch.set_num_threads(args.threads)
os.makedirs(args.out, exist_ok=True)
vocab_size = json.load(open(os.path.join(args.data, "tok", "tokenizer.json")))["model"]["vocab"]
vocab_size = len(vocab_size)  # includes <|endoftext|>, the last id
cfg = {"vocab_size": vocab_size, "n_layer": args.n_layer, "n_head": args.n_head, "n_embd": args.n_embd,
       "n_positions": args.n_positions, "layer_norm_epsilon": 1e-5}
train = np.memmap(os.path.join(args.data, "train.bin"), dtype=np.uint16, mode="r")
val = np.memmap(os.path.join(args.data, "val.bin"), dtype=np.uint16, mode="r")
assert int(train.max()) < vocab_size
T, B = args.n_positions, args.eval_blocks  # validation uses full-length blocks

# A fixed validation sample: evenly spaced blocks, so every evaluation sees the same tokens.
starts = np.linspace(0, len(val) - T - 2, args.eval_blocks).astype(np.int64)
val_x = torch.from_numpy(np.stack([val[s:s + T] for s in starts]).astype(np.int64))
val_y = torch.from_numpy(np.stack([val[s + 1:s + T + 1] for s in starts]).astype(np.int64))

model = GPT(cfg)
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
state = {"step": 0, "tokens": 0, "elapsed": 0.0}
ckpt_path = os.path.join(args.out, "ckpt.pt")
log_path = os.path.join(args.out, "train_log.csv")
# Per-evaluation head scores (same measure as evaluate.py), so the card can show when induction formed.
heads_path = os.path.join(args.out, "heads_log.csv")
if os.path.exists(ckpt_path):
    ck = torch.load(ckpt_path)
    model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); state = ck["state"]
    torch.set_rng_state(ck["torch_rng"]); np.random.set_state(ck["np_rng"])
    # drop log rows written after the checkpoint, so a resumed log has no duplicate steps
    with open(log_path) as f:
        rows = [r for r in csv.reader(f)]
    with open(log_path, "w", newline="") as f:
        csv.writer(f).writerows([rows[0]] + [r for r in rows[1:] if int(r[0]) <= state["step"]])
    if os.path.exists(heads_path):
        with open(heads_path) as f:
            rows = [r for r in csv.reader(f)]
        with open(heads_path, "w", newline="") as f:
            csv.writer(f).writerows([rows[0]] + [r for r in rows[1:] if int(r[0]) <= state["step"]])
    print(f"resumed at step {state['step']}, {state['elapsed']:.0f}s", flush=True)
else:
    torch.manual_seed(1337); np.random.seed(1337)
    model = GPT(cfg)  # re-create under the fixed seed
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    with open(log_path, "w", newline="") as f:
        csv.writer(f).writerow(["step", "tokens", "train_loss", "val_loss", "grad_norm", "clipped", "lr", "tokens_per_s"])
    with open(heads_path, "w", newline="") as f:
        csv.writer(f).writerow(["step", "tokens", "best_induction", "best_previous_token", "repeated_half_loss"])
meta_path = os.path.join(args.out, "train_meta.json")
meta = json.load(open(meta_path)) if os.path.exists(ckpt_path) and os.path.exists(meta_path) else \
    {"config": cfg, "args": vars(args), "clip_norm": args.clip, "params": sum(p.numel() for p in model.parameters())}
if meta["args"] != vars(args):  # a resumed run with new settings: keep the first, record each later phase
    meta.setdefault("phases", []).append({"from_step": state["step"], "args": vars(args)})
json.dump(meta, open(meta_path, "w"), indent=1)
print(f"params {meta['params']}", flush=True)

budget = args.minutes * 60


def lr_at(step, elapsed):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    frac = min(1.0, elapsed / budget)
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * frac))


@torch.no_grad()
def evaluate():
    model.eval()
    losses = [F.cross_entropy(model(val_x[i:i + 8]).flatten(0, 1), val_y[i:i + 8].flatten()).item() * len(val_x[i:i + 8])
              for i in range(0, len(val_x), 8)]
    model.train()
    return sum(losses) / len(val_x)


def save():
    tmp = ckpt_path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "cfg": cfg,
                "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state()}, tmp)
    os.replace(tmp, ckpt_path)


last_ckpt = time.time()
model.train()
logf = open(log_path, "a", newline="")
log = csv.writer(logf)
while state["elapsed"] < budget and (args.max_steps == 0 or state["step"] < args.max_steps):
    t0 = time.time()
    long = args.long_every > 0 and state["step"] % args.long_every == args.long_every - 1
    T = args.n_positions if long else args.block
    B = args.batch * args.block // T
    ix = np.random.randint(0, len(train) - T - 1, size=B)
    seqs = [train[i:i + T + 1].astype(np.int64) for i in ix]
    for j in range(int(B * args.repeat_frac)):
        n = np.random.randint(16, T // 2 + 1)        # passage length
        s = np.random.randint(0, T + 1 - 2 * n + 1)   # where it starts; it recurs right after itself
        w = seqs[j]
        seqs[j] = np.concatenate([w[:s + n], w[s:s + n], w[s + n:]])[:T + 1]
    x = torch.from_numpy(np.stack([q[:T] for q in seqs]))
    y = torch.from_numpy(np.stack([q[1:T + 1] for q in seqs]))
    lr = lr_at(state["step"], state["elapsed"])
    for g in opt.param_groups:
        g["lr"] = lr
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip).item()  # norm before clipping
    opt.step()
    dt = time.time() - t0
    state["step"] += 1; state["tokens"] += B * T; state["elapsed"] += dt
    vl = ""
    if state["step"] % args.eval_every == 0 or state["elapsed"] >= budget:
        vl = f"{evaluate():.5f}"
    log.writerow([state["step"], state["tokens"], f"{loss.item():.5f}", vl, f"{norm:.5f}",
                  int(norm > args.clip), f"{lr:.6g}", f"{B * T / dt:.0f}"])
    if vl:
        logf.flush()
        model.eval()
        prev, ind, _, rep = head_scores(model, val, cfg)
        model.train()
        best_ind, best_prev = max(max(r) for r in ind), max(max(r) for r in prev)
        with open(heads_path, "a", newline="") as f:
            csv.writer(f).writerow([state["step"], state["tokens"], f"{best_ind:.4f}", f"{best_prev:.4f}", f"{rep:.4f}"])
        print(f"step {state['step']} tok {state['tokens']} train {loss.item():.3f} val {vl} "
              f"norm {norm:.2f} lr {lr:.2e} {B*T/dt:.0f} tok/s elapsed {state['elapsed']:.0f}s "
              f"induction {best_ind:.3f} prev {best_prev:.3f} rep-loss {rep:.2f}", flush=True)
    if time.time() - last_ckpt > args.ckpt_seconds:
        logf.flush(); save(); last_ckpt = time.time()
logf.flush(); save()
print("done", flush=True)
