//go:build linux

package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// packetSocket opens an AF_PACKET socket that receives nothing until bound,
// so no packet slips in before the filter is attached.
func packetSocket(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for an AF_PACKET socket; skipping the live-socket test")
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EAFNOSUPPORT) {
		t.Skipf("AF_PACKET socket not allowed here (%v); skipping", err)
	}
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func attach(fd int, raw []bpf.RawInstruction) error {
	prog := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}

// The kernel's own checker must accept every program we produce, including
// ones with widened long jumps.
func TestKernelAcceptsPrograms(t *testing.T) {
	fd := packetSocket(t)
	vals := map[string]string{"v4": "10.1.2.3", "v4dst": "10.3.2.1", "v6": "2001:db8::5", "port": "8080"}
	exprs := append([]string{}, tcpdumpExprs...)
	var hosts []string
	for i := 0; i < 60; i++ {
		hosts = append(hosts, fmt.Sprintf("host 10.1.0.%d", i))
	}
	exprs = append(exprs, strings.Join(hosts, " or ")+" and tcp")
	for _, tmpl := range exprs {
		expr, _ := fill(tmpl, vals)
		for _, lt := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL} {
			f, err := New(expr, lt)
			if err != nil {
				continue // vlan on raw IP or SLL
			}
			raw, _ := f.Raw()
			if err := attach(fd, raw); err != nil {
				t.Errorf("kernel rejects %q for link type %d (%d instructions): %v", expr, lt, len(raw), err)
			}
		}
	}
}

// A program installed on a live socket on the loopback interface lets
// through exactly the traffic it names.
func TestLiveLoopbackSocket(t *testing.T) {
	fd := packetSocket(t)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no loopback interface: %v", err)
	}
	wanted, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer wanted.Close()
	other, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	wantPort := uint16(wanted.LocalAddr().(*net.UDPAddr).Port)

	// Loopback frames carry an all-zero Ethernet header.
	f, err := New(fmt.Sprintf("udp dst port %d and host 127.0.0.1", wantPort), layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := f.Raw()
	if err := attach(fd, raw); err != nil {
		t.Fatalf("attach: %v", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		t.Fatalf("bind to lo: %v", err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 300000}); err != nil {
		t.Fatal(err)
	}

	sender, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	const sent = 5
	for i := 0; i < sent; i++ {
		if _, err := sender.WriteTo([]byte("wanted"), wanted.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if _, err := sender.WriteTo([]byte("unwanted"), other.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}

	buf := make([]byte, 65536)
	got := 0
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			break
		}
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		frame := buf[:n]
		// Check each frame by hand: IPv4, UDP, our destination port.
		if n < 14+20+8 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 || frame[23] != 17 {
			t.Fatalf("kernel passed a non-UDP frame: % x", frame[:min(n, 48)])
		}
		ihl := int(frame[14]&0x0f) * 4
		if dst := binary.BigEndian.Uint16(frame[14+ihl+2:]); dst != wantPort {
			t.Fatalf("kernel passed UDP to port %d, filter wants %d", dst, wantPort)
		}
		if !f.Match(frame, n) {
			t.Fatalf("offline Match rejects a frame the kernel accepted")
		}
		got++
	}
	// Loopback may show each datagram twice (outgoing and incoming).
	if got < sent {
		t.Errorf("received %d frames, want at least %d", got, sent)
	}
	t.Logf("kernel filter passed %d frames for port %d", got, wantPort)
}
