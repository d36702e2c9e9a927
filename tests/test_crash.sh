#!/usr/bin/env bash
# test_crash.sh — training survives being killed. A tiny network trains on 1024 MNIST-test images,
# saving every epoch, and is killed with SIGKILL at random moments, five times, each time resumed
# with --resume: after every kill the checkpoint loads (rcc predict), is never a partial file (a
# temporary one left by the kill is never taken for it), and the run resumes where the checkpoint
# says, never earlier; in the end the run completes with every step logged once. Then SIGTERM is
# handled like Ctrl-C: the step finishes, a checkpoint is saved, exit 130, and the run resumes.
# Skips (exit 77) without MNIST. Usage: test_crash.sh RCC_BINARY SHARED_DATA_DIR [SEED]
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
LAB=$DATA/t10k-labels-idx1-ubyte.gz
if [ ! -f "$IMG" ] || [ ! -f "$LAB" ]; then
  echo "test_crash: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
RANDOM=${3:-$$} # the kill moments; the seed is printed so a failure can be replayed
echo "test_crash: random seed ${3:-$$}"
tmp=$(mktemp -d /tmp/rcc-test-crash-XXXXXX)
trap 'for p in $(jobs -p); do kill -9 "$p" 2> /dev/null; done; rm -rf "$tmp"' EXIT # runs still going
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

# 1024 images and their labels, as IDX files (the labels are found beside the images)
N=1024
{ printf '\x00\x00\x08\x03\x00\x00\x04\x00\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat "$IMG" | tail -c +17 | head -c $((N * 784)); } > "$tmp/sub-images-idx3-ubyte"
{ printf '\x00\x00\x08\x01\x00\x00\x04\x00'; zcat "$LAB" | tail -c +9 | head -c $N; } > "$tmp/sub-labels-idx1-ubyte"
SUB=$tmp/sub-images-idx3-ubyte
EPOCHS=6 BATCH=64
STEPS=$((EPOCHS * (N / BATCH)))
tiny=(--width 4 --size 16 --batch $BATCH --clusters 10 --hidden 16 --feature-dim 8 --threads 2 --epochs $EPOCHS
      --save-every 1 --eval-every 1)
run=$tmp/run
ck=$run/checkpoint.safetensors

# the optimizer steps a checkpoint holds, from its metadata (at the start of the header)
ckpt_step() { head -c 65536 "$1" | grep -ao '"step":"[0-9]*"' | grep -o '[0-9][0-9]*' | head -1; }

# waits (up to 5 minutes) for a file to exist while process $1 runs
wait_for() {
  for _ in $(seq 3000); do
    [ -e "$2" ] && return 0
    kill -0 "$1" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

last_step=0
for k in 1 2 3 4 5; do
  if [ $k = 1 ]; then
    "$RCC" train --data "$SUB" --out "$run" "${tiny[@]}" > /dev/null 2> "$tmp/kill$k.err" &
  else
    "$RCC" train --resume "$run" --data "$SUB" > /dev/null 2> "$tmp/kill$k.err" &
  fi
  pid=$!
  wait_for "$pid" "$ck" # a loadable checkpoint exists from the start of a run
  ok $? "kill $k: the run has a checkpoint (stderr: $(tail -2 "$tmp/kill$k.err" | tr '\n' ' '))"
  # a random moment in the training, whatever the machine's speed: one of the next 32 steps (a
  # step ending an epoch is followed by the evaluation and the checkpoint), then 0-99 ms; the
  # first run is also killed during its start half of the times
  target=$((last_step + 1 + RANDOM % 32))
  [ $target -gt $STEPS ] && target=$STEPS
  [ $k = 1 ] && [ $((RANDOM % 2)) = 0 ] && target=0
  delay=$((RANDOM % 100))
  if [ $target -gt 0 ]; then
    for _ in $(seq 6000); do
      grep -q " step $target:" "$tmp/kill$k.err" 2> /dev/null && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.05
    done
  fi
  sleep "0.$(printf %02d $delay)"
  if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null
    ok $(( $? == 137 ? 0 : 1 )) "kill $k: SIGKILL ends the run (after step $target + $delay ms)"
  else
    wait "$pid" # finished before the kill: fine, it must have succeeded
    ok $? "kill $k: the run ended on its own before the kill, successfully"
  fi
  # a resumed run started at the step of the checkpoint it was given
  if [ $k -gt 1 ] && grep -q "resuming" "$tmp/kill$k.err"; then
    grep -q "(step $last_step)" "$tmp/kill$k.err"
    ok $? "kill $k: resumed at step $last_step ($(grep resuming "$tmp/kill$k.err"))"
  fi
  # the checkpoint loads and answers for every image
  "$RCC" predict --model "$run" --data "$SUB" > "$tmp/pred.csv" 2> "$tmp/pred.err"
  ok $? "kill $k (step $target + $delay ms): the checkpoint loads ($(cat "$tmp/pred.err"))"
  [ "$(wc -l < "$tmp/pred.csv")" = $N ]; ok $? "kill $k: one prediction per image"
  # only these names may be in the folder: a temporary file left by the kill is never the checkpoint
  for f in "$run"/* "$run"/.[!.]*; do
    [ -e "$f" ] || continue
    case ${f##*/} in
      checkpoint.safetensors|metrics.jsonl|metrics.jsonl.tmp|checkpoint.safetensors.tmp.[0-9]*|.rcc-write-test) ;;
      *) ok 1 "kill $k: unexpected file ${f##*/} in the run folder" ;;
    esac
  done
  # a partial file under a temporary name does not disturb loading or resuming
  head -c 1000 "$ck" > "$ck.tmp.1"
  # the resumed run starts at the checkpoint's step, which never goes back
  step=$(ckpt_step "$ck")
  [ -n "$step" ] && [ "$step" -ge "$last_step" ]; ok $? "kill $k: the checkpoint is at step ${step:-?} >= $last_step"
  echo "test_crash: kill $k after step $target + $delay ms: the checkpoint is at step ${step:-?}"
  last_step=${step:-$last_step}
