package synth

import (
	"encoding/binary"
)

// Frame layout constants.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58

	minFrame = 60 // Ethernet minimum without FCS; shorter frames are padded

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// Which end of a session sends a packet.
const (
	cli = 0
	srv = 1
)

var be = binary.BigEndian

// frame tracks the packet being built in gen.buf.
type frame struct {
	l3, l4 int
	v6     bool
	proto  uint8
}

// begin writes the Ethernet (and 802.1Q) and IP headers of a packet sent by
// side of session s and returns the offset where the transport header goes.
// Lengths and checksums are filled in by finish.
func (g *gen) begin(s *session, side int, proto uint8) int {
	b := g.buf
	if side == cli {
		copy(b[0:6], s.smac[:])
		copy(b[6:12], s.cmac[:])
	} else {
		copy(b[0:6], s.cmac[:])
		copy(b[6:12], s.smac[:])
	}
	off := 12
	if s.vlan != 0 {
		be.PutUint16(b[12:], 0x8100)
		be.PutUint16(b[14:], s.vlan)
		off = 16
	}
	src, dst := &s.cip, &s.sip
	if side == srv {
		src, dst = dst, src
	}
	if s.v6 {
		if proto == protoICMP {
			proto = protoICMPv6
		}
		be.PutUint16(b[off:], 0x86dd)
		l3 := off + 2
		be.PutUint32(b[l3:], 6<<28|s.flowLabel&0xfffff)
		b[l3+6] = proto
		b[l3+7] = s.ttl[side]
		copy(b[l3+8:l3+24], src[:])
		copy(b[l3+24:l3+40], dst[:])
		g.f = frame{l3: l3, l4: l3 + 40, v6: true, proto: proto}
		return l3 + 40
	}
	be.PutUint16(b[off:], 0x0800)
	l3 := off + 2
	b[l3] = 0x45
	b[l3+1] = 0
	be.PutUint16(b[l3+4:], s.ipid[side])
	s.ipid[side]++
	if proto == protoTCP {
		be.PutUint16(b[l3+6:], 0x4000) // DF, as stacks set on TCP
	} else {
		be.PutUint16(b[l3+6:], 0)
	}
	b[l3+8] = s.ttl[side]
	b[l3+9] = proto
	b[l3+10], b[l3+11] = 0, 0
	copy(b[l3+12:l3+16], src[12:16])
	copy(b[l3+16:l3+20], dst[12:16])
	g.f = frame{l3: l3, l4: l3 + 20, proto: proto}
	return l3 + 20
}

// finish completes lengths and checksums of the packet ending at end and
// writes it out.
func (g *gen) finish(s *session, end int) error {
	b := g.buf
	f := g.f
	l4len := end - f.l4
	var acc uint64
	if f.v6 {
		be.PutUint16(b[f.l3+4:], uint16(l4len))
		acc = csumAdd(b[f.l3+8:f.l3+40], 0)
	} else {
		be.PutUint16(b[f.l3+2:], uint16(end-f.l3))
		be.PutUint16(b[f.l3+10:], csumFold(csumAdd(b[f.l3:f.l3+20], 0)))
		acc = csumAdd(b[f.l3+12:f.l3+20], 0)
	}
	acc += uint64(f.proto) + uint64(l4len)
	switch f.proto {
	case protoTCP:
		b[f.l4+16], b[f.l4+17] = 0, 0
		be.PutUint16(b[f.l4+16:], csumFold(csumAdd(b[f.l4:end], acc)))
	case protoUDP:
		be.PutUint16(b[f.l4+4:], uint16(l4len))
		b[f.l4+6], b[f.l4+7] = 0, 0
		c := csumFold(csumAdd(b[f.l4:end], acc))
		if c == 0 {
			c = 0xffff // zero means "no checksum" in UDP
		}
		be.PutUint16(b[f.l4+6:], c)
	case protoICMP:
		b[f.l4+2], b[f.l4+3] = 0, 0
		be.PutUint16(b[f.l4+2:], csumFold(csumAdd(b[f.l4:end], 0)))
	case protoICMPv6:
		b[f.l4+2], b[f.l4+3] = 0, 0
		be.PutUint16(b[f.l4+2:], csumFold(csumAdd(b[f.l4:end], acc)))
	}
	for end < minFrame {
		b[end] = 0
		end++
	}
	return g.emit(s, b[:end])
}

// csumAdd adds b as big-endian 16-bit words to a ones'-complement
// accumulator. Summing 32-bit words is equivalent because 2^16 ≡ 1 modulo
// 0xffff, and it halves the work on large payloads.
func csumAdd(b []byte, acc uint64) uint64 {
	for len(b) >= 32 {
		v0, v1 := be.Uint64(b), be.Uint64(b[8:])
		v2, v3 := be.Uint64(b[16:]), be.Uint64(b[24:])
		acc += v0>>32 + v0&0xffffffff + v1>>32 + v1&0xffffffff +
			v2>>32 + v2&0xffffffff + v3>>32 + v3&0xffffffff
		b = b[32:]
	}
	for len(b) >= 4 {
		acc += uint64(be.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(be.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

func csumFold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}

// tcpHeader writes a TCP header at b[off:] for a packet from side and
// returns the offset of the payload. opt selects the options block.
func (g *gen) tcpHeader(s *session, side int, off int, flags uint8, seq, ack uint32, opt uint8) int {
	b := g.buf
	src, dst := s.cport, s.sport
	if side == srv {
		src, dst = dst, src
	}
	be.PutUint16(b[off:], src)
	be.PutUint16(b[off+2:], dst)
	be.PutUint32(b[off+4:], seq)
	be.PutUint32(b[off+8:], ack)
	b[off+13] = flags
	win := s.win[side]
	if flags&tcpSYN != 0 {
		win = s.synWin
	}
	be.PutUint16(b[off+14:], win)
	be.PutUint16(b[off+18:], 0) // urgent pointer
	o := off + 20
	tsval := s.tsBase[side] + uint32(g.now/1e6)
	tsecr := uint32(0)
	if flags&tcpACK != 0 {
		// The peer's clock as last seen, half a round trip ago.
		tsecr = s.tsBase[1-side] + uint32((g.now-s.rtt/2)/1e6)
	}
	switch opt {
	case optLinuxSYN:
		mss := uint16(1460)
		if s.v6 {
			mss = 1440
		}
		b[o], b[o+1] = 2, 4
		be.PutUint16(b[o+2:], mss)
		b[o+4], b[o+5] = 4, 2 // SACK permitted
		b[o+6], b[o+7] = 8, 10
		be.PutUint32(b[o+8:], tsval)
		be.PutUint32(b[o+12:], tsecr)
		b[o+16] = 1
		b[o+17], b[o+18], b[o+19] = 3, 3, 7 // window scale 7
		o += 20
	case optTS:
		b[o], b[o+1], b[o+2], b[o+3] = 1, 1, 8, 10
		be.PutUint32(b[o+4:], tsval)
		be.PutUint32(b[o+8:], tsecr)
		o += 12
	case optMSS:
		b[o], b[o+1] = 2, 4
		be.PutUint16(b[o+2:], 1460)
		o += 4
	}
	b[off+12] = byte((o-off)/4) << 4
	return o
}

// TCP option blocks.
const (
	optNone     = iota
	optLinuxSYN // MSS, SACK permitted, timestamps, window scale
	optTS       // timestamps on established segments
	optMSS      // MSS only, as scanners send
)
