package features

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket/layers"
)

// BenchmarkPacketSteady measures the per-packet hot path on established
// flows (decode, table, accumulators, application parsers past their
// decision): b.ReportAllocs must show 0 allocations per packet.
func BenchmarkPacketSteady(b *testing.B) {
	schema, err := NewSchema(Config{})
	if err != nil {
		b.Fatal(err)
	}
	const flows = 1024
	base := tcpFrame(b, true, "PA", 502, 200)
	frames := make([][]byte, flows*2)
	for i := range frames {
		f := append([]byte(nil), base...)
		binary.BigEndian.PutUint16(f[34:36], uint16(20000+i/2)) // client port: one flow per pair
		if i%2 == 1 {                                           // the reply: swap addresses and ports
			copy(f[26:30], base[30:34])
			copy(f[30:34], base[26:30])
			binary.BigEndian.PutUint16(f[34:36], 80)
			binary.BigEndian.PutUint16(f[36:38], uint16(20000+i/2))
		}
		frames[i] = f
	}
	e := NewExtractor(schema, flow.Config{}, func(*Record) {}, 1, 1)
	rec := capture.Record{LinkType: layers.LinkTypeEthernet}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	feed := func(i int) {
		f := frames[i%len(frames)]
		rec.Data, rec.Length = f, len(f)
		rec.Timestamp = time.Unix(0, t0+int64(i)*1000)
		e.Packet(&rec)
	}
	// Warm up past every flow's sample buffer growth (the pool then
	// recycles) and the application parsers' decisions.
	warm := len(frames) * (DefaultMaxSamples/2 + 8)
	for i := 0; i < warm; i++ {
		feed(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		feed(warm + i)
	}
}
