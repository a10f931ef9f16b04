package decode

// Packet is what the flow layer needs from one frame. Addresses are 16
// bytes; IPv4 uses the first four. Payload aliases the capture buffer.
type Packet struct {
	Timestamp int64 // packet time, nanoseconds since the Unix epoch
	WireLen   int   // frame length on the wire (what tshark calls frame.len)
	CapLen    int   // bytes captured; less than WireLen when the snap length cut it

	Src, Dst         [16]byte
	SrcPort, DstPort uint16
	Proto            uint8 // IANA protocol number of the transport
	IPVersion        uint8 // 4 or 6
	VLAN             uint16

	// ICMP: type and code of this message, and the identifier that ties an
	// echo request to its reply (0 for messages without one).
	ICMPType, ICMPCode uint8
	ICMPID             uint16

	TCPFlags uint8
	Window   uint16
	Seq, Ack uint32

	PayloadLen int // transport payload length from the IP lengths
	// L4HeaderLen is the transport header's length (TCP with options, 8
	// for UDP and ICMP, 12 for SCTP); 0 for later fragments and protocols
	// without a transport header the decoder knows.
	L4HeaderLen int
	Payload     []byte // the captured part of that payload
	// Fragment is set for IPv4/IPv6 fragments; their ports come from the
	// datagram's first fragment when it was seen.
	Fragment bool
}

// TCP flag bits as they sit in the TCP header's 13th byte.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagPSH = 0x08
	FlagACK = 0x10
	FlagURG = 0x20
	FlagECE = 0x40
	FlagCWR = 0x80
)

// HeaderLen is the wire bytes that are not transport payload: link, IP and
// transport headers plus any trailer or padding.
func (p *Packet) HeaderLen() int {
	h := p.WireLen - p.PayloadLen
	if h < 0 {
		return 0
	}
	return h
}

// Reason says why a frame could not be put in a flow.
type Reason uint8

const (
	OK Reason = iota
	NonIP
	UnsupportedLinkType
	Malformed
	FragmentNoPorts
	numReasons
)

// NumReasons is the size of an array indexed by Reason.
const NumReasons = int(numReasons)

var reasonNames = [...]string{
	OK:                  "ok",
	NonIP:               "non_ip",
	UnsupportedLinkType: "unsupported_link_type",
	Malformed:           "malformed",
	FragmentNoPorts:     "fragment_without_ports",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}
