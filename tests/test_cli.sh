#!/usr/bin/env bash
# test_cli.sh — the rcc tool end to end on MNIST-test with a tiny network: train, Ctrl-C and
# resume, predict (file and stdin), embed, bad arguments; a folder of CIFAR-10 JPEGs with a broken
# file when ../shared/data has it. Skips (exit 77) without MNIST.
# Usage: test_cli.sh RCC_BINARY SHARED_DATA_DIR
set -u
RCC=$1
unset ONEDNN_MAX_CPU_ISA RCC_BF16_EMULATED # what this CPU offers is what is tested
DATA=${RCC_DATA:-$2/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
if [ ! -f "$IMG" ]; then
  echo "test_cli: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-test-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
tiny=(--width 4 --size 16 --batch 128 --clusters 10 --hidden 16 --feature-dim 8 --eval-every 1 --threads 2)

"$RCC" train --data "$IMG" --out "$tmp/run" "${tiny[@]}" --epochs 1 > "$tmp/train.out" 2> "$tmp/train.err"
ok $? "rcc train exits 0"
[ -s "$tmp/run/checkpoint.safetensors" ]; ok $? "a checkpoint is written"
grep -q '"kind":"eval"' "$tmp/run/metrics.jsonl"; ok $? "labels found beside the images give an evaluation line"
grep -q "ACC" "$tmp/train.err"; ok $? "the epoch line shows ACC"
grep '"kind":"eval"' "$tmp/run/metrics.jsonl" | grep -q '"seconds":[0-9]'; ok $? "an eval line says how long it took"
# ACC against seconds of training: the run's folder or its log; one --name per --metrics
"$RCC" plot acc-time --metrics "$tmp/run" --metrics "$tmp/run/metrics.jsonl" --name a --name b --target 0.05 \
  --out "$tmp/acc-time.png" > "$tmp/acc-time.out" 2>&1 && [ "$(head -c 4 "$tmp/acc-time.png" | tail -c 3)" = PNG ] &&
  grep -q "^  a: ACC 0\.[0-9]* after [0-9.]* s of training; first at or above 0\.05 after [0-9.]* s (the head's, \
during training); rcc predict's default clusters at the end: ACC 0\.[0-9]*, at or above the target$" "$tmp/acc-time.out" &&
  [ "$(grep -c '^  [ab]: ACC' "$tmp/acc-time.out")" = 2 ]
ok $? "rcc plot acc-time draws two runs and says when each reached the target ($(tail -1 "$tmp/acc-time.out"))"
"$RCC" plot acc-time --metrics "$tmp/run" --name a --name b --out "$tmp/x.png" > /dev/null 2>&1
[ $? = 2 ]; ok $? "rcc plot acc-time: names not matching the runs exit 2"
printf '{"kind":"epoch","epoch":1,"seconds":2}\n' > "$tmp/noeval.jsonl"
"$RCC" plot acc-time --metrics "$tmp/noeval.jsonl" --out "$tmp/x.png" 2> "$tmp/noeval.err"
[ $? = 1 ] && grep -q "no evaluation lines" "$tmp/noeval.err"; ok $? "rcc plot acc-time: a log without eval lines exits 1 saying so"
# the default mode: every kernel and precision this CPU offers timed on the run's step, the fastest
# kept, said first and recorded in the checkpoint (direct f32 is left out of it as the default)
modes=1; grep -q avx512f /proc/cpuinfo && modes=2; grep -q avx512_bf16 /proc/cpuinfo && modes=3
first=$(head -1 "$tmp/train.err")
if [ "$modes" = 1 ]; then
  [ "$first" = "mode: direct f32 (oneDNN has no Winograd or bf16 kernels for this CPU)" ]
else
  # bf16 is left out at 16x16 (stage 4 sees 1x1 maps, where oneDNN's bf16 kernels give NaN gradients)
  echo "$first" | grep -q "bf16 left out: oneDNN's bf16 kernels give NaN gradients on stage 4's 1x1 maps" &&
    [ "$modes" = 3 ] && modes=2
  echo "$first" | grep -q "^mode: [a-z]* [bf0-9]*, the fastest on this step (direct f32 [0-9]*, winograd f32 [0-9]*\(, direct bf16 [0-9]*\)\? pairs/s)\(; bf16 left out: [^;]*\)\?; --conv and --precision choose$" &&
    [ "$(echo "$first" | sed 's/.*(direct f32/direct f32/; s/ pairs.*//' | tr ',' '\n' | wc -l)" = "$modes" ]
fi
ok $? "rcc train's first line is the mode it chose ($first)"
chosen=$(echo "$first" | sed -n 's/^mode: \([a-z]*\) \([bf0-9]*\),.*/\1 \2/p')
case "$chosen" in
  "direct bf16") grep -aqE 'precision[\\"]+:[\\"]+bf16' "$tmp/run/checkpoint.safetensors" ;;
  "winograd f32") grep -aqE 'conv[\\"]+:[\\"]+winograd' "$tmp/run/checkpoint.safetensors" ;;
  *) ! grep -aqE '(precision[\\"]+:[\\"]+bf16|conv[\\"]+:[\\"]+winograd)' "$tmp/run/checkpoint.safetensors" ;;
