#!/usr/bin/env bash
# test_robust.sh — the rcc tool on bad invocations and output problems (docs/robustness.md): missing
# --data/--out, one image, resume with another configuration, an unwritable output folder, a full
# disk at the start and in the middle of a run (a small tmpfs in a private mount namespace), and
# results written to /dev/full. A tiny network on 256 MNIST-test images. Skips (exit 77) without
# MNIST; the checks that need a mount namespace are skipped (with a message) where unshare is not
# allowed. Usage: test_robust.sh RCC_BINARY SHARED_DATA_DIR
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
LAB=$DATA/t10k-labels-idx1-ubyte.gz
if [ ! -f "$IMG" ] || [ ! -f "$LAB" ]; then
  echo "test_robust: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-test-robust-XXXXXX)
trap 'chmod -R u+w "$tmp" 2> /dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
skip() { echo "test_robust: skipped: $1"; }

# N images (and their labels beside them) as IDX files
subset() {
  local n=$1 out=$2
  { printf '\x00\x00\x08\x03'; printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))"
    printf "\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))"
    printf '\x00\x00\x00\x1c\x00\x00\x00\x1c'
    zcat "$IMG" | tail -c +17 | head -c $((n * 784)); } > "$out-images-idx3-ubyte"
}
subset 256 "$tmp/sub"
{ printf '\x00\x00\x08\x01\x00\x00\x01\x00'; zcat "$LAB" | tail -c +9 | head -c 256; } > "$tmp/sub-labels-idx1-ubyte"
SUB=$tmp/sub-images-idx3-ubyte
tiny=(--width 4 --size 16 --batch 64 --clusters 10 --hidden 16 --feature-dim 8 --threads 2 --epochs 1)
"$RCC" train --data "$SUB" --out "$tmp/model" "${tiny[@]}" > /dev/null 2> "$tmp/err"
ok $? "a tiny model trains ($(tail -1 "$tmp/err"))"
M=$tmp/model

# ---- invocation
"$RCC" train --out "$tmp/x" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q -- "--data is required" "$tmp/err"; ok $? "no --data: exit 2 naming it"
"$RCC" train --data "$SUB" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q -- "--out is required" "$tmp/err"; ok $? "no --out: exit 2 naming it"
"$RCC" predict --data "$SUB" > /dev/null 2> "$tmp/err"; [ $? = 2 ]; ok $? "predict without --model: exit 2"
"$RCC" embed --model "$M" --data "$SUB" > /dev/null 2> "$tmp/err"; [ $? = 2 ]; ok $? "embed without --out: exit 2"

# ---- one image: training needs a batch of at least 2 (the losses contrast images), prediction works
subset 1 "$tmp/one"
"$RCC" train --data "$tmp/one-images-idx3-ubyte" --out "$tmp/x" "${tiny[@]}" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "1 image is fewer than one batch of 64" "$tmp/err"
ok $? "one image: refused ($(tail -1 "$tmp/err"))"
"$RCC" train --data "$tmp/one-images-idx3-ubyte" --out "$tmp/x" "${tiny[@]}" --batch 1 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "batch = 1 is out of range" "$tmp/err"; ok $? "--batch 1: exit 2 ($(cat "$tmp/err"))"
"$RCC" predict --model "$M" --data "$tmp/one-images-idx3-ubyte" > "$tmp/one.csv" 2> "$tmp/err"
[ $? = 0 ] && [ "$(wc -l < "$tmp/one.csv")" = 1 ]; ok $? "one image: predicted ($(cat "$tmp/one.csv" "$tmp/err"))"
# (cairo and fontconfig keep caches until exit, which LeakSanitizer would report: not rcc's to test here)
ASAN_OPTIONS=detect_leaks=0 "$RCC" views --data "$tmp/one-images-idx3-ubyte" --count 1 --views 0 --out "$tmp/one.png" \
  > /dev/null 2>&1
"$RCC" predict --model "$M" --data "$tmp/one.png" > "$tmp/one.csv" 2> "$tmp/err"
[ $? = 0 ] && [ "$(wc -l < "$tmp/one.csv")" = 1 ] && grep -q "the model takes gray images; converting the 1 colour" "$tmp/err"
ok $? "one colour PNG for a gray model: converted, with a note ($(cat "$tmp/err"))"

# ---- resume: only epochs, threads, loader threads, eval and save intervals may change
"$RCC" train --resume "$M" --data "$SUB" --lambda 0.5 --out "$tmp/r1" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "another configuration" "$tmp/err"
ok $? "resume with another lambda: refused ($(tail -1 "$tmp/err"))"
"$RCC" train --resume "$M" --data "$SUB" --batch 32 --out "$tmp/r1" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "another configuration" "$tmp/err"; ok $? "resume with another batch: refused"
"$RCC" train --resume "$M" --data "$SUB" --epochs 2 --threads 1 --out "$tmp/r2" > /dev/null 2> "$tmp/err"
ok $? "resume with more epochs and another thread count: allowed ($(tail -1 "$tmp/err"))"

