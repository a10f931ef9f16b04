package filter

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// ErrLinkType is wrapped by compile errors for a link type the compiler does
// not know, so a reader can skip such packets instead of failing.
var ErrLinkType = errors.New("unsupported link type")

// maxInstructions is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxInstructions = 4096

const (
	etherTypeIPv4  = 0x0800
	etherTypeARP   = 0x0806
	etherTypeRARP  = 0x8035
	etherTypeIPv6  = 0x86dd
	etherType8021Q = 0x8100
	etherTypeQinQ  = 0x88a8
	etherType9100  = 0x9100

	ipProtoICMP   = 1
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoFrag6  = 44 // IPv6 fragment extension header
	ipProtoICMPv6 = 58
	ipProtoSCTP   = 132
)

// linkKind says how the network-layer protocol is identified for a link type.
type linkKind int

const (
	lkEtherType linkKind = iota // a 16-bit EtherType at a fixed offset (Ethernet, SLL, SLL2)
	lkRaw                       // no header; the IP version nibble tells v4 from v6
	lkIPv4Only
	lkIPv6Only
	lkNull // 4-byte address family in the capturing host's byte order
	lkLoop // 4-byte address family in network byte order
)

type link struct {
	kind  linkKind
	name  string
	offLT uint32 // offset of the EtherType field (lkEtherType only)
	offNL uint32 // offset of the network-layer header
	vlan  bool   // the "vlan" primitive is meaningful
}

func linkFor(lt layers.LinkType) (link, error) {
	switch lt {
	case layers.LinkTypeEthernet:
		return link{kind: lkEtherType, name: "Ethernet", offLT: 12, offNL: 14, vlan: true}, nil
	case layers.LinkTypeLinuxSLL:
		return link{kind: lkEtherType, name: "Linux SLL", offLT: 14, offNL: 16}, nil
	case layers.LinkTypeLinuxSLL2:
		return link{kind: lkEtherType, name: "Linux SLL2", offLT: 0, offNL: 20}, nil
	case layers.LinkTypeRaw, 12, 14: // 12 and 14 are DLT_RAW on various BSDs
		return link{kind: lkRaw, name: "raw IP"}, nil
	case layers.LinkTypeIPv4:
		return link{kind: lkIPv4Only, name: "raw IPv4"}, nil
	case layers.LinkTypeIPv6:
		return link{kind: lkIPv6Only, name: "raw IPv6"}, nil
	case layers.LinkTypeNull:
		return link{kind: lkNull, name: "BSD null", offNL: 4}, nil
	case layers.LinkTypeLoop:
		return link{kind: lkLoop, name: "BSD loop", offNL: 4}, nil
	}
	return link{}, fmt.Errorf("filter: %w %d (%s)", ErrLinkType, uint16(lt), lt)
}

// cond is a boolean test tree for one link type: cTest, cAnd, cOr, cNot or cConst.
type cond interface{}

// cTest runs its loads, then jumps on "A op k". A test with no loads reuses
// the A of the test emitted just before it; only cAnd places them so.
type cTest struct {
	loads []bpf.Instruction
	op    bpf.JumpTest
	k     uint32
}

type cAnd []cond
type cOr []cond
type cNot struct{ x cond }
type cConst bool

func ldb(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: 1} }
func ldh(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: 2} }
func ldw(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: 4} }
func and(mask uint32) bpf.Instruction {
	return bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}
}

func eq(k uint32, loads ...bpf.Instruction) cond {
	return cTest{loads: loads, op: bpf.JumpEqual, k: k}
}

// compiler turns a parsed tree into conditions for one link type. offLT and
// offNL move forward by 4 after each "vlan", for the rest of the expression in
// textual order, exactly as tcpdump does.
type compiler struct {
	expr  string
	link  link
	offLT uint32
	offNL uint32
}

func (c *compiler) errAt(pos int, msg string) error {
	return &SyntaxError{Expr: c.expr, Pos: pos, Msg: msg}
}

func (c *compiler) translate(n node) (cond, error) {
	switch n := n.(type) {
	case *binNode:
		l, err := c.translate(n.l)
		if err != nil {
			return nil, err
		}
		r, err := c.translate(n.r)
		if err != nil {
			return nil, err
		}
		if n.and {
			return cAnd{l, r}, nil
		}
		return cOr{l, r}, nil
	case *notNode:
		x, err := c.translate(n.x)
		if err != nil {
			return nil, err
		}
		return cNot{x}, nil
	case *primNode:
		return c.primitive(n)
	}
	return nil, fmt.Errorf("filter: internal error: unexpected node %T", n)
}

