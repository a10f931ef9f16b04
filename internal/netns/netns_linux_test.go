package netns

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"unsafe"

	"golang.org/x/sys/unix"
)

// testFrame is an Ethernet frame with a private EtherType (0x88b5, IEEE
// "local experimental") carrying seq, so the receiver can tell our frames
// from anything else on the link.
func testFrame(src net.HardwareAddr, seq uint32, size int) []byte {
	f := make([]byte, size)
	copy(f[0:6], []byte{0x02, 0, 0, 0, 0, 0x01})
	copy(f[6:12], src)
	binary.BigEndian.PutUint16(f[12:14], 0x88b5)
	binary.BigEndian.PutUint32(f[14:18], seq)
	for i := 18; i < size; i++ {
		f[i] = byte(i + int(seq))
	}
	return f
}

// rawReceiver is a plain AF_PACKET socket on iface, independent of the
// capture package, used as the reference for what arrived.
func rawReceiver(t *testing.T, iface string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	proto := uint16(unix.ETH_P_ALL)
	proto = proto<<8 | proto>>8 // network byte order
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20); err != nil {
		t.Fatal(err)
	}
	// Stamp packets as they arrive, before recvfrom: SIOCGSTAMP then
	// reports arrival time rather than read time.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMP, 1); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestPairDeliversFramesAndCleansUp(t *testing.T) {
	var p *Pair
	t.Run("send", func(t *testing.T) {
		p = NewPair(t)
		if len(p.Host) > 15 || len(p.Peer) > 15 {
			t.Fatalf("interface names too long: %q %q", p.Host, p.Peer)
		}
		out, err := exec.Command("ip", "-n", p.NS, "-o", "addr", "show", "dev", p.Peer).CombinedOutput()
		if err != nil || !strings.Contains(string(out), p.PeerAddr.String()) {
			t.Fatalf("peer address %s not in namespace: %v: %s", p.PeerAddr, err, out)
		}
		if p.OffloadsOff {
			for _, cmd := range []*exec.Cmd{exec.Command("ethtool", "-k", p.Host), p.Command("ethtool", "-k", p.Peer)} {
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%v: %v: %s", cmd.Args, err, out)
				}
				for _, want := range []string{"tx-checksumming: off", "generic-segmentation-offload: off", "generic-receive-offload: off"} {
					if !strings.Contains(string(out), want) {
						t.Errorf("%v: %q missing", cmd.Args, want)
					}
				}
			}
		}
		fd := rawReceiver(t, p.Host)

		const n = 200
		var frames [][]byte
		for i := 0; i < n; i++ {
			frames = append(frames, testFrame(p.PeerMAC, uint32(i), 60+i*7))
		}
		frames = append(frames, testFrame(p.PeerMAC, n, 9000)) // above a 1500 MTU
		if err := p.Send(frames, 0); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 70000)
		got := 0
		for got < len(frames) {
			m, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				t.Fatalf("after %d of %d frames: %v", got, len(frames), err)
			}
			f := buf[:m]
			if m < 18 || binary.BigEndian.Uint16(f[12:14]) != 0x88b5 {
				continue // not ours (there should be none, but do not depend on it)
			}
			if !bytes.Equal(f, frames[got]) {
				t.Fatalf("frame %d: got %d bytes % x..., want %d bytes % x...", got, m, f[:18], len(frames[got]), frames[got][:18])
			}
			got++
		}
	})
	if p == nil {
		return
	}
	if out, _ := exec.Command("ip", "netns", "list").CombinedOutput(); strings.Contains(string(out), p.NS) {
		t.Errorf("namespace %s still exists after cleanup", p.NS)
	}
	if _, err := net.InterfaceByName(p.Host); err == nil {
		t.Errorf("interface %s still exists after cleanup", p.Host)
	}
}

func TestSenderPacesRate(t *testing.T) {
	p := NewPair(t)
	fd := rawReceiver(t, p.Host)
	const n, rate = 3000, 10000 // 0.3 s
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = testFrame(p.PeerMAC, uint32(i), 64)
	}
	start := time.Now()
	if err := p.Send(frames, rate); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	want := time.Duration(n-1) * time.Second / rate
	// Pacing never runs ahead of the rate: that much is deterministic.
	// How far it lags depends on the machine's load, so it is logged, not
	// asserted (speed is measured by benchmarks, never by timed tests).
	if took < want {
		t.Errorf("sending %d frames at %d/s took %v: faster than the rate allows (%v)", n, rate, took, want)
	}
	// Every frame arrived, and the arrival times are spread, not one burst:
	// the frames a quarter and three quarters in must arrive about half the
	// sending time apart. (Not the first frame: the kernel turns receive
	// timestamps on a moment after SO_TIMESTAMP is set, and a frame that
	// came before gets the time it was read.)
	buf := make([]byte, 2048)
	oob := make([]byte, 256)
	var quarter, threeQuarters time.Time
	got := 0
	for got < n {
		m, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
		if err != nil {
			t.Fatalf("after %d of %d frames: %v", got, n, err)
		}
		if m < 18 || binary.BigEndian.Uint16(buf[12:14]) != 0x88b5 {
			continue
		}
		ts, err := arrival(oob[:oobn])
		if err != nil {
			t.Fatal(err)
		}
		if got == n/4 {
			quarter = ts
		}
		if got == 3*n/4 {
			threeQuarters = ts
		}
		got++
	}
	t.Logf("%d frames at %d/s: send took %v, frames %d to %d arrived %v apart (%v at the rate)",
		n, rate, took, n/4, 3*n/4, threeQuarters.Sub(quarter), time.Duration(n/2)*time.Second/rate)
}

