package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/flowclass/flowclass/internal/netns"
)

// Frames sent in these tests come from this made-up MAC, so they can be told
// apart from anything else the kernel puts on the link, and go to another
// made-up MAC, so the receiving stack ignores them (no ICMP replies).
var (
	testSrcMAC = net.HardwareAddr{0x02, 0xfc, 0, 0, 0, 0x01}
	testDstMAC = net.HardwareAddr{0x02, 0xfc, 0, 0, 0, 0x02}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func udp4Frame(t testing.TB, seq int, payload int) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{10, 200, 255, 1}, DstIP: net.IP{10, 200, 255, 2}, Id: uint16(seq)}
	udp := &layers.UDP{SrcPort: layers.UDPPort(40000 + seq%1000), DstPort: 5353}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, &layers.Ethernet{SrcMAC: testSrcMAC, DstMAC: testDstMAC, EthernetType: layers.EthernetTypeIPv4},
		ip, udp, gopacket.Payload(fill(seq, payload)))
}

func tcp4Frame(t testing.TB, seq int) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP{10, 200, 255, 1}, DstIP: net.IP{10, 200, 255, 2}, Id: uint16(seq)}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: uint32(seq), SYN: true, Window: 1024}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, &layers.Ethernet{SrcMAC: testSrcMAC, DstMAC: testDstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, tcp)
}

func vlanUDP4Frame(t testing.TB, seq int) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{10, 200, 254, 1}, DstIP: net.IP{10, 200, 254, 2}, Id: uint16(seq)}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, &layers.Ethernet{SrcMAC: testSrcMAC, DstMAC: testDstMAC, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{Priority: 3, VLANIdentifier: 42, Type: layers.EthernetTypeIPv4},
		ip, udp, gopacket.Payload(fill(seq, 100)))
}

func udp6Frame(t testing.TB, seq int) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
		SrcIP: net.ParseIP("fd00:fc::1"), DstIP: net.ParseIP("fd00:fc::2")}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 443}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, &layers.Ethernet{SrcMAC: testSrcMAC, DstMAC: testDstMAC, EthernetType: layers.EthernetTypeIPv6},
		ip, udp, gopacket.Payload(fill(seq, 200)))
}

func fill(seq, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seq*7 + i)
	}
	return b
}

