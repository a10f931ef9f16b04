#!/usr/bin/env bash
# make-sample.sh builds datasets/sample/sample.pcap: benign traffic and a set
# of attacks made by real tools between two network namespaces joined by a
# veth pair (10.77.0.0/24), captured with tcpdump. Nothing leaves the
# namespaces; everything created is removed on exit.
#
#   sudo scripts/make-sample.sh            # writes datasets/sample/{sample.pcap,labels.tsv,README.md}
#   sudo scripts/make-sample.sh OUTDIR     # writes there instead
#
# Needs: iproute2 tcpdump nmap hping3 curl python3 dnsmasq openssh-server
# openssh-client iputils-ping dnsutils (apt-get install -y ...).
# The capture is made on the live kernel clock, so it is not byte-for-byte
# reproducible; its content and labels are. For a byte-reproducible
# synthetic sample use: go run ./scripts/gencap --sample -o FILE
set -euo pipefail

say() { printf 'make-sample: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ ${EUID} -eq 0 ]] || die "must run as root (it creates network namespaces and captures)"

for t in ip tcpdump nmap hping3 curl python3 dnsmasq ssh ssh-keygen ping dig; do
	command -v "$t" >/dev/null || die "missing tool '$t' (apt-get install -y iproute2 tcpdump nmap hping3 curl python3 dnsmasq openssh-server openssh-client iputils-ping dnsutils)"
done
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[[ -x ${SSHD} ]] || die "missing sshd (apt-get install -y openssh-server)"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-${ROOT}/datasets/sample}
mkdir -p "${OUT}"

# Names unique to this run, short enough for interface names (15 chars).
ID=$$
NS_S=fcs-srv-${ID}
NS_C=fcs-cli-${ID}
VS=fcs${ID}s
VC=fcs${ID}c
TMP=$(mktemp -d /tmp/make-sample.XXXXXX)
PIDS=()

SRV=10.77.0.1
BENIGN=(10.77.0.2 10.77.0.3)
SCAN=10.77.0.10    # nmap SYN scan
FLOOD=10.77.0.20   # hping3 SYN flood, spoofed (not assigned to any host)
SLOW=10.77.0.30    # slowloris
BRUTE=10.77.0.40   # ssh password guessing
TUNNEL=10.77.0.50  # DNS tunnel-like TXT queries
SWEEP=10.77.0.70   # ICMP echo sweep

cleanup() {
	local rc=$?
	set +e
	for p in "${PIDS[@]}"; do
		kill "${p}" 2>/dev/null
	done
	for ns in "${NS_S}" "${NS_C}"; do
		if ip netns list | grep -qw "${ns}"; then
			for p in $(ip netns pids "${ns}"); do kill "${p}" 2>/dev/null; done
			sleep 0.2
			for p in $(ip netns pids "${ns}"); do kill -9 "${p}" 2>/dev/null; done
			ip netns del "${ns}"
		fi
	done
	rm -rf "${TMP}"
	[[ ${rc} -eq 0 ]] || say "failed (exit ${rc}); namespaces and temporary files removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

S() { ip netns exec "${NS_S}" "$@"; }
C() { ip netns exec "${NS_C}" "$@"; }

say "creating namespaces ${NS_S} and ${NS_C}"
ip netns add "${NS_S}"
ip netns add "${NS_C}"
ip link add "${VS}" type veth peer name "${VC}"
ip link set "${VS}" netns "${NS_S}"
ip link set "${VC}" netns "${NS_C}"
S ip link set lo up
C ip link set lo up
S ip addr add "${SRV}/24" dev "${VS}"
C ip addr add "${BENIGN[0]}/24" dev "${VC}"
for a in "${BENIGN[1]}" "${SCAN}" "${SLOW}" "${BRUTE}" "${TUNNEL}" "${SWEEP}"; do
	C ip addr add "${a}/24" dev "${VC}"
done
S ip link set "${VS}" up
C ip link set "${VC}" up
# No IPv6 router solicitations or DAD chatter in the sample.
S sysctl -qw "net.ipv6.conf.${VS}.disable_ipv6=1"
C sysctl -qw "net.ipv6.conf.${VC}.disable_ipv6=1"

# The sweep probes hosts that do not exist; static neighbour entries
# pointing at the server's MAC put those echo requests on the wire (the
# server drops them, being no router) instead of only ARP queries.
SRVMAC=$(S cat "/sys/class/net/${VS}/address")
for i in $(seq 4 63); do
	case " ${BENIGN[*]} ${SCAN} ${SLOW} ${BRUTE} ${TUNNEL} ${SWEEP} " in *" 10.77.0.${i} "*) continue ;; esac
	C ip neigh replace "10.77.0.${i}" lladdr "${SRVMAC}" dev "${VC}" nud permanent
