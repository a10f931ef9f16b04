package decode

import (
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"

	"github.com/gopacket/gopacket/layers"
)

// FuzzDecode feeds arbitrary bytes as any link type: decoding must never
// panic, and an accepted packet must have consistent lengths.
func FuzzDecode(f *testing.F) {
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0,
		0x45, 0, 0, 40, 0, 1, 0x20, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0}
	f.Add(eth, uint16(1))
	f.Add(eth[14:], uint16(101))
	f.Add(append([]byte{2, 0, 0, 0}, eth[14:]...), uint16(0))
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 44, 64}, uint16(101))
	f.Add([]byte{0xff, 0x03, 0, 0x21, 0x45}, uint16(9))
	f.Add([]byte{0, 0, 8, 0, 1, 0, 0, 0}, uint16(192))
	// Real packets of several link types, when the shared captures are here.
	for _, pk := range testdata.SamplePackets(f, 12) {
		f.Add(pk.Data, uint16(pk.LinkType))
	}
	f.Fuzz(func(t *testing.T, data []byte, lt uint16) {
		d := NewDecoder()
		var p Packet
		for _, wire := range []int{len(data), len(data) + 100} {
			r := d.Decode(data, wire, 1, layers.LinkType(lt), &p)
			if r == OK {
				if p.PayloadLen < 0 || len(p.Payload) > len(data) || p.HeaderLen() < 0 {
					t.Fatalf("inconsistent packet %+v", p)
				}
				if p.IPVersion != 4 && p.IPVersion != 6 {
					t.Fatalf("accepted packet with IP version %d", p.IPVersion)
				}
			}
			d.ShardHash(data, layers.LinkType(lt))
		}
	})
}
