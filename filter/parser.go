package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// proto is the protocol qualifier of a primitive ("tcp", "ip6", ...).
type proto int

const (
	protoNone proto = iota
	protoIP
	protoIP6
	protoARP
	protoRARP
	protoTCP
	protoUDP
	protoSCTP
	protoICMP
	protoICMP6
)

var protoWords = map[string]proto{
	"ip": protoIP, "ip6": protoIP6, "arp": protoARP, "rarp": protoRARP,
	"tcp": protoTCP, "udp": protoUDP, "sctp": protoSCTP,
	"icmp": protoICMP, "icmp6": protoICMP6,
}

func (p proto) String() string {
	for w, q := range protoWords {
		if q == p {
			return w
		}
	}
	return "default"
}

// dir is the direction qualifier: which address or port field is tested.
type dir int

const (
	dirAny  dir = iota // "src or dst", also the default
	dirSrc             // "src"
	dirDst             // "dst"
	dirBoth            // "src and dst"
)

// typ is the kind of identifier a primitive takes.
type typ int

const (
	typNone typ = iota // only a direction was given: host or net, by the identifier's form
	typHost
	typNet
	typPort
	typPortRange
)

var typWords = map[string]typ{"host": typHost, "net": typNet, "port": typPort, "portrange": typPortRange}

// kind says what a primitive tests once its qualifiers are resolved.
type kind int

const (
	kProto   kind = iota // "tcp", "ip6", ...: protocol presence
	kHost                // host or net: prefix is the address and its mask
	kPort                // port or portrange: lo..hi
	kIPProto             // "ip proto N", "ip6 proto N", "proto N"
	kVlan                // "vlan [id]"
	kGreater             // "greater N": wire length >= N
	kLess                // "less N": wire length <= N
)

// node is a parsed expression: *binNode, *notNode or *primNode.
type node interface{}

type binNode struct {
	and  bool
	l, r node
}

type notNode struct{ x node }

type primNode struct {
	pos    int // byte offset of the primitive, for compile-time errors
	kind   kind
	proto  proto
	dir    dir
	prefix netip.Prefix // kHost: the address; for IPv6 also its prefix length
	mask4  uint32       // kHost, IPv4: the mask ("mask" may be non-contiguous, as in tcpdump)
	lo, hi uint16       // kPort
	num    uint32       // kIPProto protocol, kVlan id, kGreater/kLess length
	hasNum bool         // kVlan: an id was given
}

// qual is the qualifier list of the last primitive with an identifier;
// tcpdump reuses it for a bare identifier ("port 80 or 443").
type qual struct {
	proto proto
	dir   dir
	typ   typ
}

type parser struct {
	expr  string
	toks  []token
	i     int
	last  *qual
	prims int // primitives parsed so far
}

// parse turns expr into a tree; nil means the empty expression.
func parse(expr string) (node, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, nil
	}
	n, err := p.parseExpr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, p.errAt(t, "unbalanced ')'")
		}
		return nil, p.errAt(t, fmt.Sprintf("expected 'and', 'or' or end of expression, got %q", t.text))
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Expr: p.expr, Pos: t.pos, Msg: msg}
}

func isWord(t token, w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

// maxDepth bounds nesting so a hostile expression cannot exhaust the stack.
const maxDepth = 200

// parseExpr parses a sequence of unary terms joined by and/or. As in tcpdump,
// "and" and "or" have equal precedence and associate to the left.
func (p *parser) parseExpr(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nested too deeply")
	}
	x, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var and bool
		switch {
		case t.kind == tokAnd || isWord(t, "and"):
			and = true
		case t.kind == tokOr || isWord(t, "or"):
		default:
			return x, nil
		}
		p.next()
		y, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		x = &binNode{and: and, l: x, r: y}
	}
}

func (p *parser) parseUnary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nested too deeply")
	}
	t := p.peek()
	switch {
	case t.kind == tokNot || isWord(t, "not"):
		p.next()
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
	case t.kind == tokLParen:
		p.next()
		x, err := p.parseExpr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tokRParen {
			return nil, p.errAt(c, "missing ')'")
		}
		p.next()
		return x, nil
	case t.kind == tokEOF:
		return nil, p.errAt(t, "expected a primitive")
	case t.kind != tokWord:
		return nil, p.errAt(t, fmt.Sprintf("expected a primitive, got %q", t.text))
	}
	return p.parsePrimitive()
}

