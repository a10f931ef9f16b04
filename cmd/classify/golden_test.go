package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleLabels reads datasets/sample/labels.tsv: address to label.
func sampleLabels(t *testing.T, path string) (addrs []string, label map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	label = map[string]string{}
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 5 {
			continue
		}
		addrs = append(addrs, cols[0])
		label[cols[0]] = cols[4]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return addrs, label
}

// naiveTuples reads an Ethernet pcap with a minimal parser of its own and
// returns, for IPv4 packets to or from addr, the packet count and the set
// of TCP/UDP conversations as "proto lowEndpoint highEndpoint".
func naiveTuples(t *testing.T, path string, addr netip.Addr) (int64, map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(data[20:]) != 1 {
		t.Fatalf("%s: want a little-endian Ethernet pcap", path)
	}
	var n int64
	convs := map[string]bool{}
	for off := 24; off+16 <= len(data); {
		incl := int(binary.LittleEndian.Uint32(data[off+8:]))
		pkt := data[off+16 : off+16+incl]
		off += 16 + incl
		if len(pkt) < 34 || binary.BigEndian.Uint16(pkt[12:]) != 0x0800 {
			continue
		}
		ip := pkt[14:]
		src := netip.AddrFrom4([4]byte(ip[12:16]))
		dst := netip.AddrFrom4([4]byte(ip[16:20]))
		if src != addr && dst != addr {
			continue
		}
		n++
		proto := ip[9]
		ihl := int(ip[0]&15) * 4
		if (proto == 6 || proto == 17) && len(ip) >= ihl+4 {
			a := netip.AddrPortFrom(src, binary.BigEndian.Uint16(ip[ihl:]))
			b := netip.AddrPortFrom(dst, binary.BigEndian.Uint16(ip[ihl+2:]))
			convs[convKey(proto, a, b)] = true
		}
	}
	return n, convs
}

func convKey(proto uint8, a, b netip.AddrPort) string {
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return fmt.Sprintf("%d %s %s", proto, a, b)
}