func openLive(t *testing.T, iface string, opts LiveOptions) *Live {
	t.Helper()
	l, err := OpenLive(iface, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// nextOurs returns the next captured frame sent by these tests, skipping
// anything else the kernel emitted on the link. It fails after timeout.
func nextOurs(t *testing.T, l *Live, r *Record, timeout time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for {
			if err := l.Next(r); err != nil {
				done <- err
				return
			}
			if len(r.Data) >= 12 && bytes.Equal(r.Data[6:12], testSrcMAC) {
				done <- nil
				return
			}
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
	case <-time.After(timeout):
		t.Fatalf("no frame within %v", timeout)
	}
}

func TestOpenLiveNoSuchInterface(t *testing.T) {
	_, err := OpenLive("fcnosuch9", LiveOptions{})
	if err == nil || err.Error() != "interface fcnosuch9: no such interface" || !errors.Is(err, ErrNoSuchInterface) {
		t.Fatalf("got %v, want \"interface fcnosuch9: no such interface\"", err)
	}
	_, err = OpenLive("a-name-longer-than-ifnamsiz", LiveOptions{})
	if !errors.Is(err, ErrNoSuchInterface) {
		t.Fatalf("too long a name: got %v", err)
	}
}

func TestOpenLiveRejectsBadRing(t *testing.T) {
	for _, o := range []LiveOptions{
		{BlockSize: 4096},                      // smaller than the snap length
		{BlockSize: 1<<20 + 1},                 // not page aligned
		{NumBlocks: -1},                        // nonsense
		{BlockTimeout: time.Microsecond},       // below the kernel's 1 ms unit
		{FanoutGroup: 70000},                   // ids are 16 bits
		{SnapLen: 1 << 20, BlockSize: 1 << 20}, // snap length does not fit a block
	} {
		_, err := OpenLive("lo", o)
		if err == nil || !strings.HasPrefix(err.Error(), "interface lo: ") {
			t.Errorf("%+v: got %v, want a validation error", o, err)
		}
	}
}

func TestOpenLiveDownInterface(t *testing.T) {
	p := netns.NewPair(t)
	if err := p.SetHostUp(false); err != nil {
		t.Fatal(err)
	}
	_, err := OpenLive(p.Host, LiveOptions{})
	if !errors.Is(err, ErrInterfaceDown) || !strings.HasPrefix(err.Error(), "interface "+p.Host+": is down") {
		t.Fatalf("got %v, want interface %s: is down", err, p.Host)
	}
}

// TestLiveDeliversFrames sends known frames into the veth peer and checks
// each arrives intact, with its wire length and a kernel timestamp.
func TestLiveDeliversFrames(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{Promiscuous: true})

	var frames [][]byte
	for i := 0; i < 200; i++ {
		frames = append(frames, udp4Frame(t, i, i*5))
	}
	frames = append(frames, vlanUDP4Frame(t, 1), udp6Frame(t, 2), tcp4Frame(t, 3),
		udp4Frame(t, 4, 30000), // spans many 4 KiB frames of the ring
		udp4Frame(t, 5, 60000)) // near the largest IPv4 packet
	before := time.Now()
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	// Read only after a pause: a timestamp taken when reading (time.Now)
	// would then fall after `after`, a kernel one cannot.
	time.Sleep(200 * time.Millisecond)

	var r Record
	var last time.Time
	for i, want := range frames {
		nextOurs(t, l, &r, 2*time.Second)
		if !bytes.Equal(r.Data, want) {
			t.Fatalf("frame %d: got %d bytes, want %d bytes\n got % x\nwant % x", i, len(r.Data), len(want), head(r.Data), head(want))
		}
		if r.Length != len(want) {
			t.Errorf("frame %d: Length %d, want %d", i, r.Length, len(want))
		}
		if r.LinkType != layers.LinkTypeEthernet || r.Source != p.Host {
			t.Errorf("frame %d: LinkType %v Source %q", i, r.LinkType, r.Source)
		}
		if r.Timestamp.Before(last) {
			t.Errorf("frame %d: timestamp %v before previous %v", i, r.Timestamp, last)
		}
		if r.Timestamp.Before(before.Add(-time.Millisecond)) || r.Timestamp.After(after.Add(time.Millisecond)) {
			t.Errorf("frame %d: timestamp %v outside sending window [%v, %v]", i, r.Timestamp, before, after)
		}
		last = r.Timestamp
	}
	s := l.Stats()
	if s.KernelDrops != 0 || s.Packets < uint64(len(frames)) {
		t.Errorf("stats %+v, want no drops and at least %d packets", s, len(frames))
	}
}

func head(b []byte) []byte {
	if len(b) > 48 {
		return b[:48]
	}
	return b
}

// udpOnly accepts IPv4 UDP (Ethernet, untagged) and rejects the rest.
func udpOnly(t testing.TB) []bpf.RawInstruction {
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},                         // EtherType
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 3}, // IPv4?
		bpf.LoadAbsolute{Off: 23, Size: 1},                         // IPv4 protocol
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 1},     // UDP?
		bpf.RetConstant{Val: 262144},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func TestLiveBPFFiltersInKernel(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{BPF: udpOnly(t)})
	// Switch off the user-space re-filtering of early packets: whatever is
	// rejected now was rejected by the kernel.
	l.filterFrom = 0

	var frames, want [][]byte
	for i := 0; i < 40; i++ {
		var f []byte
		isUDP := false
		switch i % 4 {
		case 0:
			f, isUDP = udp4Frame(t, i, 20), true
		case 1:
			f = tcp4Frame(t, i)
		case 2:
			f = udp6Frame(t, i) // UDP, but not IPv4
		case 3:
			f = vlanUDP4Frame(t, i) // the kernel filters it without its tag: EtherType is IPv4, so it passes
			isUDP = true
		}
		frames = append(frames, f)
		if isUDP {
			want = append(want, f)
		}
	}
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	var r Record
	for i, w := range want {
		nextOurs(t, l, &r, 2*time.Second)
		if !bytes.Equal(r.Data, w) {
			t.Fatalf("accepted frame %d: got % x, want % x", i, head(r.Data), head(w))
		}
	}
	// Nothing else may follow: a terminating UDP frame must be next.
	marker := udp4Frame(t, 999, 1)
	if err := p.Send([][]byte{marker}, 0); err != nil {
		t.Fatal(err)
	}
	nextOurs(t, l, &r, 2*time.Second)
	if !bytes.Equal(r.Data, marker) {
		t.Fatalf("a frame the filter rejects got through: % x", head(r.Data))
	}
}

