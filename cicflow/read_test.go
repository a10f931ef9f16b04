package cicflow

import (
	"bytes"
	"encoding/csv"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/meter"
)

// The headers as the datasets are distributed (CIC-IDS2017's
// MachineLearningCSV files with their leading spaces and, once loaded by
// pandas, Fwd Header Length.1; CSE-CIC-IDS2018's abbreviations).
const (
	header2017 = " Destination Port, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Fwd Packet Length Max, Fwd Packet Length Min, Fwd Packet Length Mean, Fwd Packet Length Std,Bwd Packet Length Max, Bwd Packet Length Min, Bwd Packet Length Mean, Bwd Packet Length Std,Flow Bytes/s, Flow Packets/s, Flow IAT Mean, Flow IAT Std, Flow IAT Max, Flow IAT Min,Fwd IAT Total, Fwd IAT Mean, Fwd IAT Std, Fwd IAT Max, Fwd IAT Min,Bwd IAT Total, Bwd IAT Mean, Bwd IAT Std, Bwd IAT Max, Bwd IAT Min,Fwd PSH Flags, Bwd PSH Flags, Fwd URG Flags, Bwd URG Flags, Fwd Header Length, Bwd Header Length,Fwd Packets/s, Bwd Packets/s, Min Packet Length, Max Packet Length, Packet Length Mean, Packet Length Std, Packet Length Variance,FIN Flag Count, SYN Flag Count, RST Flag Count, PSH Flag Count, ACK Flag Count, URG Flag Count, CWE Flag Count, ECE Flag Count, Down/Up Ratio, Average Packet Size, Avg Fwd Segment Size, Avg Bwd Segment Size, Fwd Header Length.1,Fwd Avg Bytes/Bulk, Fwd Avg Packets/Bulk, Fwd Avg Bulk Rate, Bwd Avg Bytes/Bulk, Bwd Avg Packets/Bulk,Bwd Avg Bulk Rate,Subflow Fwd Packets, Subflow Fwd Bytes, Subflow Bwd Packets, Subflow Bwd Bytes,Init_Win_bytes_forward, Init_Win_bytes_backward, act_data_pkt_fwd, min_seg_size_forward,Active Mean, Active Std, Active Max, Active Min,Idle Mean, Idle Std, Idle Max, Idle Min, Label"
	header2018 = "Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,Fwd Pkt Len Max,Fwd Pkt Len Min,Fwd Pkt Len Mean,Fwd Pkt Len Std,Bwd Pkt Len Max,Bwd Pkt Len Min,Bwd Pkt Len Mean,Bwd Pkt Len Std,Flow Byts/s,Flow Pkts/s,Flow IAT Mean,Flow IAT Std,Flow IAT Max,Flow IAT Min,Fwd IAT Tot,Fwd IAT Mean,Fwd IAT Std,Fwd IAT Max,Fwd IAT Min,Bwd IAT Tot,Bwd IAT Mean,Bwd IAT Std,Bwd IAT Max,Bwd IAT Min,Fwd PSH Flags,Bwd PSH Flags,Fwd URG Flags,Bwd URG Flags,Fwd Header Len,Bwd Header Len,Fwd Pkts/s,Bwd Pkts/s,Pkt Len Min,Pkt Len Max,Pkt Len Mean,Pkt Len Std,Pkt Len Var,FIN Flag Cnt,SYN Flag Cnt,RST Flag Cnt,PSH Flag Cnt,ACK Flag Cnt,URG Flag Cnt,CWE Flag Count,ECE Flag Cnt,Down/Up Ratio,Pkt Size Avg,Fwd Seg Size Avg,Bwd Seg Size Avg,Fwd Byts/b Avg,Fwd Pkts/b Avg,Fwd Blk Rate Avg,Bwd Byts/b Avg,Bwd Pkts/b Avg,Bwd Blk Rate Avg,Subflow Fwd Pkts,Subflow Fwd Byts,Subflow Bwd Pkts,Subflow Bwd Byts,Init Fwd Win Byts,Init Bwd Win Byts,Fwd Act Data Pkts,Fwd Seg Size Min,Active Mean,Active Std,Active Max,Active Min,Idle Mean,Idle Std,Idle Max,Idle Min,Label"
)

// TestCanonicalDistributedHeaders: every cell of both datasets' headers
// maps to a FlowFeature.java column, each at most once; CIC-IDS2017's
// features are exactly ModelInputs, and CSE-CIC-IDS2018's columns are ours
// but the flow id, the addresses and the source port.
func TestCanonicalDistributedHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         []string
	}{
		{"CIC-IDS2017", header2017, append(ModelInputs(), "Label")},
		{"CSE-CIC-IDS2018", header2018, Header()[4:]},
	} {
		seen := map[string]bool{}
		dups := 0
		for _, cell := range strings.Split(tc.header, ",") {
			name, dup, ok := Canonical(cell)
			switch {
			case !ok:
				t.Errorf("%s: %q unknown", tc.name, cell)
			case dup:
				dups++
			case seen[name]:
				t.Errorf("%s: %q maps to %s a second time", tc.name, cell, name)
			default:
				seen[name] = true
			}
		}
		if len(seen) != len(tc.want) {
			t.Errorf("%s: %d columns, want %d", tc.name, len(seen), len(tc.want))
		}
		for _, w := range tc.want {
			if !seen[w] {
				t.Errorf("%s: no column maps to %s", tc.name, w)
			}
		}
		if tc.name == "CIC-IDS2017" && dups != 1 {
			t.Errorf("%s: %d duplicates, want Fwd Header Length.1", tc.name, dups)
		}
	}
	if _, _, ok := Canonical("Bwd Header Length.1"); ok {
		t.Error("an unknown .1 column was accepted")
	}
	if len(ModelInputs()) != 77 {
		t.Errorf("%d model inputs, want 77", len(ModelInputs()))
	}
}

