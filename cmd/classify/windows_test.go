package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
)

func readCSVMaps(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v (%d records)", path, err, len(recs))
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// --windows rows agree with the flows of -o regrouped by the window of
// their last packet, with one and with several workers.
func TestWindowsCSVMatchesFlows(t *testing.T) {
	capPath := filepath.Join("..", "..", "datasets", "sample", "sample.pcap")
	if _, err := os.Stat(capPath); err != nil {
		t.Skipf("sample capture absent: %v", err)
	}
	for _, workers := range []string{"1", "3"} {
		dir := t.TempDir()
		flows, wins := filepath.Join(dir, "flows.csv"), filepath.Join(dir, "windows.csv")
		res := runClassify(t, "-r", capPath, "-o", flows, "--windows", wins, "--window", "5s", "-w", workers, "-q")
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		type agg struct {
			flows, packets int64
			src, dst       map[string]bool
			convs          map[string]bool
		}
		want := map[string]*agg{}
		for _, f := range readCSVMaps(t, flows) {
			last, err := time.Parse(time.RFC3339Nano, f["last_seen"])
			if err != nil {
				t.Fatal(err)
			}
			start := last.Truncate(5 * time.Second).UTC().Format(time.RFC3339Nano)
			a := want[start]
			if a == nil {
				a = &agg{src: map[string]bool{}, dst: map[string]bool{}, convs: map[string]bool{}}
				want[start] = a
			}
			pk, _ := strconv.ParseInt(f["bidirectional_packets"], 10, 64)
			a.flows++
			a.packets += pk
			a.src[f["src_ip"]], a.dst[f["dst_ip"]] = true, true
			a.convs[f["src_ip"]+" "+f["dst_ip"]] = true
		}
		rows := readCSVMaps(t, wins)
		if len(rows) != len(want) {
			t.Errorf("workers %s: %d windows, flows fall in %d", workers, len(rows), len(want))
		}
		prev := ""
		for _, r := range rows {
			a := want[r["window_start"]]
			if a == nil {
				t.Errorf("window %s holds no flow of -o", r["window_start"])
				continue
			}
			if r["window_start"] <= prev {
				t.Errorf("window %s after %s", r["window_start"], prev)
			}
			prev = r["window_start"]
			for col, v := range map[string]int64{"flows": a.flows, "packets": a.packets, "src_ips": int64(len(a.src)),
				"dst_ips": int64(len(a.dst)), "conversations": int64(len(a.convs)), "late_flows": 0} {
				if r[col] != strconv.FormatInt(v, 10) {
					t.Errorf("workers %s, window %s: %s = %s, want %d", workers, r["window_start"], col, r[col], v)
				}
			}
		}
	}
	res := runClassify(t, "-r", capPath, "--windows", filepath.Join(t.TempDir(), "w.csv"), "--window", "0", "-q")
	if res.code != exitError {
		t.Errorf("--window 0 with --windows: exit %d, want %d", res.code, exitError)
	}
}

// The context columns follow --window: on by default (a scan's probes see
// their source's many ports), all 0 with --window 0, and classify says so
// when the model reads them.
func TestContextColumnsFollowWindow(t *testing.T) {
	sample := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	for _, window := range []string{"10s", "0"} {
		out := filepath.Join(t.TempDir(), "flows.csv")
		res := runClassify(t, "-r", sample, "-o", out, "--window", window, "--no-progress")
		if res.code != 0 {
			t.Fatalf("--window %s: exit %d\n%s", window, res.code, res.stderr)
		}
		noted := strings.Contains(res.stderr, "turns the context columns off")
		if noted != (window == "0") {
			t.Errorf("--window %s: note about context columns printed: %v\n%s", window, noted, res.stderr)
		}
		maxPorts := 0.0
		for _, r := range readCSVMaps(t, out) {
			v, err := strconv.ParseFloat(r["ctx_src_dst_ports"], 64)
			if err != nil {
				t.Fatalf("ctx_src_dst_ports %q: %v", r["ctx_src_dst_ports"], err)
			}
			maxPorts = max(maxPorts, v)
		}
		// The sample's nmap scan probes hundreds of ports from one source.
		if window == "0" && maxPorts != 0 || window != "0" && maxPorts < 100 {
			t.Errorf("--window %s: largest ctx_src_dst_ports %v", window, maxPorts)
		}
	}
}