// arrival is the kernel receive time from an SCM_TIMESTAMP control message.
func arrival(oob []byte) (time.Time, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, err
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMP && len(m.Data) >= int(unsafe.Sizeof(unix.Timeval{})) {
			tv := (*unix.Timeval)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(tv.Unix()), nil
		}
	}
	return time.Time{}, errors.New("no SCM_TIMESTAMP in control messages")
}

// TestBatchedSendDeliversEveryFrameInOrder sends several batches' worth of
// frames of varying size (small, MTU-sized, jumbo), unpaced and paced, and
// checks on a plain receiving socket that each arrived once, in order and
// byte for byte, and that Sent counts them.
func TestBatchedSendDeliversEveryFrameInOrder(t *testing.T) {
	p := NewPair(t)
	for _, tc := range []struct {
		name  string
		batch int
		rate  int
	}{
		{"unpaced batch default", DefaultBatch, 0},
		{"unpaced batch max", MaxBatch, 0},
		{"unpaced batch 7", 7, 0}, // batches end mid-way through the sizes
		{"paced 200k/s", DefaultBatch, 200_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := rawReceiver(t, p.Host)
			// Room for every frame without reading while sending, so
			// the receiver itself can never drop (truesize is about
			// twice the frame for small frames).
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 512<<20); err != nil {
				t.Fatal(err)
			}
			const n = 20_000
			frames := make([][]byte, n)
			for i := range frames {
				size := 60 + (i*37)%1455 // 60..1514
				if i%997 == 0 {
					size = 9000
				}
				frames[i] = testFrame(p.PeerMAC, uint32(i), size)
			}
			s, err := p.Sender()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.SetBatch(tc.batch)
			if s.Batch() != tc.batch {
				t.Fatalf("Batch() = %d after SetBatch(%d)", s.Batch(), tc.batch)
			}
			start := time.Now()
			if err := s.Send(frames, tc.rate); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if s.Sent() != n {
				t.Errorf("Sent() = %d, want %d", s.Sent(), n)
			}
			if tc.rate > 0 {
				if want := time.Duration(n-1) * time.Second / time.Duration(tc.rate); took < want {
					t.Errorf("paced send took %v, faster than the rate allows (%v)", took, want)
				}
			}
			t.Logf("%d frames in %v (%.0f/s)", n, took, n/took.Seconds())

			buf := make([]byte, 70000)
			for got := 0; got < n; {
				m, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					t.Fatalf("after %d of %d frames: %v (receiver drops: %d)", got, n, err, recvDrops(fd))
				}
				f := buf[:m]
				if m < 18 || binary.BigEndian.Uint16(f[12:14]) != 0x88b5 {
					continue
				}
				if seq := binary.BigEndian.Uint32(f[14:18]); seq != uint32(got) {
					t.Fatalf("frame %d: got sequence number %d (receiver drops: %d)", got, seq, recvDrops(fd))
				}
				if !bytes.Equal(f, frames[got]) {
					t.Fatalf("frame %d: got %d bytes, want %d, contents differ", got, m, len(frames[got]))
				}
				got++
			}
			// Nothing beyond the n frames (no duplicates).
			if err := unix.SetNonblock(fd, true); err != nil {
				t.Fatal(err)
			}
			for {
				m, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					break
				}
				if m >= 18 && binary.BigEndian.Uint16(buf[12:14]) == 0x88b5 {
					t.Fatalf("extra frame after all %d: sequence number %d", n, binary.BigEndian.Uint32(buf[14:18]))
				}
			}
		})
	}
}

// TestSendReportsBadFrame checks that a frame the kernel refuses (larger
// than the MTU) ends Send with an error naming it, after every frame before
// it went out.
func TestSendReportsBadFrame(t *testing.T) {
	p := NewPair(t)
	fd := rawReceiver(t, p.Host)
	frames := make([][]byte, 100)
	for i := range frames {
		frames[i] = testFrame(p.PeerMAC, uint32(i), 100)
	}
	frames[70] = testFrame(p.PeerMAC, 70, MTU+14+1)
	s, err := p.Sender()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Send(frames, 0)
	if err == nil || !strings.Contains(err.Error(), "send frame 70 ") || !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("Send with an oversized frame 70: got %v, want an EMSGSIZE error naming frame 70", err)
	}
	if s.Sent() != 70 {
		t.Errorf("Sent() = %d, want 70", s.Sent())
	}
	buf := make([]byte, 70000)
	for got := 0; got < 70; {
		m, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatalf("after %d of 70 frames: %v", got, err)
		}
		if m < 18 || binary.BigEndian.Uint16(buf[12:14]) != 0x88b5 {
			continue
		}
		if seq := binary.BigEndian.Uint32(buf[14:18]); seq != uint32(got) {
			t.Fatalf("frame %d: got sequence number %d", got, seq)
		}
		got++
	}
}

func TestDueBy(t *testing.T) {
	for _, tc := range []struct {
		elapsed time.Duration
		rate    int
		want    int
	}{
		{0, 1000, 1}, // frame 0 at once
		{999 * time.Microsecond, 1000, 1},
		{time.Millisecond, 1000, 2},
		{time.Second, 1000, 1001},
		{3*time.Second + 500*time.Millisecond, 1_000_000, 3_500_001},
		{time.Hour, 10_000_000, 36_000_000_001},
	} {
		if got := dueBy(tc.elapsed, tc.rate); got != tc.want {
			t.Errorf("dueBy(%v, %d) = %d, want %d", tc.elapsed, tc.rate, got, tc.want)
		}
	}
}

// recvDrops is the receiving socket's drop counter (reset by reading).
func recvDrops(fd int) uint32 {
	st, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0
	}
	return st.Drops
}
