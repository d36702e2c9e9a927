#!/usr/bin/env bash
# bench/stream_demo.sh — learning from a stream, shown on MNIST-test (issue 17, docs/online.md):
# the 10 000 digits arrive as PNG files in a followed folder at a steady rate, 0-4 first, then
# 5-9; `rcc train --follow` learns from them while `rcc serve` answers from its checkpoints.
# Every --every seconds the served model assigns everything seen so far (through HTTP, 256 images
# per multipart request) and the script reports ACC on it, on the digits 0-4 and on 5-9 alone
# (forgetting), beside the drift records of the run. At the end: offline `rcc train` on the same
# 10 000 images for the same number of steps. Not a test: minutes of training on a quiet machine.
# Usage: bench/stream_demo.sh [--build build] [--work DIR] [--rate 100] [--steps 1500]
#                             [--width 32] [--pool 5000] [--recent 1000] [--every 20] [--no-offline]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build WORK="" RATE=100 STEPS=1500 WIDTH=32 POOL=5000 RECENT=1000 EVERY=20 OFFLINE=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;; --work) WORK=$2; shift 2 ;; --rate) RATE=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;; --width) WIDTH=$2; shift 2 ;; --pool) POOL=$2; shift 2 ;;
    --recent) RECENT=$2; shift 2 ;; --every) EVERY=$2; shift 2 ;; --no-offline) OFFLINE=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stream_demo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
RCC=$BUILD/rcc PNGTOOL=$BUILD/tests/serve_png
DATA=${RCC_DATA:-$SRC/../shared/data/mnist}
for f in "$RCC" "$PNGTOOL" "$DATA/t10k-images-idx3-ubyte.gz" "$DATA/t10k-labels-idx1-ubyte.gz"; do
  [ -e "$f" ] || { echo "stream_demo.sh: missing $f (build first; MNIST-test)" >&2; exit 1; }
done
command -v curl > /dev/null || { echo "stream_demo.sh: needs curl" >&2; exit 1; }
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/rcc-stream-demo-XXXXXX)
mkdir -p "$WORK"
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null; done; wait 2> /dev/null' EXIT
model=(--width "$WIDTH" --threads 2)

# the digits as PNG files, and the order they arrive in: 0-4 by index, then 5-9
if [ ! -f "$WORK/order.txt" ]; then
  echo "writing the 10 000 digits as PNG files under $WORK/all ..." >&2
  zcat "$DATA/t10k-images-idx3-ubyte.gz" > "$WORK/images"
  zcat "$DATA/t10k-labels-idx1-ubyte.gz" | tail -c +9 | od -An -v -tu1 -w1 | tr -d ' ' > "$WORK/labels.txt"
  for d in 0 1 2 3 4 5 6 7 8 9; do mkdir -p "$WORK/all/$d"; done
  i=0
  while read -r y; do
    "$PNGTOOL" "$WORK/images" "$i" "$WORK/all/$y/$(printf %05d "$i").png"
    i=$((i + 1))
  done < "$WORK/labels.txt"
  { for d in 0 1 2 3 4; do ls "$WORK/all/$d" | sed "s|^|$d/|"; done | sort -t/ -k2
    for d in 5 6 7 8 9; do ls "$WORK/all/$d" | sed "s|^|$d/|"; done | sort -t/ -k2; } > "$WORK/order.txt"
fi
rm -rf "$WORK/in" "$WORK/run" "$WORK/offline" "$WORK/eval"
mkdir -p "$WORK/in" "$WORK/eval"

# ACC of the model behind URL (or of `rcc predict` on CKPT) on the first N files of the order:
# prints "acc acc_0-4 acc_5-9" (the last two: "-" while absent).
score_files() { # $1: list of relative paths, $2: file of predicted clusters (one per line)
  local all=$WORK/eval/all
  paste -d' ' "$1" "$2" > "$all"
  local out=""
  for part in all low high; do
    case $part in all) sel='.' ;; low) sel='^[0-4]/' ;; high) sel='^[5-9]/' ;; esac
    grep "$sel" "$all" > "$WORK/eval/sel" || true
    if [ ! -s "$WORK/eval/sel" ]; then out="$out -"; continue; fi
    cut -d' ' -f2 "$WORK/eval/sel" > "$WORK/eval/p.csv"
    cut -d/ -f1 "$WORK/eval/sel" > "$WORK/eval/l.csv"
    out="$out $("$RCC" eval --pred "$WORK/eval/p.csv" --labels "$WORK/eval/l.csv" --json |
      grep -o '"acc":[0-9.]*' | cut -d: -f2 | cut -c1-6)"
  done
  echo "$out"
}
served_acc() { # $1: how many files have arrived
  head -n "$1" "$WORK/order.txt" > "$WORK/eval/files"
  : > "$WORK/eval/pred"
  split -l 256 "$WORK/eval/files" "$WORK/eval/chunk."
  for c in "$WORK"/eval/chunk.*; do
    args=()
    while read -r f; do args+=(-F "image=@$WORK/all/$f;type=image/png"); done < "$c"
    curl -s "${args[@]}" "http://127.0.0.1:$port/v1/assign" | grep -o '"cluster":[0-9]*' | cut -d: -f2 >> "$WORK/eval/pred"
    rm -f "$c"
  done
  score_files "$WORK/eval/files" "$WORK/eval/pred"
}

