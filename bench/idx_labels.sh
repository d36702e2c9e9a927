# Sourced by bench/*_eval.sh: the labels of an IDX label file as text and scoring of a
# predictions file on a range of its lines. Needs RCC (the rcc binary) and WORK (a scratch folder).
# idx_labels LABELS.idx OUT: one label per line (an IDX label file: 8 header bytes, then one byte each)
idx_labels() {
  case $1 in *.gz) zcat "$1" ;; *) cat "$1" ;; esac | tail -c +9 | od -An -tu1 -v | tr -s ' ' '\n' |
    sed '/^$/d' > "$2"
}
# score PRED LABELS FIRST LAST: "ACC NMI ARI" of lines FIRST+1..LAST of an index,cluster,confidence file
score() {
  awk -F, -v a="$3" -v b="$4" 'NR > a && NR <= b { print $2 }' "$1" > "$WORK/p.csv"
  awk -v a="$3" -v b="$4" 'NR > a && NR <= b' "$2" > "$WORK/l.csv"
  "$RCC" eval --pred "$WORK/p.csv" --labels "$WORK/l.csv" --json |
    sed 's/.*"acc":\([-0-9.e]*\).*"nmi":\([-0-9.e]*\).*"ari":\([-0-9.e]*\).*/\1 \2 \3/'
}
