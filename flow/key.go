package flow

import (
	"bytes"
	"hash/maphash"
	"net/netip"

	"github.com/flowclass/flowclass/decode"
)

// Key identifies a flow regardless of direction: endpoint A is the lesser
// (address, port) pair. ICMP flows have no ports; ICMP holds the query type
// (a reply mapped to its request), code and identifier instead.
type Key struct {
	A, B         [16]byte
	PortA, PortB uint16
	Proto        uint8
	IPVersion    uint8
	VLAN         uint16
	ICMP         uint32
}

// KeyOf returns the canonical key of p and whether p travels from B to A.
func KeyOf(p *decode.Packet) (k Key, fromB bool) {
	k.Proto, k.IPVersion, k.VLAN = p.Proto, p.IPVersion, p.VLAN
	sp, dp := p.SrcPort, p.DstPort
	if p.Proto == 1 || p.Proto == 58 {
		sp, dp = 0, 0
		k.ICMP = uint32(decode.ICMPQueryType(p.Proto, p.ICMPType))<<24 | uint32(p.ICMPCode)<<16 | uint32(p.ICMPID)
	}
	c := bytes.Compare(p.Src[:], p.Dst[:])
	if c < 0 || (c == 0 && sp <= dp) {
		k.A, k.B, k.PortA, k.PortB = p.Src, p.Dst, sp, dp
		return k, false
	}
	k.A, k.B, k.PortA, k.PortB = p.Dst, p.Src, dp, sp
	return k, true
}

// Hash is symmetric by construction (the key is canonical), so both
// directions of a flow land on the same shard.
func (k *Key) Hash(seed maphash.Seed) uint64 {
	return maphash.Comparable(seed, *k)
}

// Addr returns endpoint address a (16 bytes, IPv4 in the first four) as a
// netip.Addr of the key's IP version.
func Addr(a [16]byte, ipVersion uint8) netip.Addr {
	if ipVersion == 4 {
		return netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3]})
	}
	return netip.AddrFrom16(a)
}
