//go:build linux

package netns

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// MTU is set on both veth ends: the largest veth accepts, so frames replayed
// from captures taken with offloads on (packets above 1500 bytes) still fit.
const MTU = 65535

// Pair is a network namespace NS holding the veth end Peer, whose other end
// Host stays in the test process's namespace. Frames written into Peer arrive
// on Host as received traffic, which is what a live capture on Host sees.
type Pair struct {
	NS   string // namespace name, as `ip netns` knows it
	Host string // veth end in the test's namespace
	Peer string // veth end inside NS

	HostAddr netip.Prefix // IPv4 address on Host (10.200.x.y/30)
	PeerAddr netip.Prefix // IPv4 address on Peer, same /30
	HostMAC  net.HardwareAddr
	PeerMAC  net.HardwareAddr

	// OffloadsOff says whether ethtool turned checksum/segmentation offloads
	// off on both ends; when false, kernel-built TCP/UDP packets may carry
	// partial checksums or be larger than the MTU.
	OffloadsOff bool
}

// NewPair creates a namespace and veth pair with unique names, brings both
// ends up with IPv6 disabled (so the kernel sends no neighbour discovery or
// MLD noise into captures), and deletes everything when the test ends. It
// skips the test when not root, when `ip` is missing, or when the kernel or
// container refuses to create a namespace.
func NewPair(tb testing.TB) *Pair {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skipf("netns: needs root to create network namespaces and veth pairs (running as uid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Skip("netns: the ip command (iproute2) is not installed")
	}

	sweepStale(tb)

	var rnd [3]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		tb.Fatalf("netns: random name: %v", err)
	}
	suffix := hex.EncodeToString(rnd[:])
	// Interface names are limited to 15 bytes; "fca"+6 hex fits.
	p := &Pair{
		NS:   fmt.Sprintf("fc-%d-%s", os.Getpid(), suffix),
		Host: "fca" + suffix,
		Peer: "fcb" + suffix,
	}
	// A /30 in 10.200.0.0/16 picked from the random suffix keeps parallel
	// pairs from sharing a prefix in the test's routing table.
	third, fourth := rnd[0], rnd[1]&0xfc
	p.HostAddr = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, third, fourth + 1}), 30)
	p.PeerAddr = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, third, fourth + 2}), 30)

	if out, err := run("ip", "netns", "add", p.NS); err != nil {
		tb.Skipf("netns: cannot create a network namespace here: %v: %s", err, out)
	}
	tb.Cleanup(func() { p.destroy(tb) })

	steps := [][]string{
		{"ip", "link", "add", p.Host, "type", "veth", "peer", "name", p.Peer, "netns", p.NS},
		{"ip", "link", "set", p.Host, "mtu", fmt.Sprint(MTU)},
		{"ip", "-n", p.NS, "link", "set", p.Peer, "mtu", fmt.Sprint(MTU)},
		{"ip", "addr", "add", p.HostAddr.String(), "dev", p.Host},
		{"ip", "-n", p.NS, "addr", "add", p.PeerAddr.String(), "dev", p.Peer},
	}
	for _, s := range steps {
		if out, err := run(s[0], s[1:]...); err != nil {
			tb.Fatalf("netns: %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	// Must happen before the links come up, or DAD and router
	// solicitations are already on their way.
	if err := os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", p.Host, "disable_ipv6"), []byte("1"), 0); err != nil {
		tb.Logf("netns: cannot disable IPv6 on %s (captures may see ND traffic): %v", p.Host, err)
	}
	if err := p.Do(func() error {
		return os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", p.Peer, "disable_ipv6"), []byte("1"), 0)
	}); err != nil {
		tb.Logf("netns: cannot disable IPv6 on %s: %v", p.Peer, err)
	}
	p.OffloadsOff = p.disableOffloads(tb)
	for _, s := range [][]string{
		{"ip", "link", "set", p.Host, "up"},
		{"ip", "-n", p.NS, "link", "set", p.Peer, "up"},
		{"ip", "-n", p.NS, "link", "set", "lo", "up"},
	} {
		if out, err := run(s[0], s[1:]...); err != nil {
			tb.Fatalf("netns: %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}

	host, err := net.InterfaceByName(p.Host)
	if err != nil {
		tb.Fatalf("netns: %v", err)
	}
	p.HostMAC = host.HardwareAddr
	if err := p.Do(func() error {
		peer, err := net.InterfaceByName(p.Peer)
		if err != nil {
			return err
		}
		p.PeerMAC = peer.HardwareAddr
		return nil
	}); err != nil {
		tb.Fatalf("netns: %v", err)
	}
	return p
}

// disableOffloads turns off what would make kernel-built packets differ from
// what is on a real wire. Raw frames from a Sender are unaffected either way.
func (p *Pair) disableOffloads(tb testing.TB) bool {
	if _, err := exec.LookPath("ethtool"); err != nil {
		tb.Logf("netns: ethtool not installed, offloads stay on for %s/%s", p.Host, p.Peer)
		return false
	}
	feats := []string{"rx", "off", "tx", "off", "tso", "off", "gso", "off", "gro", "off"}
	ok := true
	if out, err := run("ethtool", append([]string{"-K", p.Host}, feats...)...); err != nil {
		tb.Logf("netns: ethtool -K %s: %v: %s", p.Host, err, out)
		ok = false
	}
	if out, err := run("ip", append([]string{"netns", "exec", p.NS, "ethtool", "-K", p.Peer}, feats...)...); err != nil {
		tb.Logf("netns: ethtool -K %s in %s: %v: %s", p.Peer, p.NS, err, out)
		ok = false
	}
	return ok
}

func (p *Pair) destroy(tb testing.TB) {
	// Deleting one veth end deletes both, synchronously; deleting only the
	// namespace would leave that to an asynchronous kernel worker.
	if out, err := run("ip", "link", "del", p.Host); err != nil && !bytes.Contains(out, []byte("Cannot find device")) {
		tb.Errorf("netns: ip link del %s: %v: %s", p.Host, err, out)
	}
	if out, err := run("ip", "netns", "del", p.NS); err != nil {
		tb.Errorf("netns: ip netns del %s: %v: %s", p.NS, err, out)
	}
}

// sweepStale deletes pairs left by test processes that died without running
// their cleanups (killed, or timed out). It only touches names this package
// makes, fc-<pid>-<hex>, whose pid no longer runs.
func sweepStale(tb testing.TB) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		var pid int
		var suffix string
		if n, _ := fmt.Sscanf(strings.ReplaceAll(e.Name(), "-", " "), "fc %d %s", &pid, &suffix); n != 2 || len(suffix) != 6 {
			continue
		}
		if _, err := hex.DecodeString(suffix); err != nil || unix.Kill(pid, 0) != unix.ESRCH {
			continue
		}
		run("ip", "link", "del", "fca"+suffix) // gone already if the namespace went first
		if out, err := run("ip", "netns", "del", e.Name()); err != nil {
			tb.Logf("netns: removing stale namespace %s: %v: %s", e.Name(), err, out)
		} else {
			tb.Logf("netns: removed stale namespace %s left by a dead test process", e.Name())
		}
	}
}

// Command returns a command that runs name inside the namespace.
func (p *Pair) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", p.NS, name}, args...)...)
}

// DelHost deletes the veth pair now (both ends), for tests of an interface
// vanishing under a capture. Cleanup tolerates it being gone.
func (p *Pair) DelHost() error {
	if out, err := run("ip", "link", "del", p.Host); err != nil {
		return fmt.Errorf("ip link del %s: %w: %s", p.Host, err, out)
	}
	return nil
}

// SetHostUp brings the Host end up or down.
func (p *Pair) SetHostUp(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	if out, err := run("ip", "link", "set", p.Host, state); err != nil {
		return fmt.Errorf("ip link set %s %s: %w: %s", p.Host, state, err, out)
	}
	return nil
}

// Do runs fn on an OS thread switched into the namespace. Sockets fn creates
// stay in the namespace after Do returns, which is how a Sender writes into
// Peer from the test process.
func (p *Pair) Do(fn func() error) error {
	errc := make(chan error, 1)
	// A fresh goroutine whose thread is thrown away if switching back fails,
	// so no other goroutine can ever run in the wrong namespace.
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own netns: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open(filepath.Join("/run/netns", p.NS), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open netns %s: %w", p.NS, err)
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter netns %s: %w", p.NS, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: the runtime kills it when this
			// goroutine exits.
			errc <- fmt.Errorf("leave netns %s: %w", p.NS, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func run(name string, args ...string) ([]byte, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return bytes.TrimSpace(out), err
}
