#!/usr/bin/env bash
# bench/self_label_eval.sh — what a self-labelling stage does to a finished run on IDX data
# (MNIST-test, Fashion-MNIST): a copy of the run is resumed with --self-label N and the flags
# given, and its clusters are scored before and after, on the "dev" half of the images (the first
# half by index, where settings are chosen) and on the "holdout" half (the rest, reported).
# The run itself is left untouched. Not a test: a minute or two of training per call.
# Usage: bench/self_label_eval.sh --run DIR --data IMAGES.idx --labels LABELS.idx [--epochs 5]
#                                 [--build build] [--work DIR] [-- train flags, e.g. --sl-threshold 0.9]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build RUN="" DATA="" LABELS="" EPOCHS=5 WORK=""
while [ $# -gt 0 ]; do
  case $1 in
    --run) RUN=$2; shift 2 ;; --data) DATA=$2; shift 2 ;; --labels) LABELS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;; --build) BUILD=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "self_label_eval.sh: unknown argument $1 (train flags go after --)" >&2; exit 2 ;;
  esac
done
RCC=$BUILD/rcc
[ -x "$RCC" ] || { echo "self_label_eval.sh: $RCC not built" >&2; exit 1; }
for f in "$RUN/checkpoint.safetensors" "$DATA" "$LABELS"; do
  [ -f "$f" ] || { echo "self_label_eval.sh: missing $f (--run is a finished training folder)" >&2; exit 2; }
done
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/rcc-sl-eval-XXXXXX)
mkdir -p "$WORK/run"
cp "$RUN/checkpoint.safetensors" "$RUN/metrics.jsonl" "$WORK/run/"

. "$SRC/bench/idx_labels.sh"
idx_labels "$LABELS" "$WORK/labels"
n=$(wc -l < "$WORK/labels") half=$((n / 2))

report() { # name pred
  read -r da dn dr <<< "$(score "$2" "$WORK/labels" 0 "$half")"
  read -r ha hn hr <<< "$(score "$2" "$WORK/labels" "$half" "$n")"
  printf '%-8s dev ACC %.4f NMI %.4f ARI %.4f | holdout ACC %.4f NMI %.4f ARI %.4f\n' "$1" "$da" "$dn" "$dr" "$ha" \
    "$hn" "$hr"
}
"$RCC" predict --model "$WORK/run" --data "$DATA" > "$WORK/before.csv" 2> /dev/null
t0=$(date +%s.%N)
"$RCC" train --resume "$WORK/run" --data "$DATA" --self-label "$EPOCHS" "$@" > "$WORK/train.out" 2> "$WORK/train.err" ||
  { tail -3 "$WORK/train.err" >&2; exit 1; }
t1=$(date +%s.%N)
"$RCC" predict --model "$WORK/run" --data "$DATA" > "$WORK/after.csv" 2> /dev/null
echo "run: $RUN; $n images (dev: the first $half, holdout: the rest); --self-label $EPOCHS $*"
report before "$WORK/before.csv"
report after "$WORK/after.csv"
awk -v a="$t0" -v b="$t1" -v w="$WORK" 'BEGIN { printf "self-labelling: %.0f s; work folder: %s\n", b - a, w }'
