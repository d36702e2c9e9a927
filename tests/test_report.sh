#!/usr/bin/env bash
# test_report.sh — `rcc report` and `rcc predict --sort-into` on a tiny model (256 MNIST-test
# images): the page parses, every file it references exists, hostile file and class names
# (markup, quotes, &, bytes that are not UTF-8) come out as text and run nothing, links planted
# in the output folder are replaced and not written through, a thumbs symlink is refused, colour
# thumbnails stay colour; sorting links, symlinks or copies without touching the originals,
# suffixes clashes, writes IDX images as PNG and leaves predict's stdout as it was.
# Skips (77) without MNIST. Usage: test_report.sh RCC_BINARY SHARED_DATA_DIR SOURCE_DIR
set -u
RCC=$1
DATA=${RCC_DATA:-$2/mnist}
SRC=$3
IMG=$DATA/t10k-images-idx3-ubyte.gz
PY=/usr/bin/python3 # Debian's: the checks use its standard library only
if [ ! -f "$IMG" ]; then
  echo "test_report: skipped: MNIST-test not found at $DATA (set RCC_DATA)"
  exit 77
fi
tmp=$(mktemp -d /tmp/rcc-test-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

N=256
{ printf '\x00\x00\x08\x03\x00\x00\x01\x00\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat "$IMG" | tail -c +17 | head -c $((N * 784)); } > "$tmp/sub-images-idx3-ubyte"
SUB=$tmp/sub-images-idx3-ubyte
tiny=(--width 4 --size 16 --batch 64 --clusters 10 --hidden 16 --feature-dim 8 --threads 1 --epochs 1)
"$RCC" train --data "$SUB" --out "$tmp/run" "${tiny[@]}" > /dev/null 2> "$tmp/train.err"
ok $? "train the model"

# ---------------------------------------------------------------- sorting an IDX file: PNGs by index
"$RCC" predict --model "$tmp/run" --data "$SUB" --threads 1 > "$tmp/plain.csv" 2> "$tmp/plain.err"
"$RCC" predict --model "$tmp/run" --data "$SUB" --threads 1 --sort-into "$tmp/pngs" > "$tmp/sorted.csv" 2> "$tmp/err"
ok $? "predict --sort-into on an IDX file"
cmp -s "$tmp/plain.csv" "$tmp/sorted.csv"; ok $? "predict's stdout is the same with --sort-into"
[ "$(find "$tmp/pngs" -name '*.png' | wc -l)" = $N ]; ok $? "$N PNG files written"
[ -f "$tmp/pngs/cluster-$(printf %02d "$(sed -n 1p "$tmp/plain.csv" | cut -d, -f2)")/000.png" ]
ok $? "image 0 is cluster-NN/000.png in its cluster's folder"
[ "$(head -c 8 "$(find "$tmp/pngs" -name 000.png)" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
ok $? "000.png is a PNG"
[ "$(ls "$tmp/pngs" | tr '\n' ' ')" = "cluster-00 cluster-01 cluster-02 cluster-03 cluster-04 cluster-05 cluster-06 cluster-07 cluster-08 cluster-09 " ]
ok $? "one folder per cluster, zero-padded"
# --partition --clusters K: K groups of any size, K folders, whatever the model's K (here 10)
for k in 4 12; do
  "$RCC" predict --model "$tmp/run" --data "$SUB" --threads 1 --partition --fine 40 --clusters $k \
    --sort-into "$tmp/part$k" > "$tmp/part$k.csv" 2> "$tmp/err"
  [ $? = 0 ] && [ "$(cut -d, -f2 "$tmp/part$k.csv" | sort -u | wc -l)" = $k ] &&
    [ "$(cut -d, -f2 "$tmp/part$k.csv" | sort -n | tail -1)" = $((k - 1)) ] &&
    [ "$(ls "$tmp/part$k" | wc -l)" = $k ] && [ "$(find "$tmp/part$k" -name '*.png' | wc -l)" = $N ] &&
    grep -q "merged into $k " "$tmp/err"
  ok $? "predict --partition --clusters $k: clusters 0-$((k - 1)), all used, $k folders holding the $N images"
done

# ---------------------------------------------------------------- a folder with hostile names
# classes are subfolders (their names become class names on the page); files renamed from the PNGs above
H=$tmp/hostile
C1='cls<b>bold<i>' C2=$'cls&"q\'' C3=plain
mkdir -p "$H/$C1" "$H/$C2" "$H/$C3"
i=0
for f in $(find "$tmp/pngs" -name '*.png' | sort | head -24); do
  case $((i % 3)) in 0) d=$C1 ;; 1) d=$C2 ;; *) d=$C3 ;; esac
  cp "$f" "$H/$d/img$i.png"
  i=$((i + 1))
