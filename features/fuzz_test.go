package features

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket/layers"
)

// FuzzExtract feeds arbitrary frames of any link type through decoding,
// the flow table and every accumulator: nothing may panic, every packet is
// accounted for, and no feature comes out NaN or Inf. Real packets from a
// few shared captures seed the corpus when they are present.
func FuzzExtract(f *testing.F) {
	f.Add(tcpFrame(f, true, "S", 1024, 0), uint16(1), int64(0))
	f.Add(tcpFrame(f, false, "SA", 1024, 0)[14:], uint16(101), int64(5e9))
	f.Add([]byte{2, 0, 0, 0, 0x45, 0, 0, 20}, uint16(0), int64(-1))
	if dir := testdata.DatasetsDir(f); dir != "" {
		for _, rel := range []string{"benign/ndpi_443-curl.pcap", "malicious/ndpi_synscan.pcap", "odd/ndpi_ip_fragmented_garbage.pcap", "benign/ndpi_kakaotalk_chat.pcap"} {
			c, err := capture.OpenFile(filepath.Join(dir, rel))
			if err != nil {
				continue
			}
			var r capture.Record
			for i := 0; i < 20 && c.Next(&r) == nil; i++ {
				f.Add(append([]byte(nil), r.Data...), uint16(r.LinkType), int64(i)*1e6)
			}
			c.Close()
		}
	}
	schema, err := NewSchema(Config{SPLT: 4})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, lt uint16, dt int64) {
		var bad string
		e := NewExtractor(schema, flow.Config{}, func(r *Record) {
			for i, v := range r.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					bad = schema.Features[i].Name
				}
			}
		}, 1, 1)
		// The frame twice, then a cut copy, at times that may run backwards.
		for i, ts := range []int64{1e18, 1e18 + dt, 1e18 + 2*dt} {
			d := data
			if i == 2 && len(d) > 1 {
				d = d[:len(d)/2]
			}
			e.PacketAt(d, len(data), ts, &capture.Record{LinkType: layers.LinkType(lt)})
		}
		e.Flush(flow.EndOfInput)
		c := e.Counters()
		if c.Read != 3 || c.Read != c.InFlows+c.SkippedTotal() {
			t.Fatalf("accounting: %+v", c)
		}
		if bad != "" {
			t.Fatalf("feature %s is NaN or Inf", bad)
		}
	})
}
