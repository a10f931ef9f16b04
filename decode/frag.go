package decode

// fragKey identifies one IP datagram's fragments.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

type fragEntry struct {
	key              fragKey
	used             bool
	srcPort, dstPort uint16
	icmpType         uint8
	icmpCode         uint8
	icmpID           uint16
}

// fragCache remembers the ports of recent first fragments so later
// fragments of the same datagram join its flow. It is direct-mapped and of
// fixed size: a collision forgets the older datagram, whose later fragments
// are then counted as fragment_without_ports rather than guessed.
type fragCache struct {
	slots [fragSlots]fragEntry
}

const fragSlots = 4096

func (k *fragKey) slot() int {
	h := uint32(2166136261)
	mix := func(b byte) { h = (h ^ uint32(b)) * 16777619 }
	for i := 0; i < 16; i++ {
		mix(k.src[i])
		mix(k.dst[i])
	}
	mix(byte(k.id))
	mix(byte(k.id >> 8))
	mix(byte(k.id >> 16))
	mix(byte(k.id >> 24))
	mix(k.proto)
	return int(h % fragSlots)
}

func (c *fragCache) put(k fragKey, p *Packet) {
	c.slots[k.slot()] = fragEntry{key: k, used: true, srcPort: p.SrcPort, dstPort: p.DstPort,
		icmpType: p.ICMPType, icmpCode: p.ICMPCode, icmpID: p.ICMPID}
}

func (c *fragCache) get(k fragKey, p *Packet) bool {
	e := &c.slots[k.slot()]
	if !e.used || e.key != k {
		return false
	}
	p.SrcPort, p.DstPort = e.srcPort, e.dstPort
	p.ICMPType, p.ICMPCode, p.ICMPID = e.icmpType, e.icmpCode, e.icmpID
	return true
}
