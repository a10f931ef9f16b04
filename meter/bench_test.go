package meter

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

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

// startTimer resets the benchmark timer and returns the process's CPU time
// then, for report.
func startTimer(b *testing.B) time.Duration {
	b.ResetTimer()
	return cpuTime()
}

// cpuTime is the CPU time this process has used, all threads. On this
// shared VM it moves less than wall time when other guests take the
// cores, so cpu-ns/pkt is the steadier figure to compare builds by.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(b *testing.B, packets int, cpu0 time.Duration) {
	pk := float64(packets * b.N)
	b.ReportMetric(pk/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pk, "ns/pkt")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/pk, "cpu-ns/pkt")
}

// BenchmarkReadBare is reading alone: capture.File, which parses classic
// pcap in place. pcapgo's zero-copy loop, the reference the ratios
// are taken to, is capture's BenchmarkPcapgoBare.
func BenchmarkReadBare(b *testing.B) {
	path := benchCapture(b)
	b.ReportAllocs()
	cpu0 := startTimer(b)
	n := 0
	for i := 0; i < b.N; i++ {
		n = readAll(b, path, func(*capture.Record) {})
	}
	report(b, n, cpu0)
}

// BenchmarkDecode reads and decodes every packet.
func BenchmarkDecode(b *testing.B) {
	path := benchCapture(b)
	d := decode.NewDecoder()
	var p decode.Packet
	b.ReportAllocs()
	cpu0 := startTimer(b)
	n := 0
	for i := 0; i < b.N; i++ {
		n = readAll(b, path, func(r *capture.Record) {
			d.Decode(r.Data, r.Length, r.Timestamp.UnixNano(), r.LinkType, &p)
		})
	}
	report(b, n, cpu0)
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
	cpu0 := startTimer(b)
	n, flows := 0, 0
	for i := 0; i < b.N; i++ {
		flows = 0
		e := features.NewExtractor(schema, flow.Config{}, func(*features.Record) { flows++ }, 1, 1)
		n = readAll(b, path, e.Packet)
		e.Flush(flow.EndOfInput)
	}
	report(b, n, cpu0)
	b.ReportMetric(float64(flows), "flows")
}

// BenchmarkRun is the extraction through Run, the pipeline classify uses,
// without a model: one reader goroutine copying each packet to the worker
// of its shard, the merge back into expiry order. Records are computed but
// not written, as in BenchmarkExtract.
func BenchmarkRun(b *testing.B) {
	path := benchCapture(b)
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("Workers%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := startTimer(b)
			var sum Summary
			for i := 0; i < b.N; i++ {
				sum, err = Run(context.Background(), []Input{{Path: path, Name: path}},
					Options{Schema: schema, Workers: workers}, func(*Event) {})
				if err != nil {
					b.Fatal(err)
				}
			}
			report(b, int(sum.Files[0].Packets), cpu0)
			b.ReportMetric(float64(sum.Flows), "flows")
		})
	}
}