func (p *parser) parsePrimitive() (node, error) {
	// Every primitive costs at least one instruction, so past the kernel's
	// limit the program cannot be built; stop before a hostile expression
	// makes us allocate much.
	if p.prims++; p.prims > maxInstructions {
		return nil, p.errAt(p.peek(), fmt.Sprintf("more than %d primitives; the program would exceed the kernel's limit", maxInstructions))
	}
	n, err := p.parsePrimitiveBody()
	if prim, ok := n.(*primNode); ok && prim.kind != kHost && prim.kind != kPort {
		p.last = nil // "tcp and 1.2.3.4" is an error in tcpdump, not "tcp and host 1.2.3.4"
	}
	return n, err
}

func (p *parser) parsePrimitiveBody() (node, error) {
	t := p.peek()
	w := strings.ToLower(t.text)
	switch w {
	case "and", "or":
		return nil, p.errAt(t, fmt.Sprintf("expected a primitive before %q", t.text))
	case "greater", "less":
		p.next()
		n, err := p.parseNumber("length", 0xffffffff)
		if err != nil {
			return nil, err
		}
		k := kGreater
		if w == "less" {
			k = kLess
		}
		return &primNode{pos: t.pos, kind: k, num: n}, nil
	case "vlan":
		p.next()
		prim := &primNode{pos: t.pos, kind: kVlan}
		if n := p.peek(); n.kind == tokWord && n.text[0] >= '0' && n.text[0] <= '9' {
			id, err := p.parseNumber("VLAN id", 4095)
			if err != nil {
				return nil, err
			}
			prim.num, prim.hasNum = id, true
		}
		return prim, nil
	case "proto":
		p.next()
		return p.parseIPProto(t.pos, protoNone)
	}
	if pr, ok := protoWords[w]; ok {
		p.next()
		n := p.peek()
		if isWord(n, "proto") {
			if pr != protoIP && pr != protoIP6 {
				return nil, p.errAt(n, fmt.Sprintf("'proto' cannot follow %q (only ip, ip6 or nothing)", t.text))
			}
			p.next()
			return p.parseIPProto(t.pos, pr)
		}
		if n.kind == tokWord {
			nw := strings.ToLower(n.text)
			if _, isTyp := typWords[nw]; isTyp || nw == "src" || nw == "dst" {
				return p.parseQualified(t.pos, qual{proto: pr})
			}
		}
		return &primNode{pos: t.pos, kind: kProto, proto: pr}, nil
	}
	if _, isTyp := typWords[w]; isTyp || w == "src" || w == "dst" {
		return p.parseQualified(t.pos, qual{})
	}
	// A bare identifier takes the qualifiers of the previous primitive, if
	// that primitive had an identifier; tcpdump rejects it otherwise.
	if p.last == nil {
		if _, isNum := parseUint(t.text); isNum || looksLikeAddr(t.text) {
			return nil, p.errAt(t, fmt.Sprintf("%q needs a qualifier such as host, net, port, src or dst", t.text))
		}
		return nil, p.errAt(t, fmt.Sprintf("unknown or unsupported primitive %q", t.text))
	}
	return p.parseID(t.pos, *p.last)
}

func looksLikeAddr(s string) bool {
	if strings.Contains(s, ":") {
		return true
	}
	_, ok := parsePartialV4(s)
	return ok
}

// parseQualified reads an optional direction and type, then the identifier.
func (p *parser) parseQualified(pos int, q qual) (node, error) {
	t := p.peek()
	if isWord(t, "src") || isWord(t, "dst") {
		p.next()
		q.dir = dirSrc
		if isWord(t, "dst") {
			q.dir = dirDst
		}
		// "src or dst", "src and dst" (either order) are one qualifier.
		op, other := p.peek(), p.peekN(1)
		if (isWord(op, "or") || isWord(op, "and")) && (isWord(other, "src") || isWord(other, "dst")) &&
			!strings.EqualFold(other.text, t.text) {
			p.next()
			p.next()
			q.dir = dirAny
			if isWord(op, "and") {
				q.dir = dirBoth
			}
		}
	}
	if t := p.peek(); t.kind == tokWord {
		if ty, ok := typWords[strings.ToLower(t.text)]; ok {
			p.next()
			q.typ = ty
		}
	}
	return p.parseID(pos, q)
}

