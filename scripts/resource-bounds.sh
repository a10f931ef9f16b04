#!/usr/bin/env bash
# Measures classify's peak memory (RSS, from /usr/bin/time -v) under attack
# traffic: a random-source SYN flood (every packet a new flow) with and
# without --max-flows, a longer one that holds a million flows to the end
# (MILLION packets), a capture of a few long flows, and one TCP
# connection of SINGLE packets. Memory is measured, not time; the captures
# go to a temporary folder (the single flow is ~86 bytes a packet on disk)
# and are removed at the end.
#
#   scripts/resource-bounds.sh                 # 2M- and 3.5M-packet floods, 50M-packet flow
#   FLOOD=500000 SINGLE=5000000 scripts/resource-bounds.sh
set -euo pipefail
cd "$(dirname "$0")/.."

FLOOD=${FLOOD:-2000000}
SINGLE=${SINGLE:-50000000}
ELEPHANT=${ELEPHANT:-2000000}
MILLION=${MILLION:-3500000}
[ -x /usr/bin/time ] || { echo "resource-bounds: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/resource-bounds.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0
go build -o "$work/classify" ./cmd/classify
go build -o "$work/floodgen" ./scripts/floodgen

gen() { # kind packets file
  echo "generating $1 capture of $2 packets: $("$work/floodgen" --kind "$1" --packets "$2" -o "$3")"
}

# run NAME CAPTURE [classify flags...]: peak RSS and the summary lines.
run() {
  local name=$1 cap=$2; shift 2
  /usr/bin/time -v "$work/classify" -r "$cap" --no-progress -o /dev/null "$@" >/dev/null 2>"$work/err" || {
    echo "$name: classify failed:"; cat "$work/err"; exit 1; }
  local rss wall
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/err")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/err")
  printf '%-36s peak RSS %7.1f MiB  (wall %s)\n' "$name" "$(echo "$rss / 1024" | bc -l)" "$wall"
  grep -E '^(summary|note|warning):' "$work/err" | sed 's/^/    /' || true
}

gen flood "$FLOOD" "$work/flood.pcap"
run "SYN flood, --max-flows 100000" "$work/flood.pcap" --max-flows 100000
run "SYN flood, default --max-flows" "$work/flood.pcap"
rm -f "$work/flood.pcap"

# Enough flood to hold a million flows (the default --max-flows) to the
# end: what RSS a million concurrent flows cost.
gen flood "$MILLION" "$work/million.pcap"
run "SYN flood of $MILLION packets" "$work/million.pcap"
rm -f "$work/million.pcap"

gen elephant "$ELEPHANT" "$work/elephant.pcap"
run "few long flows" "$work/elephant.pcap"
rm -f "$work/elephant.pcap"

gen single "$SINGLE" "$work/single.pcap"
run "one TCP flow of $SINGLE packets" "$work/single.pcap"
