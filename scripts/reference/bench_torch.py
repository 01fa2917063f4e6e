#!/usr/bin/env python3
"""The benchmark's PyTorch peer: the reference forward (gpt2_reference.py) timed on the same weights and ids.

    bench_torch.py MODEL_DIR --ids IDS_JSON --lengths 64,256 --repeats 10,5 [--gen PROMPT,STEPS] [--gflops]
                   [--dump-logits FILE] [--threads 2]

IDS_JSON holds one id list; length n uses its first n ids. Prints one JSON object: median ms per length, KV-cache
generation tokens/s, sgemm GFLOP/s. --dump-logits writes the last-position logits of the first length (float32),
so the caller can check that a tuned BLAS (OPENBLAS_CORETYPE) computes what the untuned one does.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import forward, load_model  # noqa: E402


def timed(fn, repeats, warmup=1):
    """Median wall ms, the samples, and median CPU ms of the process (all threads: on a machine shared with other
    work the CPU time is what the run itself cost)."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(times), times, statistics.median(cpu)


@torch.no_grad()
def sgemm_gflops(n=1024, repeats=10):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    a @ b
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        a @ b
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    # wall GFLOP/s, and GFLOP/s per CPU-second times the threads (what the threads reach when they have the cores)
    return 2 * n**3 / best / 1e9, 2 * n**3 / best_cpu / 1e9 * torch.get_num_threads()


@torch.no_grad()
def generation(cfg, w, ids, prompt, steps):
    """Greedy decoding with the reference's KV cache; tokens/s over the cached steps."""
    r = forward(cfg, w, ids[:prompt])
    past, nxt = r["present"], int(r["logits"][-1].argmax())
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        r = forward(cfg, w, [nxt], past=past)
        past, nxt = r["present"], int(r["logits"][-1].argmax())
    return steps / (time.perf_counter() - t0), (time.process_time() - c0) * 1000 / steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--ids", required=True)
    ap.add_argument("--lengths", default="")
    ap.add_argument("--repeats", default="")
    ap.add_argument("--gen", help="PROMPT,STEPS")
    ap.add_argument("--gflops", action="store_true")
    ap.add_argument("--dump-logits")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg, w = load_model(a.model)
    with open(a.ids) as f:
        ids = json.load(f)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "forward_ms": {}, "samples_ms": {}, "cpu_ms": {}}
    lengths = [int(x) for x in a.lengths.split(",") if x]
    repeats = [int(x) for x in a.repeats.split(",") if x] or [5] * len(lengths)
    for n, rep in zip(lengths, repeats):
        med, samples, cpu = timed(lambda: forward(cfg, w, ids[:n]), rep)
        out["forward_ms"][str(n)] = med
        out["samples_ms"][str(n)] = samples
        out["cpu_ms"][str(n)] = cpu
    if a.dump_logits and lengths:
        forward(cfg, w, ids[: lengths[0]])["logits"][-1].numpy().astype("<f4").tofile(a.dump_logits)
    if a.gen:
        prompt, steps = (int(x) for x in a.gen.split(","))
        out["generation_tokens_per_s"], out["generation_cpu_ms_per_step"] = generation(cfg, w, ids, prompt, steps)
    if a.gflops:
        out["sgemm_gflops"], out["sgemm_gflops_per_cpu"] = sgemm_gflops()
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    sys.exit(main())
