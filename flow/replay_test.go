package flow

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/synth"
)

// replayPacket is what the table reads of a decoded packet, kept compact so
// a million of them stay small.
type replayPacket struct {
	ts                 int64
	src, dst           [16]byte
	sport, dport, vlan uint16
	proto, ipv, flags  uint8
	icmpType, icmpCode uint8
	icmpID             uint16
}

// replayPackets decodes the capture meter's BenchmarkExtract runs on (the
// same synthetic mix, seed and size, generated once into the temp dir and
// shared with it), so the table sees that benchmark's own flows.
func replayPackets(b *testing.B) []replayPacket {
	const n = 1_000_000
	path := filepath.Join(os.TempDir(), fmt.Sprintf("flowclass-bench-%d-seed1.pcap", n))
	if _, err := os.Stat(path); err != nil {
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if _, err := synth.WriteFile(tmp, synth.DefaultConfig(1, n)); err != nil {
			b.Fatalf("generate %s: %v", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	f, err := capture.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	d := decode.NewDecoder()
	var rec capture.Record
	var p decode.Packet
	out := make([]replayPacket, 0, n)
	for {
		err := f.Next(&rec)
		if err == io.EOF {
			return out
		}
		if err != nil {
			b.Fatal(err)
		}
		if d.Decode(rec.Data, rec.Length, rec.Timestamp.UnixNano(), rec.LinkType, &p) != decode.OK {
			continue
		}
		out = append(out, replayPacket{p.Timestamp, p.Src, p.Dst, p.SrcPort, p.DstPort, p.VLAN,
			p.Proto, p.IPVersion, p.TCPFlags, p.ICMPType, p.ICMPCode, p.ICMPID})
	}
}

// BenchmarkTableReplay feeds the decoded packets of meter's BenchmarkExtract
// capture to a fresh table per iteration: the table's share of that
// benchmark, without reading, decoding and features around it.
func BenchmarkTableReplay(b *testing.B) {
	pkts := replayPackets(b)
	var p decode.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tab := NewTable(Config{}, func(int32, *Flow, Reason, int64) {}, 1, 1)
		for j := range pkts {
			r := &pkts[j]
			p.Timestamp, p.Src, p.Dst, p.SrcPort, p.DstPort, p.VLAN = r.ts, r.src, r.dst, r.sport, r.dport, r.vlan
			p.Proto, p.IPVersion, p.TCPFlags, p.ICMPType, p.ICMPCode, p.ICMPID = r.proto, r.ipv, r.flags, r.icmpType, r.icmpCode, r.icmpID
			tab.Add(&p)
		}
		tab.Flush(EndOfInput, tab.Now())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(pkts)*b.N), "ns/pkt")
}
