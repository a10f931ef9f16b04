package appmeta

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
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

// inlineList is how many values of one hello list are kept without
// allocating; longer lists (rare: only cipher suites get that long) move to
// the heap.
const inlineList = 64

// list16 is a list of 16-bit values held in place while short, so parsing
// a common hello allocates nothing.
type list16 struct {
	a    [inlineList]uint16
	n    int
	more []uint16 // every value, once a has overflowed
}

func (l *list16) add(v uint16) {
	if l.more == nil {
		if l.n < len(l.a) {
			l.a[l.n] = v
			l.n++
			return
		}
		l.more = make([]uint16, l.n, 2*l.n)
		copy(l.more, l.a[:])
	}
	l.more = append(l.more, v)
}

func (l *list16) items() []uint16 {
	if l.more != nil {
		return l.more
	}
	return l.a[:l.n]
}

// bytesList is list16's counterpart for byte strings (ALPN protocols).
type bytesList struct {
	a    [8][]byte
	n    int
	more [][]byte
}

func (l *bytesList) add(v []byte) {
	if l.more == nil {
		if l.n < len(l.a) {
			l.a[l.n] = v
			l.n++
			return
		}
		l.more = make([][]byte, l.n, 2*l.n)
		copy(l.more, l.a[:])
	}
	l.more = append(l.more, v)
}

func (l *bytesList) items() [][]byte {
	if l.more != nil {
		return l.more
	}
	return l.a[:l.n]
}

// clientHello holds the fields of a ClientHello the fingerprints need, in
// wire order, GREASE already removed. Byte strings alias the parsed
// message: a clientHello lives on the stack for one parse and render.
type clientHello struct {
	version   uint16 // legacy client_version
	ciphers   list16
	exts      list16
	groups    list16
	pointFmts list16
	sigAlgs   list16
	versions  list16 // supported_versions
	sni       []byte // first host_name entry that is not empty
	hasSNI    bool
	alpn      bytesList
}

// parse decodes a ClientHello body. Extensions are optional (an SSLv3-era
// hello may end after compression methods).
func (ch *clientHello) parse(b []byte) bool {
	r := newReader(b)
	ch.version = uint16(r.u16())
	r.bytes(32)
	r.bytes(r.u8())
	cs := newReader(r.bytes(r.u16()))
	r.bytes(r.u8())
	if !r.ok || len(cs.b)%2 != 0 {
		return false
	}
	for len(cs.b) > 0 {
		if c := uint16(cs.u16()); !isGREASE(c) {
			ch.ciphers.add(c)
		}
	}
	if len(r.b) == 0 {
		return true
	}
	er := newReader(r.bytes(r.u16()))
	if !r.ok {
		return false
	}
	for len(er.b) > 0 {
		typ := uint16(er.u16())
		data := er.bytes(er.u16())
		if !er.ok {
			return false
		}
		if isGREASE(typ) {
			continue
		}
		ch.exts.add(typ)
		x := newReader(data)
		switch typ {
		case extServerName:
			ch.hasSNI = true
			l := newReader(x.bytes(x.u16()))
			for len(l.b) > 0 && l.ok {
				nt := l.u8()
				name := l.bytes(l.u16())
				if l.ok && nt == 0 && len(ch.sni) == 0 {
					ch.sni = name
				}
			}
		case extALPN:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) > 0 && l.ok {
				p := l.bytes(l.u8())
				if !l.ok {
					break
				}
				ch.alpn.add(p)
			}
		case extGroups:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) >= 2 {
				if g := uint16(l.u16()); !isGREASE(g) {
					ch.groups.add(g)
				}
			}
		case extPointFmts:
			for _, f := range x.bytes(x.u8()) {
				ch.pointFmts.add(uint16(f))
			}
		case extSigAlgs:
			l := newReader(x.bytes(x.u16()))
			for len(l.b) >= 2 {
				if a := uint16(l.u16()); !isGREASE(a) {
					ch.sigAlgs.add(a)
				}
			}
		case extSupportedVs:
			l := newReader(x.bytes(x.u8()))
			for len(l.b) >= 2 {
				if v := uint16(l.u16()); !isGREASE(v) {
					ch.versions.add(v)
				}
			}
		}
	}
	return true
}

// clientMeta is what a ClientHello contributes to Meta. Its strings share
// one allocation.
type clientMeta struct {
	sni, alpn, alpnList string
	ja3, ja3Hash, ja4   string
	version             uint16
}

// meta renders the hello's strings into one scratch buffer (on the stack
// unless the hello is huge) and copies it out once.
func (ch *clientHello) meta() clientMeta {
	var buf [1024]byte
	b := appendPrintable(buf[:0], ch.sni)
	sniEnd := len(b)
	alpnEnd := len(b)
	for i, p := range ch.alpn.items() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPrintable(b, p)
		if i == 0 {
			alpnEnd = len(b)
		}
	}
	listEnd := len(b)
	b = ch.appendJA3(b)
	ja3End := len(b)
	b = appendMD5Hex(b, b[listEnd:])
	hashEnd := len(b)
	b = ch.appendJA4(b)
	s := string(b)
	return clientMeta{
		sni:      s[:sniEnd],
		alpn:     s[sniEnd:alpnEnd],
		alpnList: s[sniEnd:listEnd],
		ja3:      s[listEnd:ja3End],
		ja3Hash:  s[ja3End:hashEnd],
		ja4:      s[hashEnd:],
		version:  ch.highestVersion(),
	}
}

