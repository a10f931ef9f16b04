package decode

import (
	"bytes"
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Decoder decodes frames of any supported link type. It keeps its layer
// structs between calls so decoding allocates nothing; use one per
// goroutine, never share one behind a lock.
type Decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	udp   layers.UDP
	frags fragCache
}

// NewDecoder returns a decoder with an empty fragment cache.
func NewDecoder() *Decoder { return &Decoder{} }

// SupportedLinkType reports whether frames of link type lt can be decoded.
func SupportedLinkType(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop,
		layers.LinkTypeRaw, linkTypeRawAlt12, linkTypeRawAlt14, layers.LinkTypeIPv4, layers.LinkTypeIPv6,
		layers.LinkTypePPP, layers.LinkTypePPP_HDLC, layers.LinkTypeC_HDLC, linkTypePPI:
		return true
	}
	return false
}

const etherTypeFabricPath layers.EthernetType = 0x8903

const linkTypePPI layers.LinkType = 192

// DLT_RAW is 12 or 14 depending on the BSD; a few writers put it in files.
const (
	linkTypeRawAlt12 layers.LinkType = 12
	linkTypeRawAlt14 layers.LinkType = 14
)

var nilFeedback = gopacket.NilDecodeFeedback

// Decode fills p from one frame. data is the captured bytes, wireLen the
// frame's original length, ts its time in nanoseconds. On any reason other
// than OK the packet must not join a flow and p is only partly filled.
func (d *Decoder) Decode(data []byte, wireLen int, ts int64, lt layers.LinkType, p *Packet) Reason {
	*p = Packet{Timestamp: ts, WireLen: wireLen, CapLen: len(data)}
	l3, v, r := d.network(data, lt, p)
	if r != OK {
		return r
	}
	switch v {
	case 4:
		return d.ipv4(l3, p)
	case 6:
		return d.ipv6(l3, p)
	}
	return d.ip(l3, p)
}

// ShardHash returns a hash of the frame's IP address pair that is the same
// for both directions, or 0 when the frame has none. Hashing the address
// pair rather than the 5-tuple keeps every fragment of a datagram, ports or
// not, on the same shard as its flow.
func (d *Decoder) ShardHash(data []byte, lt layers.LinkType) uint64 {
	// Untagged Ethernet carrying IP, nearly every frame on most links,
	// has its addresses at fixed offsets; the reader hashes every packet
	// before a worker decodes it, so it skips the layer decoders here.
	// network would return the same for such a frame.
	if lt == layers.LinkTypeEthernet && len(data) >= 14 {
		switch binary.BigEndian.Uint16(data[12:14]) {
		case 0x0800:
			return addrPairHash(data[14:], 4)
		case 0x86dd:
			return addrPairHash(data[14:], 6)
		}
	}
	return d.shardHashDecoded(data, lt)
}

// shardHashDecoded is ShardHash through the layer decoders.
func (d *Decoder) shardHashDecoded(data []byte, lt layers.LinkType) uint64 {
	var p Packet
	l3, v, r := d.network(data, lt, &p)
	if r != OK || len(l3) == 0 {
		return 0
	}
	if v == 0 {
		v = l3[0] >> 4
	}
	return addrPairHash(l3, v)
}

// addrPairHash hashes the address pair of IP version v's header l3, or
// returns 0 when l3 is too short to hold one.
func addrPairHash(l3 []byte, v byte) uint64 {
	var a, b []byte
	switch {
	case v == 4 && len(l3) >= 20:
		a, b = l3[12:16], l3[16:20]
	case v == 6 && len(l3) >= 40:
		a, b = l3[8:24], l3[24:40]
	default:
		return 0
	}
	// Order the pair, then hash it: symmetric, and every bit of the result
	// depends on both addresses (combining two hashes with a commutative
	// operator leaves the low bits, which pick the shard, biased).
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	h := fnv(fnv(offsetBasis, a), b)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	if h == 0 { // 0 means "no address pair"
		h = 1
	}
	return h
}

const offsetBasis = uint64(14695981039346656037)

