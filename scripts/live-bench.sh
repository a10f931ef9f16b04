#!/usr/bin/env bash
# Live capture under load: builds classify, creates a throwaway network
# namespace joined by a veth pair, generates a deterministic capture and
# replays it into the namespace end at a ladder of rates while
# `classify -i <host end>` (embedded model, scoring on) captures on the other
# end. Per rate it records frames sent, the rate reached, packets classify
# read, kernel drops, flows and classify's CPU time, prints a Markdown table
# and writes it to bench-out/live.md. Needs root (namespaces, raw sockets).
#
#   scripts/live-bench.sh [RUNS]       (default 1 run per rate)
#
# Environment: LIVE_PACKETS (capture size, default 3000000), LIVE_RATES
# (comma-separated packets/s, 0 = unpaced; default 100000,...,1000000,0),
# LIVE_BATCH (frames per sendmmsg, default 256), LIVE_SEND_ONLY=1 (measure
# the sender alone, no classify), LIVE_CLASSIFY_ARGS (extra classify flags),
# LIVE_COMPARE_REF (a git commit: its classify takes turns with this tree's
# at every rate, so a before/after comparison sees the same machine load).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "live-bench: needs root to create a network namespace and veth pair and to open packet sockets (try: sudo $0 $*)" >&2
  exit 1
fi
command -v ip >/dev/null || { echo "live-bench: the ip command (iproute2) is needed" >&2; exit 1; }

runs=${1:-1}
packets=${LIVE_PACKETS:-3000000}
rates=${LIVE_RATES:-100000,250000,500000,750000,1000000,0}
batch=${LIVE_BATCH:-256}
out=bench-out
mkdir -p "$out"

echo "live-bench: building" >&2
CGO_ENABLED=0 go build -o "$out/classify" ./cmd/classify
bins="$out/classify"
if [ -n "${LIVE_COMPARE_REF:-}" ]; then
  ref=$(git rev-parse --short "$LIVE_COMPARE_REF")
  src=$(mktemp -d)
  git archive "$ref" | tar -x -C "$src"
  (cd "$src" && CGO_ENABLED=0 go build -o "$OLDPWD/$out/classify-$ref" ./cmd/classify)
  rm -rf "$src"
  bins="$out/classify-$ref,$bins"
fi
CGO_ENABLED=0 go build -o "$out/livesend" ./scripts/livesend
CGO_ENABLED=0 go build -o "$out/gencap" ./scripts/gencap

cap="$out/live-$packets.pcap"
if [ ! -f "$cap" ]; then
  echo "live-bench: generating $cap ($packets packets, seed 1)" >&2
  "$out/gencap" -o "$cap.tmp" --packets "$packets" --seed 1 >/dev/null
  mv "$cap.tmp" "$cap"
fi

# Names as internal/netns makes them, so its stale-pair sweep knows them.
suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns="fc-$$-$suffix" host="fca$suffix" peer="fcb$suffix"
child=""
cleanup() {
  set +e # every step, whatever the one before did
  # livesend's classify dies with it (parent-death signal).
  if [ -n "$child" ]; then
    kill "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  ip link del "$host" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip link add "$host" type veth peer name "$peer" netns "$ns"
ip link set "$host" mtu 65535
ip -n "$ns" link set "$peer" mtu 65535
# No IPv6 (neighbour discovery, MLD) and no offloads: only our frames
# cross the link, exactly as written.
echo 1 > "/proc/sys/net/ipv6/conf/$host/disable_ipv6" 2>/dev/null || true
ip netns exec "$ns" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$peer/disable_ipv6" 2>/dev/null || true
if command -v ethtool >/dev/null; then
  ethtool -K "$host" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$ns" ethtool -K "$peer" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
fi
ip link set "$host" up
ip -n "$ns" link set "$peer" up

send_only=()
[ "${LIVE_SEND_ONLY:-0}" = 1 ] && send_only=(--send-only)
echo "live-bench: $host <-> $ns/$peer, rates $rates, $runs run(s) each, $(nproc) CPUs" >&2
# shellcheck disable=SC2086 # LIVE_CLASSIFY_ARGS is a list of flags
"$out/livesend" --ns "$ns" --host "$host" --peer "$peer" --pcap "$cap" \
  --classify "$bins" --rates "$rates" --batch "$batch" --runs "$runs" \
  --out "$out/live.md" "${send_only[@]}" -- ${LIVE_CLASSIFY_ARGS:-} &
# In the background, so a signal runs the cleanup at once, not after
# livesend has finished.
child=$!
wait "$child"
child=""
echo "live-bench: table written to $out/live.md" >&2
