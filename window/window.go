package window

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
)

// State is a TCP flow's state at its end (see the package doc).
type State uint8

// TCP states, in the order of the CSV columns.
const (
	StateNew State = iota
	StateConnecting
	StateEstablished
	StateClosing
	StateClosed
	StateReset
	StateOther
	NumStates
)

var stateNames = [NumStates]string{"new", "connecting", "established", "closing", "closed", "reset", "other"}

func (s State) String() string {
	if s < NumStates {
		return stateNames[s]
	}
	return "unknown"
}

// Grouping names a group-size statistic (see the package doc).
type Grouping uint8

// Groupings, in the order of the CSV columns.
const (
	FlowsPerConv Grouping = iota
	DstPortsPerConv
	DstPortsPerSrc
	DstIPsPerSrc
	SrcIPsPerDst
	SrcIPsPerDport
	NumGroupings
)

var groupingNames = [NumGroupings]string{"flows_per_conv", "dst_ports_per_conv", "dst_ports_per_src", "dst_ips_per_src", "src_ips_per_dst", "src_ips_per_dport"}

func (g Grouping) String() string {
	if g < NumGroupings {
		return groupingNames[g]
	}
	return "unknown"
}

// Stats is one window's row.
type Stats struct {
	Start, End         time.Time // [Start, End), UTC
	Flows, Packets     uint64
	BytesUp, BytesDown uint64
	SrcIPs, DstIPs     uint64
	SrcPorts, DstPorts uint64
	Conversations      uint64
	TCP                [NumStates]uint64
	Groups             [NumGroupings]GroupStats
	// Exact is set when no figure came from a sketch or a sample.
	Exact bool
	// LateFlows counts flows that arrived after their own window had been
	// written; they are in no row.
	LateFlows uint64
}

// Options tune an Aggregator; zero fields take the defaults.
type Options struct {
	// Hold keeps a window open until a record whose last packet is this
	// far past the window's end arrives (see the package doc).
	Hold time.Duration
	// ExactLimit is the distinct values a counter holds exactly.
	ExactLimit int
	// GroupBudget bounds the exact entries of each grouping per window.
	GroupBudget int
}

// Aggregator turns flow records into window rows. It is not safe for
// concurrent use. A nil *Aggregator ignores records, so callers can leave
// windows off without checks.
type Aggregator struct {
	width, hold int64
	opt         Options
	emit        func(*Stats)
	idx         fieldIndex
	open        []*state // ascending window index
	next        int64    // lowest window index not yet written
	started     bool
	late        uint64
	scratch     []float64
	row         Stats
}

type fieldIndex struct {
	packets, up, down              int
	synFwd, synBwd, hs             int
	finFwd, finBwd, rstFwd, rstBwd int
}

type state struct {
	k                              int64
	flows, packets, up, down       uint64
	srcIPs, dstIPs, sports, dports distinct
	convs                          distinct
	tcp                            [NumStates]uint64
	groups                         [NumGroupings]grouping
}

// New returns an aggregator over windows of width, reading the features it
// needs from records laid out by schema, that calls emit with each window
// in order. The *Stats passed to emit is reused after it returns.
func New(width time.Duration, schema *features.Schema, opt Options, emit func(*Stats)) (*Aggregator, error) {
	if width <= 0 {
		return nil, fmt.Errorf("window width %v: must be positive", width)
	}
	if opt.Hold < 0 {
		return nil, fmt.Errorf("window hold %v: must not be negative", opt.Hold)
	}
	if opt.ExactLimit <= 0 {
		opt.ExactLimit = DefaultExactLimit
	}
	if opt.GroupBudget <= 0 {
		opt.GroupBudget = DefaultGroupBudget
	}
	a := &Aggregator{width: int64(width), hold: int64(opt.Hold), opt: opt, emit: emit}
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"bidirectional_packets", &a.idx.packets},
		{"src2dst_bytes", &a.idx.up},
		{"dst2src_bytes", &a.idx.down},
		{"src2dst_syn_packets", &a.idx.synFwd},
		{"dst2src_syn_packets", &a.idx.synBwd},
		{"tcp_handshake_seen", &a.idx.hs},
		{"src2dst_fin_packets", &a.idx.finFwd},
		{"dst2src_fin_packets", &a.idx.finBwd},
		{"src2dst_rst_packets", &a.idx.rstFwd},
		{"dst2src_rst_packets", &a.idx.rstBwd},
	} {
		if *f.dst = schema.Index(f.name); *f.dst < 0 {
			return nil, fmt.Errorf("window statistics need feature %s, which the schema lacks", f.name)
		}
	}
	return a, nil
}

// floorDiv divides rounding towards minus infinity, so times before 1970
// still fall in the right window.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Add counts one expired flow.
func (a *Aggregator) Add(r *features.Record) {
	if a == nil {
		return
	}
	k := floorDiv(r.Last, a.width)
	if a.started && k < a.next {
		a.late++
		return
	}
	s := a.window(k)
	a.count(s, r)
	// Write every window that ended at least Hold before this flow did.
	n := 0
	for n < len(a.open) && (a.open[n].k+1)*a.width+a.hold <= r.Last {
		n++
	}
	if n > 0 {
		a.write(n)
	}
}