// highestVersion is the best version the client offers anywhere.
func (ch *clientHello) highestVersion() uint16 {
	v := ch.version
	for _, x := range ch.versions.items() {
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

// appendJA3 appends the JA3 string: decimal fields, lists joined by '-'.
func (ch *clientHello) appendJA3(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(ch.version), 10)
	b = append(b, ',')
	b = appendJoined16(b, ch.ciphers.items())
	b = append(b, ',')
	b = appendJoined16(b, ch.exts.items())
	b = append(b, ',')
	b = appendJoined16(b, ch.groups.items())
	b = append(b, ',')
	return appendJoined16(b, ch.pointFmts.items())
}

// appendMD5Hex appends the lower-case hex MD5 of s, which may alias dst.
func appendMD5Hex(dst, s []byte) []byte {
	h := md5.Sum(s)
	return hex.AppendEncode(dst, h[:])
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

func appendTwoDigits(dst []byte, n int) []byte {
	if n > 99 {
		n = 99
	}
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// appendJA4Hash appends the first 12 hex digits of SHA-256 of s, or twelve
// zeros for an empty s as the spec asks.
func appendJA4Hash(dst, s []byte) []byte {
	if len(s) == 0 {
		return append(dst, "000000000000"...)
	}
	h := sha256.Sum256(s)
	return hex.AppendEncode(dst, h[:6])
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

// appendJA4 appends the FoxIO JA4 fingerprint for TLS over TCP ("t").
func (ch *clientHello) appendJA4(dst []byte) []byte {
	dst = append(dst, 't')
	v := ch.version
	if vs := ch.versions.items(); len(vs) > 0 {
		v = vs[0]
		for _, x := range vs {
			if versionRank(x) > versionRank(v) {
				v = x
			}
		}
	}
	dst = append(dst, ja4Version(v)...)
	if ch.hasSNI {
		dst = append(dst, 'd')
	} else {
		dst = append(dst, 'i')
	}
	ciphers, exts := ch.ciphers.items(), ch.exts.items()
	dst = appendTwoDigits(dst, len(ciphers))
	dst = appendTwoDigits(dst, len(exts))
	var first []byte
	if a := ch.alpn.items(); len(a) > 0 {
		first = a[0]
	}
	dst = appendJA4ALPN(dst, first)
	dst = append(dst, '_')

	// Sorted copies and the hashed hex lists stay on the stack for
	// common hellos.
	var sorted [2 * inlineList]uint16
	var hexBuf [10 * inlineList]byte
	cs := append(sorted[:0], ciphers...)
	slices.Sort(cs)
	dst = appendJA4Hash(dst, appendHexList(hexBuf[:0], cs))
	dst = append(dst, '_')

	es := sorted[:0]
	for _, e := range exts {
		if e != extServerName && e != extALPN {
			es = append(es, e)
		}
	}
	slices.Sort(es)
	c := hexBuf[:0]
	if len(es) > 0 {
		c = appendHexList(c, es)
		if sa := ch.sigAlgs.items(); len(sa) > 0 {
			c = append(c, '_')
			c = appendHexList(c, sa)
		}
	}
	return appendJA4Hash(dst, c)
}

// appendJA4ALPN appends the two-character ALPN part of JA4_a.
func appendJA4ALPN(dst, p []byte) []byte {
	if len(p) == 0 {
		return append(dst, "00"...)
	}
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(dst, first, last)
	}
	const hexd = "0123456789abcdef"
	return append(dst, hexd[first>>4], hexd[last&15])
}

// serverHello holds what JA3S and the negotiated version need.
type serverHello struct {
	version  uint16 // legacy server_version
	cipher   uint16
	exts     list16
	selected uint16 // supported_versions, 0 when absent
}

func (sh *serverHello) parse(b []byte) bool {
	r := newReader(b)
	sh.version = uint16(r.u16())
	r.bytes(32)
	r.bytes(r.u8())
	sh.cipher = uint16(r.u16())
	r.u8()
	if !r.ok {
		return false
	}
	if len(r.b) == 0 {
		return true
	}
	er := newReader(r.bytes(r.u16()))
	if !r.ok {
		return false
	}
	for len(er.b) > 0 {
		typ := uint16(er.u16())
		data := er.bytes(er.u16())
		if !er.ok {
			return false
		}
		if isGREASE(typ) {
			continue
		}
		sh.exts.add(typ)
		if typ == extSupportedVs && len(data) >= 2 {
			sh.selected = uint16(data[0])<<8 | uint16(data[1])
		}
	}
	return true
}

func (sh *serverHello) appendJA3S(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(sh.version), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.cipher), 10)
	b = append(b, ',')
	return appendJoined16(b, sh.exts.items())
}

// ja3s returns the JA3S string and its MD5, sharing one allocation.
func (sh *serverHello) ja3s() (ja3s, hash string) {
	var buf [256]byte
	b := sh.appendJA3S(buf[:0])
	n := len(b)
	s := string(appendMD5Hex(b, b))
	return s[:n], s[n:]
}

func (sh *serverHello) negotiated() uint16 {
	if sh.selected != 0 {
		return sh.selected
	}
	return sh.version
}
