package appmeta

import (
	"math"
	"testing"
	"unsafe"
)

func TestStateSize(t *testing.T) {
	if n := unsafe.Sizeof(State{}); n > 16 {
		t.Errorf("State is %d bytes, want at most 16", n)
	}
	// Objects with pointers over 512 bytes carry an 8-byte header: past
	// 632 bytes a detail would take the 704-byte size class.
	if n := unsafe.Sizeof(detail{}); n > 632 {
		t.Errorf("detail is %d bytes, want at most 632", n)
	}
}

func TestColumns(t *testing.T) {
	m := observeWhole(t, 443, specHello().record(), serverHelloRecord(0x0303, 0xc02f, nil))
	names, vals := StringColumns(), m.AppendStrings(nil)
	if len(names) != NumStringColumns || len(vals) != NumStringColumns {
		t.Fatalf("string columns: %d names, %d values, want %d", len(names), len(vals), NumStringColumns)
	}
	byName := map[string]string{}
	for i, n := range names {
		if _, dup := byName[n]; dup {
			t.Errorf("duplicate column %q", n)
		}
		byName[n] = vals[i]
	}
	for n, want := range map[string]string{
		"app": "tls", "tls_sni": "example.com", "tls_alpn": "h2", "tls_alpn_list": "h2,http/1.1",
		"tls_client_version": "TLSv1.3", "tls_server_version": "TLSv1.2",
		"ja4": "t13d1516h2_8daaf6152771_e5627efa2ab1", "ja3s": "771,49199,", "http_method": "", "dns_rcode_name": "",
	} {
		if byName[n] != want {
			t.Errorf("column %s = %q, want %q", n, byName[n], want)
		}
	}
	nn, nv := NumericColumns(), m.AppendNumbers(nil)
	if len(nn) != NumNumericColumns || len(nv) != NumNumericColumns {
		t.Fatalf("numeric columns: %d names, %d values", len(nn), len(nv))
	}
	for i, v := range nv {
		if !math.IsNaN(v) {
			t.Errorf("numeric %s = %v on a TLS flow, want NaN (absent)", nn[i], v)
		}
	}
	var s State
	s.Init(false, 1234, 53)
	s.Observe(0, false, 0, dnsQuery(1, false, 0, 0, "ab.cd", 16))
	m = s.Result()
	nv = m.AppendNumbers(nil)
	want := []float64{math.NaN(), math.NaN(), math.NaN(), 16, math.NaN(), math.NaN(), 5, entropy([]byte("ab.cd"))}
	for i := range want {
		if !(nv[i] == want[i] || math.IsNaN(nv[i]) && math.IsNaN(want[i])) {
			t.Errorf("numeric %s = %v, want %v", nn[i], nv[i], want[i])
		}
	}
}

func TestApplicationByPort(t *testing.T) {
	cases := []struct {
		tcp          bool
		cport, sport uint16
		want         string
	}{
		{true, 50000, 3389, "rdp"},
		{true, 445, 50000, "smb"}, // first packet from the server
		{false, 40000, 123, "ntp"},
		{true, 40000, 40001, ""},
	}
	for _, c := range cases {
		var s State
		s.Init(c.tcp, c.cport, c.sport)
		s.Observe(0, c.tcp, 1, []byte{1, 2, 3})
		if m := s.Result(); m.Application != c.want {
			t.Errorf("%+v: app %q", c, m.Application)
		}
	}
	var z State // zero value, no Init: nothing port-based
	z.Observe(0, true, 1, []byte("SSH-2.0-x\r\n"))
	z.Observe(1, true, 1, []byte("SSH-2.0-y\r\n"))
	if m := z.Result(); m.Application != "ssh" || m.SSHClient != "SSH-2.0-x" || m.SSHServer != "SSH-2.0-y" {
		t.Errorf("zero State: %+v", m)
	}
}

