package capture

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// pollTimeout bounds how long a blocked Next takes to notice Close.
const pollTimeout = 100 * time.Millisecond

// preFilterMargin widens the window in which packets are re-filtered in user
// space (see Live.filterFrom), covering a packet the kernel was delivering on
// another CPU while the filter was attached.
const preFilterMargin = 10 * time.Millisecond

// Live captures from one Linux interface through an AF_PACKET socket with a
// TPACKET_V3 memory-mapped ring: packets are read in place from memory the
// kernel shares, so Record.Data aliases the ring until the next Next.
//
// Next and Close may be called from different goroutines: Close makes a
// blocked Next return io.EOF within about 100 ms. Stop ends a capture
// without losing what the ring already holds: Next delivers it, then
// returns io.EOF; to stop on a context, use context.AfterFunc(ctx,
// live.Stop) and Close after Next returned io.EOF. Stats may be called from
// any goroutine.
type Live struct {
	iface   string
	ifindex int
	link    layers.LinkType
	snapLen int

	closing  atomic.Bool
	stopping atomic.Bool
	stopAt   time.Time     // guarded by mu: when Next first saw stopping
	blockTO  time.Duration // the ring's block timeout: a partly filled block shows up after it
	mu       sync.Mutex    // held by Next and Close: the ring must not be unmapped under a reader
	tp       *afpacket.TPacket
	closed   bool  // guarded by mu
	err      error // guarded by mu; first fatal read error, returned again after

	// A filter attached after the socket is bound misses packets that were
	// already in the ring; those carry a timestamp up to filterFrom (unix
	// ns) and are filtered again here, by vm, or discarded when the program
	// cannot run in user space.
	filterFrom int64
	vm         *bpf.VM

	packets   atomic.Uint64
	discarded atomic.Uint64

	statsMu   sync.Mutex // guards the socket while reading its counters, and below
	tpOpen    bool
	drops     uint64
	lastDrops uint32 // afpacket's own running total, which wraps at 2^32
}

var _ Source = (*Live)(nil)
var _ StatsReporter = (*Live)(nil)

// OpenLive starts capturing on iface. The interface must exist and be up.
func OpenLive(iface string, opts LiveOptions) (*Live, error) {
	if iface == "" {
		return nil, errors.New("live capture: no interface given")
	}
	o, err := normalise(opts)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", iface, err)
	}
	info, err := lookupInterface(iface)
	if err != nil {
		return nil, err
	}
	l := &Live{iface: iface, ifindex: info.index, link: info.link, snapLen: o.SnapLen, blockTO: o.BlockTimeout}

	l.tp, err = afpacket.NewTPacket(
		afpacket.OptInterface(iface),
		afpacket.TPacketVersion3,
		afpacket.OptBlockSize(o.BlockSize),
		afpacket.OptNumBlocks(o.NumBlocks),
		afpacket.OptBlockTimeout(o.BlockTimeout),
		afpacket.OptPollTimeout(pollTimeout),
		// The kernel strips 802.1Q tags on receive and reports them beside
		// the packet; put them back so Data is what was on the wire.
		afpacket.OptAddVLANHeader(true),
	)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, &ifaceError{iface: iface, msg: ErrNeedCapNetRaw.Error() + " (" + err.Error() + ")", errs: []error{ErrNeedCapNetRaw, err}}
		}
		return nil, fmt.Errorf("interface %s: open capture ring (%d blocks of %d bytes): %w", iface, o.NumBlocks, o.BlockSize, err)
	}
	l.tpOpen = true

	if err := l.configure(o, info.loopback); err != nil {
		l.tp.Close()
		return nil, fmt.Errorf("interface %s: %w", iface, err)
	}
	return l, nil
}

func (l *Live) configure(o LiveOptions, loopback bool) error {
	prog := o.BPF
	if loopback {
		// Loopback shows every packet twice, leaving and arriving; keep
		// the arriving copy, as tcpdump does.
		var err error
		if prog, err = dropOutgoing(prog); err != nil {
			return err
		}
	}
	if len(prog) > 0 {
		if err := l.tp.SetBPF(prog); err != nil {
			return fmt.Errorf("attach BPF filter (%d instructions): %w", len(prog), err)
		}
	}
	if len(o.BPF) > 0 {
		if insts, ok := bpf.Disassemble(o.BPF); ok {
			// A program the VM refuses leaves vm nil; the kernel accepted
			// it above, so it is valid, only not runnable here.
			l.vm, _ = bpf.NewVM(insts)
		}
		l.filterFrom = time.Now().Add(preFilterMargin).UnixNano()
	}
	if o.Promiscuous {
		if err := l.tp.SetPromiscuous(true); err != nil {
			return fmt.Errorf("promiscuous mode: %w", err)
		}
	}
	if o.FanoutGroup != 0 {
		if err := l.tp.SetFanout(afpacket.FanoutHash|afpacket.FanoutHashWithDefrag, uint16(o.FanoutGroup)); err != nil {
			return fmt.Errorf("join fanout group %d: %w", o.FanoutGroup, err)
		}
	}
	return nil
}

