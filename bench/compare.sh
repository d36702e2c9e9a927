#!/usr/bin/env bash
# Runs rcc's training step and PyTorch's (fp32 channels_last, and bf16 autocast) on the same
# machine, one after the other, alternating, and prints the medians and their ratio.
# Usage: bench/compare.sh [path/to/rcc] [rounds]   (environment: BATCH, STEPS, WARMUP, THREADS)
set -euo pipefail
RCC=${1:-build/rcc}
ROUNDS=${2:-3}
BATCH=${BATCH:-256} STEPS=${STEPS:-8} WARMUP=${WARMUP:-2} THREADS=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
common=(--batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for r in $(seq "$ROUNDS"); do
  "$RCC" bench "${common[@]}" --json | sed 's/^/rcc /' >>"$tmp"
  /usr/bin/python3 "$here/bench_torch.py" "${common[@]}" --json | sed 's/^/torch_fp32 /' >>"$tmp"
  /usr/bin/python3 "$here/bench_torch.py" "${common[@]}" --bf16 --json | sed 's/^/torch_bf16 /' >>"$tmp"
done
/usr/bin/python3 - "$tmp" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, js = line.split(" ", 1)
    d = json.loads(js)
    runs.setdefault(name, []).append(d["pairs_per_s"])
med = {k: statistics.median(v) for k, v in runs.items()}
for k, v in runs.items():
    print(f"{k:11s} pairs/s: median {med[k]:7.1f}  (rounds: {', '.join(f'{x:.1f}' for x in v)})")
print(f"ratio rcc / torch fp32 channels_last: {med['rcc'] / med['torch_fp32']:.2f}x")
print(f"ratio rcc / torch bf16 autocast:      {med['rcc'] / med['torch_bf16']:.2f}x")
PY
