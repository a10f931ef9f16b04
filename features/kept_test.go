package features

import (
	"slices"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
)

// TestSnapshotsLeaveRecordsUnchanged meters real captures twice, keeping
// 4 packets per flow so most flows outgrow their prefix: once plainly, and
// once snapshotting the latest packet's flow after every third packet, as
// re-scoring does. A flow past its prefix keeps the summary of its kept
// packets from its first snapshot on, so the second run reuses it where
// the first recomputes it: every record must come out bit-identical.
func TestSnapshotsLeaveRecordsUnchanged(t *testing.T) {
	files := []string{"benign/ndpi_1kxun.pcap", "benign/iotlab_ultraloq-hub-01.pcap", "malicious/doup_slowloris-distributed.pcap"}
	schema, err := NewSchema(Config{MaxSamples: 4})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		vals []float64
		meta []string
	}
	run := func(path string, snapshot bool) (map[uint64]row, int) {
		out := map[uint64]row{}
		e := NewExtractor(schema, flow.Config{}, func(r *Record) {
			out[r.FlowID] = row{slices.Clone(r.Values), slices.Clone(r.Meta)}
		}, 1, 1)
		f, err := capture.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var rec capture.Record
		snaps := 0
		for i := 0; f.Next(&rec) == nil; i++ {
			e.Packet(&rec)
			if slot, n, ok := e.LastFlow(); snapshot && ok && i%3 == 0 && n > 4 {
				e.SnapshotFlow(slot)
				snaps++
			}
		}
		e.Flush(flow.EndOfInput)
		return out, snaps
	}
	compared, snaps := 0, 0
	for _, rel := range files {
		path := testdata.Capture(t, rel)
		plain, _ := run(path, false)
		snapped, n := run(path, true)
		snaps += n
		if len(plain) != len(snapped) {
			t.Fatalf("%s: %d flows plainly, %d with snapshots", rel, len(plain), len(snapped))
		}
		for id, want := range plain {
			got := snapped[id]
			if !slices.Equal(got.meta, want.meta) {
				t.Errorf("%s flow %d: metadata %q with snapshots, %q without", rel, id, got.meta, want.meta)
			}
			for i := range want.vals {
				if got.vals[i] != want.vals[i] {
					t.Errorf("%s flow %d: %s = %v with snapshots, %v without", rel, id, schema.Features[i].Name, got.vals[i], want.vals[i])
				}
			}
			compared++
		}
	}
	if snaps < 1000 {
		t.Fatalf("only %d snapshots of flows past their kept packets; the test needs many", snaps)
	}
	t.Logf("%d flows compared after %d snapshots", compared, snaps)
}
