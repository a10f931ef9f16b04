package appmeta

// The implementation of the hello parsers, fingerprints, refPrintable and the
// HTTP request parser as they were before the allocation work, kept
// verbatim (renamed ref*) as the reference of the differential tests in
// diff_test.go. Helpers that did not change (reader, isGREASE,
// versionRank, ja4Version, isAlnum, the HTTP line helpers) are shared.

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// refClientHello holds the fields of a ClientHello the fingerprints need, in
// wire order, GREASE already removed.
type refClientHello struct {
	version      uint16 // legacy client_version
	ciphers      []uint16
	exts         []uint16
	groups       []uint16
	pointFmts    []uint8
	sigAlgs      []uint16
	versions     []uint16 // supported_versions
	sni          string
	hasSNI       bool
	alpn         []string
	alpnFirstRaw []byte
}

// refParseClientHello decodes a ClientHello body. Extensions are optional (an
// SSLv3-era hello may end after compression methods).
func refParseClientHello(b []byte) (refClientHello, bool) {
	var ch refClientHello
	r := newReader(b)
	ch.version = uint16(r.u16())
	r.bytes(32)
	r.bytes(r.u8())
	cs := newReader(r.bytes(r.u16()))
	r.bytes(r.u8())
	if !r.ok || len(cs.b)%2 != 0 {
		return ch, false
	}
	ch.ciphers = make([]uint16, 0, len(cs.b)/2)
	for len(cs.b) > 0 {
		if c := uint16(cs.u16()); !isGREASE(c) {
			ch.ciphers = append(ch.ciphers, c)
		}
	}
	if len(r.b) == 0 {
		return ch, true
	}
	er := newReader(r.bytes(r.u16()))
	if !r.ok {
		return ch, false
	}
	for len(er.b) > 0 {
		typ := uint16(er.u16())
		data := er.bytes(er.u16())
		if !er.ok {
			return ch, false
		}
		if isGREASE(typ) {
			continue
		}
		ch.exts = append(ch.exts, typ)
		x := newReader(data)
		switch typ {
		case extServerName:
			ch.hasSNI = true
			l := newReader(x.bytes(x.u16()))
			for len(l.b) > 0 && l.ok {
				nt := l.u8()
				name := l.bytes(l.u16())
				if l.ok && nt == 0 && ch.sni == "" {
					ch.sni = refPrintable(name)
				}
			}
		case extALPN:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) > 0 && l.ok {
				p := l.bytes(l.u8())
				if !l.ok {
					break
				}
				if len(ch.alpn) == 0 {
					ch.alpnFirstRaw = p
				}
				ch.alpn = append(ch.alpn, refPrintable(p))
			}
		case extGroups:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) >= 2 {
				if g := uint16(l.u16()); !isGREASE(g) {
					ch.groups = append(ch.groups, g)
				}
			}
		case extPointFmts:
			l := x.bytes(x.u8())
			ch.pointFmts = append(ch.pointFmts, l...)
		case extSigAlgs:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) >= 2 {
				if a := uint16(l.u16()); !isGREASE(a) {
					ch.sigAlgs = append(ch.sigAlgs, a)
				}
			}
		case extSupportedVs:
			l := newReader(x.bytes(x.u8()))
			for len(l.b) >= 2 {
				if v := uint16(l.u16()); !isGREASE(v) {
					ch.versions = append(ch.versions, v)
				}
			}
		}
	}
	return ch, true
}

// highestVersion is the best version the client offers anywhere.
func (ch *refClientHello) highestVersion() uint16 {
	v := ch.version
	for _, x := range ch.versions {
		if versionRank(x) > versionRank(v) {
			v = x
		}
	}
	return v
}

