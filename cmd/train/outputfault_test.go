package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// TestCSVFullDisk: when --csv cannot be written (a full disk, here
// /dev/full), train exits 1 with one line saying which file and why, and
// no stack trace.
func TestCSVFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full to simulate a full disk: %v", err)
	}
	sample := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	r := runTrain(t, "--benign", sample, "--malicious", sample, "--csv", "/dev/full")
	if r.code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	var errLines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "train: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 || !strings.Contains(errLines[0], "/dev/full") || !strings.Contains(errLines[0], "no space left on device") {
		t.Errorf("want one \"train: \" line naming /dev/full and \"no space left on device\"; stderr:\n%s", r.stderr)
	}
}
