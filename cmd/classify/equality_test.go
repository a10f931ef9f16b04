package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// TestOutputEquality: sharding must not change the output, and the two
// flow formats must carry the same flows and scores.
func TestOutputEquality(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "synth.pcap")
	gen := genCapture(t, pcap, 100_000, true)
	t.Logf("synth: %d packets, %d flows (%d malicious)", gen.Packets, gen.TotalFlows(), gen.MaliciousFlows())

	out := map[string]string{}
	for _, c := range []struct{ name, workers string }{{"w1.csv", "1"}, {"w2.csv", "2"}, {"w2.jsonl", "2"}} {
		p := filepath.Join(dir, c.name)
		res := runClassify(t, "-r", pcap, "-o", p, "--workers", c.workers, "--no-progress")
		noStackTrace(t, "stderr", res.stderr)
		if res.code != 0 {
			t.Fatalf("%s: exit %d; stderr:\n%s", c.name, res.code, res.stderr)
		}
		out[c.name] = p
		if c.name == "w1.csv" {
			s := parseSummary(t, res.stderr)
			rows := readFlowsCSV(t, p)
			if int64(len(rows)) != s.flows || sumPackets(rows) != s.inFlows {
				t.Errorf("CSV: %d flows holding %d packets; summary: %d flows, %d packets in flows", len(rows), sumPackets(rows), s.flows, s.inFlows)
			}
			if s.read != int64(gen.Packets) {
				t.Errorf("read %d packets, synth wrote %d", s.read, gen.Packets)
			}
		}
	}
	a, err := os.ReadFile(out["w1.csv"])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out["w2.csv"])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
		for i := 0; i < min(len(la), len(lb)); i++ {
			if !bytes.Equal(la[i], lb[i]) {
				t.Fatalf("--workers 1 and 2 differ first at line %d (of %d / %d):\n%.300s\n%.300s", i+1, len(la), len(lb), la[i], lb[i])
			}
		}
		t.Fatalf("--workers 1 and 2: %d and %d lines", len(la), len(lb))
	}

	rows := readFlowsCSV(t, out["w1.csv"])
	f, err := os.Open(out["w2.jsonl"])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var j struct {
			Proto     int     `json:"protocol"`
			Src       string  `json:"src_ip"`
			SrcPort   int     `json:"src_port"`
			Dst       string  `json:"dst_ip"`
			DstPort   int     `json:"dst_port"`
			Packets   int64   `json:"bidirectional_packets"`
			Bytes     int64   `json:"bidirectional_bytes"`
			Exp       string  `json:"expiration"`
			Score     float64 `json:"score"`
			Predicted string  `json:"predicted"`
		}
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("JSONL line %d: %v", i+1, err)
		}
		if i >= len(rows) {
			t.Fatalf("JSONL has more flows than the CSV's %d", len(rows))
		}
		r := rows[i]
		key := strconv.Itoa(j.Proto) + " " + j.Src + ":" + strconv.Itoa(j.SrcPort) + " " + j.Dst + ":" + strconv.Itoa(j.DstPort)
		cs, err := strconv.ParseFloat(r.score, 64)
		if err != nil {
			t.Fatalf("CSV row %d score %q: %v", i+1, r.score, err)
		}
		// JSONL rounds scores to 6 decimals.
		if key != r.key || j.Packets != r.packets || j.Bytes != r.bytes || j.Exp != r.expiration ||
			j.Predicted != r.predicted || math.Abs(j.Score-cs) > 5e-7 {
			t.Fatalf("flow %d differs:\nCSV   %s %d pkts %d bytes %s score %s %s\nJSONL %s %d pkts %d bytes %s score %v %s",
				i+1, r.key, r.packets, r.bytes, r.expiration, r.score, r.predicted, key, j.Packets, j.Bytes, j.Exp, j.Score, j.Predicted)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Errorf("JSONL has %d flows, CSV %d", i, len(rows))
	}
	t.Logf("%d flows identical in CSV (workers 1 and 2) and JSONL", len(rows))
}