// TestPreFilter checks the user-space filtering of packets that entered the
// ring before the kernel filter, against the hand-made verdicts.
func TestPreFilter(t *testing.T) {
	l := &Live{}
	insts, _ := bpf.Disassemble(udpOnly(t))
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatal(err)
	}
	l.vm = vm
	for _, c := range []struct {
		frame []byte
		keep  bool
	}{
		{udp4Frame(t, 1, 10), true},
		{tcp4Frame(t, 2), false},
		{udp6Frame(t, 3), false},
		{[]byte{1, 2, 3}, false}, // too short: loads fail, the kernel rejects those too
	} {
		if got := l.preFilter(c.frame); got != c.keep {
			t.Errorf("frame % x: keep %v, want %v", head(c.frame), got, c.keep)
		}
	}
	l.vm = nil // a program the VM cannot run: discard and count
	if l.preFilter(udp4Frame(t, 1, 10)) || l.Stats().Warnings == nil {
		t.Errorf("without a VM, early packets must be discarded and counted: %+v", l.Stats())
	}
}

func TestLiveCloseUnblocksNext(t *testing.T) {
	p := netns.NewPair(t)
	l, err := OpenLive(p.Host, LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var r Record
		for {
			if err := l.Next(&r); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // Next is blocked in poll by now
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v, want io.EOF", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked 2s after Close")
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Close took %v to unblock Next", took)
	}
	var r Record
	if err := l.Next(&r); err != io.EOF {
		t.Errorf("Next on a closed capture: %v, want io.EOF", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestLiveInterfaceGone(t *testing.T) {
	for _, c := range []struct {
		name string
		do   func(*netns.Pair) error
		msg  string
	}{
		{"deleted", (*netns.Pair).DelHost, "was removed during capture"},
		{"down", func(p *netns.Pair) error { return p.SetHostUp(false) }, "went down during capture"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := netns.NewPair(t)
			l := openLive(t, p.Host, LiveOptions{})
			done := make(chan error, 1)
			go func() {
				var r Record
				for {
					if err := l.Next(&r); err != nil {
						done <- err
						return
					}
				}
			}()
			time.Sleep(200 * time.Millisecond)
			if err := c.do(p); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("Next still blocked 3s after the interface went away")
			}
			want := "interface " + p.Host + ": " + c.msg
			if !errors.Is(err, ErrInterfaceDown) || err.Error() != want {
				t.Fatalf("got %v, want %q", err, want)
			}
			var r Record
			if err2 := l.Next(&r); err2 != err {
				t.Errorf("Next after the failure returned %v, want the same error again", err2)
			}
		})
	}
}

// TestLiveKernelDrops overfills a tiny ring and checks that every frame is
// accounted for as delivered or as a kernel drop, and that reading the
// counters twice does not count twice.
func TestLiveKernelDrops(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{SnapLen: MinSnapLen, BlockSize: 128 << 10, NumBlocks: 2, BPF: udpOnly(t)})
	l.filterFrom = 0
	const n = 5000
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = udp4Frame(t, i, 1000)
	}
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the last block retire
	var r Record
	got := 0
	for {
		done := make(chan error, 1)
		go func() { done <- l.Next(&r) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			got++
			continue
		case <-time.After(300 * time.Millisecond):
			l.Close() // ends the pending Next
			<-done
		}
		break
	}
	s1, s2 := l.Stats(), l.Stats()
	if s1.Packets != s2.Packets || s1.KernelDrops != s2.KernelDrops {
		t.Errorf("Stats changed between two reads: %+v then %+v", s1, s2)
	}
	if s1.KernelDrops == 0 {
		t.Errorf("no drops reported for %d frames into a 256 KiB ring", n)
	}
	if uint64(got)+s1.KernelDrops != n || s1.Packets != uint64(got) {
		t.Errorf("delivered %d + dropped %d != sent %d (stats %+v)", got, s1.KernelDrops, n, s1)
	}
	t.Logf("%d frames into a 256 KiB ring: %d delivered, %d kernel drops", n, got, s1.KernelDrops)
}