done

say "starting services on ${SRV}: http :80, dns :53, ssh :22"
# Background jobs run "ip netns exec" directly rather than through S/C, so
# $! is the tool's own PID (ip execs it) and cleanup can signal it.
mkdir -p "${TMP}/www/docs" "${TMP}/dl"
python3 - "${TMP}/www" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(77)
words = "the network flow packet report update service latency customer release notes archive".split()
def page(title, n):
    body = "\n".join("<p>" + " ".join(rnd.choice(words) for _ in range(14)) + "</p>" for _ in range(n))
    return f"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>\n{body}\n</body></html>\n"
open(os.path.join(root, "index.html"), "w").write(page("Example", 20))
for i in range(12):
    open(os.path.join(root, "docs", f"page{i}.html"), "w").write(page(f"Page {i}", rnd.randint(5, 120)))
for i, size in enumerate([2000, 9000, 30000, 70000]):
    open(os.path.join(root, f"file{i}.bin"), "wb").write(rnd.randbytes(size))
PY
ip netns exec "${NS_S}" python3 -m http.server 80 --bind "${SRV}" --directory "${TMP}/www" >"${TMP}/http.log" 2>&1 &
PIDS+=($!)

ip netns exec "${NS_S}" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --pid-file= \
	--listen-address="${SRV}" --bind-interfaces --port=53 --user=root \
	--local=/example.org/ --local=/example.com/ \
	--address=/www.example.com/${SRV} --address=/api.example.com/${SRV} --address=/cdn.example.org/${SRV} \
	--txt-record=example.com,"v=spf1 -all" >"${TMP}/dns.log" 2>&1 &
PIDS+=($!)

ssh-keygen -q -t ed25519 -N '' -f "${TMP}/hostkey"
mkdir -p /run/sshd
cat >"${TMP}/sshd_config" <<EOF
Port 22
ListenAddress ${SRV}
HostKey ${TMP}/hostkey
PidFile none
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
MaxAuthTries 3
LoginGraceTime 15
EOF
"${SSHD}" -t -f "${TMP}/sshd_config" || die "sshd rejects its test configuration"
ip netns exec "${NS_S}" "${SSHD}" -D -e -f "${TMP}/sshd_config" >"${TMP}/sshd.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 50); do
	if C bash -c "exec 3<>/dev/tcp/${SRV}/80 && exec 3<>/dev/tcp/${SRV}/22" 2>/dev/null; then break; fi
	sleep 0.1
done
C bash -c "exec 3<>/dev/tcp/${SRV}/80" 2>/dev/null || die "http server did not come up (see ${TMP}/http.log)"

PCAP=${TMP}/sample.pcap
say "capturing on ${VS}"
ip netns exec "${NS_S}" tcpdump -i "${VS}" -Z root -n -s 0 -U -w "${PCAP}" 2>"${TMP}/tcpdump.log" &
TCPDUMP=$!
PIDS+=("${TCPDUMP}")
sleep 1

# Small helpers the attacks need, in Python so no extra tools are required.
cat >"${TMP}/helpers.py" <<'PY'
import random, socket, struct, sys, time

def slowloris(src, dst, conns, rounds, every):
    socks = []
    for i in range(conns):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((dst, 80))
        s.send(f"GET /?{random.randint(0, 2000)} HTTP/1.1\r\nHost: {dst}\r\n"
               "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
               "Accept-language: en-US,en,q=0.5\r\n".encode())
        socks.append(s)
        time.sleep(0.02)
    for _ in range(rounds):
        time.sleep(every)
        for s in socks:
            try:
                s.send(f"X-a: {random.randint(1, 5000)}\r\n".encode())
            except OSError:
                pass
    for s in socks:
        s.close()

def dns_query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)

