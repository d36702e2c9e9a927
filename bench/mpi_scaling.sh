#!/usr/bin/env bash
# mpi_scaling.sh — seconds per epoch of the cpu preset on MNIST-test (labels left out, so no
# evaluation is timed): one process with 1 and 2 threads, and mpirun with 2 processes of 1 thread
# (with and without --sync-bn), alternating, for several rounds (docs/distributed.md).
# Usage: bench/mpi_scaling.sh [RCC_BINARY] [MNIST_IMAGES] [ROUNDS]
set -eu
R=${1:-build/rcc}
IMG=${2:-../shared/data/mnist/t10k-images-idx3-ubyte.gz}
ROUNDS=${3:-2}
tmp=$(mktemp -d /tmp/rcc-mpi-scaling-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$IMG" "$tmp/digits-images-idx3-ubyte.gz" # alone: no labels beside it
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
run() { # label, then the command
  local label=$1; shift
  rm -rf "$tmp/out"
  "$@" --data "$tmp/digits-images-idx3-ubyte.gz" --out "$tmp/out" --epochs 2 2>&1 |
    grep -E "done in|collectives" | sed -E "s/: ins.*//; s/^/$label round $round: /"
}
for round in $(seq "$ROUNDS"); do
  run "P=1 threads=1" "$R" train --threads 1
  run "P=2 threads=1" mpirun -np 2 "$R" train --threads 1
  run "P=2 threads=1 sync-bn" mpirun -np 2 "$R" train --threads 1 --sync-bn
  run "P=1 threads=2" "$R" train --threads 2
done
