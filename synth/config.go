package synth

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// Kind says what a generated flow is. Every flow (one bidirectional 5-tuple,
// or source, destination and echo identifier for ICMP) has exactly one kind.
type Kind uint8

// Benign kinds first, then attacks.
const (
	KindHTTP      Kind = iota + 1 // HTTP/1.1 over TCP port 80, keep-alive
	KindHTTPS                     // TLS 1.3 over TCP port 443, ClientHello with SNI
	KindDNS                       // DNS query/response over UDP port 53
	KindNTP                       // NTP client/server over UDP port 123
	KindQUIC                      // QUIC-like bursts over UDP port 443
	KindPing                      // ICMP (or ICMPv6) echo
	KindPortScan                  // attack: TCP SYN port scan
	KindSYNFlood                  // attack: SYN flood from spoofed sources
	KindUDPFlood                  // attack: UDP flood
	KindSlowloris                 // attack: slow partial HTTP headers
	KindSSHBrute                  // attack: SSH password guessing
	KindDNSTunnel                 // attack: data tunnelled in DNS TXT queries
	KindICMPSweep                 // attack: ICMP echo sweep of a /24
	kindCount
)

var kindNames = [kindCount]string{"", "http", "https", "dns", "ntp", "quic", "ping",
	"portscan", "synflood", "udpflood", "slowloris", "sshbrute", "dnstunnel", "icmpsweep"}

func (k Kind) String() string {
	if k == 0 || k >= kindCount {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// ParseKind returns the kind named by s (as printed by String).
func ParseKind(s string) (Kind, error) {
	for k := KindHTTP; k < kindCount; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown traffic kind %q", s)
}

// Kinds lists every kind in order.
func Kinds() []Kind {
	out := make([]Kind, 0, kindCount-1)
	for k := KindHTTP; k < kindCount; k++ {
		out = append(out, k)
	}
	return out
}

// Malicious reports whether k is an attack.
func (k Kind) Malicious() bool { return k >= KindPortScan && k < kindCount }

// Proto is the IP protocol number of k's flows over IPv4 (ping runs as
// ICMPv6, 58, on IPv6 sessions).
func (k Kind) Proto() uint8 {
	switch k {
	case KindHTTP, KindHTTPS, KindPortScan, KindSYNFlood, KindSlowloris, KindSSHBrute:
		return 6
	case KindDNS, KindNTP, KindQUIC, KindUDPFlood, KindDNSTunnel:
		return 17
	case KindPing, KindICMPSweep:
		return 1
	}
	return 0
}

// Source is where an attack's packets come from: a single address, or for
// the SYN flood the prefix its spoofed sources are drawn from. It is the
// zero Prefix for benign kinds.
func (k Kind) Source() netip.Prefix {
	switch k {
	case KindPortScan:
		return pfx(203, 0, 113, 10, 32)
	case KindSYNFlood:
		return pfx(10, 128, 0, 0, 9)
	case KindUDPFlood:
		return pfx(203, 0, 113, 20, 32)
	case KindSlowloris:
		return pfx(203, 0, 113, 30, 32)
	case KindSSHBrute:
		return pfx(203, 0, 113, 40, 32)
	case KindDNSTunnel:
		return pfx(10, 66, 0, 66, 32)
	case KindICMPSweep:
		return pfx(203, 0, 113, 70, 32)
	}
	return netip.Prefix{}
}

// AttackBySource returns the attack whose documented source contains a,
// for labelling flows of a generated capture: a flow is malicious when
// either endpoint maps to an attack.
func AttackBySource(a netip.Addr) (Kind, bool) {
	a = a.Unmap()
	for k := KindPortScan; k < kindCount; k++ {
		if k.Source().Contains(a) {
			return k, true
		}
	}
	return 0, false
}

// Target is the victim of an attack (the swept /24 for the ICMP sweep), the
// zero Prefix for benign kinds.
func (k Kind) Target() netip.Prefix {
	switch k {
	case KindPortScan:
		return pfx(192, 0, 2, 10, 32)
	case KindSYNFlood, KindUDPFlood, KindSlowloris:
		return pfx(192, 0, 2, 80, 32)
	case KindSSHBrute:
		return pfx(198, 51, 100, 22, 32)
	case KindDNSTunnel:
		return pfx(192, 0, 2, 53, 32)
	case KindICMPSweep:
		return pfx(198, 51, 100, 0, 24)
	}
	return netip.Prefix{}
}

func pfx(a, b, c, d byte, bits int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{a, b, c, d}), bits)
}

// Mix weighs how often each benign session kind is started. Only the ratios
// matter.
type Mix struct {
	HTTP, HTTPS, DNS, NTP, QUIC, Ping float64
}

// DefaultMix is the benchmark mix: mostly web sessions, many small DNS
// flows, some QUIC, NTP and ping.
func DefaultMix() Mix {
	return Mix{HTTP: 0.25, HTTPS: 0.33, DNS: 0.27, NTP: 0.03, QUIC: 0.07, Ping: 0.05}
}

func (m Mix) weights() [kindCount]float64 {
	var w [kindCount]float64
	w[KindHTTP], w[KindHTTPS], w[KindDNS] = m.HTTP, m.HTTPS, m.DNS
	w[KindNTP], w[KindQUIC], w[KindPing] = m.NTP, m.QUIC, m.Ping
	return w
}

// Format is the capture file format.
type Format uint8

const (
	FormatPCAP     Format = iota // libpcap, microsecond timestamps
	FormatPCAPNano               // libpcap, nanosecond timestamps
	FormatPCAPNG                 // pcapng, nanosecond timestamps
)

