package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
)

// errorLines returns the stderr lines that report a fatal error.
func errorLines(stderr string) []string {
	var ls []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "classify: ") {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestOutputFullDisk: an output file that cannot be written (a full disk,
// here /dev/full) ends the run with exit 1 and one clear line, whatever
// the output is.
func TestOutputFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full to simulate a full disk: %v", err)
	}
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	for _, args := range [][]string{
		{"-o", "/dev/full"},
		{"-o", "/dev/full", "--format", "jsonl"},
		{"--windows", "/dev/full"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			res := runClassify(t, append([]string{"-r", pcap, "--no-progress"}, args...)...)
			noStackTrace(t, "stderr", res.stderr)
			if res.code != 1 {
				t.Errorf("exit code %d, want 1; stderr:\n%s", res.code, res.stderr)
			}
			ls := errorLines(res.stderr)
			if len(ls) != 1 || !strings.Contains(ls[0], "/dev/full") || !strings.Contains(ls[0], "no space left on device") {
				t.Errorf("want one \"classify: \" line naming /dev/full and \"no space left on device\"; stderr:\n%s", res.stderr)
			}
		})
	}
}

// TestClosedStdout: a reader that goes away after the first alert (as
// `classify ... | head -1` does) ends the run with exit 1 and one line
// saying so, and the -o file is still written whole: byte for byte the
// file a run with a healthy stdout writes.
func TestClosedStdout(t *testing.T) {
	pcap := filepath.Join(testdata.RepoRoot(t), "datasets", "sample", "sample.pcap")
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.csv")
	r := runClassify(t, "-r", pcap, "-o", ref, "--no-progress")
	if r.code != 0 {
		t.Fatalf("reference run: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if s := parseSummary(t, r.stderr); s.alerts < 100 {
		// Fewer alerts could all fit in the pipe buffer before it closes.
		t.Fatalf("the sample gives %d alerts, too few to fill a pipe", s.alerts)
	}

	out := filepath.Join(dir, "out.csv")
	cmd := exec.Command(classifyBin(t), "-r", pcap, "-o", out, "--no-progress")
	var se bytes.Buffer
	cmd.Stderr = &se
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("first alert: %v", err)
	}
	stdout.Close() // what head -1 does once it has its line
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("classify did not finish after stdout closed; stderr:\n%s", se.String())
	}
	stderr := se.String()
	noStackTrace(t, "stderr", stderr)
	if !strings.Contains(first, " ALERT ") {
		t.Errorf("first stdout line is not an alert: %q", first)
	}
	if code := exitCode(t, err); code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, stderr)
	}
	if ls := errorLines(stderr); len(ls) != 1 || !strings.Contains(ls[0], "broken pipe") {
		t.Errorf("want one \"classify: \" line saying broken pipe; stderr:\n%s", stderr)
	}
	s := parseSummary(t, stderr)
	rows := readFlowsCSV(t, out)
	if int64(len(rows)) != s.flows || sumPackets(rows) != s.inFlows {
		t.Errorf("-o file: %d flows holding %d packets; summary: %d flows, %d packets in flows", len(rows), sumPackets(rows), s.flows, s.inFlows)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("-o file with a closed stdout (%d bytes) differs from the reference run's (%d bytes)", len(got), len(want))
	}
}
