package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/meter"
)

func defaultSchema(t *testing.T) *features.Schema {
	t.Helper()
	s, err := features.NewSchema(features.Config{SPLT: features.DefaultSPLT, ActivityTimeoutNS: features.DefaultActivityTimeout})
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	return s
}

// referenceFlows meters one capture on its own with the core extractor and
// returns every flow's 5-tuple key, sorted: what the export must hold for it.
func referenceFlows(t *testing.T, schema *features.Schema, path string) []string {
	t.Helper()
	var keys []string
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		keys = append(keys, flowKey(r.Src.String(), r.Dst.String(), strconv.Itoa(int(r.SrcPort)), strconv.Itoa(int(r.DstPort)), strconv.Itoa(int(r.Proto))))
	}, 1, 1)
	for _, fr := range meter.ReadFiles([]string{path}, e, nil) {
		if fr.Err != nil && !fr.Truncated() {
			t.Fatalf("reference read %s: %v", path, fr.Err)
		}
	}
	sort.Strings(keys)
	return keys
}

func flowKey(src, dst, sport, dport, proto string) string {
	return src + " " + sport + " > " + dst + " " + dport + " /" + proto
}

// TestExportMatchesExtractor checks that train --csv writes exactly the flows
// the extractor meters from each capture, labelled by the flag they came in
// under, with the capture path as source and our schema's header.
func TestExportMatchesExtractor(t *testing.T) {
	benignCaps := pickCaptures(t, "benign", 12, 20, 5000)
	maliciousCaps := pickCaptures(t, "malicious", 8, 20, 5000)
	out := filepath.Join(t.TempDir(), "flows.csv")
	mustTrain(t, append(captureArgs(benignCaps, maliciousCaps), "--csv", out)...)

	schema := defaultSchema(t)
	c := readCSVFile(t, out)
	want := append(schema.Header(), "label", "source")
	if !slices.Equal(c.header, want) {
		t.Fatalf("header has %d columns, want schema header + label,source (%d columns)\ngot  %v\nwant %v", len(c.header), len(want), c.header, want)
	}
	got := map[string][]string{}
	for i, row := range c.rows {
		src := c.get(row, "source")
		got[src] = append(got[src], flowKey(c.get(row, "src_ip"), c.get(row, "dst_ip"), c.get(row, "src_port"), c.get(row, "dst_port"), c.get(row, "protocol")))
		wantLabel := ""
		if slices.Contains(benignCaps, src) {
			wantLabel = "benign"
		} else if slices.Contains(maliciousCaps, src) {
			wantLabel = "malicious"
		} else {
			t.Fatalf("row %d: source %q is none of the captures given", i+2, src)
		}
		if l := c.get(row, "label"); l != wantLabel {
			t.Errorf("row %d from %s: label %q, want %q", i+2, filepath.Base(src), l, wantLabel)
		}
	}
	total := 0
	for _, p := range append(slices.Clone(benignCaps), maliciousCaps...) {
		ref := referenceFlows(t, schema, p)
		g := got[p]
		sort.Strings(g)
		total += len(ref)
		if len(g) != len(ref) {
			t.Errorf("%s: %d rows in the CSV, extractor metered %d flows", filepath.Base(p), len(g), len(ref))
			continue
		}
		if !slices.Equal(g, ref) {
			t.Errorf("%s: CSV flows differ from the extractor's:\nCSV %v\nref %v", filepath.Base(p), head(g, 5), head(ref, 5))
		}
	}
	if total != len(c.rows) {
		t.Errorf("CSV has %d rows, the extractor metered %d flows from the %d captures", len(c.rows), total, len(benignCaps)+len(maliciousCaps))
	}
	if total == 0 {
		t.Fatal("the chosen captures gave no flows: the test checked nothing")
	}
	t.Logf("%d flows from %d benign and %d malicious captures agree with the extractor", total, len(benignCaps), len(maliciousCaps))
}

// TestLabelRulesOnMixedCapture labels the flows of a mixed capture by rules
// (either endpoint, and source CIDR with destination port) and checks every
// CSV row against the rules evaluated on its own identity columns.
func TestLabelRulesOnMixedCapture(t *testing.T) {
	mixed := testdata.Capture(t, "mixed/elcab_rig-ek-infection-mixed.pcap")
	dir := t.TempDir()
	// 188.68.252.146 is the exploit-kit server this capture talks to; the
	// second rule picks the infected host's connections to port 18001.
	rules := filepath.Join(dir, "rules.txt")
	text := "# RIG exploit kit\nmalicious ip=188.68.252.146\n\nmalicious src=192.168.1.0/24 dport=18001 proto=tcp  # callbacks\n"
	if err := os.WriteFile(rules, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "flows.csv")
	mustTrain(t, "--benign", mixed, "--labels", rules, "--csv", out)
	c := readCSVFile(t, out)
	ek := netip.MustParseAddr("188.68.252.146")
	lan := netip.MustParsePrefix("192.168.1.0/24")
	var n [2]int
	byIP, byPort := 0, 0
	for i, row := range c.rows {
		src, err1 := netip.ParseAddr(c.get(row, "src_ip"))
		dst, err2 := netip.ParseAddr(c.get(row, "dst_ip"))
		if err1 != nil || err2 != nil {
			t.Fatalf("row %d: bad address %q/%q", i+2, c.get(row, "src_ip"), c.get(row, "dst_ip"))
		}
		want := "benign"
		switch {
		case src == ek || dst == ek:
			want = "malicious"
			byIP++
		case lan.Contains(src) && c.get(row, "dst_port") == "18001" && c.get(row, "protocol") == "6":
			want = "malicious"
			byPort++
		}
		if got := c.get(row, "label"); got != want {
			t.Errorf("row %d (%s -> %s:%s): label %q, want %q", i+2, src, dst, c.get(row, "dst_port"), got, want)
		}
		if want == "malicious" {
			n[1]++
		} else {
			n[0]++
		}
		if s := c.get(row, "source"); s != mixed {
			t.Errorf("row %d: source %q, want %q", i+2, s, mixed)
		}
	}
	if byIP == 0 || byPort == 0 || n[0] == 0 {
		t.Fatalf("rules matched %d flows by address and %d by port, %d benign: the capture no longer exercises both rules", byIP, byPort, n[0])
	}
	t.Logf("%d flows: %d malicious (%d by address, %d by src CIDR + dport), %d benign", len(c.rows), n[1], byIP, byPort, n[0])
}