func TestSSHPreamble(t *testing.T) {
	var s State
	s.Init(true, 40000, 22)
	first := []byte("Welcome\r\nto the \x01 box\r\nSSH-2.0-Server_1")
	s.Observe(1, true, 1, first)
	s.Observe(1, true, 1+uint32(len(first)), []byte(".0 extra\r\n"))
	s.Observe(0, true, 1, []byte("SSH-2.0-Client\n"))
	m := s.Result()
	if m.SSHServer != "SSH-2.0-Server_1.0 extra" || m.SSHClient != "SSH-2.0-Client" {
		t.Errorf("got %q %q", m.SSHServer, m.SSHClient)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"abc":          "abc",
		"a\x00b\r\n":   `a\x00b\x0d\x0a`,
		"J\xe4ger":     `J\xe4ger`,
		"Jäger":        "Jäger",
		"\x7f\xc2\x80": `\x7f\xc2\x80`,
	} {
		if got := printable([]byte(in)); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoAllocSteadyState: once decided, Observe allocates nothing, nor does
// it for flows of no interest or for HTTP response counting.
func TestNoAllocSteadyState(t *testing.T) {
	ch := specHello().record()
	data := make([]byte, 1400)
	var tls State
	tls.Init(true, 50000, 443)
	tls.Observe(0, true, 1, ch)
	tls.Observe(1, true, 1, serverHelloRecord(0x0303, 0xc02f, nil))
	seq := uint32(1 + len(ch))
	if n := testing.AllocsPerRun(1000, func() {
		tls.Observe(0, true, seq, data)
		tls.Observe(1, true, seq, data)
		seq += 1400
	}); n != 0 {
		t.Errorf("decided TLS flow: %v allocs per packet pair", n)
	}

	if n := testing.AllocsPerRun(1000, func() {
		var s State
		s.Init(true, 40000, 40001)
		s.Observe(0, true, 1, data)
		s.Observe(1, true, 1, data)
	}); n != 0 {
		t.Errorf("flow of no interest: %v allocs", n)
	}

	var h State
	h.Init(true, 40000, 80)
	h.Observe(0, true, 1, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	resp := []byte(response(200, string(make([]byte, 1000))))
	hseq := uint32(1)
	// Warm up the carry buffer once.
	h.Observe(1, true, hseq, resp[:20])
	h.Observe(1, true, hseq+20, resp[20:])
	hseq += uint32(len(resp))
	if n := testing.AllocsPerRun(1000, func() {
		h.Observe(1, true, hseq, resp[:30]) // head cut: carried
		h.Observe(1, true, hseq+30, resp[30:])
		hseq += uint32(len(resp))
	}); n != 0 {
		t.Errorf("HTTP response counting: %v allocs per response", n)
	}
	if m := h.Result(); m.HTTPResponses != 1002 {
		t.Errorf("responses %d, want 1002", m.HTTPResponses)
	}

	var d State
	d.Init(false, 40000, 53)
	q := dnsQuery(1, false, 0, 0, "example.com", 1)
	d.Observe(0, false, 0, q)
	if n := testing.AllocsPerRun(100, func() {
		d.Observe(0, false, 0, q) // same query again: nothing new to keep
	}); n != 0 {
		t.Errorf("repeated DNS query: %v allocs", n)
	}
}

func BenchmarkObserveDecided(b *testing.B) {
	var s State
	s.Init(true, 50000, 443)
	s.Observe(0, true, 1, specHello().record())
	data := make([]byte, 1400)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Observe(0, true, uint32(i*1400), data)
	}
}

func BenchmarkObserveClientHello(b *testing.B) {
	ch := specHello().record()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s State
		s.Init(true, 50000, 443)
		s.Observe(0, true, 1, ch)
	}
}

// BenchmarkTLSFlow is a whole TLS flow's metadata work: ClientHello,
// ServerHello and the Result read at expiry.
func BenchmarkTLSFlow(b *testing.B) {
	ch := specHello().record()
	sh := serverHelloRecord(0x0303, 0x1301, []ext{{0x002b, u16(0x0304)}, {0x0033, make([]byte, 36)}})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s State
		s.Init(true, 50000, 443)
		s.Observe(0, true, 1, ch)
		s.Observe(1, true, 1, sh)
		if m := s.Result(); m.JA3SHash == "" {
			b.Fatal("no JA3S")
		}
	}
}

// BenchmarkHTTPFlow is one HTTP request and its response.
func BenchmarkHTTPFlow(b *testing.B) {
	req := []byte("GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n\r\n")
	resp := []byte(response(200, "hello"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s State
		s.Init(true, 50000, 80)
		s.Observe(0, true, 1, req)
		s.Observe(1, true, 1, resp)
		if m := s.Result(); m.HTTPUserAgent == "" {
			b.Fatal("no user agent")
		}
	}
}

// BenchmarkDNSFlow is one UDP DNS query and its response.
func BenchmarkDNSFlow(b *testing.B) {
	q := dnsQuery(7, false, 0, 0, "www.example.com", 1)
	r := dnsQuery(7, true, 0, 2, "www.example.com", 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s State
		s.Init(false, 50000, 53)
		s.Observe(0, false, 0, q)
		s.Observe(1, false, 0, r)
		if m := s.Result(); m.DNSQuery == "" {
			b.Fatal("no query")
		}
	}
}