func (c *compiler) primitive(p *primNode) (cond, error) {
	switch p.kind {
	case kProto:
		switch p.proto {
		case protoIP:
			return c.linkTest(etherTypeIPv4), nil
		case protoIP6:
			return c.linkTest(etherTypeIPv6), nil
		case protoARP:
			return c.linkTest(etherTypeARP), nil
		case protoRARP:
			return c.linkTest(etherTypeRARP), nil
		case protoTCP:
			return c.anyIPProto(ipProtoTCP), nil
		case protoUDP:
			return c.anyIPProto(ipProtoUDP), nil
		case protoSCTP:
			return c.anyIPProto(ipProtoSCTP), nil
		case protoICMP:
			return cAnd{c.linkTest(etherTypeIPv4), c.ipProto(ipProtoICMP)}, nil
		case protoICMP6:
			return cAnd{c.linkTest(etherTypeIPv6), c.ip6Proto(ipProtoICMPv6)}, nil
		}
	case kIPProto:
		switch p.proto {
		case protoIP:
			return cAnd{c.linkTest(etherTypeIPv4), c.ipProto(p.num)}, nil
		case protoIP6:
			return cAnd{c.linkTest(etherTypeIPv6), c.ip6Proto(p.num)}, nil
		default:
			return c.anyIPProto(p.num), nil
		}
	case kHost:
		return c.host(p), nil
	case kPort:
		return c.port(p), nil
	case kVlan:
		if !c.link.vlan {
			return nil, c.errAt(p.pos, fmt.Sprintf("'vlan' is not supported for %s captures", c.link.name))
		}
		tag := cOr{c.linkTest(etherType8021Q), c.linkTest(etherTypeQinQ), c.linkTest(etherType9100)}
		var out cond = tag
		if p.hasNum {
			out = cAnd{tag, eq(p.num, ldh(c.offNL), and(0x0fff))}
		}
		c.offLT += 4
		c.offNL += 4
		return out, nil
	case kGreater:
		return cTest{loads: []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}}, op: bpf.JumpGreaterOrEqual, k: p.num}, nil
	case kLess:
		return cNot{cTest{loads: []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}}, op: bpf.JumpGreaterThan, k: p.num}}, nil
	}
	return nil, c.errAt(p.pos, "internal error: unhandled primitive")
}

// linkTest is true when the packet's network layer is the given EtherType.
func (c *compiler) linkTest(etherType uint32) cond {
	switch c.link.kind {
	case lkEtherType:
		return eq(etherType, ldh(c.offLT))
	case lkRaw:
		switch etherType {
		case etherTypeIPv4:
			return eq(0x40, ldb(c.offNL), and(0xf0))
		case etherTypeIPv6:
			return eq(0x60, ldb(c.offNL), and(0xf0))
		}
	case lkIPv4Only:
		return cConst(etherType == etherTypeIPv4)
	case lkIPv6Only:
		return cConst(etherType == etherTypeIPv6)
	case lkNull, lkLoop:
		var families []uint32
		switch etherType {
		case etherTypeIPv4:
			families = []uint32{2}
		case etherTypeIPv6:
			families = []uint32{24, 28, 30} // AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
		}
		var alts cOr
		for _, f := range families {
			if c.link.kind == lkNull {
				// The reader cannot tell us the capturing host's byte order;
				// accept the family in either.
				alts = append(alts, eq(swap32(f), ldw(0)))
			}
			alts = append(alts, eq(f, ldw(0)))
		}
		if len(alts) > 0 {
			return alts
		}
	}
	return cConst(false)
}

func swap32(v uint32) uint32 {
	return v>>24 | v>>8&0xff00 | v<<8&0xff0000 | v<<24
}

// ipProto tests the IPv4 protocol field.
func (c *compiler) ipProto(n uint32) cond { return eq(n, ldb(c.offNL+9)) }

// ip6Proto tests the IPv6 next header, also looking past one fragment header
// as tcpdump does.
func (c *compiler) ip6Proto(n uint32) cond {
	return cOr{
		eq(n, ldb(c.offNL+6)),
		cAnd{eq(ipProtoFrag6, ldb(c.offNL+6)), eq(n, ldb(c.offNL+40))},
	}
}

func (c *compiler) anyIPProto(n uint32) cond {
	return cOr{
		cAnd{c.linkTest(etherTypeIPv4), c.ipProto(n)},
		cAnd{c.linkTest(etherTypeIPv6), c.ip6Proto(n)},
	}
}

