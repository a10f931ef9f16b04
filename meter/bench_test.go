package meter

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/synth"
)

// benchPackets is the size of the generated benchmark capture; override
// with FLOWCLASS_BENCH_PACKETS for quick runs.
const benchPackets = 1_000_000

var benchOnce sync.Once
var benchPath string
var benchErr error

// benchCapture generates the benchmark capture once, in the temp dir, and
// reuses it across runs (same seed, same bytes).
func benchCapture(b *testing.B) string {
	benchOnce.Do(func() {
		n := benchPackets
		if v := os.Getenv("FLOWCLASS_BENCH_PACKETS"); v != "" {
			fmt.Sscan(v, &n)
		}
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("flowclass-bench-%d-seed1.pcap", n))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		_, benchErr = synth.WriteFile(benchPath+".tmp", synth.DefaultConfig(1, n))
		if benchErr == nil {
			benchErr = os.Rename(benchPath+".tmp", benchPath)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// readAll runs fn over every packet of path, counting packets.
func readAll(b *testing.B, path string, fn func(r *capture.Record)) int {
	f, err := capture.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var rec capture.Record
	n := 0
	for {
		err := f.Next(&rec)
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		fn(&rec)
		n++
	}
}

func report(b *testing.B, packets int) {
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets*b.N), "ns/pkt")
}

// BenchmarkReadBare is reading alone: capture.File, which parses classic
// pcap in place. pcapgo's zero-copy loop, the reference the ratios
// are taken to, is capture's BenchmarkPcapgoBare.
func BenchmarkReadBare(b *testing.B) {
	path := benchCapture(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n = readAll(b, path, func(*capture.Record) {})
	}
	report(b, n)
}

// BenchmarkDecode reads and decodes every packet.
func BenchmarkDecode(b *testing.B) {
	path := benchCapture(b)
	d := decode.NewDecoder()
	var p decode.Packet
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n = readAll(b, path, func(r *capture.Record) {
			d.Decode(r.Data, r.Length, r.Timestamp.UnixNano(), r.LinkType, &p)
		})
	}
	report(b, n)
}

// BenchmarkExtract is the whole extraction on one core: read, decode, flow
// table, every feature, application metadata; records are computed but not
// written.
func BenchmarkExtract(b *testing.B) {
	path := benchCapture(b)
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n, flows := 0, 0
	for i := 0; i < b.N; i++ {
		flows = 0
		e := features.NewExtractor(schema, flow.Config{}, func(*features.Record) { flows++ }, 1, 1)
		n = readAll(b, path, e.Packet)
		e.Flush(flow.EndOfInput)
	}
	report(b, n)
	b.ReportMetric(float64(flows), "flows")
}
