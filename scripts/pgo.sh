#!/usr/bin/env bash
# Regenerates cmd/classify/default.pgo, the CPU profile `go build` optimises
# classify with (profile-guided optimisation: the compiler inlines the calls
# the profile finds hot). The profile comes from classify's own runs, built
# without a profile, over the generated benchmark captures (the same seed and
# sizes as scripts/bench.sh), with one and two workers, so anyone can
# reproduce it:
#
#	scripts/pgo.sh          # the captures are generated once, into bench-out/
#
# Rerun it after a change that moves where classify spends its time; a stale
# profile costs only the optimisation, never correctness.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-out}
mkdir -p "$out"
CGO_ENABLED=0 go build -pgo=off -o "$out/classify-nopgo" ./cmd/classify
CGO_ENABLED=0 go build -o "$out/gencap" ./scripts/gencap
plain="$out/pgo-plain-1000000.pcap"
attack="$out/bench-1250000.pcap"
[ -f "$plain" ] || "$out/gencap" -o "$plain" --packets 1000000 --seed 1 >/dev/null
[ -f "$attack" ] || "$out/gencap" -o "$attack" --packets 1250000 --seed 1 --attacks >/dev/null
profiles=()
for round in 1 2 3; do
  for workers in 1 2; do
    for cap in "$plain" "$attack"; do
      p="$out/pgo-$round-$workers-$(basename "$cap" .pcap).prof"
      "$out/classify-nopgo" -q -w "$workers" -r "$cap" -o /dev/null --cpuprofile "$p" >/dev/null
      profiles+=("$p")
    done
  done
done
go tool pprof -proto "${profiles[@]}" > cmd/classify/default.pgo
echo "wrote cmd/classify/default.pgo from ${#profiles[@]} profiles"
