package decode

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/synth"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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

// TestShardHashFastPathMatchesDecoders hashes every packet of the real
// captures (malformed and odd ones included) both ways: the fast path for
// untagged Ethernet IP frames must pick the shard the decoders pick.
func TestShardHashFastPathMatchesDecoders(t *testing.T) {
	root := testdata.Datasets(t)
	d := NewDecoder()
	checked, fast := 0, 0
	for _, dir := range []string{"benign", "malicious", "odd"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".pcap") && !strings.HasSuffix(name, ".pcapng") {
				continue
			}
			f, err := capture.OpenFile(filepath.Join(root, dir, name))
			if err != nil {
				continue // unreadable captures are capture's tests' business
			}
			var rec capture.Record
			for f.Next(&rec) == nil {
				got, want := d.ShardHash(rec.Data, rec.LinkType), d.shardHashDecoded(rec.Data, rec.LinkType)
				if got != want {
					t.Fatalf("%s/%s: ShardHash %x, through the decoders %x (link type %v, % x)", dir, name, got, want, rec.LinkType, rec.Data[:min(len(rec.Data), 40)])
				}
				checked++
				if rec.LinkType == layers.LinkTypeEthernet && len(rec.Data) >= 14 {
					if et := binary.BigEndian.Uint16(rec.Data[12:14]); et == 0x0800 || et == 0x86dd {
						fast++
					}
				}
			}
			f.Close()
		}
	}
	if fast < 100000 {
		t.Fatalf("only %d of %d packets took the fast path; the comparison needs many", fast, checked)
	}
	t.Logf("%d packets hashed both ways, %d of them through the fast path", checked, fast)
}

// BenchmarkShardHash hashes the frames of a generated capture (the
// default mix: 5% VLAN-tagged, 10% IPv6), as the reader does for every
// packet before handing it to a worker; "decoders" is the same without
// the fast path for untagged Ethernet.
//
//	go test ./decode -run XXX -bench ShardHash
func BenchmarkShardHash(b *testing.B) {
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.DefaultConfig(1, 20000)); err != nil {
		b.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		frames = append(frames, data)
	}
	d := NewDecoder()
	for _, c := range []struct {
		name string
		hash func([]byte) uint64
	}{
		{"fast", func(f []byte) uint64 { return d.ShardHash(f, layers.LinkTypeEthernet) }},
		{"decoders", func(f []byte) uint64 { return d.shardHashDecoded(f, layers.LinkTypeEthernet) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var sum uint64
			for i := 0; i < b.N; i++ {
				sum += c.hash(frames[i%len(frames)])
			}
			if sum == 0 {
				b.Fatal("every hash 0")
			}
		})
	}
}
