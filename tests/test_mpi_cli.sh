#!/usr/bin/env bash
# test_mpi_cli.sh — `rcc train` under mpirun with 2 processes (1 thread each) on a tiny network:
# rank 0 alone writes the checkpoint and the log, the model loads and predicts, the run resumes
# under mpirun, and other commands refuse to run under mpirun. Skips (77) without MNIST.
# Usage: test_mpi_cli.sh MPIEXEC RCC_BINARY SHARED_DATA_DIR
set -u
MPIEXEC=$1 RCC=$2
DATA=${RCC_DATA:-$3/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
if [ ! -f "$IMG" ]; then
  echo "test_mpi_cli: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-test-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
tiny=(--width 4 --size 16 --batch 128 --clusters 10 --hidden 16 --feature-dim 8 --threads 1 --eval-every 1)

"$MPIEXEC" -n 2 "$RCC" train --data "$IMG" --out "$tmp/run" "${tiny[@]}" --epochs 1 --sync-bn \
  > "$tmp/out" 2> "$tmp/err"
ok $? "mpirun -n 2 rcc train --sync-bn exits 0 ($(tail -1 "$tmp/err"))"
grep -q "data-parallel: 2 processes, 64 images per view each" "$tmp/err"; ok $? "says how the batch is split"
[ "$(grep -c "trained in" "$tmp/out")" = 1 ]; ok $? "one process (rank 0) reports the result"
[ "$(grep -c '"kind":"epoch"' "$tmp/run/metrics.jsonl")" = 1 ]; ok $? "one metrics log, one epoch line"
grep -q '"kind":"eval"' "$tmp/run/metrics.jsonl"; ok $? "rank 0 evaluated"
"$RCC" predict --model "$tmp/run" --data "$IMG" > "$tmp/pred.csv"; ok $? "the checkpoint loads and predicts"
[ "$(wc -l < "$tmp/pred.csv")" = 10000 ]; ok $? "one line per image"
"$MPIEXEC" -n 2 "$RCC" train --resume "$tmp/run" --data "$IMG" --epochs 2 --sync-bn > /dev/null 2> "$tmp/err2"
ok $? "mpirun resume continues ($(tail -1 "$tmp/err2"))"
[ "$(grep -c '"kind":"epoch"' "$tmp/run/metrics.jsonl")" = 2 ]; ok $? "two epoch lines after resuming"
"$MPIEXEC" -n 2 "$RCC" train --data "$IMG" --out "$tmp/odd" "${tiny[@]}" --batch 127 --epochs 1 > /dev/null 2> "$tmp/err3"
[ $? != 0 ] && grep -q "cannot be split evenly over 2 processes" "$tmp/err3"; ok $? "an odd batch is refused, naming why"
"$MPIEXEC" -n 2 "$RCC" predict --model "$tmp/run" --data "$IMG" > /dev/null 2> "$tmp/err4"
[ $? != 0 ] && grep -q "only 'rcc train'" "$tmp/err4"; ok $? "other commands refuse to run under mpirun"

echo "test_mpi_cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
