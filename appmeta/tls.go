package appmeta

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// status is a parser's verdict on the bytes it has been given so far.
type status uint8

const (
	needMore status = iota // a prefix of something parseable: wait for more
	parsed                 // done, fields recorded
	failed                 // not this protocol, or malformed: give up
)

const (
	recHandshake   = 22
	hsClientHello  = 1
	hsServerHello  = 2
	maxRecordLen   = 16384 + 2048 // TLSCiphertext limit
	maxHandshake   = MaxBuffer    // a hello we could never buffer is hopeless
	extServerName  = 0x0000
	extGroups      = 0x000a
	extPointFmts   = 0x000b
	extSigAlgs     = 0x000d
	extALPN        = 0x0010
	extSupportedVs = 0x002b
)

// looksTLS reports whether p starts like a TLS handshake record.
func looksTLS(p []byte) bool {
	return len(p) >= 3 && p[0] == recHandshake && p[1] == 3 && p[2] <= 4
}

// handshakeMsg finds the first handshake message of type want at the start
// of the record stream s and returns its body (without the 4-byte header).
// It aliases s when the message sits in one record and copies only when it
// spans records.
func handshakeMsg(s []byte, want byte) ([]byte, status) {
	if len(s) < 3 {
		if len(s) >= 1 && s[0] != recHandshake || len(s) >= 2 && s[1] != 3 {
			return nil, failed
		}
		return nil, needMore
	}
	if !looksTLS(s) {
		return nil, failed
	}
	if len(s) < 9 {
		return nil, needMore
	}
	rl := int(s[3])<<8 | int(s[4])
	if rl < 4 || rl > maxRecordLen {
		return nil, failed
	}
	body := s[5:]
	if len(body) > rl {
		body = body[:rl]
	}
	if body[0] != want {
		return nil, failed
	}
	ml := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
	if ml > maxHandshake {
		return nil, failed
	}
	if len(body) >= 4+ml {
		return body[4 : 4+ml], parsed
	}
	if len(body) < rl {
		return nil, needMore // first record itself incomplete
	}
	// The message continues in further handshake records.
	msg := make([]byte, 0, 4+ml)
	msg = append(msg, body...)
	rest := s[5+rl:]
	for len(msg) < 4+ml {
		if len(rest) < 5 {
			return nil, needMore
		}
		if rest[0] != recHandshake || rest[1] != 3 {
			return nil, failed
		}
		l := int(rest[3])<<8 | int(rest[4])
		if l == 0 || l > maxRecordLen {
			return nil, failed
		}
		frag := rest[5:]
		if len(frag) > l {
			frag = frag[:l]
		}
		need := 4 + ml - len(msg)
		if len(frag) >= need {
			msg = append(msg, frag[:need]...)
			break
		}
		if len(frag) < l {
			return nil, needMore
		}
		msg = append(msg, frag...)
		rest = rest[5+l:]
	}
	return msg[4:], parsed
}

// reader is a bounds-checked big-endian cursor; after any short read ok is
// false and every further read yields zero, so parsers check once at the end
// of a unit instead of after each field.
type reader struct {
	b  []byte
	ok bool
}

func newReader(b []byte) reader { return reader{b: b, ok: true} }

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.ok = false
		r.b = nil
		return 0
	}
	v := int(r.b[0])
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.ok = false
		r.b = nil
		return 0
	}
	v := int(r.b[0])<<8 | int(r.b[1])
	r.b = r.b[2:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.ok = false
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// clientHello holds the fields of a ClientHello the fingerprints need, in
// wire order, GREASE already removed.
type clientHello struct {
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

// parseClientHello decodes a ClientHello body. Extensions are optional (an
// SSLv3-era hello may end after compression methods).
func parseClientHello(b []byte) (clientHello, bool) {
	var ch clientHello
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
					ch.sni = printable(name)
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
				ch.alpn = append(ch.alpn, printable(p))
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
func (ch *clientHello) highestVersion() uint16 {
	v := ch.version
	for _, x := range ch.versions {
		if versionRank(x) > versionRank(v) {
			v = x
		}
	}
	return v
}

// versionRank orders versions: SSL/TLS codes grow with recency, but
// drafts (0x7fxx) and DTLS (0xfexx) do not, so map them.
func versionRank(v uint16) int {
	switch {
	case v>>8 == 0x7f: // TLS 1.3 drafts sit just below the final version
		return 0x0304<<8 - 0x100 + int(v&0xff)
	case v>>8 == 0xfe: // DTLS counts down
		return int(0xff - v&0xff)
	}
	return int(v) << 8
}

func appendJoined16(dst []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

// ja3 renders the JA3 string: decimal fields, lists joined by '-'.
func (ch *clientHello) ja3() string {
	b := make([]byte, 0, 256)
	b = strconv.AppendUint(b, uint64(ch.version), 10)
	b = append(b, ',')
	b = appendJoined16(b, ch.ciphers)
	b = append(b, ',')
	b = appendJoined16(b, ch.exts)
	b = append(b, ',')
	b = appendJoined16(b, ch.groups)
	b = append(b, ',')
	for i, v := range ch.pointFmts {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return string(b)
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func twoDigits(n int) string {
	if n > 99 {
		n = 99
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// ja4Hash is the first 12 hex digits of SHA-256, or twelve zeros for an
// empty input as the spec asks.
func ja4Hash(s string) string {
	if s == "" {
		return "000000000000"
	}
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func appendHexList(dst []byte, vs []uint16) []byte {
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
func (ch *clientHello) ja4() string {
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
	sb.WriteString(twoDigits(len(ch.ciphers)))
	sb.WriteString(twoDigits(len(ch.exts)))
	sb.WriteString(ja4ALPN(ch.alpnFirstRaw))
	sb.WriteByte('_')

	cs := slices.Clone(ch.ciphers)
	slices.Sort(cs)
	sb.WriteString(ja4Hash(string(appendHexList(nil, cs))))
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
		c = appendHexList(c, es)
		if len(ch.sigAlgs) > 0 {
			c = append(c, '_')
			c = appendHexList(c, ch.sigAlgs)
		}
	}
	sb.WriteString(ja4Hash(string(c)))
	return sb.String()
}

// ja4ALPN is the two-character ALPN part of JA4_a.
func ja4ALPN(p []byte) string {
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

// serverHello holds what JA3S and the negotiated version need.
type serverHello struct {
	version  uint16 // legacy server_version
	cipher   uint16
	exts     []uint16
	selected uint16 // supported_versions, 0 when absent
}

func parseServerHello(b []byte) (serverHello, bool) {
	var sh serverHello
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

func (sh *serverHello) ja3s() string {
	b := make([]byte, 0, 64)
	b = strconv.AppendUint(b, uint64(sh.version), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.cipher), 10)
	b = append(b, ',')
	b = appendJoined16(b, sh.exts)
	return string(b)
}

func (sh *serverHello) negotiated() uint16 {
	if sh.selected != 0 {
		return sh.selected
	}
	return sh.version
}
