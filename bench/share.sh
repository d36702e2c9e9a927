#!/usr/bin/env bash
# bench/share.sh — rcc processes sharing one host (issue 31; src/share.h, docs/performance.md
# "Sharing the machine"). Part "train": MNIST-test trainings (cpu preset, --conv winograd
# --precision f32 so that every row computes the same kernels), one alone, then two started
# together: with the default thread count (they share), each with --threads N (the CPUs; each
# oversubscribes), each with --threads N/2 (split by hand). A run's rate is its images per second
# over its middle epochs (epoch seconds from metrics.jsonl, first and last left out). Part "serve":
# `rcc serve` with one client sending one digit per request (bench/serve_load.c), alone and beside
# a `rcc train --follow` trainer, default threads (they share) and --threads N for both; the
# trainer's rate is its steps over the client's window, against the same trainer alone.
# Not a test: minutes of training; run it on a quiet machine (the serve part needs libcurl:
# scripts/setup-deps.sh build bench).
# Usage: bench/share.sh [--build build] [--epochs 4] [--seconds 20] [--parts "train serve"]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build EPOCHS=4 WINDOW=20 PARTS="train serve"
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --seconds) WINDOW=$2; shift 2 ;;
    --parts) PARTS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "share.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$EPOCHS" -ge 3 ] || { echo "share.sh: --epochs must be at least 3 (the middle epochs are timed)" >&2; exit 2; }
