package features

import (
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// TestWalkIndependentOfKeptPrefix checks the features of a flow's walk
// (bulk transfers, active and idle periods, subflows) on real captures:
// they are rebuilt from the kept packets for a flow within its prefix,
// and replayed from them and then continued online for a flow past it. A
// walk is exact either way, so keeping 3 packets per flow must give
// bit-identical values to keeping every packet.
func TestWalkIndependentOfKeptPrefix(t *testing.T) {
	files := []string{"benign/iotlab_ultraloq-hub-01.pcap", "benign/ndpi_1kxun.pcap", "benign/ndpi_netflix.pcap",
		"benign/iotlab_schlage-lock-01.pcap", "malicious/doup_slowloris-distributed.pcap",
		"malicious/slips_cc-capture-1.pcap", "mixed/elcab_cerber-infection-mixed.pcap"}
	walkFamilies := map[string]bool{"bulk": true, "activity": true, "subflow": true}
	schemaKeeping := func(keep int) *Schema {
		schema, err := NewSchema(Config{MaxSamples: keep})
		if err != nil {
			t.Fatal(err)
		}
		return schema
	}
	schema, schema3 := schemaKeeping(DefaultMaxSamples), schemaKeeping(3)
	var compared, past, bulks, idles, subflows int
	for _, rel := range files {
		path := testdata.Capture(t, rel)
		all := meterCapture(t, schema, path, nil)
		few := meterCapture(t, schema3, path, nil)
		if len(all) != len(few) {
			t.Fatalf("%s: %d flows keeping all packets, %d keeping 3", rel, len(all), len(few))
		}
		var cols []int
		for i, f := range schema.Features {
			if walkFamilies[f.Family] {
				cols = append(cols, i)
			}
		}
		if len(cols) != 19 {
			t.Fatalf("%d walk features, want 19 (bulk 6, activity 8, subflow 5): update the test with the catalogue", len(cols))
		}
		packets := schema.Index("bidirectional_packets")
		for id, kept := range all {
			kept3, ok := few[id]
			if !ok {
				t.Fatalf("%s: flow %d missing when keeping 3 packets", rel, id)
			}
			want, got := kept.vals, kept3.vals
			for _, i := range cols {
				if got[i] != want[i] {
					t.Errorf("%s flow %d: %s = %v keeping 3 packets, %v keeping all", rel, id, schema.Features[i].Name, got[i], want[i])
				}
			}
			compared++
			if want[packets] > 3 {
				past++
			}
			if want[schema.Index("src2dst_bulk_packets_avg")] > 0 || want[schema.Index("dst2src_bulk_packets_avg")] > 0 {
				bulks++
			}
			if want[schema.Index("idle_max_ms")] > 0 {
				idles++
			}
			if want[schema.Index("subflow_count")] > 1 {
				subflows++
			}
		}
	}
	// The comparison means something only if the captures exercise it.
	if past < 100 || bulks < 20 || idles < 20 || subflows < 50 {
		t.Fatalf("too little to compare: %d flows past 3 packets, %d with bulks, %d with idle periods, %d with several subflows",
			past, bulks, idles, subflows)
	}
	t.Logf("%d flows compared (%d past the kept prefix): %d with bulks, %d with idle periods, %d with several subflows",
		compared, past, bulks, idles, subflows)
}