func TestSampleGolden(t *testing.T) {
	root := testdata.RepoRoot(t)
	pcap := filepath.Join(root, "datasets", "sample", "sample.pcap")
	addrs, label := sampleLabels(t, filepath.Join(root, "datasets", "sample", "labels.tsv"))
	csvPath := filepath.Join(t.TempDir(), "flows.csv")
	res := runClassify(t, "-r", pcap, "-o", csvPath, "--json", "--no-progress")
	noStackTrace(t, "stderr", res.stderr)
	if res.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", res.code, res.stderr)
	}
	sum := parseSummary(t, res.stderr)
	rows := readFlowsCSV(t, csvPath)

	// Golden: the counts a model or extractor change would move.
	var g strings.Builder
	fmt.Fprintf(&g, "# classify -r datasets/sample/sample.pcap: flows, alerts, and per labelled address\n")
	fmt.Fprintf(&g, "# the flows touching it and how many of them were predicted malicious\n")
	fmt.Fprintf(&g, "flows %d\nalerts %d\n", sum.flows, sum.alerts)
	sort.Strings(addrs)
	for _, a := range addrs {
		var n, mal int
		for _, r := range rows {
			if r.src == a || r.dst == a {
				n++
				if r.predicted == "malicious" {
					mal++
				}
			}
		}
		fmt.Fprintf(&g, "%s %s flows %d predicted_malicious %d\n", a, label[a], n, mal)
	}
	golden := filepath.Join("testdata", "sample.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(g.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if g.String() != string(want) {
		t.Errorf("results differ from %s (run with -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, g.String(), want)
	}

	// --fail-on-alert turns the alerts into exit code 3; --quiet leaves
	// stderr empty on a clean run.
	if res := runClassify(t, "-r", pcap, "--fail-on-alert", "-q"); res.code != 3 || res.stderr != "" {
		t.Errorf("--fail-on-alert -q with %d alerts: exit %d (want 3), stderr %q", sum.alerts, res.code, res.stderr)
	}

	// Invariants that hold whatever the model says.
	if int64(len(rows)) != sum.flows {
		t.Errorf("CSV has %d flows, summary says %d", len(rows), sum.flows)
	}
	if got := sumPackets(rows); got != sum.inFlows {
		t.Errorf("CSV bidirectional_packets sum to %d, summary says %d in flows", got, sum.inFlows)
	}
	if sum.read != sum.inFlows+sum.skipped+sum.filtered {
		t.Errorf("summary: %d read != %d in flows + %d skipped + %d filtered", sum.read, sum.inFlows, sum.skipped, sum.filtered)
	}
	scanner := netip.MustParseAddr("10.77.0.10")
	wantPkts, wantConvs := naiveTuples(t, pcap, scanner)
	gotConvs := map[string]bool{}
	var gotPkts int64
	for _, r := range rows {
		if r.src != scanner.String() && r.dst != scanner.String() {
			continue
		}
		gotPkts += r.packets
		var proto uint8
		var a, b string
		if _, err := fmt.Sscanf(r.key, "%d %s %s", &proto, &a, &b); err != nil {
			t.Fatalf("row key %q: %v", r.key, err)
		}
		if proto == 6 || proto == 17 {
			gotConvs[convKey(proto, netip.MustParseAddrPort(a), netip.MustParseAddrPort(b))] = true
		}
	}
	if gotPkts != wantPkts {
		t.Errorf("flows of the port scanner %s hold %d packets, the capture has %d", scanner, gotPkts, wantPkts)
	}
	missing := 0
	for k := range wantConvs {
		if !gotConvs[k] {
			if missing < 5 {
				t.Errorf("port-scan conversation %s is not in the CSV", k)
			}
			missing++
		}
	}
	if missing > 0 || len(gotConvs) != len(wantConvs) {
		t.Errorf("port scanner: %d conversations in the capture, %d in the CSV, %d missing", len(wantConvs), len(gotConvs), missing)
	}
	t.Logf("port scanner %s: %d packets, %d TCP/UDP conversations, all in the CSV", scanner, wantPkts, len(wantConvs))

	// Alerts: one EVE-shaped JSON object per line, one per alert.
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if res.stdout == "" {
		lines = nil
	}
	if int64(len(lines)) != sum.alerts {
		t.Errorf("%d alert lines, summary says %d alerts", len(lines), sum.alerts)
	}
	for i, l := range lines {
		var ev struct {
			Timestamp string   `json:"timestamp"`
			FlowID    *uint64  `json:"flow_id"`
			SrcIP     string   `json:"src_ip"`
			SrcPort   *int     `json:"src_port"`
			DestIP    string   `json:"dest_ip"`
			DestPort  *int     `json:"dest_port"`
			Proto     string   `json:"proto"`
			Score     *float64 `json:"score"`
			Alert     *struct {
				Signature string `json:"signature"`
				Category  string `json:"category"`
				Severity  int    `json:"severity"`
			} `json:"alert"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("alert line %d is not JSON: %v\n%s", i+1, err, l)
		}
		_, terr := time.Parse("2006-01-02T15:04:05.999999-0700", ev.Timestamp)
		_, serr := netip.ParseAddr(ev.SrcIP)
		_, derr := netip.ParseAddr(ev.DestIP)
		switch {
		case terr != nil:
			t.Errorf("line %d: timestamp %q: %v", i+1, ev.Timestamp, terr)
		case ev.FlowID == nil || ev.SrcPort == nil || ev.DestPort == nil || ev.Score == nil || ev.Alert == nil:
			t.Errorf("line %d: missing flow_id, src_port, dest_port, score or alert: %s", i+1, l)
		case serr != nil || derr != nil:
			t.Errorf("line %d: bad addresses: %s", i+1, l)
		case ev.Proto == "" || ev.Alert.Signature == "" || ev.Alert.Category == "":
			t.Errorf("line %d: empty proto, alert.signature or alert.category: %s", i+1, l)
		case ev.Alert.Severity < 1 || ev.Alert.Severity > 3:
			t.Errorf("line %d: alert.severity %d outside 1..3", i+1, ev.Alert.Severity)
		case *ev.Score < 0.5 || *ev.Score > 1:
			t.Errorf("line %d: score %v is not an alerting probability", i+1, *ev.Score)
		}
		if t.Failed() {
			break
		}
	}
}

// TestStdoutSharedOutput: with -o - the flows and the alerts share stdout,
// and every line must still be whole.
func TestStdoutSharedOutput(t *testing.T) {
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	res := runClassify(t, "-r", pcap, "-o", "-", "--format", "jsonl", "--json", "--no-progress")
	noStackTrace(t, "stderr", res.stderr)
	if res.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", res.code, res.stderr)
	}
	sum := parseSummary(t, res.stderr)
	var alerts, flows, pkts int64
	for i, l := range strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n") {
		var v struct {
			EventType string `json:"event_type"`
			Packets   *int64 `json:"bidirectional_packets"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("stdout line %d is not whole JSON: %v\n%.300s", i+1, err, l)
		}
		switch {
		case v.EventType == "alert":
			alerts++
		case v.Packets != nil:
			flows++
			pkts += *v.Packets
		default:
			t.Fatalf("stdout line %d is neither an alert nor a flow: %.300s", i+1, l)
		}
	}
	if alerts != sum.alerts || flows != sum.flows || pkts != sum.inFlows {
		t.Errorf("stdout: %d alerts, %d flows holding %d packets; summary: %d alerts, %d flows, %d packets in flows",
			alerts, flows, pkts, sum.alerts, sum.flows, sum.inFlows)
	}
}