func fnv(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// network walks the link layer to the network header. v is 4 or 6 when
// the link layer says which, 0 when the version nibble must tell.
func (d *Decoder) network(data []byte, lt layers.LinkType, p *Packet) (l3 []byte, v byte, r Reason) {
	var etype layers.EthernetType
	var rest []byte
	switch lt {
	case layers.LinkTypeEthernet:
		if d.eth.DecodeFromBytes(data, nilFeedback) != nil {
			return nil, 0, Malformed
		}
		etype, rest = d.eth.EthernetType, d.eth.Payload
		// Cisco FabricPath wraps a whole Ethernet frame after a 2-byte
		// FTag/TTL field; switches' SPAN ports deliver it as is.
		if etype == etherTypeFabricPath && len(rest) >= 2+14 {
			if d.eth.DecodeFromBytes(rest[2:], nilFeedback) != nil {
				return nil, 0, Malformed
			}
			etype, rest = d.eth.EthernetType, d.eth.Payload
		}
		if d.eth.Length != 0 { // 802.3 frame with an LLC header
			return nil, 0, NonIP
		}
	case layers.LinkTypeLinuxSLL:
		if d.sll.DecodeFromBytes(data, nilFeedback) != nil {
			return nil, 0, Malformed
		}
		etype, rest = d.sll.EthernetType, d.sll.Payload
	case layers.LinkTypeLinuxSLL2:
		if d.sll2.DecodeFromBytes(data, nilFeedback) != nil {
			return nil, 0, Malformed
		}
		etype, rest = d.sll2.ProtocolType, d.sll2.Payload
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if d.loop.DecodeFromBytes(data, nilFeedback) != nil {
			return nil, 0, Malformed
		}
		switch d.loop.Family {
		case layers.ProtocolFamilyIPv4:
			return d.loop.Payload, 4, OK
		case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD,
			layers.ProtocolFamilyIPv6Darwin, layers.ProtocolFamilyIPv6Linux:
			return d.loop.Payload, 6, OK
		}
		return nil, 0, NonIP
	case layers.LinkTypeRaw, linkTypeRawAlt12, linkTypeRawAlt14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return data, 0, OK
	case layers.LinkTypePPP, layers.LinkTypePPP_HDLC:
		return d.ppp(data)
	case layers.LinkTypeC_HDLC:
		return d.chdlc(data)
	case linkTypePPI: // a header, then a frame of the link type it names
		if len(data) < 8 {
			return nil, 0, Malformed
		}
		n := int(binary.LittleEndian.Uint16(data[2:4]))
		inner := layers.LinkType(binary.LittleEndian.Uint32(data[4:8]))
		if n < 8 || n > len(data) || inner == linkTypePPI {
			return nil, 0, Malformed
		}
		return d.network(data[n:], inner, p)
	default:
		return nil, 0, UnsupportedLinkType
	}
	// VLAN tags, stacked for 802.1ad (QinQ); the outermost id keys the flow.
	for etype == layers.EthernetTypeDot1Q || etype == layers.EthernetTypeQinQ || etype == 0x9100 {
		if d.dot1q.DecodeFromBytes(rest, nilFeedback) != nil {
			return nil, 0, Malformed
		}
		if p.VLAN == 0 {
			p.VLAN = d.dot1q.VLANIdentifier
		}
		etype, rest = d.dot1q.Type, d.dot1q.Payload
		if etype < 0x0600 {
			return nil, 0, NonIP
		}
	}
	return ethertype(etype, rest)
}

func ethertype(etype layers.EthernetType, rest []byte) ([]byte, byte, Reason) {
	switch etype {
	case layers.EthernetTypeIPv4:
		return rest, 4, OK
	case layers.EthernetTypeIPv6:
		return rest, 6, OK
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		// Label stack down to the bottom-of-stack bit; the payload's
		// version nibble says IPv4 or IPv6 (RFC 3032 leaves it implicit).
		for {
			if len(rest) < 4 {
				return nil, 0, Malformed
			}
			bottom := rest[2]&1 != 0
			rest = rest[4:]
			if bottom {
				break
			}
		}
		if len(rest) > 0 && (rest[0]>>4 == 4 || rest[0]>>4 == 6) {
			return rest, 0, OK
		}
	}
	return nil, 0, NonIP
}

// ppp walks PPP in HDLC-like framing (RFC 1662), or Cisco HDLC framing
// that some routers write under the PPP link type.
func (d *Decoder) ppp(b []byte) ([]byte, byte, Reason) {
	if len(b) >= 1 && (b[0] == 0x0f || b[0] == 0x8f) {
		return d.chdlc(b)
	}
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		return nil, 0, Malformed
	}
	proto := uint16(b[0])
	if b[0]&1 == 0 { // two-byte protocol field unless compressed
		if len(b) < 2 {
			return nil, 0, Malformed
		}
		proto, b = binary.BigEndian.Uint16(b[:2]), b[2:]
	} else {
		b = b[1:]
	}
	switch proto {
	case 0x0021:
		return b, 4, OK
	case 0x0057:
		return b, 6, OK
	}
	return nil, 0, NonIP
}

