#!/usr/bin/python3
"""Summary of bench/compare.sh: lines "NAME JSON" (rcc bench --json, bench_torch.py --json), NAME
train_* rows (rcc_f32, rcc_winograd, rcc_bf16, torch_fp32, torch_bf16, torch_glibc_fp32) or
infer_* rows. Prints each row's rounds and median, then the table of ratios (medians of the runs)."""

import json
import statistics
import sys


def load(path):
    rows = {}
    for line in open(path):
        name, js = line.split(" ", 1)
        rows.setdefault(name, []).append(json.loads(js))
    return rows


def med(rows, name, key):
    vals = [d[key] for d in rows.get(name, []) if d.get(key) is not None]
    return statistics.median(vals) if vals else None


def main():
    rows = load(sys.argv[1])
    train = [n for n in rows if not n.startswith("infer_")]
    infer = [n for n in rows if n.startswith("infer_")]
    print("training step, pairs/s (median; rounds) and peak RSS (MB, median):")
    for n in train:
        v = [d["pairs_per_s"] for d in rows[n]]
        print(f"  {n:18s} {med(rows, n, 'pairs_per_s'):7.1f}  ({', '.join(f'{x:.1f}' for x in v)})"
              f"  peak {med(rows, n, 'peak_rss_mb') or 0:6.0f} MB")
    print("inference: one image ms (median), batch images/s (median; rounds):")
    lat_key = {n: ("latency_ms" if n.startswith("infer_rcc") else "single_median_ms") for n in infer}
    for n in infer:
        v = [d["images_per_s"] for d in rows[n]]
        print(f"  {n:24s} {med(rows, n, lat_key[n]):7.2f} ms  {med(rows, n, 'images_per_s'):7.0f} images/s"
              f"  ({', '.join(f'{x:.0f}' for x in v)})")

    def fastest(prefix, names, key, low=False):
        c = [(med(rows, n, key if key != "lat" else lat_key[n]), n) for n in names if n.startswith(prefix)]
        c = [x for x in c if x[0] is not None]
        return (min if low else max)(c) if c else (None, None)

    rcc_t, rcc_tn = fastest("rcc_", train, "pairs_per_s")
    tor_t, tor_tn = fastest("torch_fp32", train, "pairs_per_s")
    tb = max([(med(rows, n, "pairs_per_s"), n) for n in ("torch_fp32", "torch_bf16") if n in rows])
    rb_i, rb_in = fastest("infer_rcc", infer, "images_per_s")
    tb_i, tb_in = max([(med(rows, n, "images_per_s"), n) for n in ("infer_torch_fp32", "infer_torch_bf16")
                       if n in rows])
    rl, rln = fastest("infer_rcc", infer, "lat", low=True)
    tl, tln = min([(med(rows, n, lat_key[n]), n) for n in ("infer_torch_fp32", "infer_torch_bf16") if n in rows])
    glibc = med(rows, "torch_glibc_fp32", "pairs_per_s")
    glibc_i = med(rows, "infer_torch_glibc_fp32", "images_per_s")
    rf = med(rows, "rcc_f32", "pairs_per_s")
    print()
    print("| | rcc | PyTorch, glibc malloc | PyTorch + tcmalloc | rcc / PyTorch + tcmalloc |")
    print("|---|---|---|---|---|")
    g = f"{glibc:.1f}" if glibc else "–"
    print(f"| fp32 step, pairs/s | {rf:.1f} | {g} | {tor_t:.1f} | **{rf / tor_t:.2f}×** |")
    print(f"| fastest mode, pairs/s | {rcc_t:.1f} ({rcc_tn}) | – | {tb[0]:.1f} ({tb[1]}) | **{rcc_t / tb[0]:.2f}×** |")
    gi = f"{glibc_i:.0f}" if glibc_i else "–"
    print(f"| batch-{rows[rb_in][0].get('batch', '')} inference, images/s | {rb_i:.0f} ({rb_in[6:]}) | {gi} | "
          f"{tb_i:.0f} ({tb_in[6:]}) | **{rb_i / tb_i:.2f}×** |")
    print(f"| one-image latency, ms | {rl:.2f} ({rln[6:]}) | – | {tl:.2f} ({tln[6:]}) | **{rl / tl:.2f}×** (lower is better) |")
    rm = med(rows, rcc_tn, "peak_rss_mb")
    tm = med(rows, "torch_bf16", "peak_rss_mb")
    tmf = med(rows, "torch_fp32", "peak_rss_mb")
    tfm = med(rows, tb[1], "peak_rss_mb")
    print(f"| peak RSS of the fastest mode, MB | {rm:.0f} ({rcc_tn}) | – | {tfm:.0f} ({tb[1]}; fp32 {tmf:.0f}, "
          f"bf16 {tm:.0f}) | **{rm / tm:.2f}×** PyTorch bf16's, {rm / tfm:.2f}× its fastest mode's |")


if __name__ == "__main__":
    main()
