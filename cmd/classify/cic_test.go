package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/internal/testdata"
)

// TestColumnsCIC: -o with --columns cic writes CICFlowMeter's header plus
// Score, one row per flow, and every row agrees with the same flow in the
// default columns (written by a separate writer from the same records).
func TestColumnsCIC(t *testing.T) {
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	dir := t.TempDir()
	ours, cic := filepath.Join(dir, "ours.csv"), filepath.Join(dir, "cic.csv")
	for _, args := range [][]string{{"-o", ours}, {"-o", cic, "--columns", "cic"}} {
		// One worker keeps flow order the same in both runs.
		res := runClassify(t, append([]string{"-r", pcap, "-q", "-w", "1", "--no-progress"}, args...)...)
		if res.code != 0 {
			t.Fatalf("classify %v: exit %d\n%s", args, res.code, res.stderr)
		}
	}
	a, b := readAll(t, ours), readAll(t, cic)
	if got, want := strings.Join(b[0], ","), strings.Join(append(cicflow.Header(), "Score"), ","); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	if len(a) != len(b) || len(a) < 100 {
		t.Fatalf("%d rows in ours, %d in cic", len(a), len(b))
	}
	col := func(h []string, name string) int {
		for i, c := range h {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	pairs := [][2]string{
		{"src_ip", "Src IP"}, {"src_port", "Src Port"}, {"dst_ip", "Dst IP"}, {"dst_port", "Dst Port"},
		{"protocol", "Protocol"}, {"src2dst_packets", "Total Fwd Packet"}, {"dst2src_packets", "Total Bwd packets"},
		{"src2dst_payload_bytes", "Total Length of Fwd Packet"}, {"src2dst_psh_packets", "Fwd PSH Flags"},
		{"bidirectional_syn_packets", "SYN Flag Count"}, {"dst2src_init_win_bytes", "Bwd Init Win Bytes"},
		{"src2dst_l4_header_bytes", "Fwd Header Length"}, {"src2dst_payload_packets", "Fwd Act Data Pkts"},
		{"predicted", "Label"}, {"score", "Score"},
	}
	for i := 1; i < len(a); i++ {
		for _, p := range pairs {
			if x, y := a[i][col(a[0], p[0])], b[i][col(b[0], p[1])]; x != y {
				t.Fatalf("row %d: %s %s but %s %s", i, p[0], x, p[1], y)
			}
		}
		ms, _ := strconv.ParseFloat(a[i][col(a[0], "bidirectional_duration_ms")], 64)
		us, _ := strconv.ParseFloat(b[i][col(b[0], "Flow Duration")], 64)
		if math.Abs(ms*1000-us) > 1e-3 {
			t.Fatalf("row %d: duration %v ms but Flow Duration %v µs", i, ms, us)
		}
		for j, v := range b[i] {
			if l := strings.ToLower(v); strings.Contains(l, "nan") || strings.Contains(l, "inf") {
				t.Fatalf("row %d: %s = %s", i, b[0][j], v)
			}
		}
	}

	res := runClassify(t, "-r", pcap, "-q", "-o", filepath.Join(dir, "x.jsonl"), "--columns", "cic")
	if res.code != exitError || !strings.Contains(res.stderr, "--columns cic") {
		t.Errorf("--columns cic with jsonl: exit %d, %s", res.code, res.stderr)
	}
	res = runClassify(t, "-r", pcap, "-q", "--columns", "nfstream")
	if res.code != exitError || !strings.Contains(res.stderr, `--columns "nfstream"`) {
		t.Errorf("--columns nfstream: exit %d, %s", res.code, res.stderr)
	}
}

func readAll(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
