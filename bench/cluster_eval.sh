#!/usr/bin/env bash
# bench/cluster_eval.sh — trains on a labelled data set once per seed and scores the clusters the way
# settings are chosen here (docs/training.md): training sees every image and no label; the clusters
# are scored on the "dev" half (the first half of each class, in the data's order), the "holdout"
# half (the rest) and all; settings are chosen on dev, holdout is reported. Works on IDX files
# (labels found beside them), on folders of class subfolders, and on the sets `rcc subset` makes
# (their selection.csv says which half each image is in). Prints one line per seed (time, dev /
# holdout / all ACC, NMI, ARI, the cluster sizes' distance from the class sizes: TV of the sorted
# shares, rcc eval's), then mean and sd. Not a test: minutes of training per seed. The clusters are
# `rcc predict`'s default (the head's, refined by the neighbour vote); PREDICT_FLAGS="--vote 0" scores
# the head alone.
# Usage: bench/cluster_eval.sh --data DATA [--seeds "1 2 3"] [--build build] [--work DIR] [-- train flags]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build SEEDS="1 2 3" WORK="" DATA=""
while [ $# -gt 0 ]; do
  case $1 in
    --data) DATA=$2; shift 2 ;; --seeds) SEEDS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster_eval.sh: unknown argument $1 (train flags go after --)" >&2; exit 2 ;;
  esac
done
RCC=$BUILD/rcc
[ -x "$RCC" ] || { echo "cluster_eval.sh: $RCC not built (make build)" >&2; exit 1; }
[ -e "$DATA" ] || { echo "cluster_eval.sh: --data $DATA not found" >&2; exit 2; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/rcc-cluster-eval-XXXXXX)
mkdir -p "$WORK"
export LC_ALL=C # name order as rcc reads it: bytes

# truth: "key,label,half" where key is what rcc predict prints first (the index for arrays, the path for files)
sel=$(dirname "$DATA")/selection.csv
if [ -d "$DATA" ]; then
  [ -f "$DATA/../selection.csv" ] && sel=$DATA/../selection.csv
  ls "$DATA" | sort > "$WORK/classes"
  : > "$WORK/truth"
  while read -r cls; do
    label=$(($(grep -nx "$cls" "$WORK/classes" | cut -d: -f1) - 1))
    ls "$DATA/$cls" | grep -iE '\.(png|jpe?g)$' | sort |
      awk -v d="$DATA/$cls" -v l="$label" '{ print d "/" $0 "," l }' >> "$WORK/truth.nohalf"
  done < "$WORK/classes"
  if [ -f "$sel" ]; then # the subset's halves, by file
    awk -F, -v d="$DATA" 'NR == FNR { if (FNR > 1) half[d "/" $5] = $4; next } { print $0 "," half[$1] }' \
      "$sel" "$WORK/truth.nohalf" > "$WORK/truth"
  fi
else
  labels=${DATA/images-idx3/labels-idx1}
  [ -f "$labels" ] && [ "$labels" != "$DATA" ] || { echo "cluster_eval.sh: no labels-idx1 file beside $DATA" >&2; exit 2; }
  . "$SRC/bench/idx_labels.sh"
  idx_labels "$labels" "$WORK/labels"
  awk '{ print NR - 1 "," $1 }' "$WORK/labels" > "$WORK/truth.nohalf"
  if [ -f "$sel" ]; then
    awk -F, 'NR == FNR { if (FNR > 1) half[$1] = $4; next } { print $0 "," half[$1] }' "$sel" "$WORK/truth.nohalf" \
      > "$WORK/truth"
  fi
fi
if [ ! -s "$WORK/truth" ]; then # no subset: the first half of each class in the data's order is dev
  awk -F, 'NR == FNR { n[$2]++; next } { r = seen[$2]++; print $0 "," (r < int(n[$2] / 2) ? "dev" : "holdout") }' \
    "$WORK/truth.nohalf" "$WORK/truth.nohalf" > "$WORK/truth"
fi
grep -qv ',dev$\|,holdout$' "$WORK/truth" && { echo "cluster_eval.sh: an image without a half" >&2; exit 1; }

score() { # $1: predictions CSV (key,cluster,conf), $2: dev|holdout|all -> "acc nmi ari tv"
  awk -F, -v part="$2" -v p="$WORK/p.csv" -v l="$WORK/l.csv" 'NR == FNR { lab[$1] = $2; half[$1] = $3; next }
       ($1 in lab) && (part == "all" || half[$1] == part) { print $2 > p; print lab[$1] > l }' "$WORK/truth" "$1"
  "$RCC" eval --pred "$WORK/p.csv" --labels "$WORK/l.csv" --json |
    sed 's/.*"acc":\([-0-9.e]*\).*"nmi":\([-0-9.e]*\).*"ari":\([-0-9.e]*\).*/\1 \2 \3/' | tr '\n' ' '
  "$RCC" eval --pred "$WORK/p.csv" --labels "$WORK/l.csv" --json | grep -o '"size_tv":[-0-9.e]*' | cut -d: -f2
}

echo "data: $DATA ($(wc -l < "$WORK/truth") images, $(grep -c ',dev$' "$WORK/truth") in dev); seeds: $SEEDS; train flags: ${*:-(defaults)}"
echo "work folder: $WORK"
printf '%5s %7s %7s %7s %7s %7s %7s %7s\n' seed time_s dev holdout all nmi ari size_tv | tee "$WORK/results"
for s in $SEEDS; do
  run=$WORK/seed$s
  t0=$(date +%s.%N)
  "$RCC" train --data "$DATA" --out "$run" --seed "$s" "$@" > "$run.out" 2> "$run.err" || { tail -3 "$run.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  "$RCC" predict --model "$run" --data "$DATA" ${PREDICT_FLAGS:-} > "$run.csv" 2> "$run.predict.err" ||
    { tail -3 "$run.predict.err" >&2; exit 1; }
  read -r da _ _ _ <<< "$(score "$run.csv" dev)"
  read -r ha _ _ _ <<< "$(score "$run.csv" holdout)"
  read -r aa an ar tv <<< "$(score "$run.csv" all)"
  [ -n "$da" ] && [ -n "$ha" ] && [ -n "$tv" ] || { echo "cluster_eval.sh: scoring $run failed" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" -v s="$s" -v d="$da" -v h="$ha" -v x="$aa" -v m="$an" -v r="$ar" -v t="$tv" \
    'BEGIN { printf "%5s %7.0f %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f\n", s, b - a, d, h, x, m, r, t }' | tee -a "$WORK/results"
done
awk 'NR > 1 { for (i = 2; i <= 8; i++) { s[i] += $i; q[i] += $i * $i } n++ }
     END { printf "%5s", "mean"; for (i = 2; i <= 8; i++) printf(i == 2 ? " %7.0f" : " %7.4f", s[i] / n); printf "\n";
           if (n > 1) { printf "%5s", "sd"; for (i = 2; i <= 8; i++) { v = (q[i] - s[i] * s[i] / n) / (n - 1);
           printf(i == 2 ? " %7.0f" : " %7.4f", sqrt(v > 0 ? v : 0)) } printf "\n" } }' "$WORK/results"
