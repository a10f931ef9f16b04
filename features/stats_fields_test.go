package features

import (
	"testing"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket/layers"
)

// TestStatFieldsFollowStatNames keeps the per-field readers in the order of
// the column names.
func TestStatFieldsFollowStatNames(t *testing.T) {
	s := summary{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	v := s.values()
	for k := range statNames {
		if statFields[k](&s) != v[k] {
			t.Errorf("%s: field reader gives %v, values() %v", statNames[k], statFields[k](&s), v[k])
		}
	}
}

// TestBlocksMatchValues checks that the run-at-once writers of the
// distribution columns give what each column's own definition gives.
func TestBlocksMatchValues(t *testing.T) {
	schema, err := NewSchema(Config{})
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, f := range schema.Features {
		if f.block != nil {
			blocks++
		}
	}
	if blocks != 10 {
		t.Fatalf("%d block writers, want one per series and direction (10)", blocks)
	}
	var e *Extractor
	flows := 0
	e = NewExtractor(schema, flow.Config{}, func(r *Record) {
		flows++
		for i, f := range schema.Features {
			if want := clean(f.value(&e.calc)); r.Values[i] != want {
				t.Errorf("%s = %v, its definition gives %v", f.Name, r.Values[i], want)
			}
		}
	}, 1, 1)
	rec := capture.Record{LinkType: layers.LinkTypeEthernet}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < 40; i++ {
		f := tcpFrame(t, i%3 != 0, "PA", uint16(1000+i), 100+(i*37)%900)
		rec.Data, rec.Length = f, len(f)
		rec.Timestamp = time.Unix(0, t0+int64(i*i)*997)
		e.Packet(&rec)
	}
	e.Flush(flow.EndOfInput)
	if flows != 1 {
		t.Fatalf("%d flows, want 1", flows)
	}
}