func refAppendJoined16(dst []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

// ja3 renders the JA3 string: decimal fields, lists joined by '-'.
func (ch *refClientHello) ja3() string {
	b := make([]byte, 0, 256)
	b = strconv.AppendUint(b, uint64(ch.version), 10)
	b = append(b, ',')
	b = refAppendJoined16(b, ch.ciphers)
	b = append(b, ',')
	b = refAppendJoined16(b, ch.exts)
	b = append(b, ',')
	b = refAppendJoined16(b, ch.groups)
	b = append(b, ',')
	for i, v := range ch.pointFmts {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return string(b)
}

func refMD5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func refTwoDigits(n int) string {
	if n > 99 {
		n = 99
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// refJA4Hash is the first 12 hex digits of SHA-256, or twelve zeros for an
// empty input as the spec asks.
func refJA4Hash(s string) string {
	if s == "" {
		return "000000000000"
	}
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func refAppendHexList(dst []byte, vs []uint16) []byte {
	const hexd = "0123456789abcdef"
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, hexd[v>>12], hexd[v>>8&15], hexd[v>>4&15], hexd[v&15])
	}
	return dst
}

// ja4 renders the FoxIO JA4 fingerprint for TLS over TCP ("t").
func (ch *refClientHello) ja4() string {
	var sb strings.Builder
	sb.WriteByte('t')
	v := ch.version
	if len(ch.versions) > 0 {
		v = ch.versions[0]
		for _, x := range ch.versions {
			if versionRank(x) > versionRank(v) {
				v = x
			}
		}
	}
	sb.WriteString(ja4Version(v))
	if ch.hasSNI {
		sb.WriteByte('d')
	} else {
		sb.WriteByte('i')
	}
	sb.WriteString(refTwoDigits(len(ch.ciphers)))
	sb.WriteString(refTwoDigits(len(ch.exts)))
	sb.WriteString(refJA4ALPN(ch.alpnFirstRaw))
	sb.WriteByte('_')

	cs := slices.Clone(ch.ciphers)
	slices.Sort(cs)
	sb.WriteString(refJA4Hash(string(refAppendHexList(nil, cs))))
	sb.WriteByte('_')

	es := make([]uint16, 0, len(ch.exts))
	for _, e := range ch.exts {
		if e != extServerName && e != extALPN {
			es = append(es, e)
		}
	}
	slices.Sort(es)
	var c []byte
	if len(es) > 0 {
		c = refAppendHexList(c, es)
		if len(ch.sigAlgs) > 0 {
			c = append(c, '_')
			c = refAppendHexList(c, ch.sigAlgs)
		}
	}
	sb.WriteString(refJA4Hash(string(c)))
	return sb.String()
}

// refJA4ALPN is the two-character ALPN part of JA4_a.
func refJA4ALPN(p []byte) string {
	if len(p) == 0 {
		return "00"
	}
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return string([]byte{first, last})
	}
	const hexd = "0123456789abcdef"
	return string([]byte{hexd[first>>4], hexd[last&15]})
}

// refServerHello holds what JA3S and the negotiated version need.
type refServerHello struct {
	version  uint16 // legacy server_version
	cipher   uint16
	exts     []uint16
	selected uint16 // supported_versions, 0 when absent
}

func refParseServerHello(b []byte) (refServerHello, bool) {
	var sh refServerHello
	r := newReader(b)
	sh.version = uint16(r.u16())
	r.bytes(32)
	r.bytes(r.u8())
	sh.cipher = uint16(r.u16())
	r.u8()
	if !r.ok {
		return sh, false
	}
	if len(r.b) == 0 {
		return sh, true
	}
	er := newReader(r.bytes(r.u16()))
	if !r.ok {
		return sh, false
	}
	for len(er.b) > 0 {
		typ := uint16(er.u16())
		data := er.bytes(er.u16())
		if !er.ok {
			return sh, false
		}
		if isGREASE(typ) {
			continue
		}
		sh.exts = append(sh.exts, typ)
		if typ == extSupportedVs && len(data) >= 2 {
			sh.selected = uint16(data[0])<<8 | uint16(data[1])
		}
	}
	return sh, true
}

func (sh *refServerHello) ja3s() string {
	b := make([]byte, 0, 64)
	b = strconv.AppendUint(b, uint64(sh.version), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.cipher), 10)
	b = append(b, ',')
	b = refAppendJoined16(b, sh.exts)
	return string(b)
}

func (sh *refServerHello) negotiated() uint16 {
	if sh.selected != 0 {
		return sh.selected
	}
	return sh.version
}

// refPrintable copies b into a string that is safe in a CSV cell and a log
// line: refPrintable UTF-8 is kept, control characters and bytes that are not
// UTF-8 become \xNN.
func refPrintable(b []byte) string {
	clean := true
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			out = append(out, '\\', 'x', hexd[b[0]>>4], hexd[b[0]&15])
			b = b[1:]
			continue
		}
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return string(out)
}

// refHTTPRequest is the first request of a flow.
type refHTTPRequest struct {
	method, host, ua string
	pathLen          int
}

// refParseHTTPRequest reads the request line and headers in p. With capped
// set, a header block that never ends is parsed as far as it goes.
func refParseHTTPRequest(p []byte, capped bool) (refHTTPRequest, status) {
	var req refHTTPRequest
	if !looksHTTPRequest(p) {
		return req, failed
	}
	end := headerEnd(p)
	if end < 0 {
		if !capped {
			return req, needMore
		}
		end = len(p)
	}
	line, _ := firstLine(p)
	sp1 := bytes.IndexByte(line, ' ')
	req.method = string(line[:sp1])
	target := line[sp1+1:]
	if i := bytes.LastIndexByte(target, ' '); i >= 0 && isHTTPVersion(target[i+1:]) {
		target = target[:i]
	}
	req.pathLen = uriPathLen(target)
	hdrs := p[:end]
	if i := bytes.IndexByte(hdrs, '\n'); i >= 0 {
		hdrs = hdrs[i+1:]
	} else {
		hdrs = nil
	}
	for len(hdrs) > 0 {
		var l []byte
		if i := bytes.IndexByte(hdrs, '\n'); i >= 0 {
			l, hdrs = hdrs[:i], hdrs[i+1:]
		} else {
			l, hdrs = hdrs, nil
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		name, val, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case req.host == "" && asciiEqualFold(name, "host"):
			req.host = refPrintable(val)
		case req.ua == "" && asciiEqualFold(name, "user-agent"):
			req.ua = refPrintable(val)
		}
	}
	return req, parsed
}
