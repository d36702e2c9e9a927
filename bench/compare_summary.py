#!/usr/bin/python3
"""Summary of bench/compare.sh: lines "NAME JSON" (rcc bench --json, bench_torch.py --json); NAME is
a training row (rcc_f32, rcc_winograd, rcc_bf16, torch_fp32, torch_bf16, torch_glibc_fp32) or an
inference row (infer_ + the same names). Prints each row's rounds and median, then the table of
ratios of the medians; a row that is missing is a dash."""

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

    def best(names, key, low=False):
        """(median, name) of the best of the rows named that exist, or (None, None)."""
        c = [(med(rows, n, key(n) if callable(key) else key), n) for n in names if n in rows]
        c = [x for x in c if x[0] is not None]
        return (min if low else max)(c) if c else (None, None)

    def num(v, fmt):
        return "–" if v is None else format(v, fmt)

    def ratio(a, b):
        return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"

    lat = lambda n: lat_key[n]  # noqa: E731
    rcc_modes = [n for n in train if n.startswith("rcc_")]
    rf = med(rows, "rcc_f32", "pairs_per_s")
    tf = med(rows, "torch_fp32", "pairs_per_s")
    glibc = med(rows, "torch_glibc_fp32", "pairs_per_s")
    rt, rtn = best(rcc_modes, "pairs_per_s")
    tt, ttn = best(["torch_fp32", "torch_bf16"], "pairs_per_s")
    ri, rin = best([n for n in infer if n.startswith("infer_rcc")], "images_per_s")
    ti, tin = best(["infer_torch_fp32", "infer_torch_bf16"], "images_per_s")
    gi = med(rows, "infer_torch_glibc_fp32", "images_per_s")
    rl, rln = best([n for n in infer if n.startswith("infer_rcc")], lat, low=True)
    tl, tln = best(["infer_torch_fp32", "infer_torch_bf16"], lat, low=True)
    name = lambda n: "" if n is None else f" ({n.replace('infer_', '')})"  # noqa: E731
    batch = rows[rin][0].get("batch", "") if rin else ""
    print()
    tc = any(d.get("allocator") == "tcmalloc" for d in rows.get("torch_fp32", []))
    peer = "PyTorch + tcmalloc" if tc else "PyTorch (tcmalloc not found: glibc)"
    print(f"| | rcc | PyTorch, glibc malloc | {peer} | rcc / {peer} |")
    print("|---|---|---|---|---|")
    print(f"| fp32 step, pairs/s | {num(rf, '.1f')} | {num(glibc, '.1f')} | {num(tf, '.1f')} | **{ratio(rf, tf)}** |")
    print(f"| fastest mode, pairs/s | {num(rt, '.1f')}{name(rtn)} | – | {num(tt, '.1f')}{name(ttn)} | "
          f"**{ratio(rt, tt)}** |")
    print(f"| batch-{batch} inference, images/s | {num(ri, '.0f')}{name(rin)} | {num(gi, '.0f')} | "
          f"{num(ti, '.0f')}{name(tin)} | **{ratio(ri, ti)}** |")
    print(f"| one-image latency, ms | {num(rl, '.2f')}{name(rln)} | – | {num(tl, '.2f')}{name(tln)} | "
          f"**{ratio(rl, tl)}** (lower is better) |")
    rm = med(rows, rtn, "peak_rss_mb") if rtn else None
    tbm = med(rows, "torch_bf16", "peak_rss_mb")
    tfm = med(rows, ttn, "peak_rss_mb") if ttn else None
    print(f"| peak RSS of the fastest mode, MB | {num(rm, '.0f')}{name(rtn)} | – | {num(tfm, '.0f')}{name(ttn)}; "
          f"bf16 {num(tbm, '.0f')} | **{ratio(rm, tbm)}** PyTorch bf16's, {ratio(rm, tfm)} its fastest mode's |")


if __name__ == "__main__":
    main()
