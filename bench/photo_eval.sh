#!/usr/bin/env bash
# bench/photo_eval.sh — clustering a folder of class subfolders (CIFAR-10-test as the user has it),
# scored the way docs/training.md chooses settings: train on every image without labels, then
# score the clusters on the "dev" half (in each class folder, the first half of the files in name
# order) and on the "holdout" half (the rest). Settings are chosen on dev; holdout is reported.
# One line per seed, then mean ± sd; with --self-label N, the run then continues with N epochs of
# self-labelling from its checkpoint and is scored again (a second block). Each score also gives
# the converged linear probe on h (Adam 1e-2, 50 epochs, 20 % held out; docs/evaluation.md).
# Not a test: minutes of training per seed on a quiet machine. The clusters are `rcc predict`'s
# default (the head's, refined by the neighbour vote); PREDICT_FLAGS="--vote 0" scores the head alone.
# Usage: bench/photo_eval.sh [--build build] [--data DIR] [--work DIR] [--seeds "1 2 3"]
#                            [--self-label N] [-- train flags...]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build WORK="" SEEDS=1 SL=0
DATA=${RCC_DATA:-$SRC/../shared/data}/cifar10/test
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;; --data) DATA=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;; --self-label) SL=$2; shift 2 ;; --) shift; break ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "photo_eval.sh: unknown argument $1 (train flags go after --)" >&2; exit 2 ;;
  esac
done
RCC=$BUILD/rcc
[ -x "$RCC" ] || { echo "photo_eval.sh: $RCC not built" >&2; exit 1; }
[ -d "$DATA" ] || { echo "photo_eval.sh: no folder $DATA" >&2; exit 1; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/rcc-photo-eval-XXXXXX)
mkdir -p "$WORK"

# true labels and halves: class = position of the subfolder in sorted order, dev = first half of
# each folder's files in name order (the order rcc reads them)
export LC_ALL=C # name order as rcc reads it: bytes
ls "$DATA" | sort > "$WORK/classes"
: > "$WORK/truth"
while read -r cls; do
  ls "$DATA/$cls" | grep -iE '\.(png|jpe?g)$' | sort > "$WORK/files"
  half=$(( $(wc -l < "$WORK/files") / 2 ))
  label=$(grep -nx "$cls" "$WORK/classes" | cut -d: -f1)
  awk -v d="$DATA/$cls" -v l=$((label - 1)) -v h="$half" '{ print d "/" $0 "," l "," (NR <= h ? "dev" : "holdout") }' \
    "$WORK/files" >> "$WORK/truth"
done < "$WORK/classes"

score() { # $1: predictions CSV (path,cluster,conf), $2: dev|holdout|all -> "acc nmi ari"
  awk -F, -v part="$2" 'NR == FNR { lab[$1] = $2; half[$1] = $3; next }
       ($1 in lab) && (part == "all" || half[$1] == part) { print $2 > "'"$WORK"'/p.csv"; print lab[$1] > "'"$WORK"'/l.csv" }' \
    "$WORK/truth" "$1"
  "$RCC" eval --pred "$WORK/p.csv" --labels "$WORK/l.csv" --json |
    sed 's/.*"acc":\([0-9.]*\).*"nmi":\([0-9.]*\).*"ari":\(-*[0-9.]*\).*/\1 \2 \3/'
}

# one scored model: "dev_acc hold_acc all_acc nmi ari probe" ($1: run folder, $2: file stem)
evaluate() {
  "$RCC" predict --model "$1" --data "$DATA" ${PREDICT_FLAGS:-} > "$2.csv" 2> /dev/null
  "$RCC" embed --model "$1" --data "$DATA" --out "$2.h.npy" 2> /dev/null
  awk -F, 'NR == FNR { lab[$1] = $2; next } { print lab[$1] }' "$WORK/truth" "$2.csv" > "$2.labels.csv"
  local probe
  probe=$("$RCC" probe --features "$2.h.npy" --labels "$2.labels.csv" --lr 0.01 --epochs 50 --json |
    grep -o '"test_acc":[0-9.]*' | cut -d: -f2)
  read -r dacc _ _ <<< "$(score "$2.csv" dev)"
  read -r hacc _ _ <<< "$(score "$2.csv" holdout)"
  read -r aacc anmi aari <<< "$(score "$2.csv" all)"
  echo "$dacc $hacc $aacc $anmi $aari $probe"
}
summary() { # $1: results file of "seconds dev hold all nmi ari probe" lines
  awk '{ for (i = 1; i <= 7; i++) { s[i] += $i; q[i] += $i * $i } n++ }
       END { printf "%5s", "mean"; for (i = 1; i <= 7; i++) printf(i == 1 ? " %8.0f" : " %9.4f", s[i] / n); printf "\n";
             if (n > 1) { printf "%5s", "sd"; for (i = 1; i <= 7; i++) { v = (q[i] - s[i] * s[i] / n) / (n - 1);
             printf(i == 1 ? " %8.0f" : " %9.4f", sqrt(v > 0 ? v : 0)) } printf "\n" } }' "$1"
}
row() { printf '%5s %8.0f %9.4f %9.4f %9.4f %9.4f %9.4f %9.4f\n' "$@"; }

echo "data: $DATA ($(wc -l < "$WORK/truth") images); train flags: ${*:-(defaults)}"
header() { printf '%5s %8s %9s %9s %9s %9s %9s %9s\n' seed seconds dev_ACC hold_ACC all_ACC NMI ARI probe; }
header
: > "$WORK/results"
: > "$WORK/results_sl"
for seed in $SEEDS; do
  out=$WORK/seed$seed
  t0=$(date +%s.%N)
  "$RCC" train --data "$DATA" --out "$out" --seed "$seed" "$@" > "$WORK/train$seed.out" 2> "$WORK/train$seed.err" ||
    { echo "photo_eval.sh: training failed:" >&2; tail -3 "$WORK/train$seed.err" >&2; exit 1; }
  secs=$(echo "$(date +%s.%N) - $t0" | bc)
  read -r -a v <<< "$(evaluate "$out" "$WORK/pred$seed")"
  row "$seed" "$secs" "${v[@]}"
  echo "$secs ${v[*]}" >> "$WORK/results"
  if [ "$SL" -gt 0 ]; then
    cp -r "$out" "$out.sl"
    t0=$(date +%s.%N)
    "$RCC" train --resume "$out.sl" --data "$DATA" --self-label "$SL" > /dev/null 2> "$WORK/sl$seed.err" ||
      { echo "photo_eval.sh: self-labelling failed:" >&2; tail -3 "$WORK/sl$seed.err" >&2; exit 1; }
    slsecs=$(echo "$(date +%s.%N) - $t0" | bc)
    read -r -a v <<< "$(evaluate "$out.sl" "$WORK/predsl$seed")"
    echo "$slsecs ${v[*]}" >> "$WORK/results_sl"
  fi
done
summary "$WORK/results"
if [ "$SL" -gt 0 ]; then
  echo "after $SL epochs of self-labelling (seconds: of that stage alone):"
  header
  i=0
  for seed in $SEEDS; do i=$((i + 1)); row "$seed" $(sed -n "${i}p" "$WORK/results_sl"); done
  summary "$WORK/results_sl"
fi
echo "work folder: $WORK"
