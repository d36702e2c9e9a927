#!/usr/bin/env bash
# rcc beside PyTorch on the same machine, one after the other, alternating, ROUNDS rounds: the
# training step (rcc: direct f32, Winograd f32, direct bf16 where the CPU computes bf16; PyTorch:
# fp32 and bf16 autocast, channels_last) and inference (one-image latency, batch throughput; each
# precision). Prints every run, the medians, and a table of the ratios that matter: fp32 against
# fp32, the fastest mode of each against the other's fastest, inference, and peak memory.
# PyTorch runs at its best: tcmalloc preloaded (libtcmalloc_minimal.so.4 from libgoogle-perftools4,
# as PyTorch's CPU tuning guide advises; glibc's malloc maps and faults in every large activation
# anew each step) and channels_last; its fp32 step on glibc's malloc is timed too, for reference
# (GLIBC=0 skips it).
# Usage: bench/compare.sh [path/to/rcc] [rounds]
#   environment: BATCH, STEPS, WARMUP, THREADS, GLIBC (1); the shape: SIZE (64), WIDTH (64), CHANNELS (1),
#   REP_DIM (3) — the paper's step by default; the photo preset's is SIZE=32 WIDTH=32 CHANNELS=3 REP_DIM=128
set -euo pipefail
RCC=${1:-build/rcc}
ROUNDS=${2:-3}
BATCH=${BATCH:-256} STEPS=${STEPS:-8} WARMUP=${WARMUP:-2} THREADS=${THREADS:-2}
SIZE=${SIZE:-64} WIDTH=${WIDTH:-64} CHANNELS=${CHANNELS:-1} REP_DIM=${REP_DIM:-3} GLIBC=${GLIBC:-1}
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
# rcc's bf16 mode where this CPU computes bf16 (AVX512-BF16): a one-step probe of a tiny network
[ -x "$RCC" ] || { echo "compare.sh: $RCC is not built (make build)" >&2; exit 1; }
BF16=0 probe=$(mktemp)
if "$RCC" bench --precision bf16 --size 16 --width 4 --batch 2 --steps 1 --warmup 0 > /dev/null 2> "$probe"; then
  BF16=1
  [ "${RCC_BF16_EMULATED:-}" != 1 ] || echo "warning: RCC_BF16_EMULATED=1: rcc_bf16 may be oneDNN's emulation (slow)" >&2
else
  echo "rcc bf16: not on this CPU, rcc runs f32 only ($(tail -1 "$probe"))"
fi
rm -f "$probe"
grep -m1 "model name" /proc/cpuinfo || true
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for r in $(seq "$ROUNDS"); do
  "$RCC" bench "${common[@]}" --json | sed 's/^/rcc_f32 /' >>"$tmp"
  "$RCC" bench "${common[@]}" --conv winograd --json | sed 's/^/rcc_winograd /' >>"$tmp"
  [ $BF16 = 0 ] || "$RCC" bench "${common[@]}" --precision bf16 --json | sed 's/^/rcc_bf16 /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --json | sed 's/^/torch_fp32 /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --bf16 --json | sed 's/^/torch_bf16 /' >>"$tmp"
  [ "$GLIBC" = 0 ] || /usr/bin/python3 "$here/bench_torch.py" "${common[@]}" --json | sed 's/^/torch_glibc_fp32 /' >>"$tmp"
  "$RCC" bench --infer "${common[@]}" --json | sed 's/^/infer_rcc_f32 /' >>"$tmp"
  [ $BF16 = 0 ] || "$RCC" bench --infer "${common[@]}" --precision bf16 --json | sed 's/^/infer_rcc_bf16 /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --eval --json | sed 's/^/infer_torch_fp32 /' >>"$tmp"
  "${torch[@]}" "${common[@]}" --eval --bf16 --json | sed 's/^/infer_torch_bf16 /' >>"$tmp"
  [ "$GLIBC" = 0 ] || /usr/bin/python3 "$here/bench_torch.py" "${common[@]}" --eval --json |
    sed 's/^/infer_torch_glibc_fp32 /' >>"$tmp"
done
/usr/bin/python3 "$here/compare_summary.py" "$tmp"