// Flush writes every open window, ending a run: later records start
// afresh, as for a new capture.
func (a *Aggregator) Flush() {
	if a == nil {
		return
	}
	a.write(len(a.open))
	a.started = false
}

func (a *Aggregator) window(k int64) *state {
	i, found := slices.BinarySearchFunc(a.open, k, func(s *state, k int64) int {
		switch {
		case s.k < k:
			return -1
		case s.k > k:
			return 1
		}
		return 0
	})
	if found {
		return a.open[i]
	}
	s := &state{k: k}
	for g := range s.groups {
		s.groups[g] = newGrouping(Grouping(g) == FlowsPerConv, a.opt.GroupBudget, a.opt.ExactLimit)
	}
	a.open = slices.Insert(a.open, i, s)
	return s
}

func addrHash(ip [16]byte) uint64 {
	return hash2(binary.BigEndian.Uint64(ip[:8]), binary.BigEndian.Uint64(ip[8:]))
}

// pairHash keys a group by two addresses, or an address and a port.
func pairHash(a, b uint64) uint64 { return mix(a ^ mix(b+0x632be59bd9b4e019)) }

func portHash(p uint16) uint64 { return hash2(0x706f7274, uint64(p)) }

func (a *Aggregator) count(s *state, r *features.Record) {
	v := r.Values
	lim := a.opt.ExactLimit
	s.flows++
	s.packets += uint64(v[a.idx.packets])
	s.up += uint64(v[a.idx.up])
	s.down += uint64(v[a.idx.down])
	src, dst := addrHash(r.Src.As16()), addrHash(r.Dst.As16())
	conv := pairHash(src, dst)
	s.srcIPs.add(src, lim)
	s.dstIPs.add(dst, lim)
	s.convs.add(conv, lim)
	s.groups[FlowsPerConv].add(conv, 0)
	s.groups[DstIPsPerSrc].add(src, dst)
	s.groups[SrcIPsPerDst].add(dst, src)
	if r.Proto == 6 || r.Proto == 17 {
		sp, dp := portHash(r.SrcPort), portHash(r.DstPort)
		s.sports.add(sp, lim)
		s.dports.add(dp, lim)
		s.groups[DstPortsPerConv].add(conv, dp)
		s.groups[DstPortsPerSrc].add(src, dp)
		s.groups[SrcIPsPerDport].add(pairHash(dp, 0), src)
	}
	if r.Proto == 6 {
		s.tcp[a.tcpState(r)]++
	}
}

// TCPState classifies a TCP flow record by the rules of the package doc.
func (a *Aggregator) TCPState(r *features.Record) State { return a.tcpState(r) }

func (a *Aggregator) tcpState(r *features.Record) State {
	v, x := r.Values, &a.idx
	finF, finB := v[x.finFwd] > 0, v[x.finBwd] > 0
	switch {
	case v[x.rstFwd]+v[x.rstBwd] > 0 || r.Expiration == flow.TCPRst:
		return StateReset
	case finF && finB || r.Expiration == flow.TCPFin:
		return StateClosed
	case finF || finB:
		return StateClosing
	case v[x.hs] > 0:
		return StateEstablished
	case v[x.synFwd] > 0 && v[x.synBwd] > 0:
		return StateConnecting
	case v[x.synFwd] > 0:
		return StateNew
	}
	return StateOther
}

// write emits the first n open windows and drops them.
func (a *Aggregator) write(n int) {
	for _, s := range a.open[:n] {
		a.fill(s)
		a.emit(&a.row)
		a.next = s.k + 1
		a.started = true
	}
	clear(a.open[:n])
	a.open = slices.Delete(a.open, 0, n)
}

func (a *Aggregator) fill(s *state) {
	row := &a.row
	*row = Stats{
		Start: time.Unix(0, s.k*a.width).UTC(), End: time.Unix(0, (s.k+1)*a.width).UTC(),
		Flows: s.flows, Packets: s.packets, BytesUp: s.up, BytesDown: s.down,
		TCP: s.tcp, Exact: true, LateFlows: a.late,
	}
	a.late = 0
	cnt := func(d *distinct) uint64 {
		n, exact := d.count()
		row.Exact = row.Exact && exact
		return uint64(math.Round(n))
	}
	row.SrcIPs, row.DstIPs = cnt(&s.srcIPs), cnt(&s.dstIPs)
	row.SrcPorts, row.DstPorts = cnt(&s.sports), cnt(&s.dports)
	row.Conversations = cnt(&s.convs)
	for g := range s.groups {
		row.Groups[g], a.scratch = s.groups[g].stats(a.scratch)
		row.Exact = row.Exact && row.Groups[g].Exact && row.Groups[g].SampleRate == 1
	}
}
