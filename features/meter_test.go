package features

import (
	"slices"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
)

// flowRow is an expired flow's values and metadata, copied out of the
// extractor's reused record.
type flowRow struct {
	vals []float64
	meta []string
}

// meterCapture runs a fresh extractor for schema over the capture at path,
// with the default flow table, and returns its flows by id. after, when
// set, runs after each packet (i counts them from 0).
func meterCapture(t *testing.T, schema *Schema, path string, after func(e *Extractor, i int)) map[uint64]flowRow {
	t.Helper()
	out := map[uint64]flowRow{}
	e := NewExtractor(schema, flow.Config{}, func(r *Record) {
		out[r.FlowID] = flowRow{slices.Clone(r.Values), slices.Clone(r.Meta)}
	}, 1, 1)
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec capture.Record
	for i := 0; f.Next(&rec) == nil; i++ {
		e.Packet(&rec)
		if after != nil {
			after(e, i)
		}
	}
	e.Flush(flow.EndOfInput)
	return out
}
