#!/usr/bin/env bash
# bench/python_vs_cli.sh — the Python package against the rcc tool on the same data and settings:
# fit (rcc train) and predict (rcc predict, the model loaded and the data read included), RUNS times
# each, alternating, every run a fresh process. Prints every run, the medians and the ratio
# Python / tool (the target: within 5 %), and checks that both assign the same clusters.
# The tool's time is its whole process; Python's the calls alone (RCC(...).fit(DATA), and
# RCC.load(run).predict(DATA)), without the interpreter's start and `import rcc` (printed apart).
# Usage: bench/python_vs_cli.sh [BUILD_DIR] [RUNS]
#   environment: DATA (MNIST-test's IDX images by default: RCC_DATA or ../shared/data/mnist),
#   EPOCHS (1), THREADS (the library's default: the CPUs this process may use), and FLAGS: more
#   rcc train flags, with the same keyword arguments in PYARGS (e.g. FLAGS="--width 32"
#   PYARGS="width=32"); the preset is the one rcc train picks for the data.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${2:-3}
MNIST=${RCC_DATA:-$SRC/../shared/data/mnist}
DATA=${DATA:-$MNIST/t10k-images-idx3-ubyte.gz}
EPOCHS=${EPOCHS:-1} FLAGS=${FLAGS:-} PYARGS=${PYARGS:-}
PY=/usr/bin/python3
RCC=$BUILD/rcc
[ -x "$RCC" ] || { echo "python_vs_cli.sh: $RCC is not built (make build)" >&2; exit 1; }
[ -f "$BUILD/python/rcc/__init__.py" ] || { echo "python_vs_cli.sh: the Python package is not built in $BUILD" >&2; exit 1; }
[ -e "$DATA" ] || { echo "python_vs_cli.sh: no data at $DATA (set DATA or RCC_DATA)" >&2; exit 2; }
export PYTHONPATH=$BUILD/python
THREADS=${THREADS:-$($PY -c 'import rcc; print(rcc.threads_available())')}
work=$(mktemp -d /tmp/rcc-python-vs-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
read -r -a flags <<< "$FLAGS"
pyargs="epochs=$EPOCHS, seed=0, threads=$THREADS${PYARGS:+, $PYARGS}"
echo "python_vs_cli: $DATA, the preset rcc train picks, $EPOCHS epoch(s), $THREADS thread(s), $RUNS runs each${FLAGS:+, $FLAGS}"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
: > "$work/times"
for i in $(seq 1 "$RUNS"); do
  t0=$(now)
  "$RCC" train --data "$DATA" --out "$work/cli" --epochs "$EPOCHS" --seed 0 --threads "$THREADS" "${flags[@]}" \
    > /dev/null 2> "$work/train.err" || { cat "$work/train.err" >&2; exit 1; }
  t1=$(now)
  echo "tool fit $(elapsed "$t0" "$t1")" | tee -a "$work/times"
  $PY - "$DATA" "$work/py" <<EOF | tee -a "$work/times"
import sys, time
t0 = time.perf_counter()
import rcc
t1 = time.perf_counter()
rcc.RCC($pyargs, out_dir=sys.argv[2]).fit(sys.argv[1])
t2 = time.perf_counter()
print(f"python fit {t2 - t1:.3f}")
print(f"python import {t1 - t0:.3f}")
EOF
  t0=$(now)
  "$RCC" predict --model "$work/cli" --data "$DATA" --out "$work/cli.npy" > /dev/null 2> "$work/predict.err" \
    || { cat "$work/predict.err" >&2; exit 1; }
  t1=$(now)
  echo "tool predict $(elapsed "$t0" "$t1")" | tee -a "$work/times"
  $PY - "$DATA" "$work/cli" "$work/py.npy" <<'EOF' | tee -a "$work/times"
import sys, time
import numpy as np
import rcc
t0 = time.perf_counter()
clusters = rcc.RCC.load(sys.argv[2]).predict(sys.argv[1])
t1 = time.perf_counter()
np.save(sys.argv[3], clusters)
print(f"python predict {t1 - t0:.3f}")
EOF
done
$PY - "$work" <<'EOF'
import sys, statistics
import numpy as np
work = sys.argv[1]
times = {}
for line in open(f"{work}/times"):
    *what, t = line.split()
    times.setdefault(" ".join(what), []).append(float(t))
med = {k: statistics.median(v) for k, v in times.items()}
print(f"\nmedians of {len(times['tool fit'])} runs:   rcc tool    Python    Python / tool")
for what in ("fit", "predict"):
    a, b = med[f"tool {what}"], med[f"python {what}"]
    print(f"  {what:8s}            {a:8.2f} s  {b:8.2f} s  {b / a:.3f}")
print(f"  (import rcc, apart: {med['python import']:.2f} s)")
same = np.array_equal(np.load(f"{work}/cli.npy"), np.load(f"{work}/py.npy"))
print("the same clusters from both:", "yes" if same else "NO")
sys.exit(0 if same else 1)
EOF
