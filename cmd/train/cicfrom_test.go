package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/model"
)

// header2017Labelled is CIC-IDS2017's GeneratedLabelledFlows header as
// distributed (leading spaces, its own spellings), with the repeated Fwd
// Header Length as pandas names it when the file is loaded and saved.
const header2017Labelled = "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean, Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean, Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max, Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total, Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags, Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length, Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count, SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count, ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size, Fwd Header Length.1,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk, Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets, Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd, min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max, Idle Min, Label"

// cicAttackNames gives the sample's attack kinds CIC-IDS2017 label names.
var cicAttackNames = map[string]string{
	"portscan": "PortScan", "icmpsweep": "PortScan", "synflood": "DoS Hulk",
	"slowloris": "DoS slowloris", "sshbrute": "SSH-Patator", "dnstunnel": "Bot",
}

// writeCIC2017Sample meters the sample capture with classify --columns cic
// and rewrites the rows as a CIC-IDS2017 GeneratedLabelledFlows file:
// labels by source address from labels.tsv, BENIGN for the rest, and a few
// NaN/Infinity rates as the dataset has them. It returns how many NaN or
// Infinity cells it wrote into model-input columns and the classify binary.
func writeCIC2017Sample(t *testing.T, path string) (int, string) {
	t.Helper()
	root := testdata.RepoRoot(t)
	pcap := filepath.Join(root, "datasets", "sample", "sample.pcap")
	kinds := readSampleKinds(t, filepath.Join(root, "datasets", "sample", "labels.tsv"))
	dir := t.TempDir()
	bin := filepath.Join(dir, "classify")
	build := exec.Command("go", "build", "-o", bin, "../classify")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build classify: %v\n%s", err, out)
	}
	ours := filepath.Join(dir, "ours.csv")
	if out, err := exec.Command(bin, "-r", pcap, "-q", "-w", "1", "--no-progress", "-o", ours, "--columns", "cic").CombinedOutput(); err != nil {
		t.Fatalf("classify: %v\n%s", err, out)
	}
	src := readCSVFile(t, ours)
	outHeader := strings.Split(header2017Labelled, ",")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Written raw: csv.Writer would quote the cells' leading spaces, which
	// the distributed files do not.
	if _, err := f.WriteString(header2017Labelled + "\r\n"); err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	inputs := map[string]bool{}
	for _, n := range cicflow.ModelInputs() {
		inputs[n] = true
	}
	holes := 0
	for i, row := range src.rows {
		out := make([]string, len(outHeader))
		for j, h := range outHeader {
			name, dup, ok := cicflow.Canonical(h)
			if !ok {
				t.Fatalf("2017 header cell %q is not a CIC column", h)
			}
			if dup {
				name = "Fwd Header Length"
			}
			if name == "Label" {
				out[j] = "BENIGN"
				if k, ok := kinds[row[src.col["Src IP"]]]; ok {
					out[j] = cicAttackNames[k]
				}
				continue
			}
			c, ok := src.col[name]
			if !ok {
				t.Fatalf("classify --columns cic wrote no %q column", name)
			}
			out[j] = row[c]
			if v := strings.ToLower(out[j]); inputs[name] && (v == "" || v == "nan" || strings.Contains(v, "inf")) {
				t.Fatalf("row %d: classify wrote %q for %s; our CIC columns should have no NaN/Infinity", i, out[j], name)
			}
		}
		// CIC-IDS2017 writes NaN and Infinity rates for zero-duration flows.
		if i%97 == 5 {
			out[slices.Index(outHeader, "Flow Bytes/s")] = "NaN"
			out[slices.Index(outHeader, " Flow Packets/s")] = "Infinity"
			holes += 2
		}
		if err := w.Write(out); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return holes, bin
}

// readSampleKinds maps each address of labels.tsv to its kind column.
func readSampleKinds(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		c := strings.Split(s.Text(), "\t")
		if len(c) >= 6 && c[4] == "malicious" {
			kinds[c[0]] = c[5]
		}
	}
	if len(kinds) < 3 {
		t.Fatalf("%s: only %d attackers", path, len(kinds))
	}
	return kinds
}

