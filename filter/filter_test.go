package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// etherPackets are hand-built Ethernet frames; the expectations below were
// worked out by hand from pcap-filter(7) semantics.
func etherPackets() map[string][]byte {
	tcp4 := ipv4(6, "10.0.0.1", "192.168.1.2", 0, nil, tcpSeg(12345, 443))
	inner := binary.BigEndian.AppendUint16(nil, 300) // second tag's TCI
	inner = binary.BigEndian.AppendUint16(inner, 0x0800)
	inner = append(inner, ipv4(17, "192.168.1.2", "10.0.0.1", 0, nil, udpDgram(53, 5353))...)
	frag6 := append([]byte{17, 0, 0, 0, 0, 0, 0, 1}, udpDgram(53, 53)...) // fragment header, offset 0
	return map[string][]byte{
		"tcp4":   ether(0x0800, tcp4),
		"udp4":   ether(0x0800, ipv4(17, "192.168.1.2", "10.0.0.1", 0, nil, udpDgram(53, 5353))),
		"frag4":  ether(0x0800, ipv4(17, "192.168.1.2", "10.0.0.1", 100, nil, udpDgram(53, 53))),    // not the first fragment
		"ffrag4": ether(0x0800, ipv4(17, "192.168.1.2", "10.0.0.1", 0x2000, nil, udpDgram(53, 53))), // first fragment (MF)
		"opts4":  ether(0x0800, ipv4(6, "10.0.0.1", "192.168.1.2", 0, []byte{1, 1, 1, 1}, tcpSeg(12345, 443))),
		"tcp6":   ether(0x86dd, ipv6(6, "2001:db8::1", "2001:db8:1::2", tcpSeg(80, 5555))),
		"frag6":  ether(0x86dd, ipv6(44, "fe80::1", "ff02::1", frag6)),
		"sctp4":  ether(0x0800, ipv4(132, "10.0.0.1", "10.0.0.2", 0, nil, ports(5000, 36412, 8))),
		"icmp4":  ether(0x0800, ipv4(1, "10.0.0.1", "10.0.0.2", 0, nil, []byte{8, 0, 0, 0, 0, 0, 0, 0})),
		"icmp6":  ether(0x86dd, ipv6(58, "fe80::1", "ff02::1", []byte{135, 0, 0, 0, 0, 0, 0, 0})),
		"arp":    ether(0x0806, arpIPv4(1, macA, "10.0.0.1", "10.0.0.2")),
		"vlan":   dot1q(0x8100, 100, 0x0800, tcp4),
		"qinq":   dot1q(0x88a8, 200, 0x8100, inner),
	}
}

