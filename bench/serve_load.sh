#!/usr/bin/env bash
# bench/serve_load.sh — `rcc serve` under load, beside `rcc bench --infer` in the same run: 1, 8
# and 64 concurrent loopback clients (bench/serve_load.c, libcurl multi) sending MNIST-test digits
# as PNG to POST /v1/assign, one per request (and a row of 8 per multipart request); p50/p99
# latency and images/s per row, then rcc bench --infer on the same network shape. Goals (issue
# 16): one client p50 <= 2 ms; 64 clients >= 80 % of the batch throughput of rcc bench --infer.
# Not a test: run it on a quiet machine. Rows are CLIENTS:IMAGES_PER_REQUEST.
# Usage: bench/serve_load.sh --model RUN [--build build] [--seconds 10] [--threads N]
#                            [--rows "1:1 8:1 64:1 64:8"] [--max-wait-ms MS]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build MODEL="" SECONDS_EACH=10 THREADS=0 ROWS="1:1 8:1 64:1 64:8" WAIT=()
while [ $# -gt 0 ]; do
  case $1 in
    --model) MODEL=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --max-wait-ms) WAIT=(--max-wait-ms "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve_load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$MODEL" ] || { echo "serve_load.sh: --model RUN is required (a training output folder or checkpoint)" >&2; exit 2; }
RCC=$BUILD/rcc PNGTOOL=$BUILD/tests/serve_png
DATA=${RCC_DATA:-$SRC/../shared/data/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
for f in "$RCC" "$PNGTOOL" "$IMG"; do [ -e "$f" ] || { echo "serve_load.sh: missing $f (build first; MNIST-test)" >&2; exit 1; }; done
tmp=$(mktemp -d /tmp/rcc-serve-load-XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2> /dev/null; wait 2> /dev/null; rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra "$SRC/bench/serve_load.c" -o "$tmp/serve_load" \
  $(pkg-config --cflags --libs libcurl)
zcat "$IMG" > "$tmp/images"
for i in $(seq 0 199); do "$PNGTOOL" "$tmp/images" "$i" "$tmp/d$i.png"; done

"$RCC" serve --model "$MODEL" --listen 127.0.0.1:0 --poll-ms 0 --threads "$THREADS" "${WAIT[@]}" > "$tmp/out" 2> "$tmp/err" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^rcc serve: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/out")
  [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/err"; exit 1; }
model=$(curl -s "http://127.0.0.1:$port/v1/model")
get() { echo "$model" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
echo "rcc serve on 127.0.0.1:$port: $(get channels)x$(get image_size)x$(get image_size) in, K $(get clusters), width $(get width), $(nproc) cores"
echo "load: ${SECONDS_EACH} s per row, 28x28 MNIST-test digits as PNG"
for row in $ROWS; do
  "$tmp/serve_load" "http://127.0.0.1:$port/v1/assign" "${row%%:*}" "$SECONDS_EACH" - "${row##*:}" "$tmp"/d*.png
done
curl -s "http://127.0.0.1:$port/metrics" | grep '^rcc_serve_batch_images_\(sum\|count\)' | tr '\n' ' '; echo
kill -TERM "$pid"; wait "$pid"; pid=""
t=()
[ "$THREADS" -gt 0 ] && t=(--threads "$THREADS")
"$RCC" bench --infer --width "$(get width)" --size "$(get image_size)" --channels "$(get channels)" \
  --clusters "$(get clusters)" --rep-dim "$(get rep_dim)" --batch 64 "${t[@]}"
