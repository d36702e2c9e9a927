#!/usr/bin/env bash
# test_serve.sh — `rcc serve` over real HTTP on an ephemeral 127.0.0.1 port: every endpoint, the
# answers equal to `rcc predict`/`rcc embed` on the same PNG, a hot reload and a refused one, bad
# requests (malformed HTTP, wrong type, empty, truncated, oversized, absurd dimensions, a stalled
# body, a wrong token), SIGTERM, SIGKILL and restart. Tiny model on 256 MNIST-test images.
# Skips (77) without MNIST. Usage: test_serve.sh RCC_BINARY SERVE_PNG SHARED_DATA_DIR
set -u
RCC=$1
PNGTOOL=$2
DATA=${RCC_DATA:-$3/mnist}
IMG=$DATA/t10k-images-idx3-ubyte.gz
if [ ! -f "$IMG" ]; then
  echo "test_serve: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
command -v curl > /dev/null || { echo "test_serve: curl is missing (scripts/setup-deps.sh)"; exit 1; }
tmp=$(mktemp -d /tmp/rcc-test-serve-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

N=256
{ printf '\x00\x00\x08\x03\x00\x00\x01\x00\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat "$IMG" | tail -c +17 | head -c $((N * 784)); } > "$tmp/sub-images-idx3-ubyte"
SUB=$tmp/sub-images-idx3-ubyte
tiny=(--width 4 --size 16 --batch 64 --clusters 10 --hidden 16 --feature-dim 8 --threads 2 --epochs 1 --conv direct
      --precision f32)
"$RCC" train --data "$SUB" --out "$tmp/run" "${tiny[@]}" > /dev/null 2> "$tmp/train.err"
ok $? "train the served model"
"$RCC" train --data "$SUB" --out "$tmp/run2" "${tiny[@]}" --seed 7 > /dev/null 2>> "$tmp/train.err"
ok $? "train a second model (for the reload)"
for i in 0 1 2 3; do "$PNGTOOL" "$SUB" $i "$tmp/d$i.png" || ok 1 "write digit $i as PNG"; done
"$PNGTOOL" huge "$tmp/huge.png"; ok $? "write a PNG claiming 100000x100000"
CK=$tmp/run/checkpoint.safetensors
cp "$CK" "$tmp/good.safetensors"

# Starts the server (extra flags in "$@"); sets pid and port. Fails the test if it does not listen.
start() {
  : > "$tmp/serve.out" # emptied here: the background shell's own truncation may come after the first look
  "$RCC" serve --model "$tmp/run" --listen 127.0.0.1:0 --token s3cret --poll-ms 100 --timeout 2 \
    --max-body-kib 64 --threads 1 "$@" > "$tmp/serve.out" 2> "$tmp/serve.err" &
  pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^rcc serve: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/serve.out")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "server did not start:"; cat "$tmp/serve.err"; return 1
}
A=(-H "Authorization: Bearer s3cret")
# HTTP status of a request; the body goes to $tmp/body
req() { curl -s -m 10 -o "$tmp/body" -w '%{http_code}' "$@"; }
U() { echo "http://127.0.0.1:$port$1"; }

start; ok $? "rcc serve starts on an ephemeral loopback port"
timeout 10 "$RCC" serve --model "$tmp/run" --listen 127.0.0.1:0 --precision f16 > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "precision 'f16' is not known (known: f32, bf16)" "$tmp/err"; ok $? "rcc serve: unknown --precision: exit 2"

# ---- the endpoints
[ "$(req "$(U /healthz)")" = 200 ] && grep -q '"status":"ok"' "$tmp/body"; ok $? "GET /healthz (no token needed)"
[ "$(req "${A[@]}" "$(U /v1/model)")" = 200 ] && grep -q '"step":' "$tmp/body" && grep -q '"digest":"fnv1a64:' "$tmp/body" \
  && grep -q '"config":{' "$tmp/body" && grep -q '"loaded_at":"' "$tmp/body" && grep -q '"rep_dim":[0-9]*,"precision":"f32"' "$tmp/body"
ok $? "GET /v1/model: step, digest, config, load time, the precision in use"
digest1=$(grep -o '"digest":"fnv1a64:[0-9a-f]*"' "$tmp/body")
[ "$(req "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/d0.png" "$(U /v1/assign)")" = 200 ]
ok $? "POST /v1/assign with one PNG"
cp "$tmp/body" "$tmp/assign0.json"
grep -q '"results":\[{"cluster":[0-9]*,"confidence":[0-9.e-]*,"probs":\[[^]]*\],"h":\[' "$tmp/assign0.json"
ok $? "the answer has cluster, confidence, probs, h"
nprobs=$(sed 's/.*"probs":\[\([^]]*\)\].*/\1/' "$tmp/assign0.json" | awk -F, '{ print NF }')
[ "$nprobs" = 10 ]; ok $? "K = 10 probabilities"
[ "$(req "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/d1.png" "$(U /v1/embed)")" = 200 ] \
  && grep -q '"h":\[' "$tmp/body" && ! grep -q '"cluster"' "$tmp/body"; ok $? "POST /v1/embed gives h only"
[ "$(req "${A[@]}" -F a=@"$tmp/d0.png" -F b=@"$tmp/d1.png" -F c=@"$tmp/d2.png" "$(U /v1/assign)")" = 200 ] \
  && [ "$(grep -o '"cluster"' "$tmp/body" | wc -l)" = 3 ]; ok $? "multipart/form-data with 3 images: 3 answers"
first_of_three=$(grep -o '"cluster":[0-9]*,"confidence":[0-9.e-]*' "$tmp/body" | head -1)

# ---- equal to rcc predict and rcc embed on the same file
"$RCC" predict --model "$tmp/run" --data "$tmp/d0.png" --threads 1 > "$tmp/pred.csv" 2> /dev/null
"$RCC" embed --model "$tmp/run" --data "$tmp/d0.png" --out "$tmp/emb.csv" --threads 1 2> /dev/null
p_cluster=$(cut -d, -f2 "$tmp/pred.csv"); p_conf=$(cut -d, -f3 "$tmp/pred.csv")
s_cluster=$(sed 's/.*"cluster":\([0-9]*\),.*/\1/' "$tmp/assign0.json")
s_conf=$(sed 's/.*"confidence":\([0-9.e-]*\),.*/\1/' "$tmp/assign0.json")
[ -n "$p_cluster" ] && [ "$p_cluster" = "$s_cluster" ]; ok $? "served cluster = rcc predict's ($s_cluster vs $p_cluster)"
awk -v a="$s_conf" -v b="$p_conf" 'BEGIN { d = a - b; exit !(d < 6e-5 && d > -6e-5) }'
ok $? "served confidence = rcc predict's ($s_conf vs $p_conf)"
s_h=$(sed 's/.*"h":\[\([^]]*\)\].*/\1/' "$tmp/assign0.json")
awk -v a="$s_h" -v b="$(cat "$tmp/emb.csv")" 'BEGIN { n = split(a, x, ","); m = split(b, y, ",");
  if (n != m || n < 1) exit 1; for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d > 1e-6 || d < -1e-6) exit 1 } }'