def tunnel(src, dst, n):
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(1)
    for i in range(n):
        labels = [''.join(random.choice(alphabet) for _ in range(random.randint(40, 63))) for _ in range(3)]
        s.sendto(dns_query(".".join(labels) + ".tun.example.org", 16, random.randint(0, 65535)), (dst, 53))
        try:
            s.recv(4096)
        except socket.timeout:
            pass
        time.sleep(random.uniform(0.03, 0.15))

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "slowloris":
        slowloris(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    elif cmd == "tunnel":
        tunnel(sys.argv[2], sys.argv[3], int(sys.argv[4]))
PY
cat >"${TMP}/askpass" <<'EOF'
#!/bin/sh
# Password guesses for the brute-force phase.
set -- 123456 password admin root letmein qwerty changeme
shift $(( $(od -An -N1 -tu1 /dev/urandom) % 7 ))
echo "$1"
EOF
chmod +x "${TMP}/askpass"

benign_once() {
	local i=$1 host=${BENIGN[$(($1 % 2))]}
	case $((i % 5)) in
	0) C curl -s --interface "${host}" "http://${SRV}/" "http://${SRV}/docs/page$((i % 12)).html" "http://${SRV}/file$((i % 4)).bin" >/dev/null ;;
	1) C dig +tries=1 +time=1 -b "${host}" "@${SRV}" www.example.com A >/dev/null || true
	   C dig +tries=1 +time=1 -b "${host}" "@${SRV}" api.example.com AAAA >/dev/null || true ;;
	2) C curl -s --interface "${host}" "http://${SRV}/docs/page$(((i + 5) % 12)).html" >/dev/null ;;
	3) C ping -q -c 3 -i 0.3 -I "${host}" "${SRV}" >/dev/null || true
	   C dig +tries=1 +time=1 -b "${host}" "@${SRV}" example.com TXT >/dev/null || true ;;
	4) C curl -s --interface "${host}" "http://${SRV}/docs/page$(((i + 2) % 12)).html" "http://${SRV}/file$(((i + 1) % 3)).bin" >/dev/null ;;
	esac
}
# Benign clients keep talking until the stop file appears.
benign_loop() {
	local i=0
	while [[ ! -e ${TMP}/stop ]]; do
		i=$((i + 1))
		benign_once "${i}"
		sleep "0.$((RANDOM % 9 + 1))"
	done
}

say "phase 1: benign traffic from ${BENIGN[*]} (continues through all phases)"
for i in $(seq 1 10); do
	benign_once "${i}"
	sleep 0.3
done
benign_loop &
BG=$!
PIDS+=("${BG}")

say "phase 2: slowloris from ${SLOW} (40 connections, a header line every 10 s, 3 rounds) in the background"
ip netns exec "${NS_C}" python3 "${TMP}/helpers.py" slowloris "${SLOW}" "${SRV}" 40 3 10 &
SLOWPID=$!
PIDS+=("${SLOWPID}")

say "phase 3: nmap SYN scan of the top 500 ports from ${SCAN}"
C nmap -sS -Pn -n -T4 --top-ports 500 -S "${SCAN}" -e "${VC}" "${SRV}" >/dev/null

say "phase 4: hping3 SYN flood to :80, 1500 packets, spoofed source ${FLOOD}"
C hping3 -q -S -p 80 -i u200 -c 1500 -a "${FLOOD}" "${SRV}" >/dev/null 2>&1 || true

say "phase 5: ssh password guessing from ${BRUTE} (12 connections, 3 guesses each)"
for i in $(seq 1 12); do
	C env SSH_ASKPASS="${TMP}/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		ssh -n -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		-o PreferredAuthentications=password -o NumberOfPasswordPrompts=3 -b "${BRUTE}" \
		"$(printf 'admin\nroot\noracle\ntest\nubuntu\npi' | sed -n "$((i % 6 + 1))p")@${SRV}" true >/dev/null 2>&1 || true
done

say "phase 6: DNS tunnel-like TXT queries from ${TUNNEL}"
C python3 "${TMP}/helpers.py" tunnel "${TUNNEL}" "${SRV}" 120

say "phase 7: ICMP echo sweep of 10.77.0.0/26 from ${SWEEP}"
C nmap -sn -PE --send-ip -n -S "${SWEEP}" -e "${VC}" 10.77.0.0/26 >/dev/null 2>&1

say "waiting for slowloris to finish"
wait "${SLOWPID}" || true
touch "${TMP}/stop"
wait "${BG}" || true
sleep 1
kill -INT "${TCPDUMP}"
wait "${TCPDUMP}" || true