// ParseFormat accepts "pcap", "pcap-ns" and "pcapng".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "pcap":
		return FormatPCAP, nil
	case "pcap-ns", "pcapns":
		return FormatPCAPNano, nil
	case "pcapng":
		return FormatPCAPNG, nil
	}
	return 0, fmt.Errorf("unknown capture format %q (want pcap, pcap-ns or pcapng)", s)
}

// Attack injects one attack into the generated traffic.
type Attack struct {
	Kind Kind
	// AtPacket starts the attack once this many packets have been written,
	// at the time of the last one; that way an attack always falls inside a
	// capture of Config.Packets packets when AtPacket < Packets.
	AtPacket int
	// Size is the attack's intensity: probes (port scan, sweep), SYNs,
	// packets (UDP flood), connections (slowloris), login sessions (SSH) or
	// queries (DNS tunnel). Zero picks a default for the kind.
	Size int
}

// defaultStart is the capture start used when Config.Start is zero.
func defaultStart() time.Time { return time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC) }

// Config describes a capture. Use DefaultConfig and change what you need:
// zero shares mean no IPv6 and no VLAN tags.
type Config struct {
	Seed    int64
	Packets int       // total packets to write
	Start   time.Time // time of the first packet; zero means 2024-03-04 09:30:00 UTC
	// IPv6Share and VLANShare are the fractions of benign sessions carried
	// over IPv6 and tagged with 802.1Q.
	IPv6Share, VLANShare float64
	Mix                  Mix // zero means DefaultMix
	// Concurrency is how many benign sessions run at once; zero means 1000.
	Concurrency int
	Format      Format
	Attacks     []Attack
}

// DefaultConfig is the benchmark mix without attacks.
func DefaultConfig(seed int64, packets int) Config {
	return Config{
		Seed: seed, Packets: packets, Start: defaultStart(),
		IPv6Share: 0.10, VLANShare: 0.05, Mix: DefaultMix(), Concurrency: 1000,
	}
}

// DefaultAttacks spreads one attack of every kind over a capture of the
// given number of packets, each sized to stay a small part of it.
func DefaultAttacks(packets int) []Attack {
	kinds := []Kind{KindPortScan, KindSYNFlood, KindUDPFlood, KindSlowloris, KindSSHBrute, KindDNSTunnel, KindICMPSweep}
	scale := func(def, frac int) int {
		// An attack never exceeds about 1/frac of the capture.
		if n := packets / frac; n < def {
			return max(n, 4)
		}
		return def
	}
	out := make([]Attack, len(kinds))
	for i, k := range kinds {
		size := 0
		switch k {
		case KindPortScan:
			size = scale(1000, 40)
		case KindSYNFlood:
			size = scale(5000, 30)
		case KindUDPFlood:
			size = scale(5000, 30)
		case KindSlowloris:
			size = scale(150, 200)
		case KindSSHBrute:
			size = scale(200, 600)
		case KindDNSTunnel:
			size = scale(500, 60)
		case KindICMPSweep:
			size = 254
		}
		out[i] = Attack{Kind: k, AtPacket: packets * (i + 1) / (len(kinds) + 2), Size: size}
	}
	return out
}

func (c Config) normalized() (Config, error) {
	if c.Packets < 0 {
		return c, fmt.Errorf("negative packet count %d", c.Packets)
	}
	if c.Start.IsZero() {
		c.Start = defaultStart()
	}
	if c.IPv6Share < 0 || c.IPv6Share > 1 || c.VLANShare < 0 || c.VLANShare > 1 {
		return c, fmt.Errorf("shares must lie in [0,1]: ipv6 %v, vlan %v", c.IPv6Share, c.VLANShare)
	}
	w, sum := c.Mix.weights(), 0.0
	for _, x := range w {
		if x < 0 {
			return c, fmt.Errorf("negative mix weight in %+v", c.Mix)
		}
		sum += x
	}
	if sum == 0 {
		c.Mix = DefaultMix()
	}
	if c.Concurrency < 0 {
		return c, fmt.Errorf("negative concurrency %d", c.Concurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1000
	}
	if c.Format > FormatPCAPNG {
		return c, fmt.Errorf("unknown format %d", c.Format)
	}
	atk := make([]Attack, len(c.Attacks))
	copy(atk, c.Attacks)
	for _, a := range atk {
		if !a.Kind.Malicious() {
			return c, fmt.Errorf("attack kind %v is not an attack", a.Kind)
		}
		if a.Size < 0 || a.AtPacket < 0 {
			return c, fmt.Errorf("attack %v: negative size or start", a.Kind)
		}
	}
	sort.SliceStable(atk, func(i, j int) bool { return atk[i].AtPacket < atk[j].AtPacket })
	c.Attacks = atk
	return c, nil
}

// Summary is what Write produced.
type Summary struct {
	Packets int
	Bytes   int64 // sum of frame lengths (Ethernet header included)
	// Flows counts flows that have at least one packet in the file, by kind.
	Flows       map[Kind]int
	First, Last time.Time // timestamps of the first and last packets
}

// TotalFlows is the number of flows of all kinds.
func (s Summary) TotalFlows() int {
	n := 0
	for _, v := range s.Flows {
		n += v
	}
	return n
}

// FlowsByProto counts flows whose kind runs over the given IPv4 protocol
// (6, 17 or 1; ping flows over IPv6 count under 1).
func (s Summary) FlowsByProto(proto uint8) int {
	n := 0
	for k, v := range s.Flows {
		if k.Proto() == proto {
			n += v
		}
	}
	return n
}

// MaliciousFlows counts flows of attack kinds.
func (s Summary) MaliciousFlows() int {
	n := 0
	for k, v := range s.Flows {
		if k.Malicious() {
			n += v
		}
	}
	return n
}
