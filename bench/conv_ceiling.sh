#!/usr/bin/env bash
# bench/conv_ceiling.sh — oneDNN's convolution kernels timed alone, f32 against bf16, for each
# convolution of rcc's ResNet-18 at a shape (bench/conv_ceiling.c): what a bf16 mode could gain
# before rcc's own code runs around the kernels (issue 18). Run it on a quiet machine.
# Usage: bench/conv_ceiling.sh [--threads 2] [conv_ceiling flags: --pairs 256 --size 64 --width 64
#                              --rep-dim 3 --channels 1 --small --reps 10 --only NAME]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
THREADS=2
if [ "${1:-}" = --threads ]; then THREADS=$2; shift 2; fi
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
tmp=$(mktemp -d /tmp/rcc-conv-ceiling-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra "$SRC/bench/conv_ceiling.c" -o "$tmp/conv_ceiling" -ldnnl
OMP_NUM_THREADS=$THREADS "$tmp/conv_ceiling" "$@"
