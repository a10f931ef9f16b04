package embedded

import (
	"path/filepath"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/synth"
)

// BenchmarkScoreDefault scores real feature rows (flows of a generated
// capture, in schema order as classify passes them) with the embedded
// model in batches of 1024 on one core: the flows/s one scoring core
// sustains.
func BenchmarkScoreDefault(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.pcap")
	if _, err := synth.WriteFile(path, synth.DefaultConfig(2, 60000)); err != nil {
		b.Fatal(err)
	}
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var rows []float64
	n := 0
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		rows = append(rows, r.Values...)
		n++
	}, 1, 1)
	readCapture(b, path, e)
	const batch = 1024
	for n < batch { // repeat the flows up to one batch
		rows = append(rows, rows[:len(schema.Features)*min(n, batch-n)]...)
		n += min(n, batch-n)
	}
	rows = rows[:batch*len(schema.Features)]
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(schema.Features))
	for i, f := range schema.Features {
		names[i] = f.Name
	}
	s, err := m.Bind(names, features.Version)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, batch)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ScoreBatch(rows, batch, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "flows/s")
	b.ReportMetric(float64(len(m.Features)), "inputs")
}

func readCapture(b *testing.B, path string, e *features.Extractor) {
	f, err := capture.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var rec capture.Record
	for f.Next(&rec) == nil {
		e.Packet(&rec)
	}
	e.Flush(flow.EndOfInput)
}