done
n1='<img src=x onerror=alert(1)>.png' n2=$'q"uote\'apos.png' n3='amp&amp;x & y.png' n4=$'bad\xff\xfename.png'
mv "$H/$C1/img0.png" "$H/$C1/$n1"
mv "$H/$C2/img1.png" "$H/$C2/$n2"
mv "$H/$C3/img2.png" "$H/$C3/$n3"
mv "$H/$C1/img3.png" "$H/$C1/$n4"
printf '%s\n' "$n1" "$n2" "$n3" $'bad\xef\xbf\xbd\xef\xbf\xbdname.png' "$C1" "$C2" > "$tmp/expect.txt"

# links planted where the report writes: replaced, never written through
mkdir -p "$tmp/rep"
echo untouched > "$tmp/victim1"
echo untouched > "$tmp/victim2"
ln -s "$tmp/victim1" "$tmp/rep/index.html"
ln "$tmp/victim2" "$tmp/rep/sphere.png"
"$RCC" report --model "$tmp/run" --data "$H" --out "$tmp/rep" --outliers 10 --threads 1 > "$tmp/rep.out" 2> "$tmp/rep.err"
ok $? "rcc report on the hostile folder"; [ $fail = 0 ] || cat "$tmp/rep.err"
"$PY" "$SRC/tests/report_check.py" "$tmp/rep" --texts-file "$tmp/expect.txt"
ok $? "the page parses, references exist, hostile names are text, no script"
[ "$(cat "$tmp/victim1")" = untouched ] && [ "$(cat "$tmp/victim2")" = untouched ]
ok $? "a symlink and a hard link planted in --out were not written through"
[ -f "$tmp/rep/index.html" ] && [ ! -L "$tmp/rep/index.html" ]; ok $? "index.html is a file of its own"
! grep -q '<img src=x' "$tmp/rep/index.html"; ok $? "no raw markup from a name in the file"
grep -q 'Against the labels' "$tmp/rep/index.html"; ok $? "class subfolders give labels: scores shown"
[ "$(wc -l < "$tmp/rep/outliers.csv")" = 11 ] && head -1 "$tmp/rep/outliers.csv" | grep -q '^index,name,cluster,confidence$'
ok $? "outliers.csv: a header and 10 rows"
for f in sphere.png curves.png kselect.png confusion.png; do
  [ -s "$tmp/rep/$f" ]; ok $? "picture $f written"
done
[ -z "$(find "$tmp/rep" -name '*.tmp')" ]; ok $? "no temporary files left"
[ -z "$(find "$tmp" -maxdepth 1 -newer "$tmp/victim2" -type f ! -name '*.txt' ! -name '*.out' ! -name '*.err' ! -name '*.csv')" ]
ok $? "nothing written beside --out"

mkdir -p "$tmp/rep2" "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$tmp/rep2/thumbs"
"$RCC" report --model "$tmp/run" --data "$H" --out "$tmp/rep2" --threads 1 > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "not a real folder" "$tmp/err" && [ -z "$(ls "$tmp/elsewhere")" ]
ok $? "a thumbs symlink is refused and nothing written through it"

"$RCC" report --model "$tmp/run" --data "$SUB" --out "$tmp/rep3" --no-pictures --typical 3 --atypical 2 --sample 1 --threads 1 \
  --outliers $N > "$tmp/rep3.out" 2> "$tmp/err"
ok $? "rcc report on an IDX file, --no-pictures"
# the page shows the clusters rcc predict gives (both refine the head's by the neighbour vote), with
# the same confidences
cmp -s <(tail -n +2 "$tmp/rep3/outliers.csv" | cut -d, -f1,3,4 | sort -t, -k1,1n) "$tmp/plain.csv" &&
  grep -q "moved by the votes of their 30 nearest neighbours" "$tmp/rep3.out"
