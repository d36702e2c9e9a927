#!/usr/bin/env bash
# test_stream.sh — `rcc train --follow DIR` and `--stream` with real files (docs/online.md):
# images arriving during the run, a half-written file (skipped after its retries, listed in
# skipped.txt), a non-image (ignored), the drift records, SIGKILL and --resume (the step goes on,
# images are not counted twice), `rcc serve` following the stream's checkpoints, paths on stdin.
# Tiny model on MNIST-test digits as PNG. Skips (77) without MNIST.
# Usage: test_stream.sh RCC_BINARY SERVE_PNG SHARED_DATA_DIR
set -u
RCC=$1
PNGTOOL=$2
DATA=${RCC_DATA:-$3/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
if [ ! -f "$IMG" ]; then
  echo "test_stream: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
command -v curl > /dev/null || { echo "test_stream: curl is missing (scripts/setup-deps.sh)"; exit 1; }
tmp=$(mktemp -d /tmp/rcc-test-stream-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
json() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2 | tr -d ' \t'; }
wait_for() { for _ in $(seq 1 600); do eval "$1" && return 0; sleep 0.1; done; return 1; }

zcat "$IMG" > "$tmp/images"
mkdir -p "$tmp/src" "$tmp/in/first"
for i in $(seq 0 199); do "$PNGTOOL" "$tmp/images" "$i" "$tmp/src/d$i.png" || ok 1 "PNG $i"; done
cp "$tmp"/src/d{0..79}.png "$tmp/in/first/"
tiny=(--width 4 --size 16 --batch 32 --clusters 10 --hidden 16 --feature-dim 8 --threads 2 --pool 120 --recent 40
      --probe 30 --retries 2 --retry-seconds 0.5)

# 1. a followed folder: 80 images at start; 100 more, a half-written PNG and a text file arrive
"$RCC" train --follow "$tmp/in" --out "$tmp/run" "${tiny[@]}" --save-steps 20 --max-steps 400 \
  > "$tmp/out1" 2> "$tmp/err1" &
pids+=($!)
wait_for "[ -f $tmp/run/stream.json ]"; ok $? "the first checkpoint and state are written"
head -c 150 "$tmp/src/d100.png" > "$tmp/in/first/half.png" # never completed
echo "not an image" > "$tmp/in/first/notes.txt"
mkdir "$tmp/in/later"
for i in $(seq 100 199); do cp "$tmp/src/d$i.png" "$tmp/in/later/"; done
why() { grep -m1 -E 'runtime error|ERROR: |rcc train:' "$1" || tail -2 "$1" | tr '\r\n' '  '; } # a sanitizer's first line
wait "${pids[-1]}"; ok $? "the followed run stops at --max-steps with 0 ($(why "$tmp/err1"))"
ok "$([ "$(json "$tmp/run/stream.json" step)" = 400 ] && echo 0 || echo 1)" "stream.json at step 400"
seen=$(json "$tmp/run/stream.json" seen)
ok "$([ "$seen" = 180 ] && echo 0 || echo 1)" "180 images seen (80 at start, 100 arriving): $seen"
ok "$([ "$(json "$tmp/run/stream.json" skipped)" = 1 ] && echo 0 || echo 1)" "the half-written file is skipped"
grep -q "half.png" "$tmp/run/skipped.txt"; ok $? "skipped.txt names it"
grep -q "skipped .*half.png after 2 attempts" "$tmp/err1"; ok $? "and stderr says so"
grep -q "ignoring .*notes.txt" "$tmp/err1"; ok $? "the text file is ignored, with a note"
ok "$([ "$(wc -l < "$tmp/run/seen.txt")" = 180 ] && echo 0 || echo 1)" "seen.txt lists 180 paths"
nd=$(grep -c '"kind":"drift"' "$tmp/run/metrics.jsonl")
ok "$([ "$nd" -ge 21 ] && echo 0 || echo 1)" "a drift record per checkpoint (step 0, every 20 steps): $nd"
last=$(grep '"kind":"drift"' "$tmp/run/metrics.jsonl" | tail -1)
echo "$last" | grep -q '"seen":180,"pool":160,"skipped":1'; ok $? "the last record counts seen, pool, skipped: $last"
echo "$last" | grep -q '"probe":30,"probe_moved":[0-9.]*,"probe_ari":-*[0-9.]*}'; ok $? "and compares the probe"
ns=$(grep -c '"kind":"step"' "$tmp/run/metrics.jsonl")
ok "$([ "$ns" = 400 ] && echo 0 || echo 1)" "a step line per step: $ns"
"$RCC" predict --model "$tmp/run" --data "$tmp/src/d5.png" > /dev/null 2>&1; ok $? "the checkpoint loads"
"$RCC" plot curves --metrics "$tmp/run/metrics.jsonl" --out "$tmp/curves.png" > /dev/null 2>&1 &&
  [ "$(head -c 4 "$tmp/curves.png" | tail -c 3)" = PNG ]; ok $? "rcc plot curves draws the stream's log"
grep '"kind":"drift"' "$tmp/run/metrics.jsonl" > "$tmp/drift.jsonl"
"$RCC" plot curves --metrics "$tmp/drift.jsonl" --out "$tmp/drift.png" > /dev/null 2>&1 &&
  [ "$(head -c 4 "$tmp/drift.png" | tail -c 3)" = PNG ]; ok $? "and a log of drift records alone"

# 2. SIGKILL a followed run that never stops, then --resume it
"$RCC" train --follow "$tmp/in" --out "$tmp/run2" "${tiny[@]}" --save-steps 25 > /dev/null 2> "$tmp/err2" &
pids+=($!)
p=${pids[-1]}
wait_for "[ -f $tmp/run2/stream.json ] && [ \"\$(json $tmp/run2/stream.json step)\" -ge 50 ]"
ok $? "the second run checkpoints past step 50"
# 3. meanwhile rcc serve follows its checkpoints
"$RCC" serve --model "$tmp/run2" --listen 127.0.0.1:0 --poll-ms 100 > "$tmp/serve.out" 2> "$tmp/serve.err" &
pids+=($!)
wait_for "grep -q listening $tmp/serve.out"; ok $? "rcc serve starts on the stream's run"
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/serve.out")
s1=$(curl -s "http://127.0.0.1:$port/v1/model" | grep -o '"step":[0-9]*' | cut -d: -f2)
wait_for "[ \"\$(curl -s http://127.0.0.1:$port/v1/model | grep -o '\"step\":[0-9]*' | cut -d: -f2)\" -gt \"$s1\" ]"
ok $? "the server swaps in a newer stream checkpoint (step $s1 -> $(curl -s "http://127.0.0.1:$port/v1/model" | grep -o '"step":[0-9]*' | cut -d: -f2))"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/png' --data-binary "@$tmp/src/d3.png" \
  "http://127.0.0.1:$port/v1/assign")