// TestFromCSVCIC2017: a CIC-IDS2017-shaped file, made from the sample
// capture by our own extractor, trains end to end; the NaN/Infinity cells
// are counted, recall is reported per attack type, and the model records
// the CIC feature set and columns.
func TestFromCSVCIC2017(t *testing.T) {
	dir := t.TempDir()
	data, out := filepath.Join(dir, "Wednesday-workingHours.pcap_ISCX.csv"), filepath.Join(dir, "cic.json")
	holes, classify := writeCIC2017Sample(t, data)
	r := mustTrain(t, "--from-csv", data, "-o", out, "--folds", "0", "--no-baseline", "--report", filepath.Join(dir, "rep"))
	t.Logf("stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	if want := fmt.Sprintf("note: %d NaN/Inf/empty cells read as missing values", holes); !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q", want)
	}
	if !strings.Contains(r.stderr, "as CIC columns") {
		t.Errorf("the header was not read as CIC's")
	}
	i := strings.Index(r.stdout, "Recall per attack type on held-out flows:")
	if i < 0 {
		t.Fatalf("no per-attack-type recall in the report")
	}
	line := r.stdout[i:]
	line = line[:strings.IndexByte(line, '\n')]
	for _, name := range []string{"PortScan", "DoS Hulk"} {
		if !strings.Contains(line, name) {
			t.Errorf("per-type line lacks %s: %s", name, line)
		}
	}
	rep, err := os.ReadFile(filepath.Join(dir, "rep", "report.json"))
	if err != nil || !strings.Contains(string(rep), "Recall per attack type") {
		t.Errorf("report.json lacks the per-type recall (%v)", err)
	}
	m, err := model.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.FeatureSet != cicflow.FeatureSet {
		t.Errorf("feature set %q, want %q", m.FeatureSet, cicflow.FeatureSet)
	}
	if got, want := strings.Join(m.Features, ","), strings.Join(cicflow.ModelInputs(), ","); got != want {
		t.Errorf("features\n got %s\nwant %s", got, want)
	}
	scoreLive(t, classify, out, m)

	// A CIC column missing is an error naming it.
	bad := filepath.Join(dir, "bad.csv")
	raw, _ := os.ReadFile(data)
	os.WriteFile(bad, []byte(strings.Replace(string(raw), " Flow IAT Max,", " Flow IAT Maximum,", 1)), 0o644)
	if r := runTrain(t, "--from-csv", bad, "-o", filepath.Join(dir, "bad.json")); r.code == 0 || !strings.Contains(r.stderr, `"Flow IAT Max"`) {
		t.Errorf("missing column: exit %d, %s", r.code, r.stderr)
	}
}

