#!/usr/bin/env bash
# bench/precision_eval.sh — does a training precision keep the accuracy? Trains the same preset
# once per seed and precision on IDX data (MNIST-test by default), predicts, and scores the clusters
# on the "dev" half of the images (the first half by index), the "holdout" half (the rest) and all,
# predicting in the training's precision (and, for bf16 runs, again in f32: all_f32inf); then the
# mean ± sd of each precision over the seeds. Not a test: minutes of training per run. The clusters
# are `rcc predict`'s default (refined by the neighbour vote); PREDICT_FLAGS="--vote 0": the head alone.
# Usage: bench/precision_eval.sh [--seeds "1 2 3"] [--precisions "f32 bf16"] [--data IMAGES.idx]
#                                [--labels LABELS.idx] [--build build] [--work DIR] [-- train flags]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
MNIST=${RCC_DATA:-$SRC/../shared/data/mnist}
BUILD=$SRC/build SEEDS="1 2 3" PRECISIONS="f32 bf16" WORK=""
DATA=$MNIST/t10k-images-idx3-ubyte.gz LABELS=$MNIST/t10k-labels-idx1-ubyte.gz
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) SEEDS=$2; shift 2 ;; --precisions) PRECISIONS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;; --labels) LABELS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "precision_eval.sh: unknown argument $1 (train flags go after --)" >&2; exit 2 ;;
  esac
done
RCC=$BUILD/rcc
[ -x "$RCC" ] || { echo "precision_eval.sh: $RCC not built (make build)" >&2; exit 1; }
for f in "$DATA" "$LABELS"; do
  [ -f "$f" ] || { echo "precision_eval.sh: missing $f (set RCC_DATA or --data/--labels)" >&2; exit 2; }
done
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/rcc-precision-eval-XXXXXX)
mkdir -p "$WORK"
. "$SRC/bench/idx_labels.sh"
idx_labels "$LABELS" "$WORK/labels"
n=$(wc -l < "$WORK/labels") half=$((n / 2))
echo "data: $DATA ($n images; dev: the first $half, holdout: the rest); seeds: $SEEDS; train flags: $*"
echo "work folder: $WORK"
printf '%-5s %4s %7s %7s %7s %7s %7s %7s %11s\n' prec seed "time_s" dev holdout all nmi ari all_f32inf |
  tee "$WORK/results"
for p in $PRECISIONS; do
  for s in $SEEDS; do
    run=$WORK/$p-seed$s
    t0=$(date +%s.%N)
    "$RCC" train --data "$DATA" --out "$run" --seed "$s" --precision "$p" "$@" > "$run.out" 2> "$run.err" ||
      { tail -3 "$run.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    "$RCC" predict --model "$run" --data "$DATA" ${PREDICT_FLAGS:-} > "$run.csv" 2> "$run.predict.err" ||
      { tail -3 "$run.predict.err" >&2; exit 1; }
    read -r da _ _ <<< "$(score "$run.csv" "$WORK/labels" 0 "$half")"
    read -r ha _ _ <<< "$(score "$run.csv" "$WORK/labels" "$half" "$n")"
    read -r aa an ar <<< "$(score "$run.csv" "$WORK/labels" 0 "$n")"
    fa=$aa
    if [ "$p" != f32 ]; then
      "$RCC" predict --model "$run" --data "$DATA" --precision f32 ${PREDICT_FLAGS:-} > "$run.f32.csv" \
        2>> "$run.predict.err" ||
        { tail -3 "$run.predict.err" >&2; exit 1; }
      read -r fa _ _ <<< "$(score "$run.f32.csv" "$WORK/labels" 0 "$n")"
    fi
    [ -n "$da" ] && [ -n "$ha" ] && [ -n "$ar" ] && [ -n "$fa" ] || { echo "precision_eval.sh: scoring $run failed" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" -v p="$p" -v s="$s" -v d="$da" -v h="$ha" -v x="$aa" -v m="$an" -v r="$ar" -v f="$fa" \
      'BEGIN { printf "%-5s %4s %7.0f %7.4f %7.4f %7.4f %7.4f %7.4f %11.4f\n", p, s, b - a, d, h, x, m, r, f }' |
      tee -a "$WORK/results"
  done
done
# mean ± sample sd per precision (in the order given) and column
for p in $PRECISIONS; do
  awk -v k="$p" 'NR > 1 && $1 == k { c++; for (i = 3; i <= 9; i++) { s[i] += $i; q[i] += $i * $i } }
       END { if (!c) exit; printf "%-5s mean ± sd over %d seeds:", k, c
             for (i = 3; i <= 9; i++) { m = s[i] / c; v = c > 1 ? (q[i] - c * m * m) / (c - 1) : 0
               printf (i == 3 ? " time %.0f±%.0f s" : " %.4f±%.4f"), m, sqrt(v > 0 ? v : 0) }
             print "  (dev holdout all nmi ari all_f32inf)" }' "$WORK/results"
done
