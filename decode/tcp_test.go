package decode

import (
	"bytes"
	"math/rand/v2"
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