// byDir combines the source and destination tests of a field.
func byDir(d dir, src, dst cond) cond {
	switch d {
	case dirSrc:
		return src
	case dirDst:
		return dst
	case dirBoth:
		return cAnd{src, dst}
	}
	return cOr{src, dst}
}

func (c *compiler) host(p *primNode) cond {
	addr := p.prefix.Addr()
	if addr.Is6() {
		return cAnd{c.linkTest(etherTypeIPv6), byDir(p.dir, addr6Test(c.offNL+8, p.prefix), addr6Test(c.offNL+24, p.prefix))}
	}
	v, mask := v4(addr), p.mask4
	word := func(off uint32) cond {
		if mask == 0 {
			return cConst(true)
		}
		if mask == ^uint32(0) {
			return eq(v, ldw(off))
		}
		return eq(v, ldw(off), and(mask))
	}
	ip := cAnd{c.linkTest(etherTypeIPv4), byDir(p.dir, word(c.offNL+12), word(c.offNL+16))}
	arpLike := func(etherType uint32) cond {
		// ARP/RARP sender and target protocol addresses for IPv4 over Ethernet.
		return cAnd{c.linkTest(etherType), byDir(p.dir, word(c.offNL+14), word(c.offNL+24))}
	}
	switch p.proto {
	case protoIP:
		return ip
	case protoARP:
		return arpLike(etherTypeARP)
	case protoRARP:
		return arpLike(etherTypeRARP)
	}
	return cOr{ip, arpLike(etherTypeARP), arpLike(etherTypeRARP)}
}

// addr6Test compares an IPv6 address field with a prefix, one word at a time.
func addr6Test(off uint32, prefix netip.Prefix) cond {
	b := prefix.Addr().As16()
	bits := prefix.Bits()
	var words cAnd
	for i := 0; i < 4; i++ {
		v := uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
		n := bits - 32*i
		switch {
		case n <= 0:
			continue
		case n >= 32:
			words = append(words, eq(v, ldw(off+uint32(4*i))))
		default:
			mask := ^(^uint32(0) >> n)
			words = append(words, eq(v, ldw(off+uint32(4*i)), and(mask)))
		}
	}
	if len(words) == 0 {
		return cConst(true)
	}
	return words
}

// portMatch tests a 16-bit port loaded by loads against lo..hi.
func portMatch(lo, hi uint16, loads ...bpf.Instruction) cond {
	if lo == hi {
		return eq(uint32(lo), loads...)
	}
	return cAnd{
		cTest{loads: loads, op: bpf.JumpGreaterOrEqual, k: uint32(lo)},
		cNot{cTest{op: bpf.JumpGreaterThan, k: uint32(hi)}}, // reuses A
	}
}

func (c *compiler) port(p *primNode) cond {
	protos := []uint32{ipProtoTCP, ipProtoUDP, ipProtoSCTP}
	switch p.proto {
	case protoTCP:
		protos = []uint32{ipProtoTCP}
	case protoUDP:
		protos = []uint32{ipProtoUDP}
	case protoSCTP:
		protos = []uint32{ipProtoSCTP}
	}
	nl := c.offNL
	// IPv6: only when the transport header follows the fixed header directly.
	var v6 cOr
	for _, pr := range protos {
		v6 = append(v6, cAnd{
			eq(pr, ldb(nl+6)),
			byDir(p.dir, portMatch(p.lo, p.hi, ldh(nl+40)), portMatch(p.lo, p.hi, ldh(nl+42))),
		})
	}
	// IPv4: skip the variable-length header, and never read ports from a
	// fragment other than the first.
	var v4 cOr
	for _, pr := range protos {
		v4 = append(v4, cAnd{
			c.ipProto(pr),
			cNot{cTest{loads: []bpf.Instruction{ldh(nl + 6)}, op: bpf.JumpBitsSet, k: 0x1fff}},
			byDir(p.dir,
				portMatch(p.lo, p.hi, bpf.LoadMemShift{Off: nl}, bpf.LoadIndirect{Off: nl, Size: 2}),
				portMatch(p.lo, p.hi, bpf.LoadMemShift{Off: nl}, bpf.LoadIndirect{Off: nl + 2, Size: 2})),
		})
	}
	return cOr{
		cAnd{c.linkTest(etherTypeIPv6), v6},
		cAnd{c.linkTest(etherTypeIPv4), v4},
	}
}

// pseudo is one instruction before layout; jumps name labels.
type pseudo struct {
	kind  pseudoKind
	ins   bpf.Instruction // pPlain
	op    bpf.JumpTest    // pCond
	k     uint32          // pCond
	t, f  int             // pCond targets; t alone for pJump; the label for pLabel
	long  bool            // pCond too far for 8-bit offsets: goes through two jumps
	start int             // position after layout
}