// chdlc walks Cisco HDLC: address, control, then an EtherType.
func (d *Decoder) chdlc(b []byte) ([]byte, byte, Reason) {
	if len(b) < 4 {
		return nil, 0, Malformed
	}
	return ethertype(layers.EthernetType(binary.BigEndian.Uint16(b[2:4])), b[4:])
}

func (d *Decoder) ip(b []byte, p *Packet) Reason {
	if len(b) == 0 {
		return Malformed
	}
	switch b[0] >> 4 {
	case 4:
		return d.ipv4(b, p)
	case 6:
		return d.ipv6(b, p)
	}
	return Malformed
}

func (d *Decoder) ipv4(b []byte, p *Packet) Reason {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Malformed
	}
	length, hl, payload, ok := ipv4Header(b)
	if !ok {
		ip := &d.ip4
		if ip.DecodeFromBytes(b, nilFeedback) != nil {
			return Malformed
		}
		length, hl, payload = int(ip.Length), int(ip.IHL)*4, ip.Payload
	}
	p.IPVersion = 4
	copy(p.Src[:4], b[12:16])
	copy(p.Dst[:4], b[16:20])
	p.Proto = b[9]
	wire := length - hl // transport bytes on the wire
	flagsFrag := binary.BigEndian.Uint16(b[6:8])
	if flagsFrag&0x3fff != 0 { // more fragments, or an offset
		p.Fragment = true
		fk := fragKey{id: uint32(binary.BigEndian.Uint16(b[4:6])), proto: p.Proto, src: p.Src, dst: p.Dst}
		if flagsFrag&0x1fff != 0 {
			return d.laterFragment(fk, wire, p)
		}
		r := d.transport(payload, wire, p)
		if r == OK {
			d.frags.put(fk, p)
		}
		return r
	}
	return d.transport(payload, wire, p)
}

// ipv4Header reads the common IPv4 header, 20 bytes without options and a
// total length that covers them: its total length, its header length and
// the captured payload, as gopacket's IPv4 decoder gives them. ok is false
// for anything else (options, a TCP segmentation offload's zero length, a
// malformed header), which goes through that decoder: reading every
// header through it cost 2% of the whole extraction.
func ipv4Header(b []byte) (length, hl int, payload []byte, ok bool) {
	if len(b) < 20 || b[0] != 0x45 {
		return 0, 0, nil, false
	}
	length = int(binary.BigEndian.Uint16(b[2:4]))
	if length < 20 {
		return 0, 0, nil, false
	}
	return length, 20, b[20:min(len(b), length)], true
}

// ipv6 walks the fixed header and the extension headers by hand: gopacket's
// IPv6 layer folds hop-by-hop options into itself, which hides the wire
// length arithmetic the flow features need.
func (d *Decoder) ipv6(b []byte, p *Packet) Reason {
	if len(b) < 40 || b[0]>>4 != 6 {
		return Malformed
	}
	p.IPVersion = 6
	copy(p.Src[:], b[8:24])
	copy(p.Dst[:], b[24:40])
	wire := int(binary.BigEndian.Uint16(b[4:6]))
	rest := b[40:]
	if wire == 0 { // jumbogram or TSO: trust what was captured
		wire = len(rest)
	}
	if len(rest) > wire {
		rest = rest[:wire]
	}
	next := b[6]
	var frag bool
	var fk fragKey
	var fragOff uint16
	for {
		switch next {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination, mobility, HIP, shim6
			if len(rest) < 8 {
				return Malformed
			}
			n := (int(rest[1]) + 1) * 8
			if n > len(rest) {
				return Malformed
			}
			next, rest, wire = rest[0], rest[n:], wire-n
			continue
		case 51: // authentication header
			if len(rest) < 8 {
				return Malformed
			}
			n := (int(rest[1]) + 2) * 4
			if n > len(rest) {
				return Malformed
			}
			next, rest, wire = rest[0], rest[n:], wire-n
			continue
		case 44: // fragment
			if len(rest) < 8 {
				return Malformed
			}
			frag = true
			fragOff = binary.BigEndian.Uint16(rest[2:4]) >> 3
			more := rest[3]&1 != 0
			fk = fragKey{id: binary.BigEndian.Uint32(rest[4:8]), proto: rest[0], src: p.Src, dst: p.Dst, v6: true}
			next, rest, wire = rest[0], rest[8:], wire-8
			if !more && fragOff == 0 { // atomic fragment: a whole datagram
				frag = false
			}
			continue
		}
		break
	}
	if wire < 0 {
		return Malformed
	}
	p.Proto = next
	if frag {
		p.Fragment = true
		if fragOff != 0 {
			return d.laterFragment(fk, wire, p)
		}
		r := d.transport(rest, wire, p)
		if r == OK {
			d.frags.put(fk, p)
		}
		return r
	}
	return d.transport(rest, wire, p)
}

