package window

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
)

// maxOver returns, over the windows of a capture, the largest max of a
// grouping.
func maxOver(rows []Stats, g Grouping) float64 {
	m := 0.0
	for _, r := range rows {
		m = max(m, r.Groups[g].Max)
	}
	return m
}

// Port scans drive the distinct destination ports per conversation and per
// source far above what benign captures reach.
func TestScanWindowsStandApart(t *testing.T) {
	dir := testdata.Datasets(t)
	const width = 10 * time.Second
	var benign []float64
	var worst string
	entries, err := os.ReadDir(filepath.Join(dir, "benign"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || info.Size() > 5<<20 || !(strings.HasSuffix(e.Name(), ".pcap") || strings.HasSuffix(e.Name(), ".pcapng")) {
			continue
		}
		rows, _ := meterWindowsLenient(t, filepath.Join(dir, "benign", e.Name()), width)
		m := maxOver(rows, DstPortsPerConv)
		if len(benign) == 0 || m > slices.Max(benign) {
			worst = e.Name()
		}
		benign = append(benign, m)
	}
	if len(benign) == 0 {
		t.Skip("no benign captures under 5 MB")
	}
	slices.Sort(benign)
	bMax := benign[len(benign)-1]
	t.Logf("benign: %d captures; max distinct dst ports per conversation in a %v window: median %.0f, p99 %.0f, max %.0f (%s)",
		len(benign), width, Percentile(benign, 0.5), Percentile(benign, 0.99), bMax, worst)
	for _, rel := range []string{"malicious/ndpi_synscan.pcap", "malicious/ndpi_tcp_scan.pcapng", "malicious/slips_icmp-portscan.pcap"} {
		path := filepath.Join(dir, rel)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s absent; skipped", rel)
			continue
		}
		rows, _ := meterWindowsLenient(t, path, width)
		conv, src := maxOver(rows, DstPortsPerConv), maxOver(rows, DstPortsPerSrc)
		t.Logf("%s: %d windows; max distinct dst ports per conversation %.0f, per source %.0f", rel, len(rows), conv, src)
		if rel == "malicious/ndpi_synscan.pcap" && (conv <= 10*Percentile(benign, 0.99) || conv <= bMax) {
			t.Errorf("%s: scan max %.0f does not stand apart from benign (p99 %.0f, max %.0f)", rel, conv, Percentile(benign, 0.99), bMax)
		}
	}
}
