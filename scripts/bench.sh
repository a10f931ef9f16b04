#!/usr/bin/env bash
# One reproducible speed and memory run: generates the benchmark captures
# deterministically, then times, on the same files in the same run, several
# interleaved rounds each (median reported): the bare pcapgo read loop (the
# reference limit), our own read loop, decode only, our extraction to CSV (1
# core and 2 workers), classify end to end with 1 and 2 workers, and the
# peers Debian packages: tshark, argus + ra, tcpdump.
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

# Tools are timed in interleaved rounds (every tool once, then every tool
# again): this machine runs slower or faster for minutes at a time, and
# timing one tool's rounds back to back put one tool in a slow spell and
# the next in a fast one, which moved the ratios between them by half.
# time_once CMD...: runs CMD once, prints "seconds max_rss_kb".
time_once() {
  local tf="$out/time.txt"
  /usr/bin/time -f "%e %M" -o "$tf" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
  tail -1 "$tf"
}

# median_of SECONDS...: the median.
median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

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
  labels=() cmds=()
  add() { labels+=("$1"); cmds+=("$2"); }
  add "bare pcapgo zero-copy read loop" "'$out/bench' pcapgo '$cap'"
  add "flowclass read loop (pcap parsed in place)" "'$out/bench' read '$cap'"
  add "read + decode" "'$out/bench' decode '$cap'"
  add "flowclass extraction to CSV (1 core)" "'$out/bench' extract '$cap'"
  add "flowclass extraction to CSV, 2 workers" "'$out/bench' extract2 '$cap'"
  add "flowclass classify -r, 1 worker" "'$out/classify' -q -w 1 -r '$cap' -o /dev/null"
  add "flowclass classify -r, 2 workers" "'$out/classify' -q -w 2 -r '$cap' -o /dev/null"
  command -v tcpdump >/dev/null && add "tcpdump -r F -w /dev/null" "tcpdump -r '$cap' -w /dev/null"
  command -v tshark >/dev/null && add "tshark -q -z conv,tcp" "tshark -q -r '$cap' -z conv,tcp"
  if command -v argus >/dev/null && command -v ra >/dev/null; then
    add "argus -r F -w - \\| ra -r -" "argus -r '$cap' -w - | ra -r - -n >/dev/null"
  fi
  declare -A secs=() rss=()
  for r in $(seq "$rounds"); do
    echo "bench: $n packets, round $r of $rounds" >&2
    for i in "${!cmds[@]}"; do
      t=$(time_once sh -c "${cmds[$i]}") || exit 1
      set -- $t
      secs[$i]="${secs[$i]:-} $1"
      rss[$i]=$(( $2 > ${rss[$i]:-0} ? $2 : ${rss[$i]:-0} ))
    done
  done
  for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086 # a list of times
    row "${labels[$i]}" "$(median_of ${secs[$i]})" "${rss[$i]}"
  done
done
echo "wrote $table" >&2
