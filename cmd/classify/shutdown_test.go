package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestShutdownLosesNothing interrupts a run mid-file: every packet that
// reached the flow table must come out in a written, scored flow, the
// flows still active ending with reason shutdown. An interrupted run is
// not a failure (config.go: exit 0 unless an input or write failed).
func TestShutdownLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes an 800 MB capture")
	}
	pcap := filepath.Join(t.TempDir(), "big.pcap")
	// About 800 MB and 10 s of classify on this machine: far more than
	// the half second it is given.
	genCapture(t, pcap, shutdownPackets, true)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { testShutdown(t, pcap, sig) })
	}
}

const shutdownPackets = 1_000_000

func testShutdown(t *testing.T, pcap string, sig syscall.Signal) {
	const packets = shutdownPackets
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "flows.csv")

	cmd := exec.Command(classifyBin(t), "-r", pcap, "-o", csvPath, "--no-progress")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("classify finished within 0.5 s (%v), before the signal; stderr:\n%s", err, se.String())
	case <-time.After(500 * time.Millisecond):
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("classify did not stop within a minute of %v; stderr:\n%s", sig, se.String())
	}
	stderr := se.String()
	noStackTrace(t, "stderr", stderr)
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit %d after %v, want 0; stderr:\n%s", code, sig, stderr)
	}
	s := parseSummary(t, stderr)
	if !s.interrupted {
		t.Errorf("summary does not say interrupted:\n%s", stderr)
	}
	if s.read >= packets {
		t.Errorf("read all %d packets: the signal came too late to test anything", s.read)
	}
	rows := readFlowsCSV(t, csvPath) // fails on a cut last line
	shutdown := 0
	for _, r := range rows {
		if r.expiration == "shutdown" {
			shutdown++
		}
		if r.score == "" || r.predicted == "" {
			t.Fatalf("flow %s was not scored", r.key)
		}
	}
	if shutdown == 0 {
		t.Errorf("no flow ended with reason shutdown")
	}
	if int64(len(rows)) != s.flows {
		t.Errorf("CSV has %d flows, summary says %d", len(rows), s.flows)
	}
	if got := sumPackets(rows); got != s.inFlows {
		t.Errorf("CSV flows hold %d packets, summary says %d reached flows", got, s.inFlows)
	}
	if s.read != s.inFlows+s.skipped {
		t.Errorf("%d read != %d in flows + %d skipped", s.read, s.inFlows, s.skipped)
	}
	t.Logf("%v after 0.5 s: %d of %d packets read, %d flows written (%d ended by shutdown), %d packets in them",
		sig, s.read, packets, len(rows), shutdown, sumPackets(rows))
}