ok "$([ "$code" = 200 ] && echo 0 || echo 1)" "and answers while the stream trains: $code"
kill -9 "$p"; wait "$p" 2> /dev/null
at=$(json "$tmp/run2/stream.json" step)
"$RCC" train --resume "$tmp/run2" --follow "$tmp/in" "${tiny[@]}" --max-steps $((at + 30)) --save-steps 25 \
  > /dev/null 2> "$tmp/err3"
ok $? "the killed run resumes ($(tail -1 "$tmp/err3"))"
ok "$([ "$(json "$tmp/run2/stream.json" step)" = $((at + 30)) ] && echo 0 || echo 1)" "and goes on from step $at to $((at + 30))"
ok "$([ "$(json "$tmp/run2/stream.json" seen)" = 180 ] && echo 0 || echo 1)" \
  "the images seen before are not counted again: $(json "$tmp/run2/stream.json" seen)"
ok "$([ "$(sort -u "$tmp/run2/seen.txt" | wc -l)" = "$(wc -l < "$tmp/run2/seen.txt")" ] && echo 0 || echo 1)" \
  "seen.txt has no path twice"
first_step=$(grep '"kind":"step"' "$tmp/run2/metrics.jsonl" | grep -c "\"step\":$((at + 1)),")
ok "$([ "$first_step" = 1 ] && echo 0 || echo 1)" "the log past the checkpoint was trimmed: one line for step $((at + 1))"

# 4. paths on stdin; a missing file is skipped, not fatal
{ for i in $(seq 0 59); do echo "$tmp/src/d$i.png"; done; echo "$tmp/src/missing.png"; } |
  "$RCC" train --stream --out "$tmp/run3" "${tiny[@]}" --max-steps 30 --save-steps 10 > /dev/null 2> "$tmp/err4"
ok $? "--stream trains from paths on stdin ($(tail -1 "$tmp/err4"))"
grep -q "the list of paths ended (60 images seen)" "$tmp/err4"; ok $? "and says when the list ended"
grep -q "missing.png" "$tmp/run3/skipped.txt"; ok $? "the missing file is skipped"
echo "$tmp/src/d1.png" | "$RCC" train --stream --out "$tmp/run4" "${tiny[@]}" > /dev/null 2> "$tmp/err5"
ok "$([ $? = 1 ] && echo 0 || echo 1)" "too few images for one batch: refused when the list ends"
grep -q "fewer than one batch of 32" "$tmp/err5"; ok $? "with the reason ($(tail -1 "$tmp/err5"))"
"$RCC" train --follow "$tmp/in" --data "$tmp/images" --out "$tmp/run5" > /dev/null 2>&1
ok "$([ $? = 2 ] && echo 0 || echo 1)" "--follow with --data is a usage error"
"$RCC" train --follow "$tmp/nowhere" --out "$tmp/run6" "${tiny[@]}" > /dev/null 2> "$tmp/err6"
ok "$([ $? = 1 ] && echo 0 || echo 1)" "a missing folder: $(tail -1 "$tmp/err6")"

echo "test_stream: $pass passed, $fail failed"
[ "$fail" = 0 ]
