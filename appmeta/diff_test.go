package appmeta

import (
	"net/netip"
	"strings"
	"testing"
)

// Differential tests: the allocation-lean parsers and renderers must give
// byte for byte what the straightforward implementation kept in
// ref_test.go gives, on hand-made edge cases, fuzz inputs and every
// payload of the shared captures.

// compareHellos parses msg as a ClientHello and as a ServerHello with both
// implementations and fails on any difference.
func compareHellos(tb testing.TB, msg []byte) {
	tb.Helper()
	rc, rok := refParseClientHello(msg)
	var ch clientHello
	if ok := ch.parse(msg); ok != rok {
		tb.Fatalf("ClientHello parse ok=%v, reference %v (% x)", ok, rok, msg)
	}
	if rok {
		got := ch.meta()
		want := clientMeta{sni: rc.sni, alpnList: strings.Join(rc.alpn, ","), version: rc.highestVersion()}
		if len(rc.alpn) > 0 {
			want.alpn = rc.alpn[0]
		}
		want.ja3 = rc.ja3()
		want.ja3Hash = refMD5Hex(want.ja3)
		want.ja4 = rc.ja4()
		if got != want {
			tb.Fatalf("ClientHello meta\n got %+v\nwant %+v\n(% x)", got, want, msg)
		}
	}
	rs, rok := refParseServerHello(msg)
	var sh serverHello
	if ok := sh.parse(msg); ok != rok {
		tb.Fatalf("ServerHello parse ok=%v, reference %v (% x)", ok, rok, msg)
	}
	if rok {
		ja3s, hash := sh.ja3s()
		if want := rs.ja3s(); ja3s != want || hash != refMD5Hex(want) {
			tb.Fatalf("JA3S %q %q, reference %q %q", ja3s, hash, want, refMD5Hex(want))
		}
		if sh.negotiated() != rs.negotiated() {
			tb.Fatalf("negotiated %#x, reference %#x", sh.negotiated(), rs.negotiated())
		}
	}
}

// compareHTTP parses p as a request, capped and not, with both
// implementations.
func compareHTTP(tb testing.TB, p []byte) {
	tb.Helper()
	for _, capped := range []bool{false, true} {
		req, st := parseHTTPRequest(p, capped)
		rreq, rst := refParseHTTPRequest(p, capped)
		if st != rst {
			tb.Fatalf("HTTP status %d, reference %d (%q)", st, rst, p)
		}
		if st == parsed && (req.method != rreq.method || req.host != rreq.host || req.ua != rreq.ua || req.pathLen != rreq.pathLen) {
			tb.Fatalf("HTTP request %+v, reference %+v", req, rreq)
		}
	}
}

// comparePrintable checks printable and appendPrintable (after a prefix)
// against the reference.
func comparePrintable(tb testing.TB, b []byte) {
	tb.Helper()
	want := refPrintable(b)
	if got := printable(b); got != want {
		tb.Fatalf("printable(%q) = %q, reference %q", b, got, want)
	}
	if got := string(appendPrintable([]byte("p,"), b)); got != "p,"+want {
		tb.Fatalf("appendPrintable(%q) = %q, reference %q", b, got, "p,"+want)
	}
}

