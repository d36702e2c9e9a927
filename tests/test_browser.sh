#!/usr/bin/env bash
# test_browser.sh — what rcc shows a person, in a real browser (Debian's chromium + chromedriver
# through python3-selenium, tests/test_browser.py): the report of `rcc report` from disk and the
# page of `rcc serve` (token, upload through the file input, cluster shown, drift chart), with
# hostile file and class names present. A tiny model on 256 MNIST-test images; the served run's
# folder gets hand-written drift records. Screenshots are kept in a temporary folder (printed).
# Skips (77) without MNIST, or when chromium itself is not installed (scripts/packages.txt
# installs it for make test). Usage: test_browser.sh RCC_BINARY SHARED_DATA_DIR SOURCE_DIR
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
SRC=$3
IMG=$DATA/t10k-images-idx3-ubyte.gz
PY=/usr/bin/python3
if [ ! -f "$IMG" ]; then
  echo "test_browser: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "test_browser: skipped: chromium is not installed (scripts/setup-deps.sh build installs it)"
  exit 77
fi
[ -x /usr/bin/chromedriver ] || { echo "test_browser: chromium is there but chromedriver is not (chromium-driver)"; exit 1; }
"$PY" -c 'import selenium' 2> /dev/null || { echo "test_browser: python3-selenium is missing"; exit 1; }
tmp=$(mktemp -d /tmp/rcc-test-browser-XXXXXX)
shots=$(mktemp -d /tmp/rcc-browser-shots-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

N=256
{ printf '\x00\x00\x08\x03\x00\x00\x01\x00\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat "$IMG" | tail -c +17 | head -c $((N * 784)); } > "$tmp/sub-images-idx3-ubyte"
tiny=(--width 4 --size 16 --batch 64 --clusters 10 --hidden 16 --feature-dim 8 --threads 1 --epochs 1)
"$RCC" train --data "$tmp/sub-images-idx3-ubyte" --out "$tmp/run" "${tiny[@]}" > /dev/null 2> "$tmp/err" ||
  { cat "$tmp/err"; exit 1; }
"$RCC" predict --model "$tmp/run" --data "$tmp/sub-images-idx3-ubyte" --sort-into "$tmp/pngs" --threads 1 > /dev/null 2>&1 ||
  { echo "test_browser: cannot write the PNGs"; exit 1; }

# a folder whose class and file names are hostile
H=$tmp/hostile
C1='cls<b>bold<i>' C2=$'cls&"q\''
mkdir -p "$H/$C1" "$H/$C2"
i=0
for f in $(find "$tmp/pngs" -name '*.png' | sort | head -20); do
  if [ $((i % 2)) = 0 ]; then cp "$f" "$H/$C1/img$i.png"; else cp "$f" "$H/$C2/img$i.png"; fi
  i=$((i + 1))
done
n1='<img src=x onerror=alert(1)>.png' n2=$'q"uote\'apos.png' n3='amp&amp;x & y.png' n4=$'bad\xff\xfename.png'
mv "$H/$C1/img0.png" "$H/$C1/$n1"
mv "$H/$C2/img1.png" "$H/$C2/$n2"
mv "$H/$C1/img2.png" "$H/$C1/$n3"
mv "$H/$C2/img3.png" "$H/$C2/$n4"
"$RCC" report --model "$tmp/run" --data "$H" --out "$tmp/report" --threads 1 > /dev/null 2> "$tmp/err" ||
  { cat "$tmp/err"; exit 1; }

# the served run: a copy of the checkpoint with drift records beside it, as a --follow run writes them
mkdir -p "$tmp/served" "$tmp/upload"
cp "$tmp/run/checkpoint.safetensors" "$tmp/served/"
for s in 100 200 300 400; do
  printf '{"kind":"drift","step":%d,"seen":%d,"pool":%d,"skipped":0,"recent_sizes":[1,2],"recent_confidence":0.%d,"probe":50,"probe_moved":%s,"probe_ari":%s}\n' \
    $s $((s * 3)) $((s * 2)) $((60 + s / 20)) "$([ $s = 100 ] && echo null || echo 0.$((40 - s / 20)))" \
    "$([ $s = 100 ] && echo null || echo 0.$((50 + s / 10)))" >> "$tmp/served/metrics.jsonl"
done
cp "$H/$C1/$n1" "$tmp/upload/$n1"
"$RCC" serve --model "$tmp/served" --listen 127.0.0.1:0 --token s3cret --threads 1 > "$tmp/serve.out" 2> "$tmp/serve.err" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^rcc serve: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/serve.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "test_browser: the server did not start"; cat "$tmp/serve.err"; exit 1; }
# what the server answers for the file: the cluster the page must show
expected=$(curl -s -H 'Authorization: Bearer s3cret' -H 'Content-Type: image/png' --data-binary @"$tmp/upload/$n1" \
  "http://127.0.0.1:$port/v1/assign" | sed -n 's/.*"cluster":\([0-9]*\).*/\1/p')
[ -n "$expected" ] || { echo "test_browser: no answer from /v1/assign"; exit 1; }
curl -s -D - -o /dev/null "http://127.0.0.1:$port/" | grep -qi "^Content-Security-Policy: default-src 'self'" ||
  { echo "FAIL: GET / without a Content-Security-Policy"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/page")" = 401 ] ||
  { echo "FAIL: /v1/page answers without the token"; exit 1; }

"$PY" "$SRC/tests/test_browser.py" "$tmp/report" "http://127.0.0.1:$port/" s3cret "$tmp/upload/$n1" "$expected" "$shots" \
  "$n1" "$n2" "$n3" $'bad\xef\xbf\xbd\xef\xbf\xbdname.png' "$C1" "$C2"
rc=$?
echo "test_browser: screenshots in $shots"
exit $rc
