#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temporary prefix, then build examples/bars.c the way
# a user would, with `pkg-config --cflags --libs rcc`, and run it; and a program drawing a picture,
# with `pkg-config --cflags --libs rcc-plot`.
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
# the pictures are librcc_plot, through rcc-plot.pc; librcc alone needs no drawing library
if pkg-config --print-requires rcc | grep -q cairo; then echo "FAIL: rcc.pc requires cairo"; exit 1; fi
cat > "$tmp/confusion.c" <<'EOF'
#include <rcc_plot.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    const int64_t table[4] = {9, 1, 2, 8};
    rcc_status st = argc == 2 ? rcc_plot_confusion(argv[1], table, 2, 2, NULL) : RCC_ERR_ARG;
    if (st != RCC_OK)
        fprintf(stderr, "%s: %s\n", rcc_strerror(st), rcc_last_error());
    return st != RCC_OK;
}
EOF
cc -O2 "$tmp/confusion.c" $(pkg-config --cflags --libs rcc-plot) -o "$tmp/confusion"
"$tmp/confusion" "$tmp/confusion.png"
[ "$(head -c 4 "$tmp/confusion.png" | tail -c 3)" = PNG ] || { echo "FAIL: no PNG from librcc_plot"; exit 1; }
echo "test_install: 2 passed, 0 failed"