// TestLiveNextAllocs: reading a packet allocates nothing.
func TestLiveNextAllocs(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{BPF: udpOnly(t)})
	l.filterFrom = 0
	frames := make([][]byte, 600)
	for i := range frames {
		frames[i] = udp4Frame(t, i, 64)
	}
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	var r Record
	if err := l.Next(&r); err != nil { // warm up
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := l.Next(&r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %.1f times per packet", allocs)
	}
}

// TestLiveLoopbackOnce: on lo the kernel shows each packet leaving and
// arriving; the capture must deliver it once.
func TestLiveLoopbackOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW)")
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 5},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 36, Size: 2}, // UDP destination port, no IP options
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		bpf.RetConstant{Val: 262144},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := openLive(t, "lo", LiveOptions{BPF: prog})
	time.Sleep(2 * preFilterMargin) // past the user-space window: only the kernel filters
	payload := []byte("flowclass loopback probe")
	const n = 5
	for i := 0; i < n; i++ {
		if _, err := conn.WriteToUDP(payload, conn.LocalAddr().(*net.UDPAddr)); err != nil {
			t.Fatal(err)
		}
	}
	var r Record
	got := 0
	for {
		done := make(chan error, 1)
		go func() { done <- l.Next(&r) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType != layers.LinkTypeEthernet || !bytes.HasSuffix(r.Data, payload) {
				t.Fatalf("unexpected packet on lo: %v % x", r.LinkType, head(r.Data))
			}
			got++
			continue
		case <-time.After(500 * time.Millisecond):
			l.Close()
			<-done
		}
		break
	}
	if got != n {
		t.Fatalf("captured %d copies of %d datagrams on lo, want %d", got, n, n)
	}
}

// The permission test runs this test binary again without CAP_NET_RAW; the
// child opens a capture and prints the error.
const helperEnv = "FLOWCLASS_LIVE_HELPER"

func TestHelperOpenLive(t *testing.T) {
	iface := os.Getenv(helperEnv)
	if iface == "" {
		t.Skip("helper for TestOpenLiveNoPermission")
	}
	_, err := OpenLive(iface, LiveOptions{})
	fmt.Printf("RESULT needcap=%v err=%v\n", errors.Is(err, ErrNeedCapNetRaw), err)
}

func TestOpenLiveNoPermission(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a child without CAP_NET_RAW")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	bin := worldExecutableCopy(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		// root, but with CAP_NET_RAW removed from the bounding set, as in a
		// locked-down container
		{"root-without-cap", []string{"--bounding-set=-net_raw"}},
		{"nobody", []string{"--reuid=65534", "--regid=65534", "--clear-groups"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(c.args, "--", bin, "-test.run=^TestHelperOpenLive$", "-test.count=1")
			cmd := exec.Command(setpriv, args...)
			cmd.Env = append(os.Environ(), helperEnv+"=lo")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			want := "RESULT needcap=true err=interface lo: " + ErrNeedCapNetRaw.Error() + " (operation not permitted)"
			if !strings.Contains(string(out), want+"\n") {
				t.Fatalf("child output:\n%s\nwant line %q", out, want)
			}
		})
	}
}

