#!/usr/bin/env bash
# test_longtail.sh — the imbalance benchmark's tools end to end: `rcc subset` makes a long-tailed
# MNIST-test (IDX out, labels beside, selection.csv with halves) and a long-tailed CIFAR-10-test
# folder of links when ../shared/data has it; `rcc eval` prints the sorted size profiles. Skips (exit
# 77) without MNIST.
# Usage: test_longtail.sh RCC_BINARY SHARED_DATA_DIR
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
if [ ! -f "$IMG" ]; then
  echo "test_longtail: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-test-longtail-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

out=$("$RCC" subset --data "$IMG" --long-tail 10 --seed 3 --out "$tmp/lt10" 2> "$tmp/lt10.err")
ok $? "rcc subset exits 0"
[ "$out" = "$tmp/lt10/images-idx3-ubyte.gz" ]; ok $? "it prints what --data takes ($out)"
[ -s "$tmp/lt10/labels-idx1-ubyte.gz" ] && [ -s "$tmp/lt10/selection.csv" ]; ok $? "labels and selection.csv written"
n=$(($(wc -l < "$tmp/lt10/selection.csv") - 1))
# MNIST-test's smallest class (5) has 892 images: 892 * 10^(-r/9) summed over r = 0..9
[ "$n" = 3642 ]; ok $? "3642 images kept at ratio 10 (got $n)"
cut -d, -f3 "$tmp/lt10/selection.csv" | tail -n +2 > "$tmp/truth.csv"
sizes=$(sort "$tmp/truth.csv" | uniq -c | awk '{print $1}' | sort -rn | tr '\n' ' ')
[ "$sizes" = "892 690 534 414 320 248 192 148 115 89 " ]; ok $? "class sizes fall by 10^(1/9) a rank (got $sizes)"
"$RCC" eval --pred "$tmp/truth.csv" --labels "$tmp/lt10/labels-idx1-ubyte.gz" > "$tmp/eval.out"
ok $? "the selection's labels agree with the labels file"
grep -q "ACC 1.0000" "$tmp/eval.out"; ok $? "ACC 1 of the labels against themselves"
grep -q "classes  892 690 534 414 320 248 192 148 115 89" "$tmp/eval.out"; ok $? "rcc eval prints the sorted class sizes"
grep -q "largest/smallest: clusters 10.0, classes 10.0; sorted shares apart by TV 0.000" "$tmp/eval.out"
ok $? "and how far the cluster profile is from them"
awk -F, 'NR > 1 && $4 != "dev" && $4 != "holdout" { bad = 1 } END { exit bad }' "$tmp/lt10/selection.csv"
ok $? "every image is in the dev or the holdout half"
"$RCC" subset --data "$IMG" --long-tail 10 --seed 3 --out "$tmp/again" > /dev/null 2>&1
cmp -s "$tmp/lt10/selection.csv" "$tmp/again/selection.csv"; ok $? "the same seed makes the same subset"
"$RCC" subset --data "$IMG" --long-tail 10 --seed 4 --out "$tmp/other" > /dev/null 2>&1
! cmp -s "$tmp/lt10/selection.csv" "$tmp/other/selection.csv"; ok $? "another seed, another subset"
"$RCC" subset --data "$IMG" --long-tail 10 --out "$tmp/lt10" > /dev/null 2>&1
[ $? = 2 ]; ok $? "an existing --out is refused (exit 2)"
"$RCC" subset --data "$IMG" --long-tail 0.5 --out "$tmp/bad" > /dev/null 2>&1
[ $? = 2 ]; ok $? "a ratio below 1 is refused (exit 2)"
"$RCC" subset --data "$IMG" --long-tail 10 --max-per-class 2000 --out "$tmp/big" 2> "$tmp/big.err" > /dev/null
[ $? = 1 ] && grep -q "has .* images but rank" "$tmp/big.err"; ok $? "more per class than a class has is refused, saying which"