ok $? "the report's clusters and confidences are rcc predict's ($(sed -n 2p "$tmp/rep3.out"))"
# where the vote applies (here it does), exactly the images it says it moved differ from the head's
"$RCC" predict --model "$tmp/run" --data "$SUB" --threads 1 --vote 0 > "$tmp/head.csv" 2> /dev/null
moved=$(sed -n 's/.*features: \([0-9]*\) moved.*/\1/p' "$tmp/plain.err")
differ=$(paste -d, "$tmp/head.csv" "$tmp/plain.csv" | awk -F, '$2 != $5 { m++ } END { print m + 0 }')
[ -n "$moved" ] && [ "$moved" -gt 0 ] && [ "$moved" = "$differ" ]
ok $? "predict's vote moved $moved images: $differ lines differ from --vote 0"
"$PY" "$SRC/tests/report_check.py" "$tmp/rep3" --text "image " > /dev/null; ok $? "IDX report: images named by index"
[ "$(grep -o 'id="cluster-' "$tmp/rep3/index.html" | wc -l)" = 10 ]; ok $? "a card per cluster"
! grep -q 'sphere.png' "$tmp/rep3/index.html"; ok $? "--no-pictures: no pictures"

CIFAR=$2/cifar10/test
if [ -d "$CIFAR/cat" ]; then
  mkdir -p "$tmp/colour/cat" "$tmp/colour/ship"
  cp $(ls -d "$CIFAR"/cat/* | head -12) "$tmp/colour/cat/"
  cp $(ls -d "$CIFAR"/ship/* | head -12) "$tmp/colour/ship/"
  "$RCC" report --model "$tmp/run" --data "$tmp/colour" --out "$tmp/rep4" --no-pictures --threads 1 > /dev/null 2> "$tmp/err"
  ok $? "rcc report: colour images for a gray model"
  t=$(ls "$tmp/rep4/thumbs" | head -1)
  [ "$(od -An -tu1 -j25 -N1 "$tmp/rep4/thumbs/$t" | tr -d ' ')" = 2 ]; ok $? "colour thumbnails stay RGB"
  "$PY" "$SRC/tests/report_check.py" "$tmp/rep4" --text ship > /dev/null; ok $? "colour report checks"
else
  echo "test_report: note: no CIFAR-10 at $CIFAR: colour report not checked"
fi

# ---------------------------------------------------------------- sorting files: links, clashes, copies
find "$H" -type f -exec md5sum {} + | sort > "$tmp/before.md5"
"$RCC" predict --model "$tmp/run" --data "$H" --threads 1 --sort-into "$tmp/sorted" > /dev/null 2> "$tmp/err"
ok $? "predict --sort-into a folder (hard links)"
[ "$(find "$tmp/sorted" -type f | wc -l)" = 24 ]; ok $? "24 entries made"
linked=0
while IFS= read -r -d '' f; do
  ino=$(stat -c %i "$f")
  [ -n "$(find "$tmp/sorted" -inum "$ino")" ] && linked=$((linked + 1))
done < <(find "$H" -type f -print0)
[ $linked = 24 ]; ok $? "every original has a hard link in the sorted tree (same inode)"
[ -n "$(find "$tmp/sorted" -name "$n1")" ] && [ -n "$(find "$tmp/sorted" -name "$n4")" ]; ok $? "hostile names kept as they are"
"$RCC" predict --model "$tmp/run" --data "$H" --threads 1 --sort-into "$tmp/sorted" > /dev/null 2> "$tmp/err"
ok $? "sorting again into the same folder"
[ "$(find "$tmp/sorted" -type f | wc -l)" = 48 ] && [ -n "$(find "$tmp/sorted" -name 'img5-1.png')" ]
ok $? "clashes get a suffix (img5-1.png), nothing replaced"
grep -q "24 renamed" "$tmp/err"; ok $? "the clashes are counted"
"$RCC" predict --model "$tmp/run" --data "$H" --threads 1 --sort-into "$tmp/copied" --copy > /dev/null 2> /dev/null
ok $? "--copy"
f=$(find "$tmp/copied" -name img5.png); o=$(find "$H" -name img5.png)
[ "$(stat -c %i "$f")" != "$(stat -c %i "$o")" ] && cmp -s "$f" "$o"; ok $? "--copy: another file, the same bytes"
"$RCC" predict --model "$tmp/run" --data "$H" --threads 1 --sort-into "$tmp/symlinked" --symlink > /dev/null 2> /dev/null
ok $? "--symlink"
f=$(find "$tmp/symlinked" -name img5.png)
[ -L "$f" ] && [ "$(readlink "$f")" = "$(realpath "$o")" ]; ok $? "--symlink: a link to the original's absolute path"
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$tmp")" ] && [ -w /dev/shm ]; then
  shm=$(mktemp -d /dev/shm/rcc-test-report-XXXXXX)
  "$RCC" predict --model "$tmp/run" --data "$H" --threads 1 --sort-into "$shm/s" > /dev/null 2> "$tmp/err"
  ok $? "--sort-into on another file system"
  [ "$(grep -c 'copying the files instead' "$tmp/err")" = 1 ] && grep -q "24 copied" "$tmp/err"
  ok $? "across file systems: copies, said once"
  rm -rf "$shm"
fi
"$RCC" predict --model "$tmp/run" --data "$H" --copy > /dev/null 2> "$tmp/err"
[ $? = 2 ]; ok $? "--copy without --sort-into is refused"
find "$H" -type f -exec md5sum {} + | sort > "$tmp/after.md5"
cmp -s "$tmp/before.md5" "$tmp/after.md5" && [ "$(find "$H" -type f | wc -l)" = 24 ]
ok $? "originals untouched: same files, same bytes"

echo "test_report: $pass passed, $fail failed"
[ $fail = 0 ]
