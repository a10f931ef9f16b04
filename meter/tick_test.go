package meter

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpFrame builds an Ethernet/IPv4/UDP frame from 10.0.x.y:sport to
// 192.0.2.1:53.
func udpFrame(t *testing.T, src net.IP, sport uint16) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: net.IP{192, 0, 2, 1}}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(make([]byte, 32))); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestRescoringWithOneBusyShard: a re-scoring tick finds thousands of flows
// due in one shard, while a burst of packets keeps coming for that shard
// alone. The shard hands its snapshots over in pieces and waits for the
// merge to take them, which it can only do once the other shard's mark has
// passed them; the other shard hears of the tick at the same time, so the
// run ends (it used to hang here when each shard ticked on its own marks).
func TestRescoringWithOneBusyShard(t *testing.T) {
	dec := decode.NewDecoder()
	shard := func(f []byte) uint64 { return dec.ShardHash(f, layers.LinkTypeEthernet) % 2 }
	// Thousands of one-packet flows of shard 0 in the first half second,
	// then 20,000 packets of one shard-0 flow just after the one-second
	// re-scoring boundary, and nothing for shard 1 from then on.
	var many [][]byte
	for i := 0; len(many) < 5000; i++ {
		f := udpFrame(t, net.IP{10, 0, byte(i >> 8), byte(i)}, uint16(1024+i%50000))
		if shard(f) == 0 {
			many = append(many, f)
		}
	}
	// Shards go by address pair, so vary the address.
	var elephant, other []byte
	for i := 0; elephant == nil || other == nil; i++ {
		f := udpFrame(t, net.IP{10, 9, 9, byte(i)}, 2000)
		if shard(f) == 0 && elephant == nil {
			elephant = f
		} else if shard(f) == 1 && other == nil {
			other = f
		}
	}
	path := filepath.Join(t.TempDir(), "busy.pcap")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var frames [][]byte
	var times []time.Time
	write := func(at time.Duration, f []byte) {
		frames, times = append(frames, f), append(times, t0.Add(at))
	}
	write(0, other)
	for i, f := range many {
		write(time.Duration(i)*100*time.Microsecond, f)
	}
	for i := 0; i < 20000; i++ {
		write(time.Second+time.Duration(i)*100*time.Nanosecond, elephant)
	}
	testdata.WritePcap(t, path, frames, times)

	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Schema: schema, Workers: 2, Threshold: 0.5, RescoreInterval: 500 * time.Millisecond,
		NewScorer: func() (Scorer, error) { return alwaysScorer{}, nil }}
	type result struct {
		sum    Summary
		alerts int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var n int
		sum, err := Run(context.Background(), []Input{{Path: path, Name: path}}, opt, func(ev *Event) {
			if ev.Kind == ActiveAlert {
				n++
			}
		})
		done <- result{sum, n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Logf("%d flows, %d re-scoring alerts, the merge held at most %d events", r.sum.Flows, r.alerts, r.sum.PeakHeld)
		if r.alerts < 4*flushPiece {
			t.Fatalf("%d re-scoring alerts: the tick should have snapshotted the %d flows of the busy shard", r.alerts, len(many))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the pipeline is stuck: a shard waits for the merge, which waits for the other shard's mark")
	}
}
