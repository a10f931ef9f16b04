package filter

import (
	"encoding/binary"
	"net/netip"
)

// Packet builders for hand-checked tests. They write headers byte by byte
// from the RFC layouts, independently of the code under test.

func ipv4(proto byte, src, dst string, fragOff uint16, options []byte, payload []byte) []byte {
	ihl := 5 + len(options)/4
	h := make([]byte, 4*ihl)
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], fragOff) // flags + 13-bit offset in 8-byte units
	h[8] = 64
	h[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	copy(h[20:], options)
	return append(h, payload...)
}

func ipv6(next byte, src, dst string, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ports is the start of a TCP, UDP or SCTP header: source then destination port.
func ports(src, dst uint16, rest int) []byte {
	b := make([]byte, 4+rest)
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	return b
}

func tcpSeg(src, dst uint16) []byte { return ports(src, dst, 16) }
func udpDgram(src, dst uint16) []byte {
	b := ports(src, dst, 4)
	binary.BigEndian.PutUint16(b[4:], 8)
	return b
}

var (
	macA = []byte{0x02, 0, 0, 0, 0, 1}
	macB = []byte{0x02, 0, 0, 0, 0, 2}
)

func ether(etherType uint16, payload []byte) []byte {
	h := append(append([]byte{}, macB...), macA...)
	h = binary.BigEndian.AppendUint16(h, etherType)
	return append(h, payload...)
}

// dot1q inserts one VLAN tag (TPID, TCI) before the inner EtherType.
func dot1q(tpid, vid, inner uint16, payload []byte) []byte {
	h := append(append([]byte{}, macB...), macA...)
	h = binary.BigEndian.AppendUint16(h, tpid)
	h = binary.BigEndian.AppendUint16(h, 0x2000|vid) // priority 1
	h = binary.BigEndian.AppendUint16(h, inner)
	return append(h, payload...)
}

func arpIPv4(op uint16, sha []byte, spa string, tpa string) []byte {
	b := []byte{0, 1, 0x08, 0, 6, 4}
	b = binary.BigEndian.AppendUint16(b, op)
	s, t := netip.MustParseAddr(spa).As4(), netip.MustParseAddr(tpa).As4()
	b = append(b, sha...)
	b = append(b, s[:]...)
	b = append(b, make([]byte, 6)...)
	return append(b, t[:]...)
}

// sll is a Linux cooked v1 header: packet type, ARPHRD, address length,
// 8 address bytes, protocol.
func sll(proto uint16, payload []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[2:], 1)
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], macA)
	binary.BigEndian.PutUint16(h[14:], proto)
	return append(h, payload...)
}

// sll2 is a Linux cooked v2 header: protocol first, then 18 more bytes.
func sll2(proto uint16, payload []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], proto)
	binary.BigEndian.PutUint32(h[4:], 2) // interface index
	binary.BigEndian.PutUint16(h[8:], 1)
	h[11] = 6
	copy(h[12:], macA)
	return append(h, payload...)
}

func null(family uint32, order binary.AppendByteOrder, payload []byte) []byte {
	h := order.AppendUint32(nil, family)
	return append(h, payload...)
}