// parseID reads the identifier of a host, net, port or portrange primitive.
func (p *parser) parseID(pos int, q qual) (node, error) {
	t := p.peek()
	if t.kind != tokWord {
		return nil, p.errAt(t, "expected an address, network or port")
	}
	p.next()
	last := q
	p.last = &last
	prim := &primNode{pos: pos, proto: q.proto, dir: q.dir}
	ty := q.typ
	if ty == typNone {
		// With only a direction, tcpdump decides host or net by the form.
		_, err := netip.ParseAddr(t.text)
		next := p.peek()
		switch {
		case next.kind == tokSlash || isWord(next, "mask"):
			ty = typNet
		case err == nil:
			ty = typHost
		case looksLikeAddr(t.text):
			ty = typNet
		default:
			return nil, p.errAt(t, fmt.Sprintf("%q is not an address; name "+
				"resolution is not supported (add 'port' or 'portrange' for ports)", t.text))
		}
	}
	switch ty {
	case typHost, typNet:
		switch q.proto {
		case protoNone, protoIP, protoIP6, protoARP, protoRARP:
		default:
			return nil, p.errAt(t, fmt.Sprintf("'%s' qualifier cannot be applied to a host or net", q.proto))
		}
		prefix, mask4, err := p.parseAddr(t, ty == typNet)
		if err != nil {
			return nil, err
		}
		if prefix.Addr().Is6() && q.proto != protoNone && q.proto != protoIP6 {
			return nil, p.errAt(t, fmt.Sprintf("'%s' qualifier cannot be applied to an IPv6 address", q.proto))
		}
		if prefix.Addr().Is4() && q.proto == protoIP6 {
			return nil, p.errAt(t, "'ip6' qualifier cannot be applied to an IPv4 address")
		}
		prim.kind, prim.prefix, prim.mask4 = kHost, prefix, mask4
	case typPort, typPortRange:
		switch q.proto {
		case protoNone, protoTCP, protoUDP, protoSCTP:
		default:
			return nil, p.errAt(t, fmt.Sprintf("'%s' qualifier cannot be applied to a port", q.proto))
		}
		prim.kind = kPort
		if ty == typPort {
			port, ok := parsePort(t.text)
			if !ok {
				return nil, p.errAt(t, fmt.Sprintf("bad port %q (a number 0-65535 or a known service name)", t.text))
			}
			prim.lo, prim.hi = port, port
		} else {
			lo, hi, ok := parsePortRange(t.text)
			if !ok {
				lo, ok = parsePort(t.text) // tcpdump takes "portrange 10" as 10-10
				hi = lo
			}
			if !ok {
				return nil, p.errAt(t, fmt.Sprintf("bad port range %q (want LOW-HIGH)", t.text))
			}
			prim.lo, prim.hi = lo, hi
		}
	}
	return prim, nil
}

// parseAddr reads a host address, or for a net an address with an optional
// "/len" or "mask M"; an IPv4 net may be written with fewer than four octets.
func (p *parser) parseAddr(t token, isNet bool) (netip.Prefix, uint32, error) {
	addr, err := netip.ParseAddr(t.text)
	bits := -1
	if err != nil || addr.Zone() != "" {
		if !isNet {
			if looksLikeAddr(t.text) {
				return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("bad host address %q", t.text))
			}
			return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("%q is not an address; name resolution is not supported", t.text))
		}
		a, n, ok := parsePartialV4Net(t.text)
		if !ok {
			return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("bad network address %q", t.text))
		}
		addr, bits = a, n
	}
	if !addr.Is4() && !addr.Is6() || addr.Is4In6() {
		return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("unsupported address %q", t.text))
	}
	maxBits := addr.BitLen()
	if bits < 0 {
		bits = maxBits
	}
	if isNet {
		switch n := p.peek(); {
		case n.kind == tokSlash:
			p.next()
			l, err := p.parseNumber("prefix length", uint32(maxBits))
			if err != nil {
				return netip.Prefix{}, 0, err
			}
			bits = int(l)
		case isWord(n, "mask"):
			p.next()
			m := p.peek()
			if m.kind != tokWord {
				return netip.Prefix{}, 0, p.errAt(m, "expected a netmask after 'mask'")
			}
			p.next()
			if !addr.Is4() {
				return netip.Prefix{}, 0, p.errAt(m, "'mask' applies only to IPv4 networks; use /len")
			}
			ma, err := netip.ParseAddr(m.text)
			if err != nil || !ma.Is4() {
				return netip.Prefix{}, 0, p.errAt(m, fmt.Sprintf("bad netmask %q", m.text))
			}
			b := ma.As4()
			mask := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			if v4(addr)&^mask != 0 {
				return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("non-network bits set in %s mask %s", addr, ma))
			}
			return netip.PrefixFrom(addr, 32), mask, nil
		}
	}
	prefix := netip.PrefixFrom(addr, bits)
	if prefix.Masked().Addr() != addr {
		return netip.Prefix{}, 0, p.errAt(t, fmt.Sprintf("non-network bits set in %s/%d", addr, bits))
	}
	var mask4 uint32
	if addr.Is4() && bits > 0 {
		mask4 = ^(^uint32(0) >> bits)
	}
	return prefix, mask4, nil
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// parsePartialV4 parses "10", "10.1", "10.1.2" or a full dotted quad.
func parsePartialV4(s string) ([]byte, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return nil, false
	}
	out := make([]byte, 0, 4)
	for _, part := range parts {
		if part == "" || len(part) > 3 {
			return nil, false
		}
		v, err := strconv.ParseUint(part, 10, 8)
		if err != nil {
			return nil, false
		}
		out = append(out, byte(v))
	}
	return out, true
}

