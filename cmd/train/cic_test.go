package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/internal/testdata"
)

// TestCSVColumnsCIC: --csv with --columns cic writes CICFlowMeter's header
// exactly, Label benign or malicious from the capture's label, and the same
// flows, in the same order, as the default columns.
func TestCSVColumnsCIC(t *testing.T) {
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	dir := t.TempDir()
	ours, cic := filepath.Join(dir, "ours.csv"), filepath.Join(dir, "cic.csv")
	mustTrain(t, "--malicious", pcap, "--csv", ours)
	mustTrain(t, "--malicious", pcap, "--csv", cic, "--columns", "cic")
	a, b := readCSVFile(t, ours), readCSVFile(t, cic)
	if got, want := strings.Join(b.header, ","), strings.Join(cicflow.Header(), ","); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	if len(a.rows) != len(b.rows) || len(b.rows) < 100 {
		t.Fatalf("%d rows in ours, %d in cic", len(a.rows), len(b.rows))
	}
	for i := range b.rows {
		x, y := a.rows[i], b.rows[i]
		if y[b.col["Label"]] != "malicious" {
			t.Fatalf("row %d: Label %q", i, y[b.col["Label"]])
		}
		for _, p := range [][2]string{{"src_ip", "Src IP"}, {"src_port", "Src Port"}, {"src2dst_packets", "Total Fwd Packet"}, {"dst2src_payload_bytes", "Total Length of Bwd Packet"}} {
			if x[a.col[p[0]]] != y[b.col[p[1]]] {
				t.Fatalf("row %d: %s %s but %s %s", i, p[0], x[a.col[p[0]]], p[1], y[b.col[p[1]]])
			}
		}
	}
	r := runTrain(t, "--malicious", pcap, "--csv", cic, "--columns", "argus")
	if r.code == 0 || !strings.Contains(r.stderr, `--columns "argus"`) {
		t.Errorf("--columns argus: exit %d, %s", r.code, r.stderr)
	}
}
