#!/usr/bin/env bash
# fuzz/run.sh — builds the libFuzzer harnesses (clang, -DRCC_FUZZ=ON) and runs each one, for a time
# or a number of inputs, starting from the seed corpus in tests/fuzz-corpus/<name>/. Exits 1 if a harness
# finds a crash, a leak, undefined behaviour or a time-out (the input is kept in BUILD/fuzz-artifacts/
# and the last lines of its log are shown); prints the inputs each harness executed.
# Usage: fuzz/run.sh [--build DIR] [--time SECONDS | --runs N] [--jobs N] [harness ...]
#   harnesses: idx npy image safetensors config serve (default: all)
#   e.g. fuzz/run.sh --time 12              (the smoke run of `make test`)
#        fuzz/run.sh --runs 1000000 npy     (one harness, a million inputs)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build-fuzz
LIMIT=(-max_total_time=12)
JOBS=1
ALL=(idx npy image safetensors config serve)
names=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --time) LIMIT=(-max_total_time="$2"); shift 2 ;;
    --runs) LIMIT=(-runs="$2"); shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -eq 0 ] && names=("${ALL[@]}")
for n in "${names[@]}"; do
  [ -d "$SRC/tests/fuzz-corpus/$n" ] || { echo "fuzz/run.sh: no harness '$n' (known: ${ALL[*]})" >&2; exit 2; }
done

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" > /dev/null; then
  echo "fuzz/run.sh: $CC not found (scripts/setup-deps.sh clang libclang-rt-14-dev libomp-14-dev)" >&2
  exit 1
fi
mkdir -p "$BUILD"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=$CC cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DRCC_FUZZ=ON > "$BUILD/fuzz-configure.log" 2>&1 ||
    { cat "$BUILD/fuzz-configure.log" >&2; exit 1; }
elif ! grep -q "^RCC_FUZZ:BOOL=ON" "$BUILD/CMakeCache.txt"; then
  echo "fuzz/run.sh: $BUILD is a build without -DRCC_FUZZ=ON; give another --build folder" >&2
  exit 1
fi
cmake --build "$BUILD" --target fuzz -j"$JOBS" > "$BUILD/fuzz-build.log" 2>&1 ||
  { grep -E "error|Error" "$BUILD/fuzz-build.log" | head -30 >&2; exit 1; }

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
art=$BUILD/fuzz-artifacts
mkdir -p "$art"
failed=0
printf "%-12s %12s %8s  %s\n" harness executions seconds result
for n in "${names[@]}"; do
  work=$BUILD/fuzz-corpus/$n # what the fuzzer finds; the seeds in the tree are only read
  log=$BUILD/fuzz-$n.log
  mkdir -p "$work"
  t0=$(date +%s)
  # -rss_limit_mb: a decoded image may take 200 MB of pixels twice (headers are checked, not trusted)
  "$BUILD/fuzz/fuzz_$n" "${LIMIT[@]}" -timeout=30 -rss_limit_mb=3000 -print_final_stats=1 \
    -artifact_prefix="$art/$n-" "$work" "$SRC/tests/fuzz-corpus/$n" > "$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc = 0 ]; then
    printf "%-12s %12s %8s  %s\n" "$n" "${execs:-?}" "$secs" "ok"
  else
    failed=1
    printf "%-12s %12s %8s  %s\n" "$n" "${execs:-?}" "$secs" "FAILED (exit $rc; log $log)"
    grep -E "ERROR|SUMMARY|Test unit written|#[0-9]+ 0x[0-9a-f]+ in " "$log" | head -25
  fi
done
exit $failed
