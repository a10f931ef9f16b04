package capture

import (
	"errors"
	"time"

	"golang.org/x/net/bpf"
)

// LiveOptions tunes a live capture. The zero value is a sensible default.
type LiveOptions struct {
	// SnapLen caps how many bytes of each packet are kept (Record.Length
	// still reports the full length). 0 means DefaultSnapLen; values below
	// MinSnapLen are raised to it.
	SnapLen int
	// Promiscuous also captures frames not addressed to the interface. The
	// kernel undoes it when the capture closes.
	Promiscuous bool
	// BPF is a classic BPF program run in the kernel on every packet; only
	// packets it accepts are captured. Empty means capture everything.
	BPF []bpf.RawInstruction
	// The kernel hands packets over in a ring of NumBlocks blocks of
	// BlockSize bytes each (0 means the defaults below). A block is passed
	// up when full or BlockTimeout after its first packet, so BlockTimeout
	// bounds the delivery latency at low rates. The ring must hold whatever
	// arrives while the reader is busy: a bigger ring means fewer drops.
	BlockSize    int
	NumBlocks    int
	BlockTimeout time.Duration
	// FanoutGroup, when non-zero, joins the kernel fanout group with that
	// id (1-65535), which splits the interface's packets between all
	// sockets in the group by flow hash, so both directions of a flow reach
	// the same reader. Fragments are reassembled for hashing.
	FanoutGroup int
}

// Live capture defaults.
const (
	// DefaultSnapLen keeps whole packets even when offloads make them
	// larger than any MTU (GRO/TSO produce up to 64 KiB, BIG TCP more).
	DefaultSnapLen = 262144
	// MinSnapLen is the least accepted: one full 64 KiB IP packet with its
	// link header.
	MinSnapLen       = 65535
	DefaultBlockSize = 1 << 20 // must also exceed the snap length
	// DefaultNumBlocks makes a 64 MiB ring: about 74,000 packets of 800
	// bytes, 0.3 s at 250k packets/s. A 256 MiB ring rode out the moments
	// a busy 2-core machine left the reader behind (zero drops at 250k/s
	// where 64 MiB dropped, scripts/live-bench.sh), but the kernel zeroes
	// it all when the capture opens, which took up to 0.4 s in a fresh
	// process here (against 0.08 s), and frames arriving meanwhile are lost
	// without being counted: afpacket binds the socket before it sets up
	// the ring. Raise NumBlocks where sustained rates matter more than
	// start-up time.
	DefaultNumBlocks    = 64
	DefaultBlockTimeout = 50 * time.Millisecond
)

// Errors from live capture; match them with errors.Is. Every error returned
// also names the interface.
var (
	// ErrNoSuchInterface: the named interface does not exist.
	ErrNoSuchInterface = errors.New("no such interface")
	// ErrNeedCapNetRaw: the process may not open packet sockets.
	ErrNeedCapNetRaw = errors.New("live capture needs the CAP_NET_RAW capability: run as root, " +
		"or grant it once with `sudo setcap cap_net_raw,cap_net_admin+ep $(which classify)`")
	// ErrInterfaceDown: the interface is down, or went down or was
	// removed while capturing.
	ErrInterfaceDown = errors.New("interface is down")
	// ErrLiveUnsupported: this build has no live capture (not Linux).
	ErrLiveUnsupported = errors.New("live capture needs Linux (AF_PACKET); on this system capture to a file with tcpdump or dumpcap and read that")
)
