package window

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/meter"
	gen "github.com/flowclass/flowclass/synth"
)

// benchRecords meters a generated capture (the attack mix of the meter
// benchmarks, smaller) and keeps every record, in expiry order.
func benchRecords(b *testing.B) ([]*features.Record, *features.Schema) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.pcap")
	if _, err := gen.WriteFile(path, gen.DefaultConfig(1, 200_000)); err != nil {
		b.Fatal(err)
	}
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var recs []*features.Record
	order := meter.NewExpiryOrder(func(r *features.Record) {
		c := *r
		c.Values = append([]float64(nil), r.Values...)
		recs = append(recs, &c)
	})
	e := features.NewExtractor(schema, flow.Config{}, order.Emit, 1, 1)
	meter.ReadFiles([]string{path}, e, nil)
	order.Flush()
	return recs, schema
}

// BenchmarkContextAttach is the per-flow cost of the context columns, to
// set against the extraction's cost per flow (ns/packet × packets/flow).
func BenchmarkContextAttach(b *testing.B) {
	recs, schema := benchRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, err := NewContext(schema, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			ctx.Attach(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/flow")
}

// BenchmarkAggregatorAdd is the per-flow cost of the --windows rows.
func BenchmarkAggregatorAdd(b *testing.B) {
	recs, schema := benchRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		agg, err := New(10*time.Second, schema, Options{Hold: flow.DefaultIdleTimeout + 10*time.Second}, func(*Stats) {})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			agg.Add(r)
		}
		agg.Flush()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/flow")
}
