package main

import (
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/model"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeARPCapture writes an Ethernet pcap of ARP requests and replies only:
// real traffic with no IP flow in it.
func writeARPCapture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	a, b := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}, net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 20; i++ {
		op, src, dst := uint16(layers.ARPRequest), a, net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		if i%2 == 1 {
			op, src, dst = layers.ARPReply, b, a
		}
		eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeARP}
		arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: src, SourceProtAddress: []byte{10, 0, 0, byte(1 + i%2)},
			DstHwAddress: []byte(dst), DstProtAddress: []byte{10, 0, 0, byte(2 - i%2)}}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, arp); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Second), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// thirdPartyCSV exports a few real captures with train --csv and keeps only
// the model inputs, label and source, the way a CSV made by another tool
// would look. It returns the header and rows.
func thirdPartyCSV(t *testing.T, dir string) ([]string, [][]string) {
	t.Helper()
	full := filepath.Join(dir, "export.csv")
	mustTrain(t, append(captureArgs(pickCaptures(t, "benign", 5, 50, 2000), pickCaptures(t, "malicious", 5, 50, 2000)), "--csv", full)...)
	c := readCSVFile(t, full)
	header := append(defaultSchema(t).ModelInputs(), "label", "source")
	rows := make([][]string, len(c.rows))
	for i, r := range c.rows {
		rows[i] = make([]string, len(header))
		for j, h := range header {
			rows[i][j] = c.get(r, h)
		}
	}
	return header, rows
}

// lightGBMNumbers returns every number on the model text's lines starting
// with key= (leaf_value, threshold, ...), as written.
func lightGBMNumbers(m *model.Model, key string) []string {
	var out []string
	for _, l := range strings.Split(string(m.LightGBM), "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			out = append(out, strings.Fields(v)...)
		}
	}
	return out
}

