package features

import (
	"slices"
	"testing"

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
	snapshotEveryThird := func(n *int) func(e *Extractor, i int) {
		return func(e *Extractor, i int) {
			if slot, packets, ok := e.LastFlow(); ok && i%3 == 0 && packets > 4 {
				e.SnapshotFlow(slot)
				*n++
			}
		}
	}
	compared, snaps := 0, 0
	for _, rel := range files {
		path := testdata.Capture(t, rel)
		plain := meterCapture(t, schema, path, nil)
		snapped := meterCapture(t, schema, path, snapshotEveryThird(&snaps))
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