// dropOutgoing prefixes prog with a test that rejects packets the host sends
// (skb->pkt_type == PACKET_OUTGOING) and then clears A, so prog starts in the
// state it expects. Classic BPF jumps are relative, so prog is unaffected.
// The few loopback packets that enter the ring before the filter is attached
// may still show up twice.
func dropOutgoing(prog []bpf.RawInstruction) ([]bpf.RawInstruction, error) {
	pre := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.PACKET_OUTGOING, SkipTrue: 1},
		bpf.RetConstant{Val: 0},
		bpf.LoadConstant{Dst: bpf.RegA, Val: 0},
	}
	if len(prog) == 0 {
		pre = append(pre, bpf.RetConstant{Val: ^uint32(0)})
	}
	raw, err := bpf.Assemble(pre)
	if err != nil {
		return nil, fmt.Errorf("assemble loopback filter: %w", err)
	}
	return append(raw, prog...), nil
}

func normalise(o LiveOptions) (LiveOptions, error) {
	if o.SnapLen == 0 {
		o.SnapLen = DefaultSnapLen
	}
	if o.SnapLen < MinSnapLen {
		o.SnapLen = MinSnapLen
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.NumBlocks == 0 {
		o.NumBlocks = DefaultNumBlocks
	}
	if o.BlockTimeout == 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	page := unix.Getpagesize()
	switch {
	case o.BlockSize < 0 || o.BlockSize%page != 0:
		return o, fmt.Errorf("ring block size %d must be a positive multiple of the page size %d", o.BlockSize, page)
	// The kernel silently cuts packets to what fits in one block after
	// its headers; refuse a ring that would cut below the snap length.
	case o.BlockSize < o.SnapLen+256:
		return o, fmt.Errorf("ring block size %d is too small for snap length %d (need at least %d)", o.BlockSize, o.SnapLen, o.SnapLen+256)
	case o.NumBlocks < 1:
		return o, fmt.Errorf("ring block count %d must be at least 1", o.NumBlocks)
	case o.BlockTimeout < time.Millisecond:
		return o, fmt.Errorf("ring block timeout %v must be at least 1ms", o.BlockTimeout)
	case o.FanoutGroup < 0 || o.FanoutGroup > 0xffff:
		return o, fmt.Errorf("fanout group %d must be 0 (none) to 65535", o.FanoutGroup)
	}
	return o, nil
}

type ifaceInfo struct {
	index    int
	link     layers.LinkType
	loopback bool
}

// lookupInterface asks the kernel about iface with the same ioctls tcpdump
// uses, which also tell its hardware type and so the link type of captured
// packets. None needs privileges.
func lookupInterface(iface string) (ifaceInfo, error) {
	var info ifaceInfo
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return info, fmt.Errorf("interface %s: %w", iface, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(iface)
	if err != nil { // name longer than the kernel allows
		return info, &ifaceError{iface: iface, msg: ErrNoSuchInterface.Error(), errs: []error{ErrNoSuchInterface}}
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return info, &ifaceError{iface: iface, msg: ErrNoSuchInterface.Error(), errs: []error{ErrNoSuchInterface}}
		}
		return info, fmt.Errorf("interface %s: index: %w", iface, err)
	}
	info.index = int(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return info, fmt.Errorf("interface %s: flags: %w", iface, err)
	}
	if ifr.Uint16()&unix.IFF_UP == 0 {
		return info, &ifaceError{iface: iface, msg: fmt.Sprintf("is down (bring it up with `ip link set %s up`)", iface), errs: []error{ErrInterfaceDown}}
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return info, fmt.Errorf("interface %s: hardware type: %w", iface, err)
	}
	// sa_family of the hardware address is the ARPHRD_* type.
	switch hw := ifr.Uint16(); hw {
	case unix.ARPHRD_ETHER:
		info.link = layers.LinkTypeEthernet
	case unix.ARPHRD_LOOPBACK:
		// Linux gives loopback packets an all-zero Ethernet header.
		info.link, info.loopback = layers.LinkTypeEthernet, true
	case unix.ARPHRD_NONE:
		// tun, WireGuard: packets start with the IP header.
		info.link = layers.LinkTypeRaw
	default:
		return info, fmt.Errorf("interface %s: link type ARPHRD %d is not supported for live capture (Ethernet, loopback and IP tunnels are)", iface, hw)
	}
	return info, nil
}

// Next delivers the next packet. Data aliases the kernel ring and is valid
// until the following Next or Close. After Close it returns io.EOF; if the
// interface goes down or is removed it returns an error wrapping
// ErrInterfaceDown, and the same error from then on.
func (l *Live) Next(r *Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.closing.Load() {
		return io.EOF
	}
	if l.err != nil {
		return l.err
	}
	for {
		if l.stopping.Load() {
			if l.stopAt.IsZero() {
				l.stopAt = time.Now()
			} else if time.Since(l.stopAt) > maxDrain {
				return io.EOF // traffic keeps the ring full: stop anyway
			}
		}
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				// Stopping ends once the ring ran empty, and no partly
				// filled block can still be waiting for its timeout.
				if l.closing.Load() || l.stopping.Load() && time.Since(l.stopAt) > l.blockTO {
					return io.EOF
				}
				continue
			}
			l.err = l.readError(err)
			return l.err
		}
		if l.filterFrom != 0 && ci.Timestamp.UnixNano() <= l.filterFrom && !l.preFilter(data) {
			continue
		}
		if len(data) > l.snapLen {
			data = data[:l.snapLen]
		}
		r.Data = data
		r.Timestamp = ci.Timestamp
		r.Length = ci.Length
		r.LinkType = l.link
		r.Source = l.iface
		l.packets.Add(1)
		return nil
	}
}