func TestParseLabel(t *testing.T) {
	for _, tc := range []struct {
		in         string
		mal        bool
		attack     string
		shouldFail bool
	}{
		{"BENIGN", false, "", false}, {" Benign ", false, "", false}, {"benign", false, "", false},
		{"malicious", true, "", false}, {"1", true, "", false}, {"0", false, "", false},
		{"DDoS", true, "DDoS", false}, {" PortScan", true, "PortScan", false},
		{"Web Attack \x96 Brute Force", true, "Web Attack \x96 Brute Force", false},
		{"DoS Hulk", true, "DoS Hulk", false}, {"", false, "", true}, {"  ", false, "", true},
	} {
		mal, attack, err := ParseLabel(tc.in)
		if (err != nil) != tc.shouldFail || mal != tc.mal || attack != tc.attack {
			t.Errorf("ParseLabel(%q) = %v, %q, %v", tc.in, mal, attack, err)
		}
	}
}

// TestValuesMatchRow: the vector a CIC-trained model would score holds,
// for every ModelInputs column, the number the CSV row carries.
func TestValuesMatchRow(t *testing.T) {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		pkts := append([]pkt(nil), tc.pkts...)
		for i := range pkts {
			pkts[i].src, pkts[i].dst, pkts[i].sp, pkts[i].dp = net.IP{10, 1, 1, 1}, net.IP{10, 1, 1, 2}, 5000, 443
		}
		path := writeCapture(t, tc.base, pkts)
		var rows [][]float64
		var lines []string
		e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
			rows = append(rows, w.Values(nil, r))
			lines = append(lines, string(w.AppendRow(nil, r, "x")))
		}, 1, 1)
		meter.ReadFiles([]string{path}, e, nil)
		if len(rows) != 1 {
			t.Fatalf("%s: %d flows", tc.name, len(rows))
		}
		cells, err := csv.NewReader(bytes.NewReader([]byte(lines[0]))).Read()
		if err != nil {
			t.Fatal(err)
		}
		pos := map[string]int{}
		for i, c := range Header() {
			pos[c] = i
		}
		for i, name := range ModelInputs() {
			want, err := strconv.ParseFloat(cells[pos[name]], 64)
			if err != nil {
				t.Fatalf("%s: %s = %q", tc.name, name, cells[pos[name]])
			}
			if g := rows[0][i]; g != want && math.Abs(g-want) > 1e-12*math.Abs(want) {
				t.Errorf("%s: %s value %v, row %v", tc.name, name, g, want)
			}
		}
	}
}

// BenchmarkAppendRow: one CIC row from a record, without allocating.
func BenchmarkAppendRow(b *testing.B) {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		b.Fatal(err)
	}
	w, err := New(schema)
	if err != nil {
		b.Fatal(err)
	}
	r := features.Record{Values: make([]float64, len(schema.Features)), First: 1e18, Last: 1e18 + 123456789}
	for i := range r.Values {
		r.Values[i] = float64(i) * 1.37
	}
	buf := make([]byte, 0, 4096)
	vals := make([]float64, 0, 128)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = w.AppendRow(buf[:0], &r, "benign")
		vals = w.Values(vals[:0], &r)
	}
}

// TestVectorMatchesValues: the vector built from a record's schema values
// alone is the one built from the whole record, bit for bit, for every flow of the
// sample capture (TCP sessions, scans, floods, DNS, ICMP).
func TestVectorMatchesValues(t *testing.T) {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVector(schema)
	if err != nil {
		t.Fatal(err)
	}
	if v.Width() != len(schema.Features) {
		t.Fatalf("width %d, schema has %d features", v.Width(), len(schema.Features))
	}
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	flows, worst := 0, 0.0
	var a, b []float64
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		flows++
		a, b = w.Values(a[:0], r), v.Append(b[:0], r.Values)
		for i, name := range ModelInputs() {
			d := math.Abs(a[i] - b[i])
			if a[i] != b[i] {
				t.Errorf("flow %d: %s from the record %v, from values %v", flows, name, a[i], b[i])
			}
			if a[i] != 0 {
				worst = max(worst, d/math.Abs(a[i]))
			}
		}
	}, 1, 1)
	meter.ReadFiles([]string{pcap}, e, nil)
	if flows < 100 {
		t.Fatalf("%d flows", flows)
	}
	t.Logf("%d flows, largest relative difference %g", flows, worst)
}
