package meter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
)

// TestAccountingOnEveryCapture: for every shared capture, malformed and odd
// ones included, every packet read is either in a flow or skipped with a
// reason, and the flows' packet counts add up to the packets in flows.
func TestAccountingOnEveryCapture(t *testing.T) {
	dir := testdata.Datasets(t)
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pk := schema.Index("bidirectional_packets")
	var files []string
	for _, sub := range []string{"benign", "malicious", "mixed", "odd"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d captures", len(files))
	}
	var total, skipped, truncated, failed uint64
	for _, path := range files {
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			continue
		}
		var inFlows float64
		e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) { inFlows += r.Values[pk] }, 1, 1)
		res := ReadFiles([]string{path}, e, nil)
		c := e.Counters()
		if res[0].Packets != c.Read {
			t.Errorf("%s: %d records read, extractor saw %d", path, res[0].Packets, c.Read)
		}
		if c.Read != c.InFlows+c.SkippedTotal() {
			t.Errorf("%s: read %d != in flows %d + skipped %d", path, c.Read, c.InFlows, c.SkippedTotal())
		}
		if uint64(inFlows) != c.InFlows {
			t.Errorf("%s: flows hold %v packets, %d went into flows", path, inFlows, c.InFlows)
		}
		total += c.Read
		skipped += c.SkippedTotal()
		if res[0].Truncated() {
			truncated++
		} else if res[0].Err != nil {
			failed++
		}
	}
	t.Logf("%d captures, %d packets, %d skipped with a reason; %d truncated, %d stopped by a read error (all reported)", len(files), total, skipped, truncated, failed)
}