// parsePartialV4Net turns "10.1" into 10.1.0.0 with 16 network bits, as
// tcpdump does for "net 10.1".
func parsePartialV4Net(s string) (netip.Addr, int, bool) {
	octets, ok := parsePartialV4(s)
	if !ok {
		return netip.Addr{}, 0, false
	}
	var b [4]byte
	copy(b[:], octets)
	return netip.AddrFrom4(b), 8 * len(octets), true
}

func (p *parser) parseNumber(what string, max uint32) (uint32, error) {
	t := p.peek()
	if t.kind != tokWord {
		return 0, p.errAt(t, fmt.Sprintf("expected %s", what))
	}
	v, ok := parseUint(t.text)
	if !ok || v > uint64(max) {
		return 0, p.errAt(t, fmt.Sprintf("bad %s %q (0-%d)", what, t.text, max))
	}
	p.next()
	return uint32(v), nil
}

// parseUint accepts decimal and 0x-prefixed hexadecimal, as tcpdump does.
func parseUint(s string) (uint64, bool) {
	base := 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base = s[2:], 16
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, base, 32)
	return v, err == nil
}

func (p *parser) parseIPProto(pos int, pr proto) (node, error) {
	t := p.peek()
	if t.kind != tokWord {
		return nil, p.errAt(t, "expected a protocol number or name after 'proto'")
	}
	name := strings.ToLower(strings.TrimPrefix(t.text, "\\"))
	n, ok := ipProtoNames[name]
	if !ok {
		v, okNum := parseUint(t.text)
		if !okNum || v > 255 {
			return nil, p.errAt(t, fmt.Sprintf("bad protocol %q (0-255 or a name such as \\tcp)", t.text))
		}
		n = uint8(v)
	}
	p.next()
	return &primNode{pos: pos, kind: kIPProto, proto: pr, num: uint32(n)}, nil
}

var ipProtoNames = map[string]uint8{
	"icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17, "ipv6": 41, "gre": 47,
	"esp": 50, "ah": 51, "icmp6": 58, "ipv6-icmp": 58, "ospf": 89, "pim": 103,
	"vrrp": 112, "sctp": 132,
}

// servicePorts is the small set of service names accepted for ports; tcpdump
// reads /etc/services, which we deliberately do not depend on.
var servicePorts = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53,
	"bootps": 67, "bootpc": 68, "tftp": 69, "http": 80, "www": 80, "kerberos": 88,
	"pop3": 110, "sunrpc": 111, "ntp": 123, "netbios-ns": 137, "netbios-dgm": 138,
	"netbios-ssn": 139, "imap": 143, "snmp": 161, "snmp-trap": 162, "bgp": 179,
	"ldap": 389, "https": 443, "microsoft-ds": 445, "syslog": 514, "submission": 587,
	"ldaps": 636, "imaps": 993, "pop3s": 995, "openvpn": 1194, "mysql": 3306,
	"ms-wbt-server": 3389, "sip": 5060, "postgresql": 5432, "http-alt": 8080,
}

func parsePort(s string) (uint16, bool) {
	if v, ok := servicePorts[strings.ToLower(s)]; ok {
		return v, true
	}
	v, ok := parseUint(s)
	if !ok || v > 0xffff {
		return 0, false
	}
	return uint16(v), true
}

// parsePortRange splits "A-B" at the dash that leaves two valid ports, so
// hyphenated service names ("ftp-data-ssh") still work.
func parsePortRange(s string) (lo, hi uint16, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			continue
		}
		a, okA := parsePort(s[:i])
		b, okB := parsePort(s[i+1:])
		if okA && okB {
			if a > b {
				a, b = b, a // tcpdump accepts reversed ranges
			}
			return a, b, true
		}
	}
	return 0, 0, false
}