// worldExecutableCopy copies the test binary where user nobody can run it
// (go test builds it in a directory only root may enter).
func worldExecutableCopy(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if d == os.TempDir() {
			break
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "capture.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestLiveThroughput logs how fast the sender can push frames through a veth
// and whether the capture keeps up without kernel drops, unpaced and at
// paced rates below that. It asserts only the accounting (every frame is
// delivered or counted as dropped) and zero drops at a modest rate; the
// figures go to the log (go test -run Throughput -v).
func TestLiveThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput figures skipped in -short mode")
	}
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{})
	var got atomic.Uint64
	go func() {
		var r Record
		for l.Next(&r) == nil {
			if len(r.Data) >= 12 && bytes.Equal(r.Data[6:12], testSrcMAC) {
				got.Add(1)
			}
		}
	}()
	s, err := p.Sender()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// run sends n frames of size bytes at rate (0: unpaced) and returns the
	// achieved send rate, frames captured and kernel drops for this run.
	run := func(size, n, rate int) (sendRate float64, captured, drops uint64) {
		frame := udp4Frame(t, 0, size-42)
		frames := make([][]byte, n)
		for i := range frames {
			frames[i] = frame
		}
		got0, drops0 := got.Load(), l.Stats().KernelDrops
		start := time.Now()
		if err := s.Send(frames, rate); err != nil {
			t.Fatal(err)
		}
		sendRate = float64(n) / time.Since(start).Seconds()
		deadline := time.Now().Add(3 * time.Second)
		for {
			captured, drops = got.Load()-got0, l.Stats().KernelDrops-drops0
			if captured+drops >= uint64(n) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if captured+drops != uint64(n) {
			t.Errorf("%d-byte frames at %d/s: %d captured + %d dropped != %d sent", size, rate, captured, drops, n)
		}
		return sendRate, captured, drops
	}

	// A second capture that nobody reads during the first run holds those
	// frames in its ring; draining it afterwards times Next alone.
	idle := openLive(t, p.Host, LiveOptions{})

	for _, size := range []int{64, 1514} {
		maxRate, c, d := run(size, 200000, 0)
		if idle != nil {
			// Sending is over, so what the idle ring could not hold is
			// already counted as dropped; read exactly the rest.
			idleDrops := idle.Stats().KernelDrops
			var r Record
			start, n := time.Now(), 0
			for n+int(idleDrops) < 200000 {
				if err := idle.Next(&r); err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(r.Data[6:12], testSrcMAC) {
					n++
				}
			}
			took := time.Since(start)
			t.Logf("Next alone drains %d queued 64-byte frames in %v: %.0f pkt/s (kernel drops %d)",
				n, took, float64(n)/took.Seconds(), idleDrops)
			idle.Close()
			idle = nil
		}
		t.Logf("%4d-byte frames, unpaced: sender %.0f pkt/s (%.0f Mbit/s), captured %d, kernel drops %d",
			size, maxRate, maxRate*float64(size)*8/1e6, c, d)
		if d == 0 {
			t.Logf("%4d-byte frames: zero kernel drops at the sender's top rate, %.0f pkt/s", size, maxRate)
			continue
		}
		for _, frac := range []float64{0.8, 0.6, 0.4, 0.2} {
			rate := int(maxRate*frac) / 1000 * 1000
			sr, c, d := run(size, rate, rate) // one second's worth
			t.Logf("%4d-byte frames, paced at %d/s: achieved %.0f pkt/s, captured %d, kernel drops %d", size, rate, sr, c, d)
			if d == 0 {
				break
			}
		}
	}

	// A modest rate must never drop: 20k pkt/s is far below what the ring
	// buffers (64 MiB, over a second at the block timeout).
	if _, _, d := run(200, 20000, 20000); d != 0 {
		t.Errorf("%d kernel drops at 20000 pkt/s", d)
	}
}

