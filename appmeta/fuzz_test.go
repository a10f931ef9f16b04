package appmeta

import (
	"regexp"
	"testing"
)

var ja4Re = regexp.MustCompile(`^t(1[0-3]|s[23]|d[123]|00)[di][0-9]{2}[0-9]{2}[0-9a-zA-Z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)

// FuzzObserve cuts the input into segments, spreads them over both
// directions with sequence numbers that may overlap, repeat or leave
// holes, and checks the State never panics and stays consistent.
func FuzzObserve(f *testing.F) {
	f.Add(specHello().record(), uint16(443), uint64(0x0102030405), true)
	f.Add(bigHello(), uint16(443), uint64(0xfffefdfc), true)
	f.Add(append(specHello().record(), serverHelloRecord(0x0303, 0x1301, []ext{{0x002b, u16(0x0304)}})...), uint16(8443), uint64(77), true)
	f.Add([]byte("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"+response(200, "ok")+response(304, "")), uint16(80), uint64(9), true)
	f.Add(dnsQuery(3, false, 0, 0, "a.b.c", 1), uint16(53), uint64(0), false)
	f.Add(append(u16(29), dnsQuery(3, true, 2, 1, "a.b.c", 1)...), uint16(53), uint64(3), true)
	f.Add([]byte("SSH-2.0-OpenSSH_8.9\r\nSSH-2.0-x\r\n"), uint16(22), uint64(5), true)
	f.Fuzz(func(t *testing.T, data []byte, sport uint16, ctl uint64, isTCP bool) {
		var s State
		s.Init(isTCP, 40000, sport)
		seq := [2]uint32{uint32(ctl >> 32), uint32(ctl)}
		for i := 0; len(data) > 0 && i < 64; i++ {
			c := byte(ctl >> (i % 8 * 8))
			n := int(c&0x3f) + 1
			if c&0x40 != 0 {
				n *= 16
			}
			n = min(n, len(data))
			dir := int(c>>7) ^ i&1
			p := data[:n]
			s.Observe(dir, isTCP, seq[dir], p)
			switch c & 3 {
			case 0: // in order
				seq[dir] += uint32(n)
			case 1: // retransmit next time
			case 2: // hole
				seq[dir] += uint32(n) + uint32(c)
			case 3: // step back (overlap)
				seq[dir] += uint32(n) - uint32(c>>2)
			}
			data = data[n:]
		}
		m := s.Result()
		if got := len(m.AppendStrings(nil)); got != NumStringColumns {
			t.Fatalf("%d string columns", got)
		}
		if m.JA4 != "" && !ja4Re.MatchString(m.JA4) {
			t.Fatalf("malformed JA4 %q", m.JA4)
		}
		if m.HTTPSuccess > m.HTTPResponses {
			t.Fatalf("success %d > responses %d", m.HTTPSuccess, m.HTTPResponses)
		}
		if s.d != nil {
			for _, d := range s.d.dir {
				if len(d.r.buf) > MaxBuffer {
					t.Fatalf("buffer %d bytes > cap", len(d.r.buf))
				}
			}
		}
	})
}

// FuzzClientHello parses arbitrary bytes as a TLS record stream and as a
// bare hello body; both hello parsers must agree with the reference
// implementation (ref_test.go), and a parsed hello must give fingerprints
// consistent with its fields.
func FuzzClientHello(f *testing.F) {
	f.Add(specHello().record())
	f.Add(bigHello())
	f.Add(chSpec{version: 0x0300, ciphers: []uint16{10}}.record())
	f.Add(serverHelloRecord(0x0303, 0xc02f, []ext{{0xff01, []byte{0}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, want := range []byte{hsClientHello, hsServerHello} {
			if msg, st := handshakeMsg(data, want); st == parsed {
				compareHellos(t, msg)
			}
		}
		body := data
		if len(body) > 9 {
			body = body[9:]
		}
		compareHellos(t, body)
		var ch clientHello
		if !ch.parse(body) {
			return
		}
		ja4 := ch.meta().ja4
		if !ja4Re.MatchString(ja4) {
			t.Fatalf("malformed JA4 %q", ja4)
		}
		if want := refTwoDigits(len(ch.ciphers.items())) + refTwoDigits(len(ch.exts.items())); ja4[4:8] != want {
			t.Fatalf("JA4 counts %q, want %q", ja4[4:8], want)
		}
		for _, c := range ch.ciphers.items() {
			if isGREASE(c) {
				t.Fatalf("GREASE cipher kept")
			}
		}
	})
}

// FuzzDNS parses arbitrary bytes as a DNS message.
func FuzzDNS(f *testing.F) {
	f.Add(dnsQuery(1, false, 0, 0, "www.example.com", 1))
	f.Add(dnsQuery(1, true, 3, 2, "x", 28))
	f.Add(append(dnsQuery(1, true, 0, 0, "", 1)[:12], 0xc0, 12, 0, 1, 0, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		var nb [256]byte
		m, ok := parseDNS(data, nb[:])
		if !ok {
			return
		}
		if len(m.name) > 255 {
			t.Fatalf("name of %d bytes", len(m.name))
		}
		if e := entropy(m.name); e < 0 || e > 8 {
			t.Fatalf("entropy %v", e)
		}
		var s State
		s.Init(false, 5353, 5353)
		s.Observe(0, false, 0, data)
		r := s.Result()
		if r.DNSQueryLen != len(m.name) && m.qdcount > 0 {
			t.Fatalf("query len %d vs %d", r.DNSQueryLen, len(m.name))
		}
	})
}

// FuzzHTTP parses arbitrary bytes as a request (compared with the
// reference implementation, as is printable) and, split at a fuzzed point,
// as a response stream.
func FuzzHTTP(f *testing.F) {
	f.Add([]byte("GET /a?b HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n\r\n"), uint16(5))
	f.Add([]byte(response(200, "abc")+response(100, "")+response(404, "")), uint16(40))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.0 301 M\r\n\r\n"), uint16(13))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		compareHTTP(t, data)
		comparePrintable(t, data)
		for _, capped := range []bool{false, true} {
			if req, st := parseHTTPRequest(data, capped); st == parsed {
				if req.pathLen < 0 || req.pathLen > len(data) {
					t.Fatalf("path len %d", req.pathLen)
				}
			}
		}
		var c respCounter
		k := int(cut) % (len(data) + 1)
		c.segment(true, 100, data[:k])
		c.segment(true, 100+uint32(k), data[k:])
		c.segment(true, 100, data) // retransmission: no change
		if c.success > c.responses || c.responses > c.heads || len(c.head) > maxRespHead {
			t.Fatalf("inconsistent counter %+v", c)
		}
	})
}
