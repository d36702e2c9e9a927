#!/usr/bin/env bash
# valgrind_train.sh — a short training run under valgrind: the tiny network, one epoch of 2 steps on
# 64 MNIST-test images, with the evaluation and the checkpoint, then `rcc predict` with that
# checkpoint; exits 1 on any valgrind error or
# leak (the one suppression, libgomp's worker threads, is explained in valgrind.supp). Not part of
# `make test` (slow). Build rcc without -march=native first: valgrind does not know AVX-512.
#   cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build-vg --target rcc-cli
#   tests/valgrind_train.sh build-vg/rcc ../shared/data
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
LAB=$DATA/t10k-labels-idx1-ubyte.gz
[ -f "$IMG" ] && [ -f "$LAB" ] || { echo "valgrind_train: MNIST-test not found at $DATA"; exit 77; }
if ! command -v valgrind > /dev/null; then
  echo "valgrind_train: valgrind not installed (apt-get install valgrind)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-valgrind-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
{ printf '\x00\x00\x08\x03\x00\x00\x00\x40\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat "$IMG" | tail -c +17 | head -c $((64 * 784)); } > "$tmp/sub-images-idx3-ubyte"
{ printf '\x00\x00\x08\x01\x00\x00\x00\x40'; zcat "$LAB" | tail -c +9 | head -c 64; } > "$tmp/sub-labels-idx1-ubyte"
valgrind --error-exitcode=1 --leak-check=full --suppressions="$(dirname "$0")/valgrind.supp" \
  "$RCC" train --data "$tmp/sub-images-idx3-ubyte" --out "$tmp/run" --width 4 --size 16 --batch 32 --clusters 10 \
  --hidden 16 --feature-dim 8 --threads 2 --epochs 1 > /dev/null 2> "$tmp/valgrind.err"
rc=$?
grep -E "^==[0-9]+== (ERROR SUMMARY|.*lost:|.*suppressed:)" "$tmp/valgrind.err"
grep -q "^epoch 1/1 done" "$tmp/valgrind.err" || { echo "valgrind_train: the run did not finish"; rc=1; }
[ $rc = 0 ] || tail -40 "$tmp/valgrind.err"
# and the checkpoint loaded for inference
valgrind --error-exitcode=1 --leak-check=full --suppressions="$(dirname "$0")/valgrind.supp" \
  "$RCC" predict --model "$tmp/run" --data "$tmp/sub-images-idx3-ubyte" > "$tmp/pred.csv" 2> "$tmp/valgrind2.err"
rc2=$?
grep -E "^==[0-9]+== ERROR SUMMARY" "$tmp/valgrind2.err"
[ "$(wc -l < "$tmp/pred.csv")" = 64 ] || { echo "valgrind_train: predict did not answer for every image"; rc2=1; }
[ $rc2 = 0 ] || tail -40 "$tmp/valgrind2.err"
[ $rc2 = 0 ] || rc=1
echo "valgrind_train: $([ $rc = 0 ] && echo clean || echo FAILED)"
exit $rc