done

# temporary files of writers that are gone are cleaned up when the run resumes; a live one's stays
sh -c 'exit 0' &
dead=$!
wait "$dead"
head -c 1000 "$ck" > "$ck.tmp.$dead"
"$RCC" train --resume "$run" --data "$SUB" > /dev/null 2> "$tmp/final.err"
ok $? "the run completes after five kills ($(tail -1 "$tmp/final.err"))"
[ ! -e "$ck.tmp.$dead" ] && grep -q "removed .*tmp.$dead" "$tmp/final.err"
ok $? "a dead writer's temporary file is removed, and said so"
[ -e "$ck.tmp.1" ]; ok $? "a live process's temporary file (pid 1) is left alone"
grep -q "resuming" "$tmp/final.err"; ok $? "the last run resumed"
step=$(ckpt_step "$ck")
[ "$step" = $STEPS ]; ok $? "the final checkpoint is at the last step ($step of $STEPS)"
n=$(grep -c '"kind":"step"' "$run/metrics.jsonl")
u=$(grep '"kind":"step"' "$run/metrics.jsonl" | sed 's/.*"step":\([0-9]*\).*/\1/' | sort -un | wc -l)
[ "$n" = $STEPS ] && [ "$u" = $STEPS ]; ok $? "metrics.jsonl has each of the $STEPS steps once ($n lines, $u distinct)"
echo "test_crash: $((last_step)) of $STEPS steps were done before the last kill"

# SIGTERM, as sent by a scheduler or `kill`: like Ctrl-C, the step finishes, a checkpoint is saved
term=$tmp/term
"$RCC" train --data "$SUB" --out "$term" "${tiny[@]}" --epochs 50 > /dev/null 2> "$tmp/term.err" &
pid=$!
for _ in $(seq 3000); do grep -q "done in" "$tmp/term.err" 2> /dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
ok $(( $? == 130 ? 0 : 1 )) "SIGTERM: exit status 130"
grep -q "resume with" "$tmp/term.err"; ok $? "SIGTERM: says how to resume"
"$RCC" train --resume "$term" --data "$SUB" --epochs 2 > /dev/null 2> "$tmp/term2.err"
ok $? "SIGTERM: the run resumes and finishes ($(tail -1 "$tmp/term2.err"))"

echo "test_crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
