package decode

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// checkTCPAgainstGopacket decodes b as a TCP header both ways: the
// Decoder's own reading and gopacket's TCP decoder, which it replaced.
func checkTCPAgainstGopacket(t *testing.T, b []byte) {
	t.Helper()
	var ref layers.TCP
	refErr := ref.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
	hl, ok := tcpHeaderLen(b)
	if ok != (refErr == nil) {
		t.Fatalf("% x: header whole %v, gopacket's error %v", b, ok, refErr)
	}
	if !ok {
		return
	}
	if hl != int(ref.DataOffset)*4 {
		t.Fatalf("% x: header length %d, gopacket %d", b, hl, int(ref.DataOffset)*4)
	}
	// Through Decode's transport step, as a whole segment.
	d := NewDecoder()
	p := Packet{Proto: 6, CapLen: len(b), WireLen: len(b)}
	if r := d.transport(b, len(b), &p); r != OK {
		t.Fatalf("% x: transport %v", b, r)
	}
	if p.SrcPort != uint16(ref.SrcPort) || p.DstPort != uint16(ref.DstPort) || p.Seq != ref.Seq || p.Ack != ref.Ack ||
		p.Window != ref.Window || !bytes.Equal(p.Payload, ref.Payload) || p.L4HeaderLen != hl || p.PayloadLen != len(ref.Payload) {
		t.Fatalf("% x: decoded %+v, gopacket %+v", b, p, ref)
	}
	flags := ref.FIN || ref.SYN || ref.RST || ref.PSH || ref.ACK || ref.URG || ref.ECE || ref.CWR
	if (p.TCPFlags != 0) != flags {
		t.Fatalf("% x: flags %#x, gopacket %+v", b, p.TCPFlags, ref)
	}
}

// TestTCPHeaderMatchesGopacket: every length up to 80 bytes with every
// data offset, with and without options, reads as gopacket reads it.
func TestTCPHeaderMatchesGopacket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := 0
	for n := 0; n <= 80; n++ {
		for off := 0; off < 16; off++ {
			for range 4 {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				if n > 12 {
					b[12] = byte(off<<4) | b[12]&0x0f
				}
				checkTCPAgainstGopacket(t, b)
				cases++
			}
		}
	}
	t.Logf("%d headers", cases)
}

// FuzzTCPHeaderMatchesGopacket does the same on arbitrary bytes.
func FuzzTCPHeaderMatchesGopacket(f *testing.F) {
	f.Add([]byte{0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x12, 0xff, 0xff, 0, 0, 0, 0,
		2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0, 'h', 'i'})
	f.Fuzz(func(t *testing.T, b []byte) { checkTCPAgainstGopacket(t, b) })
}

// checkIPv4AgainstGopacket reads b as an IPv4 header both ways where the
// direct reading takes it (and reports whether it did): the same lengths,
// payload and fields, and the same packet out of the whole ipv4 step as
// out of that step through gopacket's decoder.
func checkIPv4AgainstGopacket(t *testing.T, b []byte) bool {
	t.Helper()
	length, hl, payload, ok := ipv4Header(b)
	if !ok {
		return false // gopacket's decoder reads it
	}
	var ref layers.IPv4
	if err := ref.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		t.Fatalf("% x: read directly, gopacket refuses it: %v", b, err)
	}
	if length != int(ref.Length) || hl != int(ref.IHL)*4 || !bytes.Equal(payload, ref.Payload) || len(payload) != len(ref.Payload) {
		t.Fatalf("% x: length %d header %d payload %d bytes; gopacket %d, %d, %d", b, length, hl, len(payload), ref.Length, int(ref.IHL)*4, len(ref.Payload))
	}
	flagsFrag := uint16(b[6])<<8 | uint16(b[7])
	if b[9] != uint8(ref.Protocol) || !bytes.Equal(b[12:16], ref.SrcIP) || !bytes.Equal(b[16:20], ref.DstIP) ||
		(flagsFrag&0x3fff != 0) != (ref.Flags&layers.IPv4MoreFragments != 0 || ref.FragOffset != 0) ||
		(flagsFrag&0x1fff != 0) != (ref.FragOffset != 0) {
		t.Fatalf("% x: fields differ from gopacket's %+v", b, ref)
	}
	var fast, slow Packet
	d := NewDecoder()
	rf := d.ipv4(b, &fast)
	rs := d.ipv4ThroughGopacket(b, &slow)
	if rf != rs || !samePacket(fast, slow) {
		t.Fatalf("% x: Decode %v %+v; through gopacket %v %+v", b, rf, fast, rs, slow)
	}
	return true
}

// TestIPv4HeaderMatchesGopacket: headers of every total length around
// the captured length, with every first byte's header length, flags and
// offsets at random, read as gopacket reads them; and the whole Decode of
// such packets agrees with decoding through gopacket's IPv4 layer alone.
func TestIPv4HeaderMatchesGopacket(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	direct := 0
	for n := 0; n <= 90; n++ {
		for _, first := range []byte{0x45, 0x46, 0x44, 0x4f, 0x55} {
			for _, total := range []int{0, 1, 19, 20, 21, n - 1, n, n + 1, 1500, 65535, 0, 40, n, n + 1} {
				if total < 0 {
					continue
				}
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				if n > 0 {
					b[0] = first
				}
				if n > 3 {
					b[2], b[3] = byte(total>>8), byte(total)
				}
				if checkIPv4AgainstGopacket(t, b) {
					direct++
				}
			}
		}
	}
	if direct < 600 {
		t.Fatalf("only %d headers took the direct reading", direct)
	}
}

// ipv4ThroughGopacket is Decoder.ipv4 as it was, every header through
// gopacket's IPv4 decoder: the reference for the direct reading.
func (d *Decoder) ipv4ThroughGopacket(b []byte, p *Packet) Reason {
	ip := &d.ip4
	if len(b) < 20 || b[0]>>4 != 4 || ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil {
		return Malformed
	}
	p.IPVersion = 4
	copy(p.Src[:4], ip.SrcIP)
	copy(p.Dst[:4], ip.DstIP)
	p.Proto = uint8(ip.Protocol)
	wire := int(ip.Length) - int(ip.IHL)*4
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		p.Fragment = true
		fk := fragKey{id: uint32(ip.Id), proto: p.Proto, src: p.Src, dst: p.Dst}
		if ip.FragOffset != 0 {
			return d.laterFragment(fk, wire, p)
		}
		r := d.transport(ip.Payload, wire, p)
		if r == OK {
			d.frags.put(fk, p)
		}
		return r
	}
	return d.transport(ip.Payload, wire, p)
}

// FuzzIPv4HeaderMatchesGopacket does the same on arbitrary bytes.
func FuzzIPv4HeaderMatchesGopacket(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 40, 0, 1, 0x20, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) { checkIPv4AgainstGopacket(t, b) })
}

// samePacket compares two decoded packets, payload bytes included.
func samePacket(a, b Packet) bool {
	pa, pb := a.Payload, b.Payload
	a.Payload, b.Payload = nil, nil
	return reflect.DeepEqual(a, b) && bytes.Equal(pa, pb) && len(pa) == len(pb)
}
