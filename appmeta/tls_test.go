package appmeta

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func observeWhole(t *testing.T, sport uint16, client, server []byte) Meta {
	t.Helper()
	var s State
	s.Init(true, 50000, sport)
	if client != nil {
		s.Observe(0, true, 1000, client)
	}
	if server != nil {
		s.Observe(1, true, 9000, server)
	}
	return s.Result()
}

// TestJA4SpecExample checks JA4 against the worked example of the FoxIO
// specification, whose values were computed by its authors.
func TestJA4SpecExample(t *testing.T) {
	m := observeWhole(t, 443, specHello().record(), nil)
	const want = "t13d1516h2_8daaf6152771_e5627efa2ab1"
	if m.JA4 != want {
		t.Errorf("JA4 = %q, want %q (spec example)", m.JA4, want)
	}
	if m.TLSSNI != "example.com" || m.TLSALPN != "h2" || m.TLSALPNList != "h2,http/1.1" {
		t.Errorf("SNI/ALPN = %q %q %q", m.TLSSNI, m.TLSALPN, m.TLSALPNList)
	}
	if m.TLSClientVersion != 0x0304 {
		t.Errorf("client version = %#x, want 0x0304 from supported_versions", m.TLSClientVersion)
	}
	if m.Application != "tls" {
		t.Errorf("Application = %q", m.Application)
	}

	// The spec's second value: the same extensions with no signature
	// algorithms hash to 6d807ffa2a79 (the string then has no '_').
	h := specHello()
	for i, e := range h.exts {
		if e.typ == 0x000d {
			h.exts[i] = sigAlgsExt()
		}
	}
	m = observeWhole(t, 443, h.record(), nil)
	if want := "t13d1516h2_8daaf6152771_6d807ffa2a79"; m.JA4 != want {
		t.Errorf("JA4 without sig algs = %q, want %q", m.JA4, want)
	}
}

// TestJA3Synthetic checks the JA3 string built by hand from the spec hello:
// GREASE dropped from ciphers, extensions and groups, order kept.
func TestJA3Synthetic(t *testing.T) {
	m := observeWhole(t, 443, specHello().record(), nil)
	const want = "771," +
		"4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53," +
		"27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21," +
		"29-23-24," +
		"0"
	if m.JA3 != want {
		t.Errorf("JA3 =\n%s\nwant\n%s", m.JA3, want)
	}
	sum := md5.Sum([]byte(want))
	if m.JA3Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("JA3 hash %s", m.JA3Hash)
	}
}

func TestJA4ALPN(t *testing.T) {
	// Cases from the specification's "ALPN Extension Value" section.
	cases := []struct {
		in   []byte
		want string
	}{
		{nil, "00"},
		{[]byte("h2"), "h2"},
		{[]byte("http/1.1"), "h1"},
		{[]byte("h"), "hh"},
		{[]byte{0xab}, "ab"},
		{[]byte{0xab, 0xcd}, "ad"},
		{[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"},
		{[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
	}
	for _, c := range cases {
		if got := string(appendJA4ALPN([]byte("x"), c.in)); got != "x"+c.want {
			t.Errorf("ja4ALPN(% x) = %q, want %q", c.in, got, c.want)
		}
	}
}

// sha256Prefix is JA4's truncated hash, computed the plain way.
func sha256Prefix(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:12]
}

func TestJA4VersionAndCounts(t *testing.T) {
	// No SNI, no ALPN, no supported_versions: version from the hello,
	// "i", "00".
	h := chSpec{version: 0x0301, ciphers: []uint16{0x0035, 0x002f}, exts: []ext{pointsExt(0)}}
	m := observeWhole(t, 443, h.record(), nil)
	// ciphers "002f,0035"; extensions "000b" (no sig algs).
	want := "t10i020100_" + sha256Prefix("002f,0035") + "_" + sha256Prefix("000b")
	if m.JA4 != want {
		t.Errorf("JA4 = %q, want %q", m.JA4, want)
	}
	// No extensions block at all: JA4_c is twelve zeros.
	h = chSpec{version: 0x0300, ciphers: []uint16{0x000a}}
	m = observeWhole(t, 443, h.record(), nil)
	if want := "ts3i010000_" + sha256Prefix("000a") + "_000000000000"; m.JA4 != want {
		t.Errorf("JA4 = %q, want %q", m.JA4, want)
	}
	if m.JA3 != "768,10,,," {
		t.Errorf("JA3 = %q", m.JA3)
	}
}

func TestServerHello(t *testing.T) {
	sh := serverHelloRecord(0x0303, 0x1301, []ext{{0x0033, make([]byte, 36)}, {0x002b, u16(0x0304)}})
	alert := []byte{21, 3, 3, 0, 2, 1, 112} // warning, unrecognized_name
	for _, pre := range [][]byte{nil, alert} {
		m := observeWhole(t, 443, specHello().record(), append(append([]byte{}, pre...), sh...))
		if m.JA3S != "771,4865,51-43" {
			t.Errorf("JA3S = %q", m.JA3S)
		}
		sum := md5.Sum([]byte("771,4865,51-43"))
		if m.JA3SHash != hex.EncodeToString(sum[:]) {
			t.Errorf("JA3S hash = %q", m.JA3SHash)
		}
		if m.TLSServerVersion != 0x0304 || VersionName(m.TLSServerVersion) != "TLSv1.3" {
			t.Errorf("server version = %#x", m.TLSServerVersion)
		}
	}
}
