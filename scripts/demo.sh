#!/usr/bin/env bash
# The main job, as far as the project has come: see README.md ("make demo").
set -euo pipefail
BUILD=${1:-build}
echo "== rcc demo: one training step of the paper's model, timed (rcc bench) =="
"$BUILD/rcc" bench --steps 5 --warmup 2
