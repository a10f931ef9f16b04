package appmeta

import (
	"math"
	"strconv"
)

// dnsMsg is the header and first question of a DNS message.
type dnsMsg struct {
	id       uint16
	response bool
	rcode    int
	answers  int
	qdcount  int
	name     []byte // raw labels joined by '.', aliasing the caller's buffer
	qtype    uint16
}

// parseDNS decodes the header and first question of msg. name is built in
// nameBuf (at least 255 bytes) so nothing is allocated.
func parseDNS(msg []byte, nameBuf []byte) (dnsMsg, bool) {
	var m dnsMsg
	if len(msg) < 12 {
		return m, false
	}
	m.id = uint16(msg[0])<<8 | uint16(msg[1])
	m.response = msg[2]&0x80 != 0
	opcode := msg[2] >> 3 & 0xf
	m.rcode = int(msg[3] & 0xf)
	m.qdcount = int(msg[4])<<8 | int(msg[5])
	m.answers = int(msg[6])<<8 | int(msg[7])
	if opcode > 6 { // unassigned opcodes: not DNS
		return m, false
	}
	if m.qdcount == 0 {
		// A response without a question still has a useful header; a
		// query without one is not DNS as a flow meter cares about it.
		return m, m.response
	}
	name, off, ok := readName(msg, 12, nameBuf[:0])
	if !ok || off+4 > len(msg) {
		return m, false
	}
	m.qtype = uint16(msg[off])<<8 | uint16(msg[off+1])
	if m.qtype == 0 {
		// Type 0 is reserved: treat the question as absent, so that a
		// kept question always has a type.
		m.qdcount, m.qtype = 0, 0
		return m, m.response
	}
	m.name = name
	return m, true
}

// readName decodes a possibly compressed name starting at off, returning it
// dotted (no final dot, "" for the root) and the offset after it in msg.
func readName(msg []byte, off int, dst []byte) ([]byte, int, bool) {
	end := -1
	jumps := 0
	for {
		if off >= len(msg) {
			return nil, 0, false
		}
		l := int(msg[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if end < 0 {
					end = off + 1
				}
				return dst, end, true
			}
			if off+1+l > len(msg) || len(dst)+l+1 > 255 {
				return nil, 0, false
			}
			if len(dst) > 0 {
				dst = append(dst, '.')
			}
			dst = append(dst, msg[off+1:off+1+l]...)
			off += 1 + l
		case 0xc0:
			if off+1 >= len(msg) {
				return nil, 0, false
			}
			if end < 0 {
				end = off + 2
			}
			jumps++
			if jumps > 32 {
				return nil, 0, false
			}
			off = (l&0x3f)<<8 | int(msg[off+1])
		default: // 0x40 and 0x80 label types are obsolete or unused
			return nil, 0, false
		}
	}
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// QTypeName names a DNS resource record type as IANA does, "TYPE<n>" for
// the unlisted ones (RFC 3597).
func QTypeName(t uint16) string {
	switch t {
	case 0:
		return ""
	case 1:
		return "A"
	case 2:
		return "NS"
	case 5:
		return "CNAME"
	case 6:
		return "SOA"
	case 10:
		return "NULL"
	case 12:
		return "PTR"
	case 13:
		return "HINFO"
	case 15:
		return "MX"
	case 16:
		return "TXT"
	case 17:
		return "RP"
	case 18:
		return "AFSDB"
	case 24:
		return "SIG"
	case 25:
		return "KEY"
	case 28:
		return "AAAA"
	case 29:
		return "LOC"
	case 32:
		return "NB"
	case 33:
		return "SRV"
	case 35:
		return "NAPTR"
	case 36:
		return "KX"
	case 37:
		return "CERT"
	case 39:
		return "DNAME"
	case 41:
		return "OPT"
	case 43:
		return "DS"
	case 44:
		return "SSHFP"
	case 46:
		return "RRSIG"
	case 47:
		return "NSEC"
	case 48:
		return "DNSKEY"
	case 50:
		return "NSEC3"
	case 51:
		return "NSEC3PARAM"
	case 52:
		return "TLSA"
	case 59:
		return "CDS"
	case 60:
		return "CDNSKEY"
	case 64:
		return "SVCB"
	case 65:
		return "HTTPS"
	case 99:
		return "SPF"
	case 249:
		return "TKEY"
	case 250:
		return "TSIG"
	case 251:
		return "IXFR"
	case 252:
		return "AXFR"
	case 255:
		return "ANY"
	case 256:
		return "URI"
	case 257:
		return "CAA"
	}
	return "TYPE" + strconv.Itoa(int(t))
}