CIFAR=${RCC_DATA:-$2}/cifar10/test
if [ -d "$CIFAR" ]; then
  out=$("$RCC" subset --data "$CIFAR" --long-tail 100 --out "$tmp/c100" 2> /dev/null)
  ok $? "rcc subset of a folder exits 0"
  [ "$out" = "$tmp/c100/images" ] && [ -L "$(find "$tmp/c100/images" -type l | head -1)" ]
  ok $? "a folder's subset is class folders of links"
  n=$(find "$tmp/c100/images" -type l | wc -l)
  [ "$n" = "$(($(wc -l < "$tmp/c100/selection.csv") - 1))" ] && [ "$n" = 2478 ]; ok $? "2478 links at ratio 100 (got $n)"
  f=$(awk -F, 'NR == 2 { print $5 }' "$tmp/c100/selection.csv")
  cmp -s "$tmp/c100/images/$f" "$CIFAR/$f"; ok $? "a link leads to its original ($f)"
else
  echo "test_longtail: CIFAR-10-test not found: the folder part skipped"
fi

# rcc reproduce --long-tail: CC and RCC on the same long tail (a tiny network, one epoch, one seed)
LAB=$DATA/t10k-labels-idx1-ubyte.gz
"$RCC" reproduce --data "$IMG" --labels "$LAB" --out "$tmp/rep" --long-tail 10 --long-tail-seed 3 --seeds 1 \
  --wrong-k 0 --epochs 1 --width 4 --size 16 --batch 128 --hidden 16 --feature-dim 8 --kmax 6 --probe-epochs 2 \
  --sphere-sample 1000 --threads 1 > /dev/null 2> "$tmp/rep.err"
ok $? "rcc reproduce --long-tail exits 0 ($(tail -1 "$tmp/rep.err"))"
grep -q "runs (CC and RCC x K = 10 x 1 seeds) on 3642 images" "$tmp/rep.err"
ok $? "it trains on the subset rcc subset makes with the same ratio and seed (3642 images)"
grep -q "a long-tailed subset of .* (ratio 10, class order and images drawn from seed 3" "$tmp/rep/report.md" &&
  grep -q "^| cluster sizes against the classes' (TV of the sorted shares; 0: the same profile) | – | [0-9.]* | – | [0-9.]* |" \
    "$tmp/rep/report.md"
ok $? "report.md names the long tail and each method's size profile against the classes'"
sizes=$(tr -d ' \n\t' < "$tmp/rep/report.json" | grep -o '"class_sizes":\[[0-9,]*\]' | tr -dc '0-9,' | tr ',' '\n' |
        sort -rn | tr '\n' ' ')
[ "$sizes" = "892 690 534 414 320 248 192 148 115 89 " ]; ok $? "report.json's class sizes are the tail's (got $sizes)"
[ "$(grep -c '"size_tv"' "$tmp/rep/report.json")" = 4 ]; ok $? "report.json has size_tv per method and per run"
# the ACC of rcc predict's default (the head's clusters refined by the neighbour vote), per method and
# per run: the same as rcc predict + rcc eval on the subset rcc subset makes
grep -q "^| ACC of \`rcc predict\`'s default clusters" "$tmp/rep/report.md" &&
  [ "$(grep -c '"acc_predict"' "$tmp/rep/report.json")" = 4 ]
ok $? "report.md and report.json give the ACC of rcc predict's default clusters"
"$RCC" subset --data "$IMG" --labels "$LAB" --long-tail 10 --seed 3 --out "$tmp/lt3" > /dev/null 2>&1 &&
  "$RCC" predict --model "$tmp/rep/runs/rcc-k10-seed1" --data "$tmp/lt3/images-idx3-ubyte.gz" --out "$tmp/lt3.npy" \
    > /dev/null 2>&1 &&
  ours=$("$RCC" eval --pred "$tmp/lt3.npy" --labels "$tmp/lt3/labels-idx1-ubyte.gz" --json |
         sed 's/.*"acc":\([0-9.e-]*\).*/\1/') &&
  theirs=$(tr -d ' \n\t' < "$tmp/rep/report.json" | grep -o '"method":"rcc"[^}]*' | grep -o '"acc_predict":[0-9.e-]*' |
           cut -d: -f2) &&
  awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a != "" && b != "" && a - b < 1e-9 && b - a < 1e-9) }'
ok $? "the RCC run's acc_predict is rcc predict's ACC on the same subset ($theirs vs $ours)"

echo "test_longtail: $pass passed, $fail failed"
[ "$fail" = 0 ]