// laterFragment takes ports from the datagram's first fragment; all of a
// later fragment is transport payload.
func (d *Decoder) laterFragment(fk fragKey, wire int, p *Packet) Reason {
	if !d.frags.get(fk, p) {
		return FragmentNoPorts
	}
	p.PayloadLen = max(wire, 0)
	return OK
}

// tcpHeaderLen is the length of the TCP header at the start of b, and
// whether b holds it whole, by the checks gopacket's TCP decoder makes
// (its options are never an error). The header is read here, not by that
// decoder, because it also decodes every option into structs that
// nothing here reads: 7% of the whole extraction.
func tcpHeaderLen(b []byte) (int, bool) {
	if len(b) < 20 {
		return 0, false
	}
	hl := int(b[12]>>4) * 4
	return hl, hl >= 20 && hl <= len(b)
}

// transport decodes the transport header. b is what was captured of it,
// wire its length on the wire.
func (d *Decoder) transport(b []byte, wire int, p *Packet) Reason {
	if wire < len(b) {
		b = b[:max(wire, 0)]
	}
	cut := p.CapLen < p.WireLen
	switch p.Proto {
	case 6:
		hl, ok := tcpHeaderLen(b)
		if !ok {
			// A snap length that cuts into the TCP header still leaves
			// the ports and flags; anything else is malformed.
			if !cut || len(b) < 14 {
				return Malformed
			}
			hl = int(b[12]>>4) * 4
		} else {
			p.Window = binary.BigEndian.Uint16(b[14:16])
			p.Payload = b[hl:]
		}
		p.SrcPort = binary.BigEndian.Uint16(b[0:2])
		p.DstPort = binary.BigEndian.Uint16(b[2:4])
		p.Seq = binary.BigEndian.Uint32(b[4:8])
		p.Ack = binary.BigEndian.Uint32(b[8:12])
		p.TCPFlags = b[13]
		p.PayloadLen = max(wire-hl, 0)
		p.L4HeaderLen = hl
	case 17, 136: // UDP, UDP-Lite
		if len(b) < 8 {
			return Malformed
		}
		if d.udp.DecodeFromBytes(b, nilFeedback) != nil {
			return Malformed
		}
		p.SrcPort, p.DstPort = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
		p.PayloadLen = max(wire-8, 0)
		p.L4HeaderLen = 8
		p.Payload = b[8:]
	case 1, 58: // ICMP, ICMPv6
		if len(b) < 4 {
			return Malformed
		}
		p.ICMPType, p.ICMPCode = b[0], b[1]
		if hasICMPID(p.Proto, p.ICMPType) && len(b) >= 6 {
			p.ICMPID = binary.BigEndian.Uint16(b[4:6])
		}
		p.PayloadLen = max(wire-8, 0)
		p.L4HeaderLen = 8
		if len(b) > 8 {
			p.Payload = b[8:]
		}
	case 132: // SCTP: ports like TCP and UDP
		if len(b) < 12 {
			return Malformed
		}
		p.SrcPort = binary.BigEndian.Uint16(b[0:2])
		p.DstPort = binary.BigEndian.Uint16(b[2:4])
		p.PayloadLen = max(wire-12, 0)
		p.L4HeaderLen = 12
		p.Payload = b[12:]
	default:
		p.PayloadLen = max(wire, 0)
		p.Payload = b
	}
	return OK
}

// hasICMPID reports ICMP messages that carry a query identifier.
func hasICMPID(proto, typ uint8) bool {
	if proto == 1 {
		switch typ {
		case 0, 8, 13, 14, 15, 16, 17, 18:
			return true
		}
		return false
	}
	return typ == 128 || typ == 129
}

// ICMPQueryType maps a reply to its request type so that both directions of
// an ICMP exchange share one flow key.
func ICMPQueryType(proto, typ uint8) uint8 {
	if proto == 1 {
		switch typ {
		case 0:
			return 8
		case 14, 16, 18:
			return typ - 1
		}
		return typ
	}
	if typ == 129 {
		return 128
	}
	return typ
}
