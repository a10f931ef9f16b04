package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
)

// --windows-csv rows, per capture, hold the --csv flows regrouped by the
// window of their last packet.
func TestWindowsCSVPerCapture(t *testing.T) {
	sample, err := filepath.Abs(filepath.Join("..", "..", "datasets", "sample", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("sample capture absent: %v", err)
	}
	scan := testdata.Capture(t, "malicious/ndpi_synscan.pcap")
	dir := t.TempDir()
	flows, wins := filepath.Join(dir, "flows.csv"), filepath.Join(dir, "windows.csv")
	mustTrain(t, "--benign", sample, "--malicious", scan, "--csv", flows, "--windows-csv", wins, "--window", "5s")

	type key struct{ source, start string }
	want := map[key]int{}
	fc := readCSVFile(t, flows)
	for _, r := range fc.rows {
		last, err := time.Parse(time.RFC3339Nano, fc.get(r, "last_seen"))
		if err != nil {
			t.Fatal(err)
		}
		want[key{fc.get(r, "source"), last.Truncate(5 * time.Second).UTC().Format(time.RFC3339Nano)}]++
	}
	wc := readCSVFile(t, wins)
	if len(wc.rows) != len(want) {
		t.Errorf("%d window rows, the flows fall in %d (capture, window) pairs", len(wc.rows), len(want))
	}
	sources := map[string]int{}
	prev := map[string]string{}
	for _, r := range wc.rows {
		k := key{wc.get(r, "source"), wc.get(r, "window_start")}
		sources[k.source]++
		if n := want[k]; wc.get(r, "flows") != strconv.Itoa(n) {
			t.Errorf("%v: flows %s, want %d", k, wc.get(r, "flows"), n)
		}
		if k.start <= prev[k.source] {
			t.Errorf("%s: window %s after %s", k.source, k.start, prev[k.source])
		}
		prev[k.source] = k.start
	}
	if sources[sample] == 0 || sources[scan] == 0 {
		t.Errorf("rows per source %v; want both captures", sources)
	}
}
