#!/usr/bin/env bash
# The main job (`make demo`): train the default (cpu) preset on MNIST-test, assign and embed the
# images, score the clustering against the labels, draw the pictures and write the report. About 4
# minutes on 2 cores (3 of them training).
# Data: $RCC_DATA (a folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz), else
# ../shared/data/mnist, else Fashion-MNIST's test split from Debian's dataset-fashion-mnist.
# Usage: scripts/demo.sh [build-folder] ; output in $DEMO_OUT (default out/demo).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
RCC="$BUILD/rcc"
OUT=${DEMO_OUT:-out/demo}
EPOCHS=${DEMO_EPOCHS:-}

img="" lab="" name=""
for d in "${RCC_DATA:-}" "$here/../shared/data/mnist"; do
  if [ -n "$d" ] && [ -f "$d/t10k-images-idx3-ubyte.gz" ]; then
    img="$d/t10k-images-idx3-ubyte.gz" lab="$d/t10k-labels-idx1-ubyte.gz" name="MNIST-test ($d)"
    break
  fi
done
if [ -z "$img" ] && [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  img=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
  lab=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
  name="Fashion-MNIST test split (MNIST not found)"
fi
if [ -z "$img" ]; then
  echo "demo: no data: set RCC_DATA to a folder holding t10k-images-idx3-ubyte.gz, or install dataset-fashion-mnist" >&2
  exit 1
fi
mkdir -p "$OUT"
echo "== data: $name; output: $OUT"
echo "== 1. what the augmentations do: $OUT/views.png"
"$RCC" views --data "$img" --preset cpu --size 32 --out "$OUT/views.png" --count 8
echo "== 2. train (default cpu preset; labels are used only to report ACC as it goes)"
"$RCC" train --data "$img" --labels "$lab" --out "$OUT" ${EPOCHS:+--epochs "$EPOCHS"}
echo "== 3. assign every image to a cluster (the head's, refined by its neighbours' vote) and embed it on the sphere"
"$RCC" predict --model "$OUT" --data "$img" --out "$OUT/clusters.npy" > "$OUT/clusters.csv"
"$RCC" embed --model "$OUT" --data "$img" --out "$OUT/h.npy"
echo "== 4. scores"
"$RCC" eval --pred "$OUT/clusters.npy" --labels "$lab" --confusion "$OUT/confusion.png" | tee "$OUT/scores.txt"
# the paper's probe (Adam 1e-4, 5 epochs) barely moves on 3-d features; this one converges
"$RCC" probe --features "$OUT/h.npy" --labels "$lab" --lr 1e-2 --epochs 50 | tee -a "$OUT/scores.txt"
echo "== 4b. clusters of any size: the same images partitioned on their stage-3 features (docs/imbalance.md)"
"$RCC" predict --model "$OUT" --data "$img" --partition --out "$OUT/partition.npy" > "$OUT/partition.csv"
"$RCC" eval --pred "$OUT/partition.npy" --labels "$lab" | tee -a "$OUT/scores.txt"
echo "== 5. how many clusters would the features suggest? ($OUT/kselect.png)"
"$RCC" kselect --features "$OUT/h.npy" --spherical --kmax 20 --plot "$OUT/kselect.png" | tee -a "$OUT/scores.txt"
echo "== 6. pictures"
"$RCC" plot sphere --features "$OUT/h.npy" --labels "$lab" --out "$OUT/sphere.png"
"$RCC" plot curves --metrics "$OUT/metrics.jsonl" --out "$OUT/curves.png"
"$RCC" plot acc-time --metrics "$OUT" --name "cpu preset" --target 0.95 --out "$OUT/acc-time.png"
echo "== 7. the clusters to look at: $OUT/report/index.html (docs/report.md)"
"$RCC" report --model "$OUT" --data "$img" --labels "$lab" --out "$OUT/report" --outliers 100
echo
echo "pictures: $OUT/views.png $OUT/sphere.png $OUT/curves.png $OUT/acc-time.png $OUT/confusion.png $OUT/kselect.png"
echo "report:   $OUT/report/index.html   (open it in a browser)"
echo "model:    $OUT/checkpoint.safetensors   (rcc predict --model $OUT --stdin  assigns new images online)"