esac
ok $? "the checkpoint records the chosen mode (${chosen:-direct f32})"
ONEDNN_MAX_CPU_ISA=AVX2 "$RCC" train --data "$IMG" --out "$tmp/avx2" "${tiny[@]}" --epochs 1 > /dev/null 2> "$tmp/err"
[ "$(head -1 "$tmp/err")" = "mode: direct f32 (oneDNN has no Winograd or bf16 kernels for this CPU)" ] &&
  ! grep -aqE '(precision[\\"]+:[\\"]+bf16|conv[\\"]+:[\\"]+winograd)' "$tmp/avx2/checkpoint.safetensors"
ok $? "a CPU without AVX-512 (ONEDNN_MAX_CPU_ISA=AVX2) keeps direct f32, saying so"
"$RCC" train --data "$IMG" --out "$tmp/fixed" "${tiny[@]}" --epochs 1 --precision f32 > /dev/null 2> "$tmp/err" &&
  ! grep -q "^mode: \|--best" "$tmp/err"
ok $? "--precision (or --conv) chooses the mode: nothing is timed"

"$RCC" predict --model "$tmp/run" --data "$IMG" --out "$tmp/pred.npy" --vote 0 > "$tmp/pred.csv"
ok $? "rcc predict exits 0"
[ "$(wc -l < "$tmp/pred.csv")" = 10000 ]; ok $? "one line per image"
grep -qvE '^[0-9]+,[0-9],[01]\.[0-9]{4}$' "$tmp/pred.csv"; [ $? = 1 ]; ok $? "lines are index,cluster,confidence"
# the default refines the head's clusters by the neighbour vote: it says how many images moved, and
# exactly those lines differ from the head's (--vote 0); an unmoved image keeps the head's confidence.
# A vote that would move more than 20 % is not applied (this 1-epoch model's: about half), saying so.
"$RCC" predict --model "$tmp/run" --data "$IMG" --out "$tmp/voted.npy" > "$tmp/voted.csv" 2> "$tmp/err"
moved=$(sed -n 's/.*features: \([0-9]*\) moved.*/\1/p' "$tmp/err")
refused=$(sed -n 's/.*the neighbour vote would move \([0-9]*\) of 10000 images, more than 20%.*/\1/p' "$tmp/err")
differ=$(paste -d, "$tmp/pred.csv" "$tmp/voted.csv" | awk -F, '$2 != $5 { m++ } $2 == $5 && $3 != $6 { bad++ }
  END { print (bad ? -1 : m + 0) }')
if [ -n "$moved" ]; then
  [ "$moved" = "$differ" ] && [ "$moved" -gt 0 ] && [ "$moved" -le 2000 ] && ! cmp -s "$tmp/pred.npy" "$tmp/voted.npy"
else
  [ -n "$refused" ] && [ "$refused" -gt 2000 ] && [ "$differ" = 0 ] && cmp -s "$tmp/pred.csv" "$tmp/voted.csv"
fi
ok $? "predict votes by default: ${moved:-none} moved (${refused:-0} refused), $differ lines differ from --vote 0 \
($(head -c 200 "$tmp/err"))"
# the training's last evaluation scores those clusters too (metrics.jsonl's acc_predict)
want=$(grep '"kind":"eval"' "$tmp/run/metrics.jsonl" | tail -1 | sed -n 's/.*"acc_predict":\([0-9.]*\).*/\1/p')
got=$("$RCC" eval --pred "$tmp/voted.npy" --labels "${IMG%/*}/t10k-labels-idx1-ubyte.gz" --json |
      sed -n 's/.*"acc":\([0-9.]*\).*/\1/p')
awk -v a="$want" -v b="$got" 'BEGIN { exit !(a != "" && b != "" && a - b < 1e-6 && b - a < 1e-6) }'
ok $? "the training's last eval line has rcc predict's ACC ($want vs rcc eval's $got)"
"$RCC" predict --model "$tmp/run" --vote 5 --stdin < /dev/null > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "not --partition's nor images one by one" "$tmp/err"; ok $? "predict --vote --stdin: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --vote -3 > /dev/null 2> "$tmp/err"
[ $? = 2 ]; ok $? "predict --vote -3: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --vote 1001 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "0 <= N <= 1000" "$tmp/err"; ok $? "predict --vote 1001: exit 2"
echo "$IMG" | "$RCC" predict --model "$tmp/run" --stdin --vote 0 > /dev/null 2> "$tmp/err"
ok $? "predict --stdin --vote 0 (the head alone, what --stdin answers anyway): exit 0"
# more threads than the CPUs the process may use: capped, with a note, and the same answers
if command -v taskset > /dev/null; then
  taskset -c 0 "$RCC" predict --model "$tmp/run" --data "$IMG" --threads 4 --vote 0 > "$tmp/capped.csv" 2> "$tmp/err" &&
    grep -q "note: --threads 4, but this process may use 1 CPU(s): computing with 1" "$tmp/err" &&
    cmp -s "$tmp/capped.csv" "$tmp/pred.csv"
  ok $? "--threads 4 on one CPU computes with 1, saying so ($(head -c 120 "$tmp/err"))"
fi
echo "$IMG" | "$RCC" predict --model "$tmp/run" --stdin > "$tmp/stream.csv"
ok $? "rcc predict --stdin exits 0"
cmp -s <(cut -d, -f2- "$tmp/pred.csv") <(cut -d, -f2- "$tmp/stream.csv")
ok $? "stdin answers equal the head's batch answers (--vote 0)"
echo "/nonexistent.png" | "$RCC" predict --model "$tmp/run" --stdin > "$tmp/bad.csv"
[ $? = 1 ] && grep -q "^/nonexistent.png,error," "$tmp/bad.csv"; ok $? "a bad path on stdin gets an error line and exit 1"

"$RCC" embed --model "$tmp/run" --data "$IMG" --out "$tmp/h.npy" 2> /dev/null
ok $? "rcc embed exits 0"
[ "$(stat -c %s "$tmp/h.npy")" -ge $((10000 * 3 * 4)) ]; ok $? "h.npy holds 10000 x 3 floats"
"$RCC" embed --model "$tmp/run" --data "$IMG" --out "$tmp/s3.npy" --features stage3 2> /dev/null
[ $? = 0 ] && head -c 128 "$tmp/s3.npy" | grep -q "(10000, 16)"; ok $? "embed --features stage3: 10000 x 4*width floats"
"$RCC" predict --model "$tmp/run" --data "$IMG" --partition --fine 30 > "$tmp/part.csv" 2> "$tmp/err"
[ $? = 0 ] && [ "$(wc -l < "$tmp/part.csv")" = 10000 ] && grep -q "partitioned on 16 stage-3 features" "$tmp/err" &&
  awk -F, '$2 < 0 || $2 > 9 || $3 < 0 || $3 > 1 { bad = 1 } END { exit bad }' "$tmp/part.csv"
ok $? "predict --partition: 10000 rows, clusters 0-9, confidences in [0, 1]"
"$RCC" predict --model "$tmp/run" --partition --stdin < /dev/null > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "whole data set" "$tmp/err"; ok $? "predict --partition --stdin: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --partition --vote 10 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "refines the head's clusters" "$tmp/err"; ok $? "predict --partition --vote: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --fine 30 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "go with --partition" "$tmp/err"; ok $? "predict --fine without --partition: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --clusters 5 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "go with --partition" "$tmp/err"; ok $? "predict --clusters without --partition: exit 2"
"$RCC" predict --model "$tmp/run" --data "$IMG" --partition --fine 30 --clusters 31 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "between 1 and --fine (30)" "$tmp/err"; ok $? "predict --partition --clusters above --fine: exit 2"
"$RCC" embed --model "$tmp/run" --data "$IMG" --out "$tmp/x.npy" --features stage2 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "known are h and stage3" "$tmp/err"; ok $? "embed --features stage2: exit 2 naming the known ones"

"$RCC" train --data "$IMG" --out "$tmp/x" --lambda 2 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q lambda "$tmp/err"; ok $? "lambda out of range: exit 2 naming it"
"$RCC" train --data "$IMG" --out "$tmp/x" --entropy-weight -1 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q entropy_weight "$tmp/err"; ok $? "a negative entropy weight: exit 2 naming it"
"$RCC" train --data /nonexistent --out "$tmp/x" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q /nonexistent "$tmp/err"; ok $? "missing data: exit 1 naming the file"
"$RCC" predict --model "$tmp/nothing" --data "$IMG" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "cannot open" "$tmp/err"; ok $? "missing model: exit 1"
"$RCC" train --bogus > /dev/null 2>&1; [ $? = 2 ]; ok $? "unknown option: exit 2"
"$RCC" train --help | grep -q -- "--lambda"; ok $? "train --help lists the flags"

# A real folder of colour JPEGs (CIFAR-10-test) with a truncated file among them: skipped, named
# and listed in the run's skipped.txt; refused with --strict or above --max-broken; a gray model
# given the colour images converts them.
CIFAR=${RCC_DATA:-$2}/cifar10/test
if [ -d "$CIFAR/cat" ]; then
  mkdir -p "$tmp/photos/cat" "$tmp/photos/dog"
  cp "$CIFAR"/cat/00[0-4]?.jpg "$tmp/photos/cat/"; cp "$CIFAR"/dog/00[0-4]?.jpg "$tmp/photos/dog/"
  head -c 400 "$CIFAR/dog/0100.jpg" > "$tmp/photos/dog/0100_cut.jpg"
  "$RCC" train --data "$tmp/photos" --out "$tmp/prun" "${tiny[@]}" --batch 32 --clusters 2 --epochs 1 \
    > /dev/null 2> "$tmp/p.err"
  ok $? "rcc train on a folder with a truncated JPEG trains ($(grep -m1 skipping "$tmp/p.err"))"
  grep -q "skipping a broken image: .*0100_cut.jpg" "$tmp/p.err"; ok $? "and names the broken file on stderr"
  grep -q "skipped 1 broken image file(s); all listed in $tmp/prun/skipped.txt" "$tmp/p.err"; ok $? "and counts it"
  [ "$(cut -f1 "$tmp/prun/skipped.txt")" = "$tmp/photos/dog/0100_cut.jpg" ]; ok $? "skipped.txt lists it"
  grep -q "data: 100 images, 3 channel(s), 32x32, labelled.*held as bytes (0.3 MB)" "$tmp/p.err"
  ok $? "the 100 good images are used, held as bytes ($(grep -o 'held as [^;]*' "$tmp/p.err"))"
  grep -q "^preset: photo (colour images" "$tmp/p.err" && grep -aq 'augment\\":\\"photo' "$tmp/prun/checkpoint.safetensors"
  ok $? "without --preset, colour images get the photo preset, and say so"
  grep -q "^preset: cpu (gray images" "$tmp/train.err"; ok $? "and gray digits the cpu preset"
  "$RCC" train --data "$tmp/photos" --out "$tmp/srun" "${tiny[@]}" --batch 32 --clusters 2 --epochs 1 \
    --backbone resnet18-small > /dev/null 2> "$tmp/s.err" &&
    grep -aq 'backbone\\":\\"resnet18-small' "$tmp/srun/checkpoint.safetensors" &&
    "$RCC" predict --model "$tmp/srun" --data "$tmp/photos" > "$tmp/s.csv" 2>> "$tmp/s.err" &&
    [ "$(wc -l < "$tmp/s.csv")" = 100 ]; ok $? "--backbone resnet18-small trains, and its checkpoint predicts"
  "$RCC" train --data "$tmp/photos" --out "$tmp/crun" "${tiny[@]}" --batch 32 --clusters 2 --epochs 1 --conv best \
    > /dev/null 2> "$tmp/c.err" && grep -q "^rcc train: --conv best: direct f32 [0-9]*, winograd f32 [0-9]* pairs/s on this step: \(direct\|winograd\) f32$\|--conv best: direct f32 (oneDNN has no Winograd" "$tmp/c.err"
  ok $? "rcc train --conv best times both kernels on the run's step ($(grep -m1 "conv best" "$tmp/c.err"))"
  chosen=$(grep -m1 -o "conv best.*: [a-z]* f32$" "$tmp/c.err" | sed 's/.*: //; s/ f32//'); [ -n "$chosen" ] || chosen=direct
  grep -aq "conv\\\\\":\\\\\"$chosen" "$tmp/crun/checkpoint.safetensors" || { [ "$chosen" = direct ] && ! grep -aq 'conv\\":' "$tmp/crun/checkpoint.safetensors"; }
  ok $? "and the checkpoint records the choice ($chosen)"
  "$RCC" train --data "$tmp/photos" --out "$tmp/brun" "${tiny[@]}" --batch 32 --clusters 2 --epochs 1 --best \
    > /dev/null 2> "$tmp/b.err" && grep -q "^rcc train: --best: direct f32 [0-9]*\(, winograd f32 [0-9]*\)\?\(, direct bf16 [0-9]*\)\? pairs/s on this step: [a-z]* \(f32\|bf16\)\(; bf16 left out: .*\)\?$\|--best: direct f32 (oneDNN has no" "$tmp/b.err"
  ok $? "rcc train --best times every mode on the run's step ($(grep -m1 -- "--best" "$tmp/b.err"))"
  if grep -q "on this step: direct bf16$" "$tmp/b.err"; then
    grep -aq 'precision\\":\\"bf16' "$tmp/brun/checkpoint.safetensors" && grep -q "^precision: bf16" "$tmp/b.err" &&
      "$RCC" predict --model "$tmp/brun" --data "$tmp/photos" > "$tmp/b.csv" 2>> "$tmp/b.err" && [ "$(wc -l < "$tmp/b.csv")" = 100 ]
    ok $? "a bf16 choice is said, recorded in the checkpoint, and the checkpoint predicts"
  fi
  "$RCC" train --data "$tmp/photos" --out "$tmp/srun2" "${tiny[@]}" --backbone resnet19 --epochs 1 > /dev/null 2> "$tmp/s.err"
  [ $? = 2 ] && grep -q "backbone 'resnet19' is not known (known: resnet18, resnet18-small)" "$tmp/s.err"
  ok $? "an unknown backbone is refused, naming the known ones ($(tail -1 "$tmp/s.err"))"
  "$RCC" train --data "$tmp/photos" --out "$tmp/prun2" "${tiny[@]}" --strict --epochs 1 > /dev/null 2> "$tmp/p.err"
  [ $? = 1 ] && grep -q "0100_cut.jpg: corrupt or truncated JPEG" "$tmp/p.err"; ok $? "--strict refuses, naming it"
  "$RCC" train --data "$tmp/photos" --out "$tmp/prun2" "${tiny[@]}" --max-broken 0.005 --epochs 1 \
    > /dev/null 2> "$tmp/p.err"
  [ $? = 1 ] && grep -q "1 of 101 image files are broken" "$tmp/p.err"; ok $? "--max-broken 0.005 refuses 1 of 101"
  "$RCC" predict --model "$tmp/run" --data "$tmp/photos" > "$tmp/p.csv" 2> "$tmp/p.err"
  ok $? "a gray model predicts colour photos"
  grep -q "converting the 100 colour image(s)" "$tmp/p.err" && [ "$(wc -l < "$tmp/p.csv")" = 100 ]
  ok $? "converting them, with a note, one line per good image"
else
  echo "test_cli: the CIFAR-10 folder part skipped: $CIFAR not found"
fi

# Ctrl-C: saves and exits 130; --resume continues to the end
"$RCC" train --data "$IMG" --out "$tmp/int" "${tiny[@]}" --epochs 30 > /dev/null 2> "$tmp/int.err" &
pid=$!
for _ in $(seq 100); do grep -q "done in" "$tmp/int.err" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
ok $(( $? == 130 ? 0 : 1 )) "SIGINT: exit status 130"
grep -q "resume with" "$tmp/int.err"; ok $? "SIGINT: says how to resume"
"$RCC" train --resume "$tmp/int" --data "$IMG" --epochs 3 > /dev/null 2> "$tmp/res.err"
ok $? "--resume after SIGINT finishes ($(tail -1 "$tmp/res.err"))"
grep -q "resuming" "$tmp/res.err"; ok $? "--resume says where it resumes"

# Winograd convolutions (width 16: channel counts oneDNN's Winograd kernels take): train, predict,
# resume with direct kernels (how the convolutions compute may change on resume), bad values refused
wino=(--data "$IMG" --width 16 --size 16 --batch 128 --hidden 16 --feature-dim 8 --eval-every 0 --threads 2)
"$RCC" train "${wino[@]}" --out "$tmp/wino" --epochs 1 --conv winograd > /dev/null 2> "$tmp/wino.err"
ok $? "rcc train --conv winograd exits 0 ($(tail -1 "$tmp/wino.err"))"
head -c 4096 "$tmp/wino/checkpoint.safetensors" | grep -a -q 'conv[\\]*":[\\]*"winograd'
ok $? "the checkpoint's configuration records conv winograd"
"$RCC" predict --model "$tmp/wino" --data "$IMG" > "$tmp/wino.csv"
[ $? = 0 ] && [ "$(wc -l < "$tmp/wino.csv")" = 10000 ]; ok $? "a Winograd-trained model predicts"
"$RCC" train --resume "$tmp/wino" --data "$IMG" --epochs 2 --conv direct > /dev/null 2> "$tmp/wino2.err"
ok $? "--resume with --conv direct continues ($(tail -1 "$tmp/wino2.err"))"
"$RCC" train --data "$IMG" --out "$tmp/x" --conv fft > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "conv 'fft'" "$tmp/err"; ok $? "unknown --conv: exit 2 naming it"
"$RCC" train --data "$IMG" --out "$tmp/x" --precision fp16 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "precision 'fp16' is not known (known: f32, bf16)" "$tmp/err"; ok $? "unknown --precision: exit 2 naming the known ones"
"$RCC" train --data "$IMG" --out "$tmp/x" --best --conv direct > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "not with --conv or --precision" "$tmp/err"; ok $? "--best with --conv: exit 2"
"$RCC" bench --conv fft --steps 1 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "conv 'fft' is not known (known: direct, winograd)" "$tmp/err"; ok $? "rcc bench: unknown --conv: exit 2"
"$RCC" bench --best --size 16 --width 4 --batch 8 --steps 1 --warmup 0 > "$tmp/best" 2> "$tmp/err"
ok $? "rcc bench --best runs"
n=$(grep -c "^rcc bench: resnet18 width 4" "$tmp/best")
# the modes this CPU should have, from /proc/cpuinfo, not from rcc: oneDNN 2.6's Winograd kernels
# need AVX-512 with BW, VL and DQ (its avx512_core); rcc's bf16 needs AVX512-BF16 besides
avx512=0 native_bf16=0
grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo && avx512=1
[ $avx512 = 1 ] && grep -qw avx512_bf16 /proc/cpuinfo && native_bf16=1
modes=$((1 + avx512 + native_bf16))
[ "$n" = "$modes" ] && grep -c "winograd convolutions\|direct convolutions, bf16" "$tmp/best" | grep -qx $((modes - 1)) &&
  { grep -qE "^fastest: (direct|winograd) (f32|bf16), [0-9.]+ pairs/s" "$tmp/best" || { [ $modes = 1 ] && grep -q "no Winograd or bf16 kernels" "$tmp/best"; }; }
ok $? "and times the $modes mode(s) this CPU has, then names the fastest ($(tail -1 "$tmp/best"))"
"$RCC" bench --best --precision bf16 --steps 1 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "not with --conv or --precision" "$tmp/err"; ok $? "rcc bench --best with --precision: exit 2"
grep -q '"peak_rss_mb":[0-9.]*}$' <("$RCC" bench --size 16 --width 4 --batch 8 --steps 1 --warmup 0 --json)
ok $? "rcc bench --json reports the peak memory"

# bf16 without AVX512-BF16 is refused (oneDNN's emulation is slower than f32, and wrong for some
# shapes); RCC_BF16_EMULATED=1 allows it, to check bf16 numerics on other AVX-512 CPUs
if [ $avx512 = 1 ] && [ $native_bf16 = 0 ]; then
  "$RCC" train "${wino[@]}" --out "$tmp/bf" --epochs 1 --precision bf16 > /dev/null 2> "$tmp/bf.err"
  [ $? = 2 ] && grep -q "this CPU has no bf16 convolutions (AVX512-BF16 needed" "$tmp/bf.err"
  ok $? "rcc train --precision bf16 without AVX512-BF16: exit 2, saying why"
fi
# Inference precision: a bf16-trained model predicts in bf16 where the CPU has bf16 convolutions, in
# f32 (saying so) where it has none (ONEDNN_MAX_CPU_ISA=AVX2 hides them); --precision chooses
"$RCC" predict --model "$tmp/wino" --data "$IMG" --precision f16 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "precision 'f16' is not known (known: f32, bf16)" "$tmp/err"; ok $? "rcc predict: unknown --precision: exit 2"
if [ $avx512 = 1 ]; then
  [ $native_bf16 = 1 ] || export RCC_BF16_EMULATED=1
  # 32x32: oneDNN's emulation gets the weight gradient of layer4's 1x1 maps (16x16 images) wrong
  "$RCC" train "${wino[@]}" --size 32 --out "$tmp/bf" --epochs 1 --precision bf16 > /dev/null 2> "$tmp/bf.err"
  ok $? "rcc train --precision bf16 exits 0 ($(tail -1 "$tmp/bf.err"))"
  "$RCC" predict --model "$tmp/bf" --data "$IMG" > "$tmp/bf.csv" 2> "$tmp/err" && ! grep -q "note: trained in" "$tmp/err"
  ok $? "its checkpoint predicts in bf16, quietly"
  "$RCC" predict --model "$tmp/bf" --data "$IMG" --precision f32 > "$tmp/bf32.csv" 2> "$tmp/err"
  agree=$(paste -d, "$tmp/bf.csv" "$tmp/bf32.csv" | awk -F, '$2 == $5 { a++ } END { print a + 0 }')
  [ "$(wc -l < "$tmp/bf32.csv")" = 10000 ] && [ "$agree" -ge 8000 ] && ! cmp -s "$tmp/bf.csv" "$tmp/bf32.csv"
  ok $? "and with --precision f32, differently rounded (the same cluster for $agree of 10000 images)"
  ONEDNN_MAX_CPU_ISA=AVX2 "$RCC" predict --model "$tmp/bf" --data "$IMG" > "$tmp/bfcpu.csv" 2> "$tmp/err" &&
    grep -q "note: trained in bf16, run in f32 (this CPU has no bf16 convolutions)" "$tmp/err" &&
    [ "$(wc -l < "$tmp/bfcpu.csv")" = 10000 ]
  ok $? "a bf16 checkpoint on a CPU without bf16 convolutions predicts in f32, saying so"
  ONEDNN_MAX_CPU_ISA=AVX2 "$RCC" embed --model "$tmp/bf" --data "$IMG" --out "$tmp/bf.npy" --precision bf16 2> "$tmp/err"
  [ $? = 2 ] && grep -q "this CPU has no bf16 convolutions" "$tmp/err"; ok $? "and refuses --precision bf16 there: exit 2"
  unset RCC_BF16_EMULATED
else
  echo "test_cli: bf16 inference part skipped: this CPU has no AVX-512 (BW, VL, DQ)"
fi
"$RCC" bench --best --json --size 16 --width 4 --batch 8 --steps 1 --warmup 0 | tail -1 | grep -qE '^\{"impl":"rcc","best":"(direct|winograd)","precision":"(f32|bf16)","pairs_per_s":[0-9.]+\}$'
ok $? "rcc bench --best --json: its last line names the fastest"
"$RCC" bench --data "$IMG" --steps 2 --json > "$tmp/bdata" 2> "$tmp/err"
grep -qE '^\{"impl":"rcc","mode":"data","preset":"cpu","images":10000,.*"held":"bytes","held_mb":7.8,.*"pairs_per_s":[0-9.]+\}$' "$tmp/bdata"
ok $? "rcc bench --data times the data path of MNIST-test (held as bytes, the cpu preset)"
"$RCC" bench --preset photo --steps 1 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "goes with --data" "$tmp/err"; ok $? "rcc bench --preset without --data: exit 2"

# reproduce: the whole experiment on a tiny network, then again (finished runs are reused); on 200
# images a class (rcc subset), which keeps the test's time down under the sanitizers
LAB=$DATA/t10k-labels-idx1-ubyte.gz
"$RCC" subset --data "$IMG" --labels "$LAB" --long-tail 1 --max-per-class 200 --out "$tmp/rep-data" > /dev/null 2>&1
ok $? "rcc subset: 200 images a class for reproduce"
rep=(--data "$tmp/rep-data/images-idx3-ubyte.gz" --labels "$tmp/rep-data/labels-idx1-ubyte.gz" --out "$tmp/rep"
     --seeds 1 --epochs 1 --width 4 --size 16 --batch 128 --hidden 16 --feature-dim 8 --kmax 8 --probe-epochs 5
     --sphere-sample 1000)
"$RCC" reproduce "${rep[@]}" > "$tmp/rep.out" 2> "$tmp/rep.err"
ok $? "rcc reproduce exits 0 ($(tail -1 "$tmp/rep.err"))"
grep -q "| clustering ACC, K = 10 | 89 % |" "$tmp/rep/report.md"; ok $? "report.md has the paper's table with its figures"
grep -q '^- \*\*Clustering ACC (paper: RCC +3 points)\*\*: \(RCC\|no clear\)' "$tmp/rep/report.md"
ok $? "report.md states a verdict on ACC"
[ "$(grep -c '"method"' "$tmp/rep/report.json")" = 4 ]; ok $? "report.json lists CC and RCC at K = 10 and K = 5"
[ "$(grep -c '| direct |$' "$tmp/rep/report.md")" = 4 ]; ok $? "report.md names each run's convolution kernels"
for f in rcc-k10-seed1/sphere.png cc-k10-seed1/cells.png cc-k5-seed1/kselect.png rcc-k5-seed1/curves.png; do
  [ -s "$tmp/rep/runs/$f" ]; ok $? "picture $f"
done
cp "$tmp/rep/report.json" "$tmp/rep1.json"
"$RCC" reproduce "${rep[@]}" > /dev/null 2> "$tmp/rep2.err"
ok $? "rcc reproduce again exits 0"
[ "$(grep -c "already trained" "$tmp/rep2.err")" = 4 ]; ok $? "a second reproduce reuses the four finished runs"
cmp -s <(grep -v '"seconds"\|"started"\|"train_seconds"' "$tmp/rep1.json") \
       <(grep -v '"seconds"\|"started"\|"train_seconds"' "$tmp/rep/report.json")
ok $? "and reports the same numbers"
"$RCC" reproduce --data "$IMG" --out "$tmp/rep3" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q labels "$tmp/err"; ok $? "reproduce without labels: exit 2 naming them"

# sharing the CPUs (src/share.h): beside a busy training, a training without --threads takes its
# share and says so; with --threads it keeps its count (and says nothing)
cpus=$(nproc) # and a cgroup v2 quota, as rcc counts them
read -r quota period 2> /dev/null < /sys/fs/cgroup/cpu.max || quota=max
[ "$quota" != max ] && [ -n "${period:-}" ] && [ $(((quota + period - 1) / period)) -lt "$cpus" ] &&
  cpus=$(((quota + period - 1) / period))
if [ "$cpus" -ge 2 ]; then
  # 1 000 digits (a run beside the busy one with --threads 2 is oversubscribed on purpose: slow)
  "$RCC" subset --data "$IMG" --long-tail 1 --max-per-class 100 --out "$tmp/k1" > /dev/null 2>&1
  small=(--data "$tmp/k1/images-idx3-ubyte.gz" --width 4 --size 16 --batch 128 --clusters 10 --hidden 16
         --feature-dim 8 --eval-every 0 --conv direct --precision f32)
  "$RCC" train "${small[@]}" --out "$tmp/busy" --threads 1 --epochs 5000 > /dev/null 2>&1 &
  busy=$!
  for _ in $(seq 1 100); do [ -s "$tmp/busy/checkpoint.safetensors" ] && break; sleep 0.1; done
  sleep 0.3
  "$RCC" train "${small[@]}" --out "$tmp/shared" --epochs 1 > /dev/null 2> "$tmp/shared.err"
  ok $? "a training beside a busy one exits 0"
  grep -q "computing with [0-9]* threads\? from now on (2 busy rcc processes on these CPUs" \
    "$tmp/shared.err"
  ok $? "beside a busy training, a default one takes its half of the $cpus CPUs and says so"
  "$RCC" train "${small[@]}" --out "$tmp/fixed" --epochs 1 --threads 2 > /dev/null 2> "$tmp/fixed.err"
  ! grep -q "computing with" "$tmp/fixed.err"; ok $? "with --threads the count stays"
  kill "$busy" 2> /dev/null; wait "$busy" 2> /dev/null
  "$RCC" train "${small[@]}" --out "$tmp/alone" --epochs 1 > /dev/null 2> "$tmp/alone.err"
  ! grep -q "computing with" "$tmp/alone.err"; ok $? "once the busy one has stopped, a default training keeps every CPU"
fi

echo "test_cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