type pseudoKind int

const (
	pPlain pseudoKind = iota
	pCond
	pJump
	pLabel
)

type emitter struct {
	code   []pseudo
	labels int
}

func (e *emitter) newLabel() int { e.labels++; return e.labels - 1 }

func (e *emitter) place(l int) { e.code = append(e.code, pseudo{kind: pLabel, t: l}) }

// emit lays out c so control reaches label t when it holds and f otherwise.
// Every label is placed after all jumps to it, so jumps only go forward.
func (e *emitter) emit(c cond, t, f int) {
	switch c := c.(type) {
	case cTest:
		for _, ins := range c.loads {
			e.code = append(e.code, pseudo{kind: pPlain, ins: ins})
		}
		e.code = append(e.code, pseudo{kind: pCond, op: c.op, k: c.k, t: t, f: f})
	case cAnd:
		for i, x := range c {
			if i == len(c)-1 {
				e.emit(x, t, f)
				break
			}
			m := e.newLabel()
			e.emit(x, m, f)
			e.place(m)
		}
	case cOr:
		for i, x := range c {
			if i == len(c)-1 {
				e.emit(x, t, f)
				break
			}
			m := e.newLabel()
			e.emit(x, t, m)
			e.place(m)
		}
	case cNot:
		e.emit(c.x, f, t)
	case cConst:
		target := f
		if c {
			target = t
		}
		e.code = append(e.code, pseudo{kind: pJump, t: target})
	}
}

// assemble resolves labels. A conditional jump whose target lies beyond its
// 8-bit offset becomes "jcond 0/1" followed by two unconditional jumps; since
// that moves later code, repeat until nothing more needs widening.
func (e *emitter) assemble() ([]bpf.Instruction, error) {
	pos := make([]int, e.labels)
	for {
		pc := 0
		for i := range e.code {
			p := &e.code[i]
			p.start = pc
			switch p.kind {
			case pLabel:
				pos[p.t] = pc
			case pCond:
				pc++
				if p.long {
					pc += 2
				}
			default:
				pc++
			}
		}
		if pc > maxInstructions {
			return nil, fmt.Errorf("filter: program has %d or more instructions, more than the kernel's limit of %d", pc, maxInstructions)
		}
		changed := false
		for i := range e.code {
			p := &e.code[i]
			if p.kind == pCond && !p.long && (pos[p.t]-p.start-1 > 255 || pos[p.f]-p.start-1 > 255) {
				p.long = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	out := make([]bpf.Instruction, 0, len(e.code))
	for _, p := range e.code {
		switch p.kind {
		case pPlain:
			out = append(out, p.ins)
		case pJump:
			out = append(out, bpf.Jump{Skip: uint32(pos[p.t] - p.start - 1)})
		case pCond:
			if p.long {
				out = append(out,
					bpf.JumpIf{Cond: p.op, Val: p.k, SkipTrue: 0, SkipFalse: 1},
					bpf.Jump{Skip: uint32(pos[p.t] - p.start - 2)},
					bpf.Jump{Skip: uint32(pos[p.f] - p.start - 3)})
				continue
			}
			out = append(out, bpf.JumpIf{Cond: p.op, Val: p.k,
				SkipTrue: uint8(pos[p.t] - p.start - 1), SkipFalse: uint8(pos[p.f] - p.start - 1)})
		}
	}
	return out, nil
}

// codegen compiles a parsed expression (nil: match all) for one link type.
func codegen(expr string, n node, lt layers.LinkType, snaplen int) ([]bpf.Instruction, error) {
	if snaplen <= 0 || uint64(snaplen) > 0xffffffff {
		return nil, fmt.Errorf("filter: bad snaplen %d", snaplen)
	}
	l, err := linkFor(lt)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return []bpf.Instruction{bpf.RetConstant{Val: uint32(snaplen)}}, nil
	}
	c := &compiler{expr: expr, link: l, offLT: l.offLT, offNL: l.offNL}
	root, err := c.translate(n)
	if err != nil {
		return nil, err
	}
	e := &emitter{}
	accept, reject := e.newLabel(), e.newLabel()
	e.emit(root, accept, reject)
	e.place(accept)
	e.code = append(e.code, pseudo{kind: pPlain, ins: bpf.RetConstant{Val: uint32(snaplen)}})
	e.place(reject)
	e.code = append(e.code, pseudo{kind: pPlain, ins: bpf.RetConstant{Val: 0}})
	e.dropRedundantLoads()
	return e.assemble()
}