// scoreLive: classify --columns cic --model M scores every flow of the
// sample capture with the CIC-trained model, each score is the model's on
// the CIC columns classify writes for that flow (scored here through
// model.Bind, independently of classify's adapter), and attackers score
// higher than the benign clients. Without --columns cic the model is
// refused with advice.
func scoreLive(t *testing.T, classify, modelPath string, m *model.Model) {
	t.Helper()
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	kinds := readSampleKinds(t, filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "labels.tsv"))
	scored := filepath.Join(t.TempDir(), "scored.csv")
	if out, err := exec.Command(classify, "-r", pcap, "-q", "--no-progress", "--columns", "cic", "--model", modelPath, "-o", scored).CombinedOutput(); err != nil {
		t.Fatalf("classify --columns cic --model: %v\n%s", err, out)
	}
	sc, err := m.Bind(cicflow.ModelInputs(), cicflow.FeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	f := readCSVFile(t, scored)
	if len(f.rows) < 1000 {
		t.Fatalf("%d flows scored", len(f.rows))
	}
	x := make([]float64, len(cicflow.ModelInputs()))
	var sum [2]float64
	var n [2]int
	worst := 0.0
	for i, row := range f.rows {
		s, err := strconv.ParseFloat(row[f.col["Score"]], 64)
		if err != nil || s < 0 || s > 1 {
			t.Fatalf("row %d: score %q", i, row[f.col["Score"]])
		}
		for j, name := range cicflow.ModelInputs() {
			if x[j], err = strconv.ParseFloat(row[f.col[name]], 64); err != nil {
				t.Fatalf("row %d: %s %q", i, name, row[f.col[name]])
			}
		}
		d := math.Abs(sc.Score(x) - s)
		worst = max(worst, d)
		if d > 1e-3 {
			t.Errorf("row %d: classify scored %v, the model on its CIC columns %v", i, s, sc.Score(x))
		}
		src := row[f.col["Src IP"]]
		switch {
		case kinds[src] != "":
			sum[1] += s
			n[1]++
		case src == "10.77.0.2" || src == "10.77.0.3":
			sum[0] += s
			n[0]++
		}
	}
	if n[0] == 0 || n[1] == 0 {
		t.Fatalf("%d benign-client flows, %d attacker flows", n[0], n[1])
	}
	ben, att := sum[0]/float64(n[0]), sum[1]/float64(n[1])
	t.Logf("%d flows scored; mean score attackers %.4f (%d flows), benign clients %.4f (%d flows); largest difference from scoring the written columns %.2g", len(f.rows), att, n[1], ben, n[0], worst)
	if att <= ben {
		t.Errorf("attackers score %.4f on average, benign clients %.4f", att, ben)
	}
	r, err := exec.Command(classify, "-r", pcap, "-q", "--no-progress", "--model", modelPath).CombinedOutput()
	if err == nil || !strings.Contains(string(r), "add --columns cic") {
		t.Errorf("a CIC model without --columns cic: %v\n%s", err, r)
	}
}

// TestFromCSVCICMachineLearningFiles: CIC-IDS2017's MachineLearningCSV
// layout (no addresses) is refused as a single file, since nothing groups
// its flows for an honest test, and trains when several files are given,
// each file then one held-out group.
func TestFromCSVCICMachineLearningFiles(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "labelled.csv")
	writeCIC2017Sample(t, full)
	raw, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Drop Flow ID, Source IP, Source Port, Destination IP, Protocol and
	// Timestamp, as MachineLearningCSV does; Destination Port stays.
	keep := func(row []string) []string { return append([]string{row[4]}, row[7:]...) }
	header := strings.Join(keep(strings.Split(header2017Labelled, ",")), ",")
	var files []string
	for k := 0; k < 4; k++ {
		p := filepath.Join(dir, fmt.Sprintf("day%d.pcap_ISCX.csv", k))
		var b strings.Builder
		b.WriteString(header + "\r\n")
		w := csv.NewWriter(&b)
		for i, row := range recs[1:] {
			if i%4 == k {
				w.Write(keep(row))
			}
		}
		w.Flush()
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	r := runTrain(t, "--from-csv", files[0], "-o", filepath.Join(dir, "one.json"), "--folds", "0", "--no-baseline")
	if r.code == 0 || !strings.Contains(r.stderr, "give several --from-csv files") {
		t.Errorf("one MachineLearningCSV file: exit %d, %s", r.code, r.stderr)
	}
	args := []string{"-o", filepath.Join(dir, "four.json"), "--folds", "0", "--no-baseline"}
	for _, p := range files {
		args = append(args, "--from-csv", p)
	}
	r = mustTrain(t, args...)
	if !strings.Contains(r.stderr, "held-out groups by file") || !strings.Contains(r.stdout, "data: 4 captures") {
		t.Errorf("four files are not four groups:\n%s\n%s", r.stderr, r.stdout)
	}
	m, err := model.LoadFile(filepath.Join(dir, "four.json"))
	if err != nil || m.FeatureSet != cicflow.FeatureSet {
		t.Errorf("model: %v", err)
	}
}