t0=$(date +%s.%N)
"$RCC" train --follow "$WORK/in" --out "$WORK/run" "${model[@]}" --pool "$POOL" --recent "$RECENT" \
  --max-steps "$STEPS" --save-steps 100 > "$WORK/train.out" 2> "$WORK/train.err" &
trainer=$!; pids+=($trainer)
# the copier: RATE files a second, in order, copied whole into the followed folder (flat: the
# names are the unique MNIST indices), one cp per tenth of a second
( per=$((RATE / 10 > 0 ? RATE / 10 : 1))
  sed "s|^|$WORK/all/|" "$WORK/order.txt" | xargs -d '\n' -n "$per" sh -c 'cp -t "$0" "$@"; sleep 0.1' "$WORK/in"
) &
pids+=($!)
for _ in $(seq 1 600); do [ -f "$WORK/run/checkpoint.safetensors" ] && break; sleep 0.2; done
"$RCC" serve --model "$WORK/run" --listen 127.0.0.1:0 --poll-ms 200 > "$WORK/serve.out" 2> "$WORK/serve.err" &
pids+=($!)
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/serve.out"); [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || { echo "stream_demo.sh: rcc serve did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }
echo "stream: $RATE digits/s into $WORK/in (0-4, then 5-9); trainer width $WIDTH, pool $POOL + $RECENT recent," \
     "$STEPS steps; rcc serve on port $port"
printf '%8s %7s %6s %8s %8s %8s\n' seconds arrived step ACC ACC_0-4 ACC_5-9
report() {
  local arrived; arrived=$(find "$WORK/in" -name '*.png' | wc -l)
  local step; step=$(curl -s "http://127.0.0.1:$port/v1/model" | grep -o '"step":[0-9]*' | head -1 | cut -d: -f2)
  [ "$arrived" -gt 0 ] || return 0
  read -r a lo hi <<< "$(served_acc "$arrived")"
  printf '%8.0f %7d %6s %8s %8s %8s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$arrived" "$step" "$a" "$lo" "$hi"
}
while kill -0 "$trainer" 2> /dev/null; do sleep "$EVERY"; kill -0 "$trainer" 2> /dev/null && report; done
wait "$trainer" || { echo "stream_demo.sh: the trainer failed:" >&2; tail -3 "$WORK/train.err" >&2; exit 1; }
sleep 1; report
echo "stream run: $(grep -c '"kind":"drift"' "$WORK/run/metrics.jsonl") drift records; the last:"
grep '"kind":"drift"' "$WORK/run/metrics.jsonl" | tail -1
echo "drift over the run (step, seen, probe moved, probe ARI, recent confidence):"
grep '"kind":"drift"' "$WORK/run/metrics.jsonl" | awk 'NR % 3 == 1' |
  sed 's/.*"step":\([0-9]*\),"seen":\([0-9]*\).*"recent_confidence":\([^,]*\),.*"probe_moved":\([^,]*\),"probe_ari":\([^}]*\)}/  \1 \2 \4 \5 \3/'

[ "$OFFLINE" = 1 ] || { echo "work folder: $WORK"; exit 0; }
# offline: the same images, the same number of steps (epochs of 10000/256 = 39 steps), constant lr
epochs=$(( (STEPS + 38) / 39 ))
"$RCC" train --data "$WORK/all" --out "$WORK/offline" "${model[@]}" --epochs "$epochs" --cosine 0 --warmup 3 \
  --eval-every 1000 --save-every 1000 > /dev/null 2> "$WORK/offline.err"
"$RCC" predict --model "$WORK/offline" --data "$WORK/all" > "$WORK/eval/offline.csv" 2> /dev/null
sed 's|.*/all/||' "$WORK/eval/offline.csv" | cut -d, -f1 > "$WORK/eval/ofiles"
cut -d, -f2 "$WORK/eval/offline.csv" > "$WORK/eval/opred"
read -r a lo hi <<< "$(score_files "$WORK/eval/ofiles" "$WORK/eval/opred")"
echo "offline rcc train, same 10 000 images, $epochs epochs ($((epochs * 39)) steps): ACC $a, on 0-4 $lo, on 5-9 $hi"
echo "work folder: $WORK"