ok $? "served h = rcc embed's"
s0=$(grep -o '"cluster":[0-9]*,"confidence":[0-9.e-]*' "$tmp/assign0.json")
# (the batch plan may round differently from the one-image plan: the same cluster, confidence to 1e-4)
awk -v a="$first_of_three" -v b="$s0" 'BEGIN { split(a, x, /[:,]/); split(b, y, /[:,]/); d = x[4] - y[4];
  exit !(x[2] != "" && x[2] == y[2] && d < 1e-4 && d > -1e-4) }'
ok $? "an image in a request of 3 gets the answer it gets alone ($first_of_three vs $s0)"

# ---- bad requests: a 4xx with a JSON error, never a crash
bad() { # expected-status description curl-args...
  local want=$1 what=$2; shift 2
  local got; got=$(req "$@")
  [ "$got" = "$want" ] && grep -q '"error":"' "$tmp/body"; ok $? "$what → $want with a JSON error (got $got: $(head -c 200 "$tmp/body"))"
}
bad 401 "no token" -H 'Content-Type: image/png' --data-binary @"$tmp/d0.png" "$(U /v1/assign)"
bad 401 "wrong token" -H "Authorization: Bearer s3creT" "$(U /v1/model)"
bad 404 "unknown endpoint" "${A[@]}" "$(U /v1/secrets)"
bad 405 "GET on /v1/assign" "${A[@]}" "$(U /v1/assign)"
bad 415 "wrong content type" "${A[@]}" -H 'Content-Type: text/plain' --data-binary @"$tmp/d0.png" "$(U /v1/assign)"
bad 400 "empty body" "${A[@]}" -H 'Content-Type: image/png' --data-binary '' "$(U /v1/assign)"
head -c 120 "$tmp/d0.png" > "$tmp/trunc.png"
bad 400 "truncated PNG" "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/trunc.png" "$(U /v1/assign)"
head -c 100000 /dev/urandom > "$tmp/big.bin"
bad 413 "oversized body" "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/big.bin" "$(U /v1/assign)"
# chunked, so no length to refuse up front: answered 413 as soon as it passes the limit and the
# connection closed, which curl, still sending, may report as a failed send (000) after the answer
got=$(req "${A[@]}" -H 'Content-Type: image/png' -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big.bin" "$(U /v1/assign)")
{ [ "$got" = 413 ] || [ "$got" = 000 ]; } && grep -q '"status":413' "$tmp/body"
ok $? "oversized chunked body → 413 with a JSON error, the rest not read (got $got)"
bad 400 "PNG claiming 100000x100000" "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/huge.png" "$(U /v1/assign)"
bad 400 "multipart with a non-image part" "${A[@]}" -F a=@"$tmp/d0.png" -F b=hello "$(U /v1/assign)"
# malformed HTTP: answered 4xx or closed, and the server lives on
reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'BLAH /\\x01 HTTP/9\r\n\r\n' >&3; cat <&3" | head -c 100)
case "$reply" in "" | "HTTP/1."?" 4"*) true ;; *) false ;; esac; ok $? "malformed request line → 4xx or closed ($reply)"
# a client that never finishes its body is cut off after the timeout (2 s)
t0=$(date +%s)
timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'POST /v1/assign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n\r\n0123456789' >&3; cat <&3 > /dev/null"
rc=$?; t1=$(date +%s)
[ $rc != 124 ] && [ $((t1 - t0)) -le 6 ]; ok $? "a stalled body is closed after the timeout (rc $rc, $((t1 - t0)) s)"
kill -0 "$pid" && [ "$(req "$(U /healthz)")" = 200 ]; ok $? "the server still answers after the bad requests"