// TestLiveFanout: two captures in one fanout group share the traffic: every
// frame reaches exactly one of them, and both directions of a flow reach
// the same one.
func TestLiveFanout(t *testing.T) {
	p := netns.NewPair(t)
	// Group ids are per network namespace; derive one from the pid so
	// concurrent test binaries do not join each other's group.
	group := 1 + os.Getpid()%60000
	a := openLive(t, p.Host, LiveOptions{FanoutGroup: group})
	b := openLive(t, p.Host, LiveOptions{FanoutGroup: group})

	const flows = 64
	var frames [][]byte
	for i := 0; i < flows; i++ {
		fwd := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: net.IP{10, 200, 255, 1}, DstIP: net.IP{10, 200, 255, 2}}
		rev := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: fwd.DstIP, DstIP: fwd.SrcIP}
		for _, d := range []struct {
			ip           *layers.IPv4
			sport, dport layers.UDPPort
		}{{fwd, layers.UDPPort(30000 + i), 53}, {rev, 53, layers.UDPPort(30000 + i)}} {
			udp := &layers.UDP{SrcPort: d.sport, DstPort: d.dport}
			udp.SetNetworkLayerForChecksum(d.ip)
			frames = append(frames, serialize(t, &layers.Ethernet{SrcMAC: testSrcMAC, DstMAC: testDstMAC, EthernetType: layers.EthernetTypeIPv4},
				d.ip, udp, gopacket.Payload(fill(i, 20))))
		}
	}
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	// flowOf maps a captured frame back to its flow by the ephemeral port.
	flowOf := func(f []byte) int {
		sport, dport := int(f[34])<<8|int(f[35]), int(f[36])<<8|int(f[37])
		if sport == 53 {
			return dport - 30000
		}
		return sport - 30000
	}
	owner := map[int]string{}
	total := 0
	for _, c := range []struct {
		name string
		l    *Live
	}{{"a", a}, {"b", b}} {
		var r Record
		for {
			done := make(chan error, 1)
			go func() { done <- c.l.Next(&r) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(500 * time.Millisecond):
				c.l.Close()
				<-done
				err = io.EOF
			}
			if err != nil {
				break
			}
			if !bytes.Equal(r.Data[6:12], testSrcMAC) {
				continue
			}
			total++
			f := flowOf(r.Data)
			if o, ok := owner[f]; ok && o != c.name {
				t.Errorf("flow %d split between captures %s and %s", f, o, c.name)
			}
			owner[f] = c.name
		}
	}
	if total != len(frames) {
		t.Errorf("captured %d frames in the group, sent %d (each must arrive exactly once)", total, len(frames))
	}
	na := 0
	for _, o := range owner {
		if o == "a" {
			na++
		}
	}
	if na == 0 || na == flows {
		t.Errorf("capture a got %d of %d flows: the group did not split the traffic", na, flows)
	}
	t.Logf("fanout split %d flows %d/%d", flows, na, flows-na)
}

// TestLiveContextStop: the documented way to stop on a context.
func TestLiveContextStop(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	var r Record
	if err := l.Next(&r); err != io.EOF {
		t.Fatalf("Next after cancel: %v, want io.EOF", err)
	}
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Errorf("Next returned %v after start, want soon after the 200ms cancel", took)
	}
}

// TestLiveStopDrainsRing: frames the kernel captured before Stop are
// delivered, every one, before Next reports io.EOF; Close (what a SIGINT
// used to do) would have thrown them away.
func TestLiveStopDrainsRing(t *testing.T) {
	p := netns.NewPair(t)
	l := openLive(t, p.Host, LiveOptions{})
	var frames [][]byte
	for i := 0; i < 3000; i++ {
		frames = append(frames, udp4Frame(t, i, 100+i%900))
	}
	if err := p.Send(frames, 0); err != nil {
		t.Fatal(err)
	}
	// Nobody reads while they arrive; then the capture is asked to stop.
	time.Sleep(100 * time.Millisecond)
	l.Stop()
	var r Record
	got := 0
	for {
		err := l.Next(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got < len(frames) && bytes.Equal(r.Data, frames[got]) {
			got++
		}
	}
	if got != len(frames) {
		t.Errorf("Stop delivered %d of the %d frames in the ring, in order, before io.EOF", got, len(frames))
	}
	if s := l.Stats(); s.KernelDrops != 0 {
		t.Errorf("%d kernel drops", s.KernelDrops)
	}
}