// TestDiffEdgeHellos covers what the lean parser treats specially: lists
// past the inline capacity, repeated extensions, empty and escaped names,
// output past the stack scratch buffer.
func TestDiffEdgeHellos(t *testing.T) {
	many := func(n int, base uint16) []uint16 {
		v := make([]uint16, n)
		for i := range v {
			v[i] = base + uint16(n-i) // descending, so sorting matters
		}
		return v
	}
	manyExts := func(n int) []ext {
		var e []ext
		for i := 0; i < n; i++ {
			e = append(e, ext{uint16(0x1000 + n - i), nil})
		}
		return e
	}
	var protos []string
	for i := 0; i < 20; i++ {
		protos = append(protos, strings.Repeat(string(rune('a'+i)), i+1))
	}
	withSig := func(e []ext) []ext { return append(e, sigAlgsExt(many(100, 0x0400)...)) }
	cases := map[string]chSpec{
		"spec":        specHello(),
		"big":         {version: 0x0303, ciphers: many(300, 0x1000), exts: withSig(append(manyExts(150), groupsExt(many(90, 0x10)...), pointsExt(make([]byte, 100)...), versExt(many(70, 0x0300)...), alpnExt(protos...), sniExt(strings.Repeat("long.", 300))))},
		"exactly64":   {version: 0x0303, ciphers: many(64, 0x100), exts: withSig(manyExts(64))},
		"65":          {version: 0x0303, ciphers: many(65, 0x100), exts: manyExts(65)},
		"no exts":     {version: 0x0300, ciphers: []uint16{0x0a0a, 5}},
		"empty exts":  {version: 0x0301, ciphers: []uint16{5}, exts: []ext{}},
		"repeated":    {version: 0x0303, ciphers: []uint16{1}, exts: []ext{sniExt(""), alpnExt("", "h2"), groupsExt(1, 2), sniExt("b.example"), alpnExt("x\x00y"), groupsExt(3), pointsExt(0, 1), pointsExt(2), versExt(0x0303), versExt(0x7f1c, 0xfefd), sigAlgsExt(1), sigAlgsExt(2)}},
		"dirty names": {version: 0x0303, ciphers: []uint16{1}, exts: []ext{sniExt("J\xe4ger\r\n.example"), alpnExt("\xff\x01", "Jäger", "ok")}},
		"sig no exts": {version: 0x0303, ciphers: nil, exts: []ext{sniExt("a"), alpnExt("h2"), sigAlgsExt(0x0403)}},
		"grease only": {version: 0x0303, ciphers: []uint16{0x2a2a}, exts: []ext{{0x3a3a, nil}, groupsExt(0x4a4a), versExt(0x5a5a)}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			compareHellos(t, c.body())
			msg, st := handshakeMsg(c.record(), hsClientHello)
			if st != parsed {
				t.Fatalf("record status %d", st)
			}
			compareHellos(t, msg)
			// Every truncation: failures must agree too.
			b := c.body()
			for n := 0; n < len(b); n += 1 + n/16 {
				compareHellos(t, b[:n])
			}
		})
	}
	sh := serverHelloRecord(0x0303, 0x1301, append([]ext{{0x002b, u16(0x0304)}}, manyExts(100)...))
	msg, st := handshakeMsg(sh, hsServerHello)
	if st != parsed {
		t.Fatalf("ServerHello record status %d", st)
	}
	compareHellos(t, msg)
}

func TestDiffEdgeText(t *testing.T) {
	for _, s := range []string{
		"", "abc", "a\x00b\r\n", "J\xe4ger", "Jäger", "\x7f\xc2\x80", "\xf0\x9f\x98\x80 emoji",
		strings.Repeat("\x01", 300), strings.Repeat("é\x02", 200),
	} {
		comparePrintable(t, []byte(s))
	}
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\n\r\n",
		"PROPFIND /x HTTP/1.1\r\nhost:\r\nHOST:  b \r\nuser-agent: \xff\x00\r\n\r\n",
		"FOO /x HTTP/1.0\r\nUser-Agent: " + strings.Repeat("z", 700) + "\r\n\r\n",
		"GET http://h/p?q HTTP/1.1\r\nHost: h\r\n",
		"POST /p HTTP/1.1\r\n\r\n",
	} {
		compareHTTP(t, []byte(s))
	}
}

// TestDiffCaptures runs both implementations over every TCP and UDP
// payload of the shared captures: as hellos (when a whole handshake
// message is in the payload), as HTTP requests and through printable.
func TestDiffCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every shared capture; skipped with -short")
	}
	files := sharedCaptures(t, func(p string, _ int64) bool {
		return strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")
	})
	var hellos, requests, payloads, unreadable int
	for _, f := range files {
		err := eachPayload(t, f, func(isTCP bool, _, _ netip.AddrPort, _ uint32, p []byte) {
			if len(p) == 0 {
				return
			}
			payloads++
			for _, want := range []byte{hsClientHello, hsServerHello} {
				if msg, st := handshakeMsg(p, want); st == parsed {
					hellos++
					compareHellos(t, msg)
				}
			}
			if isTCP && looksHTTPRequest(p) {
				requests++
				compareHTTP(t, p)
			}
			comparePrintable(t, p[:min(len(p), 300)])
		})
		if err != nil {
			unreadable++ // a pcap variant pcapgo does not read
		}
	}
	t.Logf("%d captures (%d unreadable), %d payloads, %d hello messages, %d HTTP requests", len(files), unreadable, payloads, hellos, requests)
	if hellos == 0 || requests == 0 {
		t.Errorf("no hellos or requests found: the comparison checked nothing")
	}
}
