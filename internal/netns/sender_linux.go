//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// Sender writes raw Ethernet frames into one veth end through an AF_PACKET
// socket. The frames go out exactly as given (no checksums or headers are
// touched) and arrive on the other end as received packets.
type Sender struct {
	fd    int
	iface string
	sent  uint64
}

// Sender opens a sender on Peer, inside the namespace, so its frames arrive
// on Host.
func (p *Pair) Sender() (*Sender, error) {
	var s *Sender
	err := p.Do(func() error {
		var err error
		s, err = NewSender(p.Peer)
		return err
	})
	return s, err
}

// Send writes pkts into Peer at rate packets per second (see Sender.Send)
// with a sender opened for this call only.
func (p *Pair) Send(pkts [][]byte, rate int) error {
	s, err := p.Sender()
	if err != nil {
		return err
	}
	err = s.Send(pkts, rate)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// NewSender opens a sender on iface in the calling thread's namespace.
func NewSender(iface string) (*Sender, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("sender on %s: %w", iface, err)
	}
	// Protocol 0: the socket only transmits, so nothing queues up on its
	// receive side while it lives.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sender on %s: packet socket: %w", iface, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sender on %s: bind: %w", iface, err)
	}
	// veth has no queue; skipping the qdisc layer is only a shortcut, so a
	// kernel without it is fine.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	return &Sender{fd: fd, iface: iface}, nil
}

// Send writes every frame in order. With rate > 0 it paces them to rate
// packets per second measured from the first frame: frames that are due go
// out back to back and the sender sleeps until the next one is due, so the
// average rate is exact and bursts last at most one scheduler tick. With
// rate <= 0 it sends as fast as the kernel takes them.
func (s *Sender) Send(pkts [][]byte, rate int) error {
	start := time.Now()
	for i, pkt := range pkts {
		if rate > 0 {
			due := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(rate)))
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
		}
		for {
			_, err := unix.Write(s.fd, pkt)
			if err == nil {
				break
			}
			// ENOBUFS means the device queue is full for a moment; back
			// off instead of losing the frame.
			if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				time.Sleep(50 * time.Microsecond)
				continue
			}
			return fmt.Errorf("send frame %d (%d bytes) on %s: %w", i, len(pkt), s.iface, err)
		}
		s.sent++
	}
	return nil
}

// Sent is the number of frames written so far.
func (s *Sender) Sent() uint64 { return s.sent }

// Close releases the socket.
func (s *Sender) Close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}
