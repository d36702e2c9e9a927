#!/usr/bin/python3
"""PyTorch side of the RCC throughput benchmark (run with Debian's /usr/bin/python3).

Training mode (default): one step of the paper's model, RCCNet(in_ch=1, rep_dim=3, width=64,
feature_dim=128, K=10) on two fixed random views of N images of SxS pixels: forward both views,
all losses (lam 0.95, tau_i 0.5, tau_c 1.0, t 2), backward, Adam(lr 3e-4) step.
Reports the median and min step time, pairs/s = batch / median, and peak RSS.

--eval: inference instead (eval mode, no_grad, backbone + cluster head + argmax): single-image
latency (median ms) and batch throughput (images/s).
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "reference"))
import rcc_torch as R  # noqa: E402

LAM, TAU_I, TAU_C, T_UNIF = 0.95, 0.5, 1.0, 2.0


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256, help="images per view (N)")
    ap.add_argument("--size", type=int, default=64, help="image side S")
    ap.add_argument("--steps", type=int, default=10, help="timed steps (or timed batch passes with --eval)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True,
                    help="use the channels_last memory format (default on)")
    ap.add_argument("--bf16", action="store_true", help="autocast forward+loss to bfloat16 on CPU")
    ap.add_argument("--eval", action="store_true", help="measure inference instead of training")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--channels", type=int, default=1, help="image channels")
    ap.add_argument("--rep-dim", type=int, default=3, help="backbone output dimension")
    ap.add_argument("--K", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def autocast_ctx(enabled):
    if enabled:
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return torch.autocast(device_type="cpu", enabled=False)


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def bench_train(args, model, x_a, x_b):
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    model.train()
    last = {}

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast_ctx(args.bf16):
            out = model(x_a, x_b)
            losses = R.total_loss(out, LAM, TAU_I, TAU_C, T_UNIF)
        losses["total"].backward()
        opt.step()
        last["loss"] = float(losses["total"])

    times = timed(step, args.warmup, args.steps)
    med = statistics.median(times)
    return {
        "median_s": med,
        "min_s": min(times),
        "pairs_per_s": args.batch / med,
        "last_loss": last.get("loss"),
    }


def bench_eval(args, model, x_a):
    model.eval()

    def infer(x):
        with torch.no_grad(), autocast_ctx(args.bf16):
            h = model.backbone(x)
            return model.cluster_projector(h).argmax(dim=1)

    x1 = x_a[:1].clone(memory_format=torch.channels_last) if args.channels_last else x_a[:1].clone()
    single = timed(lambda: infer(x1), max(args.warmup, 3), max(args.steps, 20))
    batch = timed(lambda: infer(x_a), args.warmup, args.steps)
    med_b = statistics.median(batch)
    return {
        "single_median_ms": 1e3 * statistics.median(single),
        "single_min_ms": 1e3 * min(single),
        "batch_median_s": med_b,
        "batch_min_s": min(batch),
        "images_per_s": args.batch / med_b,
    }


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    model = R.RCCNet(in_ch=args.channels, rep_dim=args.rep_dim, width=args.width, feature_dim=128, K=args.K)
    g = torch.Generator().manual_seed(args.seed)
    shape = (args.batch, args.channels, args.size, args.size)
    x_a = torch.rand(shape, generator=g)
    x_b = torch.rand(shape, generator=g)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x_a = x_a.contiguous(memory_format=torch.channels_last)
        x_b = x_b.contiguous(memory_format=torch.channels_last)

    res = {
        "impl": "torch",
        "mode": "eval" if args.eval else "train",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "size": args.size,
        "width": args.width,
        "channels": args.channels,
        "rep_dim": args.rep_dim,
        "K": args.K,
        "allocator": "tcmalloc" if "tcmalloc" in os.environ.get("LD_PRELOAD", "") else "glibc",
        "steps": args.steps,
        "warmup": args.warmup,
        "channels_last": args.channels_last,
        "bf16": args.bf16,
        "machine": platform.machine(),
    }
    if args.eval:
        res.update(bench_eval(args, model, x_a))
    else:
        res.update(bench_train(args, model, x_a, x_b))
    res["peak_rss_mb"] = peak_rss_mb()

    if args.json:
        print(json.dumps(res))
        return
    cfg = "threads=%d batch=%d size=%d width=%d channels_last=%s bf16=%s" % (
        args.threads, args.batch, args.size, args.width, args.channels_last, args.bf16)
    if args.eval:
        print("torch %s eval   %s" % (torch.__version__, cfg))
        print("  single image: median %.2f ms, min %.2f ms" % (res["single_median_ms"], res["single_min_ms"]))
        print("  batch %d: median %.3f s, min %.3f s, %.1f images/s" % (
            args.batch, res["batch_median_s"], res["batch_min_s"], res["images_per_s"]))
    else:
        print("torch %s train  %s" % (torch.__version__, cfg))
        print("  step: median %.3f s, min %.3f s over %d steps (%d warm-up)" % (
            res["median_s"], res["min_s"], args.steps, args.warmup))
        print("  %.1f pairs/s, last loss %.5f" % (res["pairs_per_s"], res["last_loss"]))
    print("  peak RSS %.1f MB" % res["peak_rss_mb"])


if __name__ == "__main__":
    main()