cp "${PCAP}" "${OUT}/sample.pcap"
PACKETS=$(tcpdump -r "${OUT}/sample.pcap" -n 2>/dev/null | wc -l)
BYTES=$(stat -c %s "${OUT}/sample.pcap")
say "captured ${PACKETS} packets (${BYTES} bytes)"

# Labels: a flow is malicious when an attacker address is one of its
# endpoints; time ranges come from the capture itself.
span() { # first and last timestamp of packets touching host $1
	tcpdump -r "${OUT}/sample.pcap" -n -tt "host $1" 2>/dev/null | awk 'NR==1{f=$1} {l=$1} END{if (NR) printf "%s\t%s\t%d", f, l, NR; else printf "-\t-\t0"}'
}
{
	printf 'address\tfirst_ts\tlast_ts\tpackets\tlabel\tkind\ttool\n'
	for row in "${SCAN} portscan nmap_-sS" "${FLOOD} synflood hping3_-S_spoofed" "${SLOW} slowloris python_partial_headers" \
		"${BRUTE} sshbrute ssh_password_guessing" "${TUNNEL} dnstunnel long_TXT_queries" "${SWEEP} icmpsweep nmap_-sn_-PE"; do
		set -- ${row}
		printf '%s\t%s\tmalicious\t%s\t%s\n' "$1" "$(span "$1")" "$2" "${3//_/ }"
	done
	for b in "${BENIGN[@]}"; do
		printf '%s\t%s\tbenign\tbenign\tcurl, dig, ping\n' "${b}" "$(span "${b}")"
	done
} >"${OUT}/labels.tsv"

count() { tcpdump -r "${OUT}/sample.pcap" -n "$1" 2>/dev/null | wc -l; }
cat >"${OUT}/README.md" <<EOF
# Sample capture

\`sample.pcap\` is a small Ethernet pcap (${PACKETS} packets, ${BYTES} bytes) with
benign traffic and six attacks, made by \`scripts/make-sample.sh\` with real
tools between two network namespaces joined by a veth pair and captured with
tcpdump on the server side. Regenerate it with \`sudo scripts/make-sample.sh\`.
The capture runs on the kernel clock, so a new run gives a different file
with the same structure (timestamps, ports, sequence numbers and counts vary).
For a byte-reproducible synthetic alternative use
\`go run ./scripts/gencap --sample -o FILE\` (package \`synth\`).

## Hosts

| address | role | tool | packets |
|---|---|---|---|
| ${SRV} | server: python3 http.server :80, dnsmasq :53, OpenSSH :22 | | $(count "host ${SRV}") |
| ${BENIGN[0]}, ${BENIGN[1]} | benign clients | curl (HTTP/1.1, keep-alive), dig, ping | $(count "host ${BENIGN[0]} or host ${BENIGN[1]}") |
| ${SCAN} | **attacker**: TCP SYN port scan, top 500 ports | nmap -sS -T4 | $(count "host ${SCAN}") |
| ${FLOOD} | **attacker**: SYN flood to :80, 1500 SYNs, spoofed (no such host; the server's SYN-ACKs stall on ARP) | hping3 -S -i u200 | $(count "host ${FLOOD}") |
| ${SLOW} | **attacker**: slowloris, 40 connections, partial headers, a line every 10 s | python3 | $(count "host ${SLOW}") |
| ${BRUTE} | **attacker**: SSH password guessing, 12 connections x 3 passwords | ssh with SSH_ASKPASS | $(count "host ${BRUTE}") |
| ${TUNNEL} | **attacker**: DNS tunnel-like long random TXT queries (120) | python3 | $(count "host ${TUNNEL}") |
| ${SWEEP} | **attacker**: ICMP echo sweep of 10.77.0.0/26 | nmap -sn -PE --send-ip | $(count "host ${SWEEP}") |

ARP frames (no IP) are in the capture too: $(count arp) packets.

## Labels

\`labels.tsv\` lists every source address with the first and last timestamp
(Unix seconds) of packets to or from it, its packet count, and its label. A
flow is malicious exactly when one of its endpoints is an attacker address;
everything else is benign. The attack phases run in this order, the benign
clients keep talking throughout, and slowloris runs in the background
from phase 2 to the end.
EOF
say "wrote ${OUT}/sample.pcap, labels.tsv and README.md"
