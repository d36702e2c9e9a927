#!/usr/bin/env bash
# bench/photo_eval.sh — clustering a folder of class subfolders (CIFAR-10-test as the user has it),
# scored the way docs/training.md chooses settings: train on every image without labels, then
# score the clusters on the "dev" half (in each class folder, the first half of the files in name
# order) and on the "holdout" half (the rest). Settings are chosen on dev; holdout is reported.
# One line per seed, then mean ± sd. Not a test: minutes of training per seed on a quiet machine.
# Usage: bench/photo_eval.sh [--build build] [--data DIR] [--work DIR] [--seeds "1 2 3"] [-- train flags...]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build WORK="" SEEDS=1
DATA=${RCC_DATA:-$SRC/../shared/data}/cifar10/test
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;; --data) DATA=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;; --) shift; break ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

echo "data: $DATA ($(wc -l < "$WORK/truth") images); train flags: ${*:-(defaults)}"
printf '%5s %8s %9s %9s %9s %7s %7s\n' seed seconds dev_ACC hold_ACC all_ACC NMI ARI
: > "$WORK/results"
for seed in $SEEDS; do
  out=$WORK/seed$seed
  t0=$(date +%s.%N)
  "$RCC" train --data "$DATA" --out "$out" --seed "$seed" "$@" > "$WORK/train$seed.out" 2> "$WORK/train$seed.err" ||
    { echo "photo_eval.sh: training failed:" >&2; tail -3 "$WORK/train$seed.err" >&2; exit 1; }
  secs=$(echo "$(date +%s.%N) - $t0" | bc)
  "$RCC" predict --model "$out" --data "$DATA" > "$WORK/pred$seed.csv" 2> /dev/null
  read -r dacc _ _ <<< "$(score "$WORK/pred$seed.csv" dev)"
  read -r hacc _ _ <<< "$(score "$WORK/pred$seed.csv" holdout)"
  read -r aacc anmi aari <<< "$(score "$WORK/pred$seed.csv" all)"
  printf '%5s %8.0f %9.4f %9.4f %9.4f %7.4f %7.4f\n' "$seed" "$secs" "$dacc" "$hacc" "$aacc" "$anmi" "$aari"
  echo "$secs $dacc $hacc $aacc $anmi $aari" >> "$WORK/results"
done
awk '{ for (i = 1; i <= 6; i++) { s[i] += $i; q[i] += $i * $i } n++ }
     END { printf "%5s", "mean"; for (i = 1; i <= 6; i++) printf(i == 1 ? " %8.0f" : " %9.4f", s[i] / n); printf "\n";
           if (n > 1) { printf "%5s", "sd"; for (i = 1; i <= 6; i++) { v = (q[i] - s[i] * s[i] / n) / (n - 1);
           printf(i == 1 ? " %8.0f" : " %9.4f", sqrt(v > 0 ? v : 0)) } printf "\n" } }' "$WORK/results"
echo "work folder: $WORK"
