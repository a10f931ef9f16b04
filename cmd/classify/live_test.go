//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/internal/netns"
	"github.com/flowclass/flowclass/internal/testdata"
)

// readFrames loads every frame of a capture into memory.
func readFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var frames [][]byte
	var rec capture.Record
	for {
		err := f.Next(&rec)
		if err == io.EOF {
			return frames
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		frames = append(frames, append([]byte(nil), rec.Data...))
	}
}

// tcpdumpRef is a tcpdump recording an interface beside classify.
type tcpdumpRef struct {
	cmd    *exec.Cmd
	path   string
	stderr *lockedBuffer
}

// startTcpdump starts tcpdump on iface writing nanosecond timestamps to
// path, and waits until it listens; nil when tcpdump is not installed.
func startTcpdump(t *testing.T, iface, path string) *tcpdumpRef {
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Logf("tcpdump not installed: verdicts are compared on the paced replay")
		return nil
	}
	r := &tcpdumpRef{path: path, stderr: &lockedBuffer{}}
	r.cmd = exec.Command(bin, "-i", iface, "-n", "-s", "0", "--time-stamp-precision=nano", "-U", "-w", path)
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(r.stderr.String(), "listening on"); {
		if time.Now().After(deadline) {
			t.Fatalf("tcpdump did not start listening:\n%s", r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// stop ends tcpdump and returns how many frames it wrote.
func (r *tcpdumpRef) stop(t *testing.T) int {
	r.cmd.Process.Signal(syscall.SIGINT)
	r.cmd.Wait()
	return len(readFrames(t, r.path))
}

// writePaced writes frames as a pcap with frame i at start + i/rate, the
// schedule Sender.Send follows.
func writePaced(t *testing.T, path string, frames [][]byte, start time.Time, rate int) {
	t.Helper()
	times := make([]time.Time, len(frames))
	for i := range times {
		times[i] = start.Add(time.Duration(int64(i) * int64(time.Second) / int64(rate)))
	}
	testdata.WritePcap(t, path, frames, times)
}

// waitPacketSocket waits until process pid holds an AF_PACKET socket, so
// frames sent afterwards reach its capture.
func waitPacketSocket(t *testing.T, pid int, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("classify exited before capturing: %v", err)
		default:
		}
		inodes := map[string]bool{}
		if data, err := os.ReadFile("/proc/net/packet"); err == nil {
			for _, l := range strings.Split(string(data), "\n")[1:] {
				if f := strings.Fields(l); len(f) > 0 {
					inodes[f[len(f)-1]] = true
				}
			}
		}
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			l, err := os.Readlink(fd)
			if err == nil && strings.HasPrefix(l, "socket:[") && inodes[strings.Trim(l[7:], "[]")] {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("classify opened no packet socket within 20 s")
}

// TestLiveMatchesOffline replays a synthetic capture into a veth pair
// while classify captures live on the other end, then reads the same
// frames offline with the same flags: the flows (5-tuples, packet and byte
// counts) must be the same, and so must every verdict when tcpdump,
// capturing beside classify, recorded the frames with their kernel
// timestamps (without tcpdump, the paced replay is the reference and
// timing features differ a little).
func TestLiveMatchesOffline(t *testing.T) {
	pair := netns.NewPair(t) // skips unless root with iproute2
	dir := t.TempDir()
	pcap := filepath.Join(dir, "replay.pcap")
	gen := genCapture(t, pcap, 20_000, true)
	frames := readFrames(t, pcap)
	if len(frames) != gen.Packets {
		t.Fatalf("read %d frames, synth wrote %d", len(frames), gen.Packets)
	}
	flags := []string{"--idle-timeout", "5s", "--no-progress"}

	liveCSV := filepath.Join(dir, "live.csv")
	cmd := exec.Command(classifyBin(t), append([]string{"-i", pair.Host, "-o", liveCSV}, flags...)...)
	var so, se bytes.Buffer
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
	time.Sleep(300 * time.Millisecond) // let the filter attach and the ring start
	// tcpdump beside classify records the same frames with the same kernel
	// timestamps: the offline run on its file must then give the same
	// verdicts, not merely the same flows.
	ref := startTcpdump(t, pair.Host, filepath.Join(dir, "tcpdump.pcap"))

	// Slower than the capture's own ~31k/s: replaying at that rate bunched
	// more frames into bursts and made fewer verdicts agree (0.944 to 0.949
	// against 0.951 to 0.962 at 20k/s).
	const rate = 20_000
	// The context columns count flows in 10 s windows of packet time:
	// start the replay early in a window so it ends in the same one live
	// and offline.
	for off := time.Now().UnixNano() % 10e9; off < 1e8 || off > 5e8; off = time.Now().UnixNano() % 10e9 {
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := pair.Send(frames, rate); err != nil {
		t.Fatalf("send: %v", err)
	}
	// The offline reference is the same frames with the times the sender
	// gave them: the capture's own timing does not survive a paced replay.
	pcap = filepath.Join(dir, "replay-paced.pcap")
	writePaced(t, pcap, frames, start, rate)
	t.Logf("sent %d frames at %d/s in %v (capture spans %v)", len(frames), rate, time.Since(start).Round(time.Millisecond), gen.Last.Sub(gen.First).Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond) // the kernel ring drains and batches flush
	if ref != nil {
		if n := ref.stop(t); n != len(frames) {
			t.Logf("tcpdump captured %d frames of %d sent; verdicts are compared on the paced replay instead", n, len(frames))
			ref = nil
		} else {
			pcap = ref.path
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("live classify did not stop after SIGINT; stderr:\n%s", se.String())
	}
	noStackTrace(t, "live stderr", se.String())
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("live classify: exit %d; stderr:\n%s", code, se.String())
	}
	ls := parseSummary(t, se.String())
	t.Logf("live: %d packets read, %d in flows, %d flows, kernel drops %d", ls.read, ls.inFlows, ls.flows, ls.kernelDrops)
	if !ls.live {
		t.Errorf("live summary does not report kernel drops:\n%s", se.String())
	}

	offCSV := filepath.Join(dir, "offline.csv")
	res := runClassify(t, append([]string{"-r", pcap, "-o", offCSV}, flags...)...)
	noStackTrace(t, "offline stderr", res.stderr)
	if res.code != 0 {
		t.Fatalf("offline classify: exit %d; stderr:\n%s", res.code, res.stderr)
	}
	offS := parseSummary(t, res.stderr)

	if ls.kernelDrops > 0 {
		t.Fatalf("the kernel dropped %d packets: flows cannot match (machine too busy?)", ls.kernelDrops)
	}
	if ls.read != offS.read {
		t.Errorf("live read %d packets, offline %d", ls.read, offS.read)
	}
	live, off := readFlowsCSV(t, liveCSV), readFlowsCSV(t, offCSV)
	if got := sumPackets(live); got != ls.inFlows {
		t.Errorf("live CSV holds %d packets, summary says %d in flows", got, ls.inFlows)
	}
	byKey := func(rows []flowRow) map[string][]flowRow {
		m := map[string][]flowRow{}
		for _, r := range rows {
			m[r.key] = append(m[r.key], r)
		}
		return m
	}
	lk, ok := byKey(live), byKey(off)
	var onlyLive, onlyOff, countDiff, same, compared, closeN, closeSame int
	flips := map[string]int{}
	for k, lr := range lk {
		or, found := ok[k]
		if !found {
			if onlyLive < 5 {
				t.Errorf("flow %s (%d packets) only in the live capture", k, lr[0].packets)
			}
			onlyLive++
			continue
		}
		if len(lr) != len(or) {
			t.Errorf("flow %s: %d flows live, %d offline", k, len(lr), len(or))
			countDiff++
			continue
		}
		for i := range lr {
			if lr[i].packets != or[i].packets || lr[i].bytes != or[i].bytes {
				if countDiff < 5 {
					t.Errorf("flow %s: live %d packets %d bytes, offline %d packets %d bytes", k, lr[i].packets, lr[i].bytes, or[i].packets, or[i].bytes)
				}
				countDiff++
			}
			compared++
			d, do := lr[i].durationMS, or[i].durationMS
			close := math.Abs(d-do) <= 0.1*do+0.05
			if close {
				closeN++
			}
			if lr[i].predicted == or[i].predicted {
				same++
				if close {
					closeSame++
				}
			} else {
				flips[lr[i].predicted+" live, "+or[i].predicted+" offline"]++
			}
		}
	}
	for k, or := range ok {
		if _, found := lk[k]; !found {
			if onlyOff < 5 {
				t.Errorf("flow %s (%d packets) only offline", k, or[0].packets)
			}
			onlyOff++
		}
	}
	if onlyLive+onlyOff+countDiff > 0 {
		t.Errorf("%d flows only live, %d only offline, %d with different counts (of %d live, %d offline)", onlyLive, onlyOff, countDiff, len(live), len(off))
	}
	if compared == 0 {
		t.Fatal("no flow to compare")
	}
	frac := float64(same) / float64(compared)
	t.Logf("%d flows match by 5-tuple and counts; equal verdicts on %d (%.4f); differing: %v", compared, same, frac, flips)
	if ref != nil {
		// Same frames, same kernel timestamps: every verdict must agree.
		if same != compared {
			t.Errorf("verdicts differ on %d of %d flows between live capture and tcpdump's recording of the same frames: %v", compared-same, compared, flips)
		}
		return
	}
	// Without tcpdump the reference is the paced replay. The sender paces
	// on average but sends the frames that are due back to back, so a
	// two-packet flow (a port-scan SYN and its RST) can last 0.03 ms live
	// where the paced capture says 0.05 ms, and the model, reading
	// durations and gaps, scores it differently. With the default model of
	// feature set 3 observed agreement over all flows is 0.84 to 0.85,
	// nearly every difference a flow scored malicious live and benign
	// offline; where the live duration is within 10% (+0.05 ms) of the
	// paced one, verdicts must agree.
	closeFrac := float64(closeSame) / float64(max(closeN, 1))
	t.Logf("flows with a live duration close to the recorded one: %d, equal verdicts on %d (%.4f)", closeN, closeSame, closeFrac)
	if frac < 0.80 {
		t.Errorf("only %.4f of verdicts agree between live and offline, want at least 0.80", frac)
	}
	if closeN < 100 || closeFrac < 0.99 {
		t.Errorf("verdicts agree on %.4f of the %d flows whose timing survived the replay, want at least 0.99 of at least 100", closeFrac, closeN)
	}
}

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLiveQuietDelivery: when traffic stops, a live capture must still
// finish its flows and print their alerts without waiting for more packets
// or for the exit. After a quiet spell longer than the idle timeout (plus
// the two seconds the live clock lags), every flow has expired idle, so
// SIGINT finds no flow to end with reason shutdown and adds no alert.
func TestLiveQuietDelivery(t *testing.T) {
	pair := netns.NewPair(t)
	dir := t.TempDir()
	pcap := filepath.Join(dir, "replay.pcap")
	genCapture(t, pcap, 20_000, true)
	frames := readFrames(t, pcap)
	liveCSV := filepath.Join(dir, "live.csv")
	cmd := exec.Command(classifyBin(t), "-i", pair.Host, "-o", liveCSV, "--idle-timeout", "2s", "--json", "--no-progress")
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
		t.Fatal(err)
	}
	time.Sleep(7 * time.Second) // 2 s idle + 2 s clock lag + ticks and slack
	before := strings.Count(so.String(), "\n")
	// SIGUSR1 asks for a status line; live, it must count packets too.
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var status string
	for i := 0; i < 50 && status == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		for _, l := range strings.Split(se.String(), "\n") {
			if strings.HasPrefix(l, "status: ") {
				status = l
			}
		}
	}
	var statusPkts int
	var statusFrom string
	if i := strings.Index(status, " packets read from "); i < 0 {
		t.Errorf("no status line after SIGUSR1: %q", status)
	} else if _, err := fmt.Sscanf(status[strings.LastIndex(status[:i], " ")+1:], "%d packets read from %s", &statusPkts, &statusFrom); err != nil {
		t.Errorf("status line %q: %v", status, err)
	} else if statusPkts <= 0 || statusPkts > len(frames) || strings.TrimSuffix(statusFrom, ",") != pair.Host {
		t.Errorf("status line %q: want 1 to %d packets read from %s", status, len(frames), pair.Host)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no exit after SIGINT; stderr:\n%s", se.String())
	}
	stderr := se.String()
	noStackTrace(t, "stderr", stderr)
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	s := parseSummary(t, stderr)
	after := strings.Count(so.String(), "\n")
	rows := readFlowsCSV(t, liveCSV)
	shutdown, shutdownPkts := 0, int64(0)
	for _, r := range rows {
		if r.expiration == "shutdown" {
			shutdown++
			shutdownPkts += r.packets
		}
	}
	t.Logf("%s", status)
	t.Logf("quiet spell: %d alert lines printed before SIGINT, %d after; %d flows, %d ended by shutdown (%d packets); kernel drops %d",
		before, after, len(rows), shutdown, shutdownPkts, s.kernelDrops)
	if s.kernelDrops > 0 {
		t.Skipf("the kernel dropped %d packets (machine too busy)", s.kernelDrops)
	}
	if s.read != int64(len(frames)) || sumPackets(rows) != s.inFlows {
		t.Errorf("read %d of %d frames; flows hold %d packets, summary says %d in flows", s.read, len(frames), sumPackets(rows), s.inFlows)
	}
	if shutdown > 0 {
		t.Errorf("%d flows (%d packets) were still active after the quiet spell: packets waited for more traffic", shutdown, shutdownPkts)
	}
	if before == 0 || before != after || int64(after) != s.alerts {
		t.Errorf("alert lines: %d printed during the quiet spell, %d at exit, summary says %d alerts", before, after, s.alerts)
	}
}
