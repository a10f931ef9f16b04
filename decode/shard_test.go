package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestShardHashSymmetricAndSpread: both directions hash alike, and a flood
// from many sources to one target spreads evenly over two and four shards.
func TestShardHashSymmetricAndSpread(t *testing.T) {
	d := NewDecoder()
	pkt := func(src, dst uint32) []byte {
		b := make([]byte, 20)
		b[0] = 0x45
		binary.BigEndian.PutUint16(b[2:4], 20)
		binary.BigEndian.PutUint32(b[12:16], src)
		binary.BigEndian.PutUint32(b[16:20], dst)
		return b
	}
	target := uint32(0xc0000250) // 192.0.2.80
	for _, shards := range []uint64{2, 4} {
		counts := make([]int, shards)
		const n = 40000
		for i := uint32(0); i < n; i++ {
			src := 0x0a800000 + i*7919
			h := d.ShardHash(pkt(src, target), layers.LinkTypeRaw)
			if h != d.ShardHash(pkt(target, src), layers.LinkTypeRaw) {
				t.Fatalf("hash not symmetric for %x", src)
			}
			counts[h%shards]++
		}
		for s, c := range counts {
			if share := float64(c) / n; share < 0.9/float64(shards) || share > 1.1/float64(shards) {
				t.Errorf("%d shards: shard %d got %.1f%% of a flood", shards, s, 100*share)
			}
		}
	}
}
