//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/netns"
)

// TestLiveInterfaceDeleted: the interface under a live capture vanishes
// mid-run. classify must exit non-zero with one line naming the interface,
// and still flush, score and write every flow of the packets it had read:
// the -o file is whole and holds exactly the summary's packets in flows.
func TestLiveInterfaceDeleted(t *testing.T) {
	pair := netns.NewPair(t) // skips unless root with iproute2
	dir := t.TempDir()
	pcap := filepath.Join(dir, "replay.pcap")
	genCapture(t, pcap, 5_000, true)
	frames := readFrames(t, pcap)
	out := filepath.Join(dir, "out.csv")
	// A long idle timeout keeps the flows active when the interface goes,
	// so they are the ones that must be flushed at the end.
	cmd := exec.Command(classifyBin(t), "-i", pair.Host, "-o", out, "--idle-timeout", "10m", "--no-progress")
	var so, se lockedBuffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	waitPacketSocket(t, cmd.Process.Pid, exited)
	time.Sleep(300 * time.Millisecond)
	if err := pair.Send(frames, 20_000); err != nil {
		t.Fatalf("send: %v", err)
	}
	time.Sleep(time.Second) // the ring drains into the flow table
	if err := pair.DelHost(); err != nil {
		t.Fatalf("delete %s: %v", pair.Host, err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("classify did not exit within a minute of %s being deleted; stderr:\n%s", pair.Host, se.String())
	}
	stderr := se.String()
	noStackTrace(t, "stderr", stderr)
	noStackTrace(t, "stdout", so.String())
	if code := exitCode(t, err); code == 0 {
		t.Errorf("exit code 0 after the interface was deleted; stderr:\n%s", stderr)
	}
	if ls := errorLines(stderr); len(ls) != 1 || !strings.Contains(ls[0], pair.Host) {
		t.Errorf("want one \"classify: \" line naming %s; stderr:\n%s", pair.Host, stderr)
	}
	s := parseSummary(t, stderr)
	t.Logf("sent %d frames; summary: %d read, %d in flows, %d flows, kernel drops %d", len(frames), s.read, s.inFlows, s.flows, s.kernelDrops)
	if s.read == 0 || s.read > int64(len(frames)) {
		t.Errorf("summary says %d packets read; %d were sent", s.read, len(frames))
	}
	if s.read != s.inFlows+s.skipped {
		t.Errorf("%d packets read but %d in flows + %d skipped", s.read, s.inFlows, s.skipped)
	}
	rows := readFlowsCSV(t, out) // fails unless the file ends in a whole row
	if int64(len(rows)) != s.flows || sumPackets(rows) != s.inFlows {
		t.Errorf("-o file: %d flows holding %d packets; summary: %d flows, %d packets in flows", len(rows), sumPackets(rows), s.flows, s.inFlows)
	}
	ended := 0
	for _, r := range rows {
		if r.score == "" || r.predicted == "" {
			t.Fatalf("flow %s was written unscored", r.key)
		}
		if r.expiration != "tcp_fin" && r.expiration != "tcp_rst" {
			ended++
		}
	}
	if ended == 0 {
		t.Errorf("no flow was still active when %s went: the test did not test the flush", pair.Host)
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", pair.Host)); err == nil {
		t.Errorf("%s still exists", pair.Host)
	}
}