func TestHandBuiltEthernet(t *testing.T) {
	pkts := etherPackets()
	cases := []struct {
		expr string
		want []string
	}{
		{"", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4", "tcp6", "frag6", "sctp4", "icmp4", "icmp6", "arp", "vlan", "qinq"}},
		{"tcp", []string{"tcp4", "opts4", "tcp6"}},
		{"udp", []string{"udp4", "frag4", "ffrag4", "frag6"}},
		{"icmp", []string{"icmp4"}},
		{"icmp6", []string{"icmp6"}},
		{"ip", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4", "sctp4", "icmp4"}},
		{"ip6", []string{"tcp6", "frag6", "icmp6"}},
		{"arp", []string{"arp"}},
		{"sctp", []string{"sctp4"}},
		{"port 443", []string{"tcp4", "opts4"}},
		{"tcp port https", []string{"tcp4", "opts4"}},
		{"udp port 443", nil},
		{"port 53", []string{"udp4", "ffrag4"}}, // not frag4 (later fragment), not frag6 (extension header)
		{"udp src port domain", []string{"udp4", "ffrag4"}},
		{"udp dst port 53", []string{"ffrag4"}},
		{"src and dst port 53", []string{"ffrag4"}},
		{"portrange 5000-6000", []string{"udp4", "tcp6", "sctp4"}},
		{"tcp dst portrange 400-500", []string{"tcp4", "opts4"}},
		{"port 36412", []string{"sctp4"}},
		{"host 10.0.0.1", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4", "sctp4", "icmp4", "arp"}},
		{"host 10.0.0.2", []string{"sctp4", "icmp4", "arp"}},
		{"ip host 10.0.0.2", []string{"sctp4", "icmp4"}},
		{"arp host 10.0.0.1", []string{"arp"}},
		{"src host 192.168.1.2", []string{"udp4", "frag4", "ffrag4"}},
		{"dst 10.0.0.1", []string{"udp4", "frag4", "ffrag4"}},
		{"src 10.0.0.1 and dst 192.168.1.2", []string{"tcp4", "opts4"}},
		{"net 192.168.0.0/16", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4"}},
		{"net 192.168", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4"}},
		{"net 192.168.1.0 mask 255.255.255.0", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4"}},
		{"src net 10.0.0.1 mask 255.0.0.255", []string{"tcp4", "opts4", "sctp4", "icmp4", "arp"}}, // non-contiguous, as tcpdump allows
		{"portrange 443", []string{"tcp4", "opts4"}},
		{"host 2001:db8::1", []string{"tcp6"}},
		{"ip6 dst net 2001:db8:1::/48", []string{"tcp6"}},
		{"src net 2001:db8:1::/48", nil},
		{"net 2001:db8::/32", []string{"tcp6"}},
		{"net fe80::/10", []string{"frag6", "icmp6"}},
		{"ip6 proto 17", []string{"frag6"}},
		{"ip6 proto 44", []string{"frag6"}},
		{"ip proto 17", []string{"udp4", "frag4", "ffrag4"}},
		{"proto \\udp", []string{"udp4", "frag4", "ffrag4", "frag6"}},
		{"not ip", []string{"tcp6", "frag6", "icmp6", "arp", "vlan", "qinq"}},
		{"vlan", []string{"vlan", "qinq"}},
		{"vlan 100", []string{"vlan"}},
		{"vlan and tcp", []string{"vlan"}},
		{"vlan 100 and tcp port 443 and host 192.168.1.2", []string{"vlan"}},
		{"vlan 200 and vlan 300 and udp port 53", []string{"qinq"}},
		{"vlan 200 and vlan 301", nil},
		// After "vlan" every offset moves by 4, also in the other branch of
		// an "or": an untagged TCP frame does not match "vlan or tcp".
		{"vlan or tcp", []string{"vlan", "qinq"}},
		{"tcp or vlan", []string{"tcp4", "opts4", "tcp6", "vlan", "qinq"}},
		// "and" and "or" bind equally, left to right.
		{"tcp or udp and port 53", []string{"udp4", "ffrag4"}},
		{"not tcp and not udp", []string{"sctp4", "icmp4", "icmp6", "arp", "vlan", "qinq"}},
		{"!(tcp || udp) && !arp", []string{"sctp4", "icmp4", "icmp6", "vlan", "qinq"}},
		// A bare identifier reuses the previous qualifiers.
		{"tcp port 443 or 80", []string{"tcp4", "opts4", "tcp6"}},
		{"host 10.0.0.2 or 192.168.1.2", []string{"tcp4", "udp4", "frag4", "ffrag4", "opts4", "sctp4", "icmp4", "arp"}},
		{"greater 54 and less 54", []string{"tcp4"}}, // 14+20+20 bytes
	}
	for _, c := range cases {
		f, err := New(c.expr, layers.LinkTypeEthernet)
		if err != nil {
			t.Errorf("New(%q): %v", c.expr, err)
			continue
		}
		var got []string
		for name, data := range pkts {
			if f.Match(data, len(data)) {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q matches %v, want %v", c.expr, got, want)
		}
	}
}

func TestLinkTypes(t *testing.T) {
	tcp4 := ipv4(6, "10.0.0.1", "192.168.1.2", 0, nil, tcpSeg(12345, 443))
	tcp6 := ipv6(6, "2001:db8::1", "2001:db8:1::2", tcpSeg(80, 5555))
	arp := arpIPv4(2, macA, "10.0.0.1", "10.0.0.2")
	le, be := binary.LittleEndian, binary.BigEndian
	cases := []struct {
		name string
		lt   layers.LinkType
		data []byte
		expr string
		want bool
	}{
		{"raw v4", layers.LinkTypeRaw, tcp4, "tcp port 443 and host 192.168.1.2", true},
		{"raw v4 not ip6", layers.LinkTypeRaw, tcp4, "ip6", false},
		{"raw v6", layers.LinkTypeRaw, tcp6, "ip6 and tcp src port 80", true},
		{"raw arp", layers.LinkTypeRaw, tcp4, "arp", false},
		{"dlt 12", 12, tcp4, "ip and tcp", true},
		{"dlt 14", 14, tcp6, "ip6 host 2001:db8:1::2", true},
		{"ipv4 only", layers.LinkTypeIPv4, tcp4, "ip and dst port 443", true},
		{"ipv4 only ip6", layers.LinkTypeIPv4, tcp4, "ip6 or arp", false},
		{"ipv6 only", layers.LinkTypeIPv6, tcp6, "ip6 and tcp port 80", true},
		{"ipv6 only ip", layers.LinkTypeIPv6, tcp6, "ip", false},
		{"sll", layers.LinkTypeLinuxSLL, sll(0x0800, tcp4), "tcp port 443", true},
		{"sll arp", layers.LinkTypeLinuxSLL, sll(0x0806, arp), "arp host 10.0.0.2", true},
		{"sll v6", layers.LinkTypeLinuxSLL, sll(0x86dd, tcp6), "ip6 net 2001:db8::/32 and port 80", true},
		{"sll2", layers.LinkTypeLinuxSLL2, sll2(0x0800, tcp4), "tcp dst port 443 and src host 10.0.0.1", true},
		{"sll2 v6", layers.LinkTypeLinuxSLL2, sll2(0x86dd, tcp6), "ip", false},
		{"null le", layers.LinkTypeNull, null(2, le, tcp4), "tcp port 443", true},
		{"null be", layers.LinkTypeNull, null(2, be, tcp4), "tcp port 443", true},
		{"null v6 24", layers.LinkTypeNull, null(24, le, tcp6), "ip6 and port 80", true},
		{"null v6 28 be", layers.LinkTypeNull, null(28, be, tcp6), "ip6 and port 80", true},
		{"null v6 30", layers.LinkTypeNull, null(30, le, tcp6), "ip6 and port 80", true},
		{"null linux v6", layers.LinkTypeNull, null(10, le, tcp6), "ip6", false},
		{"null v4 not v6", layers.LinkTypeNull, null(2, le, tcp4), "ip6", false},
		{"loop", layers.LinkTypeLoop, null(2, be, tcp4), "ip and tcp", true},
		{"loop wrong order", layers.LinkTypeLoop, null(2, le, tcp4), "ip", false},
		{"loop v6", layers.LinkTypeLoop, null(30, be, tcp6), "ip6", true},
	}
	for _, c := range cases {
		f, err := New(c.expr, c.lt)
		if err != nil {
			t.Errorf("%s: New(%q): %v", c.name, c.expr, err)
			continue
		}
		if got := f.Match(c.data, len(c.data)); got != c.want {
			t.Errorf("%s: %q = %v, want %v", c.name, c.expr, got, c.want)
		}
	}
}

// A read past the captured bytes rejects the packet (as in the kernel and
// libpcap), while "greater"/"less" see the wire length.
func TestTruncatedAndWireLength(t *testing.T) {
	full := ether(0x0800, ipv4(6, "10.0.0.1", "192.168.1.2", 0, nil, tcpSeg(12345, 443)))
	cut := full[:36] // source port present, destination port cut
	cases := []struct {
		expr string
		data []byte
		wire int
		want bool
	}{
		{"tcp src port 12345", cut, len(full), true},
		{"tcp dst port 443", cut, len(full), false},
		{"tcp port 443", cut, len(full), false},
		{"ip and tcp", cut, len(full), true},
		{"greater 1000", full, 1500, true},
		{"less 100", full, 1500, false},
		{"less 100", full, len(full), true},
		{"greater 100", full, 0, false}, // wireLen below len(data) is raised to it
	}
	for _, c := range cases {
		f, err := New(c.expr, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatalf("New(%q): %v", c.expr, err)
		}
		if got := f.Match(c.data, c.wire); got != c.want {
			t.Errorf("%q on %d/%d bytes = %v, want %v", c.expr, len(c.data), c.wire, got, c.want)
		}
	}
}

// syntaxErrorCases are rejected with the token's offset. tcpdump rejects all
// of them too except those marked: "host 1.2.3" (tcpdump takes it as a /24
// net), a host name (tcpdump resolves it), "proto 300" (tcpdump compiles a
// test that never matches), packet-data expressions (not supported here) and
// nesting deeper than our stack-safety limit.
var syntaxErrorCases = []struct {
	expr           string
	pos            int // byte offset of the reported token
	msg            string
	tcpdumpAccepts bool
}{
	{"tcp port", 8, "expected an address, network or port", false},
	{"port 70000", 5, "bad port", false},
	{"host 1.2.3", 5, "bad host address", true},
	{"host example.com", 5, "name resolution is not supported", true},
	{"(tcp", 4, "missing ')'", false},
	{"tcp)", 3, "unbalanced ')'", false},
	{"tcp and", 7, "expected a primitive", false},
	{"and tcp", 0, "expected a primitive before", false},
	{"not", 3, "expected a primitive", false},
	{"foo", 0, "unknown or unsupported primitive", false},
	{"1.2.3.4", 0, "needs a qualifier", false},
	{"tcp and 1.2.3.4", 8, "needs a qualifier", false},
	{"port 80 and vlan and 443", 21, "needs a qualifier", false},
	{"tcp[13] & 2 != 0", 3, "packet-data and arithmetic expressions are not supported", true},
	{"net 10.0.0.1/8", 4, "non-network bits set", false},
	{"net 10.0.0.0/33", 13, "bad prefix length", false},
	{"net 10.0.0.1 mask 255.0.255.0", 4, "non-network bits set", false},
	{"ip6 host 1.2.3.4", 9, "'ip6' qualifier cannot be applied to an IPv4 address", false},
	{"ip host ::1", 8, "'ip' qualifier cannot be applied to an IPv6 address", false},
	{"tcp host 1.2.3.4", 9, "'tcp' qualifier cannot be applied to a host", false},
	{"ip port 80", 8, "'ip' qualifier cannot be applied to a port", false},
	{"vlan 5000", 5, "bad VLAN id", false},
	{"portrange 10-x", 10, "bad port range", false},
	{"proto 300", 6, "bad protocol", true},
	{"icmp proto 1", 5, "'proto' cannot follow", false},
	{"greater", 7, "expected length", false},
	{"tcp port 80 udp", 12, "expected 'and', 'or' or end of expression", false},
	{"host 1.2.3.4 $", 13, "unexpected character", false},
	{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), 201, "nested too deeply", true},
}

func TestSyntaxErrors(t *testing.T) {
	cases := syntaxErrorCases
	for _, c := range cases {
		_, err := Compile(c.expr, layers.LinkTypeEthernet, DefaultSnaplen)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) error = %v, want a *SyntaxError", c.expr, err)
			continue
		}
		if se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Compile(%q): pos %d %q, want pos %d containing %q", c.expr, se.Pos, se.Msg, c.pos, c.msg)
		}
		if !strings.Contains(err.Error(), "column") {
			t.Errorf("Compile(%q): message %q does not name the column", c.expr, err)
		}
	}
}

func TestHugeExpressions(t *testing.T) {
	many := strings.Repeat("tcp or ", 5000) + "udp"
	if _, err := Parse(many); err == nil || !strings.Contains(err.Error(), "more than 4096 primitives") {
		t.Errorf("5001 primitives: err = %v", err)
	}
	// Under the primitive limit but over the instruction limit.
	big := strings.Repeat("port 1 or ", 200) + "port 2"
	if _, err := New(big, layers.LinkTypeEthernet); err == nil || !strings.Contains(err.Error(), "kernel's limit") {
		t.Errorf("201 port primitives: err = %v", err)
	}
	if _, err := Parse(strings.Repeat(" ", 2<<20)); err == nil {
		t.Errorf("2 MiB expression accepted")
	}
}

func TestCompileErrors(t *testing.T) {
	if _, err := Compile("vlan and tcp", layers.LinkTypeLinuxSLL, DefaultSnaplen); err == nil ||
		!strings.Contains(err.Error(), "not supported for Linux SLL") {
		t.Errorf("vlan on SLL: err = %v", err)
	}
	if _, err := New("tcp", layers.LinkType(9999)); !errors.Is(err, ErrLinkType) || !strings.Contains(err.Error(), "unsupported link type 9999") {
		t.Errorf("unknown link type: err = %v", err)
	}
	if _, err := New("", layers.LinkType(9999)); err == nil {
		t.Errorf("empty expression on unknown link type: no error")
	}
	if _, err := Compile("tcp", layers.LinkTypeEthernet, 0); err == nil {
		t.Errorf("snaplen 0: no error")
	}
}

// A long chain of alternatives needs conditional jumps beyond 255
// instructions; they must be widened, and the result must still be right.
func TestLongJumps(t *testing.T) {
	var alts []string
	for i := 0; i < 60; i++ {
		alts = append(alts, fmt.Sprintf("host 10.1.0.%d", 100+i))
	}
	expr := "(" + strings.Join(alts, " or ") + ") and tcp"
	f, err := New(expr, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if n := len(f.Instructions()); n < 300 {
		t.Fatalf("program has only %d instructions; the test needs long jumps", n)
	}
	first := ether(0x0800, ipv4(6, "10.1.0.100", "8.8.8.8", 0, nil, tcpSeg(1, 2)))
	last := ether(0x0800, ipv4(6, "8.8.8.8", "10.1.0.159", 0, nil, tcpSeg(1, 2)))
	none := ether(0x0800, ipv4(6, "10.1.0.160", "8.8.8.8", 0, nil, tcpSeg(1, 2)))
	udp := ether(0x0800, ipv4(17, "10.1.0.100", "8.8.8.8", 0, nil, udpDgram(1, 2)))
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{{"first", first, true}, {"last", last, true}, {"none", none, false}, {"udp", udp, false}} {
		if got := f.Match(c.data, len(c.data)); got != c.want {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
	raw, err := f.Raw()
	if err != nil || len(raw) != len(f.Instructions()) {
		t.Fatalf("Raw: %d instructions, err %v", len(raw), err)
	}
}

func TestSetCachesPerLinkType(t *testing.T) {
	s, err := NewSet("vlan or udp")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.For(layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.For(layers.LinkTypeEthernet)
	if a != b {
		t.Errorf("For compiled the same link type twice")
	}
	if _, err := s.For(layers.LinkTypeLinuxSLL); err == nil {
		t.Errorf("vlan on Linux SLL compiled")
	}
	udp := sll(0x0800, ipv4(17, "10.0.0.1", "10.0.0.2", 0, nil, udpDgram(1, 2)))
	if _, err := s.Match(layers.LinkTypeLinuxSLL, udp, len(udp)); err == nil {
		t.Errorf("Match on Linux SLL: no error")
	}
	raw := ipv4(17, "10.0.0.1", "10.0.0.2", 0, nil, udpDgram(1, 2))
	if ok, err := s.Match(layers.LinkTypeRaw, raw, len(raw)); err == nil || ok {
		t.Errorf("vlan on raw IP: ok %v err %v, want a compile error", ok, err)
	}
	if len(s.entries) != 3 {
		t.Errorf("%d cache entries, want 3", len(s.entries))
	}
}