// preFilter decides for a packet that may have entered the ring before the
// kernel filter was attached.
func (l *Live) preFilter(data []byte) bool {
	if l.vm == nil {
		// A program using kernel extensions (such as the loopback prefix)
		// cannot run here: losing a packet of the first milliseconds is
		// better than passing one the filter would reject.
		l.discarded.Add(1)
		return false
	}
	// The kernel filters a VLAN packet without its tag, which Data has put
	// back; a program that reads beyond the MAC addresses can judge such a
	// packet differently here, in this first-milliseconds window only.
	keep, err := l.vm.Run(data)
	return err == nil && keep > 0
}

// readError turns a failed poll into what happened to the interface: the
// kernel flags the socket with ENETDOWN when its interface goes down or is
// unregistered, and afpacket reports that as ErrPoll.
func (l *Live) readError(err error) error {
	if !errors.Is(err, afpacket.ErrPoll) {
		return fmt.Errorf("interface %s: read: %w", l.iface, err)
	}
	info, lerr := lookupInterface(l.iface)
	if errors.Is(lerr, ErrInterfaceDown) {
		// Deleting an interface first takes it down, which is when poll
		// wakes; look again once the deletion has likely completed so the
		// message says which of the two happened.
		time.Sleep(50 * time.Millisecond)
		info, lerr = lookupInterface(l.iface)
	}
	switch {
	case errors.Is(lerr, ErrNoSuchInterface) || (lerr == nil && info.index != l.ifindex):
		return &ifaceError{iface: l.iface, msg: "was removed during capture", errs: []error{ErrInterfaceDown, err}}
	case errors.Is(lerr, ErrInterfaceDown):
		return &ifaceError{iface: l.iface, msg: "went down during capture", errs: []error{ErrInterfaceDown, err}}
	}
	return fmt.Errorf("interface %s: capture socket reported an error: %w", l.iface, err)
}

// maxDrain bounds how long Stop lets Next drain the ring.
const maxDrain = time.Second

// Stop ends the capture after what the ring holds: Next goes on delivering
// the frames already captured and returns io.EOF once the ring runs empty
// (or after maxDrain, if traffic keeps it full). Call Close afterwards.
func (l *Live) Stop() { l.stopping.Store(true) }

// Close stops the capture and releases the ring. It waits for a Next running
// in another goroutine to return, which takes at most about 100 ms.
func (l *Live) Close() error {
	l.closing.Store(true)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	l.readDrops()
	l.tp.Close()
	l.tpOpen = false
	return nil
}

// Stats reports packets delivered and packets the kernel dropped because
// the ring was full. It may be called at any time, also after Close.
func (l *Live) Stats() Stats {
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	if l.tpOpen {
		l.readDrops()
	}
	s := Stats{Packets: l.packets.Load(), KernelDrops: l.drops}
	if n := l.discarded.Load(); n > 0 {
		s.Warnings = map[string]uint64{"discarded: arrived before the BPF filter was attached": n}
	}
	return s
}

// readDrops folds the kernel's drop counter into l.drops. The kernel resets
// its counters on every read; afpacket sums them into a uint32, so only the
// difference since the last read is added here, which survives its wrap.
func (l *Live) readDrops() {
	_, v3, err := l.tp.SocketStats()
	if err != nil {
		return // keep the last known figure; the socket is going away
	}
	cur := uint32(v3.Drops())
	l.drops += uint64(cur - l.lastDrops)
	l.lastDrops = cur
}

// ifaceError is a one-line "interface NAME: what happened" error that
// matches the sentinel errors (and the underlying errno) with errors.Is.
type ifaceError struct {
	iface string
	msg   string
	errs  []error
}

func (e *ifaceError) Error() string   { return "interface " + e.iface + ": " + strings.TrimSpace(e.msg) }
func (e *ifaceError) Unwrap() []error { return e.errs }
