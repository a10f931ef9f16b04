package appmeta

import (
	"math"
	"testing"
)

func TestDNSUDP(t *testing.T) {
	var s State
	s.Init(false, 33000, 53)
	// A stray response to an earlier query first, then our query and its
	// answer: the kept response is the one answering the kept query.
	s.Observe(1, false, 0, dnsQuery(7, true, 0, 1, "old.example", 1))
	s.Observe(0, false, 0, dnsQuery(42, false, 0, 0, "Abc.Example.com", 28))
	s.Observe(1, false, 0, dnsQuery(42, true, 3, 0, "Abc.Example.com", 28))
	m := s.Result()
	if m.DNSQuery != "Abc.Example.com" || m.DNSQType != 28 || m.DNSQTypeName != "AAAA" {
		t.Errorf("question %q %d %q", m.DNSQuery, m.DNSQType, m.DNSQTypeName)
	}
	if m.DNSRcode != 3 || m.DNSAnswers != 0 {
		t.Errorf("rcode %d answers %d", m.DNSRcode, m.DNSAnswers)
	}
	if m.DNSQueryLen != 15 || m.Application != "dns" {
		t.Errorf("len %d app %q", m.DNSQueryLen, m.Application)
	}
	if s.flags&(flagDone0|flagDone1) != flagDone0|flagDone1 {
		t.Errorf("flow not done after query and matching response")
	}
}

// TestEntropy checks hand-computed values: a name of n distinct equally
// frequent bytes has log2(n) bits per byte.
func TestEntropy(t *testing.T) {
	for in, want := range map[string]float64{
		"":          0,
		"aaaa":      0,
		"ab":        1,
		"abcd":      2,
		"aabb":      1,
		"abcdefgh":  3,
		"aab":       -(2.0/3*math.Log2(2.0/3) + 1.0/3*math.Log2(1.0/3)),
		"a.b.c.d.e": -(4.0/9*math.Log2(4.0/9) + 5*(1.0/9)*math.Log2(1.0/9)),
	} {
		if got := entropy([]byte(in)); math.Abs(got-want) > 1e-12 {
			t.Errorf("entropy(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDNSCompressionLoop(t *testing.T) {
	msg := append(dnsQuery(1, true, 0, 0, "", 1)[:12], 0xc0, 12, 0, 1, 0, 1) // name points at itself
	var nb [256]byte
	if _, ok := parseDNS(msg, nb[:]); ok {
		t.Errorf("self-referencing pointer accepted")
	}
	// A legitimate pointer into the header area is followed.
	q := dnsQuery(1, false, 0, 0, "a.b", 1)
	name := []byte{1, 'x', 0xc0, 20}
	msg = append(append([]byte{}, q[:12]...), name...)
	msg = append(msg, 0, 1, 0, 1)          // qtype/qclass of the question at 12
	msg = append(msg, 3, 'c', 'o', 'm', 0) // offset 20: "com"
	m, ok := parseDNS(msg, nb[:])
	if !ok || string(m.name) != "x.com" || m.qtype != 1 {
		t.Errorf("pointer name %q %v %d", m.name, ok, m.qtype)
	}
}

func TestDNSTCPLongAnswer(t *testing.T) {
	// Only the header and question of a long TCP answer are needed.
	resp := dnsQuery(9, true, 0, 1, "big.example", 24)
	resp = append(resp, make([]byte, 40000)...)
	framed := append(u16(uint16(len(resp)&0xffff)), resp...)
	var s State
	s.Init(true, 40000, 53)
	s.Observe(0, true, 1, append(u16(uint16(len(dnsQuery(9, false, 0, 0, "big.example", 24)))), dnsQuery(9, false, 0, 0, "big.example", 24)...))
	s.Observe(1, true, 1, framed[:1400])
	m := s.Result()
	if m.DNSQuery != "big.example" || m.DNSQTypeName != "SIG" || m.DNSRcode != 0 || m.DNSAnswers != 1 {
		t.Errorf("got %+v", m)
	}
}

func TestMDNSAndLLMNRApp(t *testing.T) {
	for port, app := range map[uint16]string{5353: "mdns", 5355: "llmnr", 53: "dns"} {
		var s State
		s.Init(false, port, port)
		s.Observe(0, false, 0, dnsQuery(0, false, 0, 0, "host.local", 255))
		if m := s.Result(); m.Application != app || m.DNSQTypeName != "ANY" {
			t.Errorf("port %d: app %q type %q", port, m.Application, m.DNSQTypeName)
		}
	}
}