# ---- output to a full device: an error naming it, exit 1, and /dev/full stays a device
"$RCC" embed --model "$M" --data "$SUB" --out /dev/full > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "No space left" "$tmp/err"; ok $? "embed --out /dev/full: exit 1 ($(cat "$tmp/err"))"
ln -s /dev/full "$tmp/full.csv"
"$RCC" embed --model "$M" --data "$SUB" --out "$tmp/full.csv" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "write error" "$tmp/err"; ok $? "embed to a full .csv: exit 1 ($(cat "$tmp/err"))"
"$RCC" predict --model "$M" --data "$SUB" --out /dev/full > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "No space left" "$tmp/err"; ok $? "predict --out /dev/full: exit 1 ($(cat "$tmp/err"))"
"$RCC" predict --model "$M" --data "$SUB" > /dev/full 2> "$tmp/err"
[ $? = 1 ] && grep -q "cannot write the results" "$tmp/err"; ok $? "predict > /dev/full: exit 1 ($(cat "$tmp/err"))"
echo "$tmp/one-images-idx3-ubyte" | "$RCC" predict --model "$M" --stdin > /dev/full 2> "$tmp/err"
[ $? = 1 ]; ok $? "predict --stdin > /dev/full: exit 1"
[ -c /dev/full ]; ok $? "/dev/full is still a character device"
[ ! -e /dev/full.tmp ]; ok $? "no /dev/full.tmp was made"

# ---- an unwritable output folder: reported at the start, before any training
ro=$tmp/readonly
mkdir -p "$ro"
chmod 555 "$ro"
ro_check() { # the commands, given how to run them (directly, or in a mount namespace)
  "$@" "$RCC" train --data "$SUB" --out "$ro/run" "${tiny[@]}" > /dev/null 2> "$tmp/err"
  [ $? = 1 ] && grep -q "cannot create the output folder" "$tmp/err" && ! grep -q "^epoch" "$tmp/err"
  ok $? "a new output folder in a read-only one: exit 1 before training ($(tail -1 "$tmp/err"))"
}
if ! touch "$ro/probe" 2> /dev/null; then
  ro_check
elif [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then # root ignores permissions: a read-only mount
  rm -f "$ro/probe"
  unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && "$@"' _ "$ro" \
    "$RCC" train --data "$SUB" --out "$ro/run" "${tiny[@]}" > /dev/null 2> "$tmp/err"
  rc=$?
  if grep -q "mount:" "$tmp/err"; then
    skip "unwritable output folder (cannot mount read-only: $(head -1 "$tmp/err"))"
  else
    [ $rc = 1 ] && grep -q "cannot create the output folder" "$tmp/err" && ! grep -q "^epoch" "$tmp/err"
    ok $? "a new output folder in a read-only mount: exit 1 before training ($(tail -1 "$tmp/err"))"
  fi
else
  skip "unwritable output folder (this user writes anywhere and cannot mount)"
fi
chmod 755 "$ro"

# ---- a full disk: a small tmpfs in a private mount namespace (root, or an unprivileged user namespace)
ns=()
if [ "$(id -u)" = 0 ] && unshare -m true 2> /dev/null; then ns=(unshare -m)
elif unshare -rm true 2> /dev/null; then ns=(unshare -rm)
fi
if [ ${#ns[@]} = 0 ]; then
  skip "full disk (no mount namespace: unshare is not allowed here)"
else
  mnt=$tmp/mnt
  mkdir -p "$mnt"
  cat > "$tmp/full.sh" << 'INNER'
# in a private mount namespace: $1 rcc, $2 data, $3 mount point, $4 scratch; then the tiny flags
RCC=$1 SUB=$2 mnt=$3 tmp=$4
shift 4
mount -t tmpfs -o size=1m rcc-test "$mnt" || { echo "SKIP: cannot mount a tmpfs"; exit 0; }
"$RCC" train --data "$SUB" --out "$mnt/run" "$@" > /dev/null 2> "$tmp/start.err"
echo "start $? $(tail -1 "$tmp/start.err")"
umount "$mnt"
# room to start (3 checkpoints), then the disk fills while training: the next checkpoint fails
mount -t tmpfs -o size=4m rcc-test "$mnt"
"$RCC" train --data "$SUB" --out "$mnt/run" "$@" --epochs 400 --save-every 1 > /dev/null 2> "$tmp/mid.err" &
pid=$!
for _ in $(seq 3000); do grep -q "done in" "$tmp/mid.err" && break; sleep 0.1; done
dd if=/dev/zero of="$mnt/filler" bs=64k 2> /dev/null
wait $pid
echo "mid $? $(grep -v '^ \|^epoch\|^$' "$tmp/mid.err" | tail -1)"
rm -f "$mnt/filler"
"$RCC" predict --model "$mnt/run" --data "$SUB" > /dev/null 2> "$tmp/pred.err"
echo "load $? $(cat "$tmp/pred.err")"
echo "files $(ls -A "$mnt/run" | tr '\n' ' ')"
INNER
  "${ns[@]}" bash "$tmp/full.sh" "$RCC" "$SUB" "$mnt" "$tmp" "${tiny[@]}" > "$tmp/full.out" 2>&1
  if grep -q "^SKIP" "$tmp/full.out"; then
    skip "full disk ($(grep SKIP "$tmp/full.out"))"
  else
    grep -q "^start 1 .*only 1.0 MB free, a run needs about" "$tmp/full.out"
    ok $? "a disk too full for a few checkpoints: refused at the start ($(grep '^start' "$tmp/full.out"))"
    grep -q "^mid 1 .*No space left on device" "$tmp/full.out"
    ok $? "the disk fills during the run: exit 1 at the next checkpoint ($(grep '^mid' "$tmp/full.out"))"
    grep -q "^load 0" "$tmp/full.out"
    ok $? "the last complete checkpoint still loads ($(grep '^load' "$tmp/full.out"))"
    ! grep "^files" "$tmp/full.out" | grep -q "tmp"
    ok $? "no temporary file is left ($(grep '^files' "$tmp/full.out"))"
  fi
fi

echo "test_robust: $pass passed, $fail failed"
[ "$fail" = 0 ]
