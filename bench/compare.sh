#!/usr/bin/env bash
# Runs rcc's training step (direct and Winograd convolutions) and PyTorch's (fp32 channels_last,
# and bf16 autocast), then inference
# (one-image latency, batch throughput), on the same machine, one after the other, alternating,
# and prints the medians and their ratios. PyTorch runs at its best: with tcmalloc preloaded
# (libtcmalloc_minimal.so.4 from libgoogle-perftools4, as PyTorch's CPU tuning guide advises; glibc's
# malloc maps and faults in every large activation anew each step) and channels_last; GLIBC=1 also
# times its fp32 step with glibc's malloc, for reference.
# Usage: bench/compare.sh [path/to/rcc] [rounds]
#   environment: BATCH, STEPS, WARMUP, THREADS; the shape: SIZE (64), WIDTH (64), CHANNELS (1),
#   REP_DIM (3) — the paper's step by default; the photo preset's is SIZE=32 WIDTH=32 CHANNELS=3 REP_DIM=128
set -euo pipefail
RCC=${1:-build/rcc}
ROUNDS=${2:-3}
BATCH=${BATCH:-256} STEPS=${STEPS:-8} WARMUP=${WARMUP:-2} THREADS=${THREADS:-2}
SIZE=${SIZE:-64} WIDTH=${WIDTH:-64} CHANNELS=${CHANNELS:-1} REP_DIM=${REP_DIM:-3} GLIBC=${GLIBC:-0}
here=$(cd "$(dirname "$0")" && pwd)
common=(--batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" --size "$SIZE" --width "$WIDTH"
        --channels "$CHANNELS" --rep-dim "$REP_DIM")
TC=""
for f in /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib/*/libtcmalloc_minimal.so.4; do
  [ -e "$f" ] && { TC=$f; break; }
done
if [ -n "$TC" ]; then
  torch=(env LD_PRELOAD="$TC" /usr/bin/python3 "$here/bench_torch.py")
  echo "PyTorch with tcmalloc preloaded ($TC), channels_last; shape ${SIZE}x${SIZE}, $CHANNELS channel(s), width $WIDTH, rep_dim $REP_DIM"
else
  torch=(/usr/bin/python3 "$here/bench_torch.py")
  echo "warning: tcmalloc not found (scripts/setup-deps.sh bench installs libgoogle-perftools4): PyTorch runs on glibc's malloc, far below its best" >&2
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for r in $(seq "$ROUNDS"); do
  "$RCC" bench "${common[@]}" --json | sed 's/^/rcc /' >>"$tmp"
  "$RCC" bench "${common[@]}" --conv winograd --json | sed 's/^/rcc_wino /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --json | sed 's/^/torch_fp32 /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --bf16 --json | sed 's/^/torch_bf16 /' >>"$tmp"
  if [ "$GLIBC" = 1 ]; then
    /usr/bin/python3 "$here/bench_torch.py" "${common[@]}" --json | sed 's/^/torch_glibc /' >>"$tmp"
  fi
  "$RCC" bench --infer "${common[@]}" --json | sed 's/^/rcc_eval /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --eval --json | sed 's/^/torch_eval /' >>"$tmp"
done
/usr/bin/python3 - "$tmp" <<'PY'
import json, statistics, sys
runs, lat, ips = {}, {}, {}
for line in open(sys.argv[1]):
    name, js = line.split(" ", 1)
    d = json.loads(js)
    if name.endswith("_eval"):
        lat.setdefault(name, []).append(d.get("latency_ms", d.get("single_median_ms")))
        ips.setdefault(name, []).append(d["images_per_s"])
        continue
    runs.setdefault(name, []).append(d["pairs_per_s"])
med = {k: statistics.median(v) for k, v in runs.items()}
for k, v in runs.items():
    print(f"{k:11s} pairs/s: median {med[k]:7.1f}  (rounds: {', '.join(f'{x:.1f}' for x in v)})")
print(f"ratio rcc / torch fp32 channels_last: {med['rcc'] / med['torch_fp32']:.2f}x")
if "torch_glibc" in med:
    print(f"ratio rcc / torch fp32 on glibc malloc: {med['rcc'] / med['torch_glibc']:.2f}x")
print(f"ratio rcc / torch bf16 autocast:      {med['rcc'] / med['torch_bf16']:.2f}x")
print(f"ratio rcc winograd / torch bf16 autocast (fastest vs fastest): {med['rcc_wino'] / med['torch_bf16']:.2f}x")
print(f"ratio rcc winograd / rcc direct:        {med['rcc_wino'] / med['rcc']:.2f}x")
ml = {k: statistics.median(v) for k, v in lat.items()}
mi = {k: statistics.median(v) for k, v in ips.items()}
print(f"inference, one image: rcc {ml['rcc_eval']:.2f} ms, torch eval {ml['torch_eval']:.2f} ms "
      f"-> rcc/torch latency {ml['rcc_eval'] / ml['torch_eval']:.2f}")
print(f"inference, batch:     rcc {mi['rcc_eval']:.0f} images/s, torch eval {mi['torch_eval']:.0f} images/s "
      f"-> {mi['rcc_eval'] / mi['torch_eval']:.2f}x")
PY