RCC=$BUILD/rcc PNGTOOL=$BUILD/tests/serve_png
DATA=${RCC_DATA:-$SRC/../shared/data/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
for f in "$RCC" "$PNGTOOL" "$IMG"; do [ -e "$f" ] || { echo "share.sh: missing $f (build first; MNIST-test)" >&2; exit 1; }; done
CPUS=$(nproc)
HALF=$((CPUS / 2 > 0 ? CPUS / 2 : 1))
tmp=$(mktemp -d /tmp/rcc-share-bench-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done; wait 2> /dev/null; rm -rf "$tmp"' EXIT
export RCC_SHARE_DIR=$tmp/registry # these processes among themselves, nobody else's
MODE=(--conv winograd --precision f32)
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $CPUS CPUs; $("$RCC" --version 2> /dev/null | head -1)"

# images per second over the middle epochs of a run's metrics.jsonl
rate() {
  grep '"kind":"epoch"' "$1/metrics.jsonl" | grep -o '"seconds":[0-9.e+-]*' | cut -d: -f2 |
    awk -v n="$EPOCHS" 'NR > 1 && NR < n { s += $1; k++ } END { if (k && s > 0) printf "%.0f", k * 9984 / s; else print "nan" }'
}
train() { # DIR [flags]
  local dir=$1; shift
  "$RCC" train --data "$IMG" --out "$dir" --epochs "$EPOCHS" --eval-every 0 "${MODE[@]}" "$@" > "$dir.out" 2> "$dir.err"
}

if [[ " $PARTS " == *" train "* ]]; then
  echo
  echo "== two trainings at once: MNIST-test, cpu preset, $EPOCHS epochs, images/s over epochs 2..$((EPOCHS - 1))"
  printf '%-44s %10s %10s %10s\n' "row" "run 1" "run 2" "of alone"
  train "$tmp/alone"
  alone=$(rate "$tmp/alone")
  printf '%-44s %10s %10s %10s\n' "one alone, default threads ($CPUS)" "$alone" "-" "1"
  for row in "default threads (they share)|" "--threads $CPUS each (oversubscribed)|--threads $CPUS" \
             "--threads $HALF each (split by hand)|--threads $HALF"; do
    name=${row%%|*} flags=${row#*|}
    # shellcheck disable=SC2086
    train "$tmp/a" $flags & p1=$!
    # shellcheck disable=SC2086
    train "$tmp/b" $flags & p2=$!
    wait $p1 $p2
    r1=$(rate "$tmp/a") r2=$(rate "$tmp/b")
    printf '%-44s %10s %10s %10s\n' "two at once, $name" "$r1" "$r2" \
      "$(awk -v a="$r1" -v b="$r2" -v s="$alone" 'BEGIN { printf "%.2fx", (a + b) / s }')"
    grep -h "thread" "$tmp/a.err" "$tmp/b.err" | grep -v '^mode' | sed 's/^/    /' | head -4
    rm -rf "$tmp/a" "$tmp/b"
  done
fi

if [[ " $PARTS " == *" serve "* ]]; then
  echo
  echo "== rcc serve (one client, one MNIST digit per request) beside a rcc train --follow trainer; ${WINDOW} s windows"
  cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra "$SRC/bench/serve_load.c" -o "$tmp/serve_load" \
    $(pkg-config --cflags --libs libcurl)
  zcat "$IMG" > "$tmp/images"
  mkdir -p "$tmp/follow"
  for i in $(seq 0 599); do "$PNGTOOL" "$tmp/images" "$i" "$tmp/follow/d$i.png"; done
  clients=("$tmp"/follow/d1[0-9][0-9].png)
  # a follow trainer in DIR with flags; its steps over WINDOW seconds once its first checkpoint is
  # written (stopped with SIGTERM, which saves: "interrupted at step N"), into $steps
  follow_start() {
    local dir=$1; shift
    "$RCC" train --follow "$tmp/follow" --out "$dir" "${MODE[@]}" --save-steps 0 --save-seconds 0 "$@" \
      > "$dir.out" 2> "$dir.err" &
    fpid=$!; pids+=("$fpid")
    for _ in $(seq 1 600); do [ -f "$dir/checkpoint.safetensors" ] && break; sleep 0.1; done
    [ -f "$dir/checkpoint.safetensors" ] || { cat "$dir.err"; exit 1; }
    t0=$(date +%s.%N)
  }
  follow_stop() { # sets srate (steps/s); not in a subshell: it waits for the trainer
    local dir=$1
    t1=$(date +%s.%N)
    kill -TERM "$fpid"; wait "$fpid" || true
    steps=$(sed -n 's/.*interrupted at step \([0-9]*\).*/\1/p' "$dir.err" | tail -1)
    srate=$(awk -v s="${steps:-0}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", s / (b - a) }')
  }
  serve_start() { # MODEL [flags]; sets port, spid
    local model=$1; shift
    "$RCC" serve --model "$model" --listen 127.0.0.1:0 --poll-ms 0 "$@" > "$tmp/serve.out" 2> "$tmp/serve.err" &
    spid=$!; pids+=("$spid")
    port=""
    for _ in $(seq 1 100); do
      port=$(sed -n 's/^rcc serve: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/serve.out")
      [ -n "$port" ] && break; sleep 0.1
    done
    [ -n "$port" ] || { cat "$tmp/serve.err"; exit 1; }
  }
  load() { "$tmp/serve_load" "http://127.0.0.1:$port/v1/assign" 1 "$WINDOW" - 1 "${clients[@]}" | sed 's/^/    /'; }

  follow_start "$tmp/f-alone"
  sleep "$WINDOW"
  follow_stop "$tmp/f-alone"
  alone=$srate
  echo "trainer alone (default threads): $alone steps/s"
  serve_start "$tmp/f-alone"
  echo "rcc serve alone (default threads):"
  load
  kill -TERM "$spid"; wait "$spid" || true
  for row in "default threads (they share)|" "--threads $CPUS for both (oversubscribed)|--threads $CPUS"; do
    name=${row%%|*} flags=${row#*|}
    # shellcheck disable=SC2086
    serve_start "$tmp/f-alone" $flags
    # shellcheck disable=SC2086
    follow_start "$tmp/f-beside" $flags
    echo "rcc serve beside the trainer, $name:"
    load
    follow_stop "$tmp/f-beside"
    r=$srate
    echo "    the trainer meanwhile: $r steps/s, $(awk -v a="$r" -v b="$alone" 'BEGIN { printf "%.2f", a / b }') of alone"
    grep -h "thread" "$tmp/f-beside.err" "$tmp/serve.err" | grep -v '^mode' | sed 's/^/    /' | head -4
    kill -TERM "$spid"; wait "$spid" || true
    rm -rf "$tmp/f-beside"
  done
fi
