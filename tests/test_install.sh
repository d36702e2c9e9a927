#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temporary prefix, then build examples/bars.c the way
# a user would, with `pkg-config --cflags --libs rcc`, and run it.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d /tmp/rcc-test-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
pc=$(find "$tmp/prefix" -name rcc.pc)
[ -n "$pc" ] || { echo "FAIL: rcc.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -O2 "$src/examples/bars.c" $(pkg-config --cflags --libs rcc) -o "$tmp/bars"
"$tmp/bars" "$tmp/bars.safetensors" | tail -1
echo "test_install: 1 passed, 0 failed"