# ---- hot reload: a new checkpoint renamed in
cp "$tmp/run2/checkpoint.safetensors" "$tmp/run/.incoming" && mv "$tmp/run/.incoming" "$CK"
for _ in $(seq 1 100); do
  req "${A[@]}" "$(U /v1/model)" > /dev/null; digest2=$(grep -o '"digest":"fnv1a64:[0-9a-f]*"' "$tmp/body")
  [ -n "$digest2" ] && [ "$digest2" != "$digest1" ] && break; sleep 0.1
done
[ "$digest2" != "$digest1" ]; ok $? "a checkpoint renamed in is served ($digest1 → $digest2)"
[ "$(req "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/d0.png" "$(U /v1/assign)")" = 200 ] \
  && grep -q "$digest2" "$tmp/body"; ok $? "answers come from the new model"
req "${A[@]}" "$(U /metrics)" > /dev/null
grep -q '^rcc_serve_reloads_total 1$' "$tmp/body"; ok $? "/metrics counts the reload"
# a corrupt checkpoint renamed in: refused, counted, the model before keeps answering
head -c 3000 "$tmp/good.safetensors" > "$tmp/run/.incoming" && mv "$tmp/run/.incoming" "$CK"
for _ in $(seq 1 50); do
  req "${A[@]}" "$(U /metrics)" > /dev/null; grep -q '^rcc_serve_reloads_refused_total 1$' "$tmp/body" && break; sleep 0.1
done
grep -q '^rcc_serve_reloads_refused_total 1$' "$tmp/body"; ok $? "a corrupt checkpoint is refused and counted"
grep -q "refused checkpoint" "$tmp/serve.err"; ok $? "the refusal is logged"
[ "$(req "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/d0.png" "$(U /v1/assign)")" = 200 ] \
  && grep -q "$digest2" "$tmp/body"; ok $? "the previous model still answers"

# ---- /metrics
req "${A[@]}" "$(U /metrics)" > /dev/null
for m in 'rcc_serve_requests_total{endpoint="assign",code="200"}' 'rcc_serve_errors_total{endpoint="assign",code="415"}' \
  'rcc_serve_request_seconds_bucket{endpoint="assign",le="+Inf"}' 'rcc_serve_batch_images_bucket{le="1"}' \
  'rcc_serve_cluster_images_total{cluster=' 'rcc_serve_model_step ' 'rcc_serve_timeouts_total 1'; do
  grep -qF "$m" "$tmp/body"; ok $? "/metrics has $m"
done

# ---- SIGTERM drains and exits 0
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[ $rc = 0 ]; ok $? "SIGTERM: exit 0 (got $rc)"

# ---- SIGKILL, then a restart answers at once
cp "$tmp/good.safetensors" "$CK"
start; kill -9 "$pid"; wait "$pid" 2> /dev/null; pid=""
start; ok $? "restarts after SIGKILL"
[ "$(req "$(U /healthz)")" = 200 ] && [ "$(req "${A[@]}" -H 'Content-Type: image/png' --data-binary @"$tmp/d3.png" "$(U /v1/assign)")" = 200 ]
ok $? "answers at once after the restart"
kill -TERM "$pid"; wait "$pid"; pid=""

echo "test_serve: $pass passed, $fail failed"
[ $fail = 0 ]