// TestBadInput runs the real command line on inputs that must not train:
// each ends with exit 1 and a single "train: ..." line naming the culprit,
// or, where the handling is documented, a note and a trained model.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	benignCaps := pickCaptures(t, "benign", 4, 50, 2000)
	maliciousCaps := pickCaptures(t, "malicious", 4, 50, 2000)
	header, rows := thirdPartyCSV(t, dir)
	labelCol := slices.Index(header, "label")

	emptyDir := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	arp := filepath.Join(dir, "arp-only.pcap")
	writeARPCapture(t, arp)

	missingCol := filepath.Join(dir, "missing.csv")
	drop := slices.Index(header, "bidirectional_packets")
	if drop < 0 {
		t.Fatal("schema has no bidirectional_packets input")
	}
	var dropped [][]string
	for _, r := range rows {
		dropped = append(dropped, slices.Delete(slices.Clone(r), drop, drop+1))
	}
	writeCSVFile(t, missingCol, slices.Delete(slices.Clone(header), drop, drop+1), dropped)

	extraCol := filepath.Join(dir, "extra.csv")
	var extra [][]string
	for i, r := range rows {
		extra = append(extra, append(slices.Clone(r), strconv.Itoa(i%7)))
	}
	writeCSVFile(t, extraCol, append(slices.Clone(header), "vendor_risk_score"), extra)

	oneClass := filepath.Join(dir, "benign-only.csv")
	var allBenign [][]string
	for _, r := range rows {
		r = slices.Clone(r)
		r[labelCol] = "benign"
		allBenign = append(allBenign, r)
	}
	writeCSVFile(t, oneClass, header, allBenign)

	// Every cell of the clean export is a finite number, so the missing
	// cells counted afterwards are exactly the ones put in here.
	for i, r := range rows {
		for j, v := range r[:labelCol] {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("export row %d column %s: %q is not a finite number", i+2, header[j], v)
			}
		}
	}
	nonFinite := filepath.Join(dir, "nonfinite.csv")
	bad := []string{"NaN", "Inf", "", "-inf", "nan", "+Inf"}
	injected := 0
	var holes [][]string
	for i, r := range rows {
		r = slices.Clone(r)
		if i%3 == 0 {
			for k := 0; k < 4; k++ {
				r[(i+k*37)%labelCol] = bad[(i+k)%len(bad)]
				injected++
			}
		}
		holes = append(holes, r)
	}
	writeCSVFile(t, nonFinite, header, holes)

	manifest := filepath.Join(dir, "benign-only.tsv")
	var man strings.Builder
	man.WriteString("file\tlabel\tdescription\n")
	for _, p := range benignCaps {
		man.WriteString(p + "\tbenign\tbenign capture\n")
	}
	if err := os.WriteFile(manifest, []byte(man.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	rulesBad := filepath.Join(dir, "rules.txt")
	if err := os.WriteFile(rulesBad, []byte("# attacker\nmalicious src=203.0.113.7\nmalicious dport=http\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	aFile := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(aFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	caps := captureArgs(benignCaps, maliciousCaps)
	fast := []string{"--folds", "0", "--no-baseline"}
	out := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name string
		args []string
		// want: exit 1 with these substrings in the error line; nil means
		// the run must succeed (documented handling).
		want []string
		// notes must appear on stderr (for handled cases: the note).
		notes []string
		// absent must not appear on stderr.
		absent []string
		check  func(t *testing.T, r result)
	}{
		{name: "EmptyFolder", args: slices.Concat([]string{"--benign", emptyDir}, captureArgs(nil, maliciousCaps), []string{"-o", out("m1.json")}),
			want: []string{"--benign", emptyDir, "no .pcap"}},
		{name: "NoIPTraffic", args: slices.Concat([]string{"--benign", arp}, captureArgs(nil, maliciousCaps), fast, []string{"-o", out("m2.json")}),
			want: []string{"single class", "0 benign"}, notes: []string{"no IP traffic", arp}},
		{name: "MissingFeatureColumn", args: slices.Concat([]string{"--from-csv", missingCol}, fast, []string{"-o", out("m3.json")}),
			want: []string{missingCol, `"bidirectional_packets"`, "missing"}},
		{name: "ExtraColumn", args: slices.Concat([]string{"--from-csv", extraCol}, fast, []string{"-o", out("m4.json")}),
			notes: []string{"ignoring 1 columns", "vendor_risk_score"},
			check: func(t *testing.T, r result) {
				if _, err := model.LoadFile(out("m4.json")); err != nil {
					t.Errorf("no usable model written: %v", err)
				}
			}},
		{name: "SingleClassManifest", args: slices.Concat([]string{"--manifest", manifest}, fast, []string{"-o", out("m5.json")}),
			want: []string{"single class", "0 malicious"}},
		{name: "SingleClassCSV", args: slices.Concat([]string{"--from-csv", oneClass}, fast, []string{"-o", out("m6.json")}),
			want: []string{"single class", "0 malicious"}},
		{name: "NonFiniteCells", args: slices.Concat([]string{"--from-csv", nonFinite}, fast, []string{"-o", out("m7.json")}),
			notes: []string{strconv.Itoa(injected) + " NaN/Inf/empty cells"},
			check: func(t *testing.T, r result) {
				m, err := model.LoadFile(out("m7.json"))
				if err != nil {
					t.Fatalf("no usable model written: %v", err)
				}
				leaves := lightGBMNumbers(m, "leaf_value")
				if len(leaves) == 0 {
					t.Fatal("model text has no leaf values")
				}
				for _, v := range leaves {
					if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
						t.Errorf("leaf value %q is not finite", v)
					}
				}
				s, err := m.Bind(defaultSchema(t).FeatureNames(), features.Version)
				if err != nil {
					t.Fatalf("bind: %v", err)
				}
				row := make([]float64, len(defaultSchema(t).FeatureNames()))
				for i := range row {
					row[i] = math.NaN()
				}
				if p := s.Score(row); math.IsNaN(p) || p < 0 || p > 1 {
					t.Errorf("all-missing row scores %v", p)
				}
			}},
		{name: "LabelsSyntax", args: slices.Concat(caps, []string{"--labels", rulesBad, "-o", out("m8.json")}),
			want: []string{rulesBad + ":3", "dport=http"}},
		// Refused before any capture is read, not after training.
		{name: "UnwritableOutput", args: slices.Concat(caps, fast, []string{"-o", filepath.Join(aFile, "m.json")}),
			want: []string{filepath.Join(aFile, "m.json")}, absent: []string{"extracted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runTrain(t, tc.args...)
			for _, n := range tc.notes {
				if !strings.Contains(r.stderr, n) {
					t.Errorf("stderr lacks %q:\n%s", n, r.stderr)
				}
			}
			for _, n := range tc.absent {
				if strings.Contains(r.stderr, n) {
					t.Errorf("stderr has %q:\n%s", n, r.stderr)
				}
			}
			if tc.want == nil {
				if r.code != 0 {
					t.Fatalf("exit %d, want 0 (documented handling)\n%s", r.code, r.stderr)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
				return
			}
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "train: ") {
				t.Fatalf("last stderr line %q lacks the train: prefix\n%s", last, r.stderr)
			}
			for _, l := range lines[:len(lines)-1] {
				if strings.HasPrefix(l, "train: ") || strings.HasPrefix(l, "\t") {
					t.Errorf("error spans several lines:\n%s", r.stderr)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("error %q does not mention %q", last, w)
				}
			}
			if regexp.MustCompile(`\.go:\d+`).MatchString(r.stderr) {
				t.Errorf("stderr shows source locations:\n%s", r.stderr)
			}
			t.Logf("%s", last)
		})
	}
}
