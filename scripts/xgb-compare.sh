#!/usr/bin/env bash
# Compare model/gbdt with XGBoost (tree_method=hist) on one CSV: test ROC
# AUC (both scored by the same Go code), training time, process wall time
# and peak RSS (/usr/bin/time -v).
#
# usage: scripts/xgb-compare.sh [-i data.csv] [-n rows] [-c cols] [-r rounds]
#                               [-d depth] [-l learning_rate] [-w workdir]
# Without -i a synthetic CSV of -n rows x -c features is generated (seed 1)
# and cached in the work directory. The CSV has no header: label, features.
set -euo pipefail

rows=100000 cols=100 rounds=100 depth=6 lr=0.1 input="" work=/tmp/xgb-compare
while getopts "i:n:c:r:d:l:w:h" opt; do
	case $opt in
	i) input=$OPTARG ;;
	n) rows=$OPTARG ;;
	c) cols=$OPTARG ;;
	r) rounds=$OPTARG ;;
	d) depth=$OPTARG ;;
	l) lr=$OPTARG ;;
	w) work=$OPTARG ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
py=/usr/bin/python3 # the pyenv python3 on PATH lacks Debian's xgboost

if ! "$py" -c 'import xgboost' 2>/dev/null; then
	echo "installing python3-xgboost" >&2
	apt-get install -y python3-xgboost >/dev/null
fi
if [ ! -x /usr/bin/time ]; then
	echo "installing time" >&2
	apt-get install -y time >/dev/null
fi

mkdir -p "$work"
bin=$work/xgb-compare
(cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./scripts/xgb-compare)

if [ -z "$input" ]; then
	input=$work/synth-$rows-$cols.csv
	if [ ! -s "$input" ]; then
		echo "generating $input" >&2
		"$bin" gen -rows "$rows" -cols "$cols" -seed 1 -out "$input.tmp"
		mv "$input.tmp" "$input"
	fi
fi
tag=$(basename "$input" .csv)
train=$work/$tag.train.csv test=$work/$tag.test.csv
"$bin" split -in "$input" -train "$train" -test "$test" -test-frac 0.2 -seed 1
threads=$(nproc)

# Peak RSS in MB, wall seconds and CPU (user+sys) seconds of the whole
# process from a /usr/bin/time -v report. CPU time is the steadier figure
# on a shared machine.
usage() {
	awk -F': ' '/Maximum resident set size/ {rss=$2/1024}
		/User time \(seconds\)/ {cpu+=$2} /System time \(seconds\)/ {cpu+=$2}
		/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; wall=s}
		END {printf "wall_s=%.1f cpu_s=%.1f peak_rss_mb=%.0f", wall, cpu, rss}' "$1"
}

echo "== $tag: depth=$depth rounds=$rounds lr=$lr threads=$threads"
/usr/bin/time -v -o "$work/gbdt.time" "$bin" train -train "$train" -test "$test" \
	-rounds "$rounds" -depth "$depth" -lr "$lr" -model "$work/$tag.gbdt.txt" >"$work/gbdt.out"
echo "$(cat "$work/gbdt.out") $(usage "$work/gbdt.time")"

/usr/bin/time -v -o "$work/xgb.time" "$py" "$here/xgb-compare/xgb_train.py" "$train" "$test" \
	"$depth" "$rounds" "$lr" "$threads" "$work/$tag.xgb.pred" >"$work/xgb.out"
echo "$(cat "$work/xgb.out") $("$bin" auc -name '' -pred "$work/$tag.xgb.pred" -test "$test" | tr -d ' ') $(usage "$work/xgb.time")"