// TestOutputEqualityAcrossRecordings reads a synthetic capture, the sample
// (recorded later) and the synthetic one again (earlier than the sample:
// a separate recording, so the flow table is flushed and time starts
// over). Output must not depend on the number of shards there either.
func TestOutputEqualityAcrossRecordings(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "synth.pcap")
	genCapture(t, pcap, 30_000, true)
	sample := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	var csvs, alerts [][]byte
	for _, w := range []string{"1", "3"} {
		p := filepath.Join(dir, "w"+w+".csv")
		res := runClassify(t, "-r", pcap, "-r", sample, "-r", pcap, "-o", p, "--workers", w, "--no-progress")
		noStackTrace(t, "stderr", res.stderr)
		if res.code != 0 {
			t.Fatalf("--workers %s: exit %d; stderr:\n%s", w, res.code, res.stderr)
		}
		s := parseSummary(t, res.stderr)
		rows := readFlowsCSV(t, p)
		if sumPackets(rows) != s.inFlows {
			t.Errorf("--workers %s: CSV holds %d packets, summary says %d in flows", w, sumPackets(rows), s.inFlows)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		csvs, alerts = append(csvs, data), append(alerts, []byte(res.stdout))
	}
	if !bytes.Equal(alerts[0], alerts[1]) {
		t.Errorf("alerts differ between --workers 1 and 3")
	}
	if !bytes.Equal(csvs[0], csvs[1]) {
		la, lb := bytes.Split(csvs[0], []byte("\n")), bytes.Split(csvs[1], []byte("\n"))
		for i := 0; i < min(len(la), len(lb)); i++ {
			if !bytes.Equal(la[i], lb[i]) {
				t.Fatalf("--workers 1 and 3 differ first at line %d:\n%.200s\n%.200s", i+1, la[i], lb[i])
			}
		}
		t.Fatalf("--workers 1 and 3: %d and %d lines", len(la), len(lb))
	}
}

// TestReadStandardInput: -r - reads the capture from standard input (a
// pipe, as from tcpdump -w -) and gives the flows, scores and alerts that
// reading the file gives.
func TestReadStandardInput(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "synth.pcap")
	genCapture(t, pcap, 20_000, true)
	fromFile := filepath.Join(dir, "file.csv")
	want := runClassify(t, "-r", pcap, "-o", fromFile, "--no-progress")
	if want.code != 0 {
		t.Fatalf("-r FILE: exit %d; stderr:\n%s", want.code, want.stderr)
	}
	in, err := os.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fromStdin := filepath.Join(dir, "stdin.csv")
	cmd := exec.Command(classifyBin(t), "-r", "-", "-o", fromStdin, "--no-progress")
	cmd.Stdin = struct{ io.Reader }{in} // a pipe, not the file itself
	got := runCmd(t, cmd)
	if got.code != 0 {
		t.Fatalf("-r -: exit %d; stderr:\n%s", got.code, got.stderr)
	}
	a, b := readFlowsCSV(t, fromFile), readFlowsCSV(t, fromStdin)
	if len(a) < 100 || len(a) != len(b) {
		t.Fatalf("-r FILE wrote %d flows, -r - %d", len(a), len(b))
	}
	wa, _ := os.ReadFile(fromFile)
	wb, _ := os.ReadFile(fromStdin)
	if !bytes.Equal(wa, wb) || got.stdout != want.stdout {
		t.Errorf("-r - and -r FILE differ (CSV equal: %v, alerts equal: %v)", bytes.Equal(wa, wb), got.stdout == want.stdout)
	}
}

// TestReadGzipped: a gzipped capture (written by the gzip tool when it is
// installed, else by Go's compress/gzip) gives the flows, scores and alerts
// of the capture inside it.
func TestReadGzipped(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "synth.pcap")
	genCapture(t, pcap, 20_000, true)
	gz := pcap + ".gz"
	if path, err := exec.LookPath("gzip"); err == nil {
		out, err := exec.Command(path, "-k", pcap).CombinedOutput()
		if err != nil {
			t.Fatalf("gzip: %v: %s", err, out)
		}
	} else {
		data, err := os.ReadFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		w.Close()
		if err := os.WriteFile(gz, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var csvs [2][]byte
	var alerts [2]string
	for i, in := range []string{pcap, gz} {
		out := filepath.Join(dir, fmt.Sprint(i)+".csv")
		res := runClassify(t, "-r", in, "-o", out, "--no-progress")
		if res.code != 0 {
			t.Fatalf("-r %s: exit %d; stderr:\n%s", in, res.code, res.stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		csvs[i], alerts[i] = data, res.stdout
	}
	if bytes.Count(csvs[0], []byte("\n")) < 100 || !bytes.Equal(csvs[0], csvs[1]) || alerts[0] != alerts[1] {
		t.Errorf("the gzipped capture gives other flows or alerts (%d and %d CSV bytes)", len(csvs[0]), len(csvs[1]))
	}
}
