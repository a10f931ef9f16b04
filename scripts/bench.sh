#!/usr/bin/env bash
# One reproducible speed and memory run: generates the benchmark captures
# deterministically, then times, on the same files in the same run, several
# rounds each (median reported): the bare pcapgo read loop (the reference
# limit), decode only, our extraction to CSV, classify end to end with 1 and
# 2 workers, and the peers Debian packages: tshark, argus + ra, tcpdump.
# Prints a Markdown table (packets/s, MB/s, peak RSS, ratio to the bare
# loop) and writes it to bench-out/results.md.
#
#   scripts/bench.sh [ROUNDS]        (default 3; BENCH_SIZES="1250000 125000")
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
sizes=${BENCH_SIZES:-"1250000 125000"}   # about 1 GB and 100 MB
out=bench-out
mkdir -p "$out"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=""
  command -v tshark >/dev/null || need="$need tshark"
  command -v tcpdump >/dev/null || need="$need tcpdump"
  command -v argus >/dev/null || need="$need argus-server"
  command -v ra >/dev/null || need="$need argus-client"
  [ -x /usr/bin/time ] || need="$need time"
  if [ -n "$need" ]; then
    echo "installing:$need" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1 || echo "could not install$need; those peers are skipped" >&2
  fi
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

CGO_ENABLED=0 go build -o "$out/bench" ./scripts/bench
CGO_ENABLED=0 go build -o "$out/classify" ./cmd/classify
CGO_ENABLED=0 go build -o "$out/gencap" ./scripts/gencap

# measure NAME CMD...: runs CMD $rounds times, prints "median_seconds max_rss_kb".
measure() {
  local secs=() rss=0 t tf="$out/time.txt"
  for _ in $(seq "$rounds"); do
    /usr/bin/time -f "%e %M" -o "$tf" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    t=$(tail -1 "$tf")
    secs+=("${t%% *}")
    rss=$(( ${t##* } > rss ? ${t##* } : rss ))
  done
  printf '%s\n' "${secs[@]}" | sort -n | awk -v r="$rss" '{a[NR]=$1} END {print a[int((NR+1)/2)], r}'
}

table="$out/results.md"
{
  echo "| capture | tool | seconds (median of $rounds) | packets/s | MB/s | peak RSS MB | rate vs bare read |"
  echo "|---|---|---|---|---|---|---|"
} > "$table"

for n in $sizes; do
  cap="$out/bench-$n.pcap"
  [ -f "$cap" ] || "$out/gencap" -o "$cap" --packets "$n" --seed 1 --attacks >/dev/null
  bytes=$(stat -c %s "$cap")
  mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b/1e6}')
  base=""
  row() { # label seconds rss
    local pps mbs ratio
    pps=$(awk -v n="$n" -v s="$2" 'BEGIN {printf "%.2f M", n/s/1e6}')
    mbs=$(awk -v b="$bytes" -v s="$2" 'BEGIN {printf "%.0f", b/s/1e6}')
    [ -n "$base" ] || base=$2
    ratio=$(awk -v a="$base" -v s="$2" 'BEGIN {printf "%.3f", a/s}')
    echo "| ${mb} MB, $n pkts | $1 | $2 | $pps | $mbs | $(( $3 / 1024 )) | $ratio |" | tee -a "$table"
  }
  set -- $(measure "$out/bench" read "$cap"); row "bare pcapgo zero-copy read loop" "$1" "$2"
  set -- $(measure "$out/bench" decode "$cap"); row "read + decode" "$1" "$2"
  set -- $(measure "$out/bench" extract "$cap"); row "flowclass extraction to CSV (1 core)" "$1" "$2"
  set -- $(measure "$out/classify" -q -w 1 -r "$cap" -o /dev/null); row "flowclass classify -r, 1 worker" "$1" "$2"
  set -- $(measure "$out/classify" -q -w 2 -r "$cap" -o /dev/null); row "flowclass classify -r, 2 workers" "$1" "$2"
  if command -v tcpdump >/dev/null; then
    set -- $(measure tcpdump -r "$cap" -w /dev/null); row "tcpdump -r F -w /dev/null" "$1" "$2"
  fi
  if command -v tshark >/dev/null; then
    set -- $(measure tshark -q -r "$cap" -z conv,tcp); row "tshark -q -z conv,tcp" "$1" "$2"
  fi
  if command -v argus >/dev/null && command -v ra >/dev/null; then
    set -- $(measure sh -c "argus -r '$cap' -w - | ra -r - -n >/dev/null"); row "argus -r F -w - \\| ra -r -" "$1" "$2"
  fi
done
echo "wrote $table" >&2
