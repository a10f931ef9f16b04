package flow

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/flowclass/flowclass/decode"
)

// Dir is a packet's direction within its flow.
type Dir uint8

const (
	// Forward (src2dst) is from the side that sent the flow's first packet,
	// or from the client when that packet was a TCP SYN-ACK.
	Forward Dir = iota
	Backward
)

// Reason is why a flow expired.
type Reason uint8

const (
	Active        Reason = iota // not expired
	IdleTimeout                 // no packet for the idle timeout
	ActiveTimeout               // lasted the active timeout
	TCPFin                      // FIN seen from both sides
	TCPRst                      // RST seen
	EndOfInput                  // the input ended
	Evicted                     // the table was full and it was the longest idle
	Shutdown                    // the program was stopped (live capture)
	numReasons
)

// NumReasons is the size of an array indexed by Reason.
const NumReasons = int(numReasons)

var reasonNames = [...]string{
	Active:        "active",
	IdleTimeout:   "idle_timeout",
	ActiveTimeout: "active_timeout",
	TCPFin:        "tcp_fin",
	TCPRst:        "tcp_rst",
	EndOfInput:    "end_of_input",
	Evicted:       "evicted",
	Shutdown:      "shutdown",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Flow is the table's record of one flow. Measurements live with the
// caller, in a slot-indexed array (see Table.Add).
type Flow struct {
	Key    Key
	tag    uint32 // Key's hash in the index; fills the padding before ID
	ID     uint64
	First  int64 // packet time of the first packet, ns
	Last   int64 // packet time of the latest packet, ns
	SrcIsA bool  // forward is A→B

	finFwd, finBwd bool
	closeReason    Reason // set once the TCP teardown is seen
	closedAt       int64
	inClosed       bool
	prev, next     int32
}

// Src and Dst return the forward direction's endpoints.
func (f *Flow) Src() ([16]byte, uint16) {
	if f.SrcIsA {
		return f.Key.A, f.Key.PortA
	}
	return f.Key.B, f.Key.PortB
}

func (f *Flow) Dst() ([16]byte, uint16) {
	if f.SrcIsA {
		return f.Key.B, f.Key.PortB
	}
	return f.Key.A, f.Key.PortA
}

// StableID identifies the flow by its key and first packet time: the same
// whichever shard or run meters it, so alerts raised while a flow is active
// and its final record agree. It fits in 63 bits for tools that read ids as
// signed integers.
func (f *Flow) StableID() uint64 {
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * 1099511628211 }
	for _, b := range f.Key.A {
		mix(b)
	}
	for _, b := range f.Key.B {
		mix(b)
	}
	for _, v := range [...]uint64{uint64(f.Key.PortA), uint64(f.Key.PortB), uint64(f.Key.Proto), uint64(f.Key.VLAN), uint64(f.Key.ICMP), uint64(f.First)} {
		for i := 0; i < 8; i++ {
			mix(byte(v >> (8 * i)))
		}
	}
	return h >> 1
}

// Config holds the table's limits. Zero values take the defaults.
type Config struct {
	IdleTimeout   time.Duration // default 120 s
	ActiveTimeout time.Duration // default 1800 s
	MaxFlows      int           // default 1,000,000
	// TeardownGrace keeps a torn-down TCP flow open this long so the last
	// ACK and retransmitted FINs count in it (default 1 s).
	TeardownGrace time.Duration
	// SweepInterval is how often, in packet time, expired flows are
	// collected (default 1 s).
	SweepInterval time.Duration
}

// Defaults for Config.
const (
	DefaultIdleTimeout   = 120 * time.Second
	DefaultActiveTimeout = 1800 * time.Second
	DefaultMaxFlows      = 1_000_000
)

func (c Config) withDefaults() Config {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ActiveTimeout == 0 {
		c.ActiveTimeout = DefaultActiveTimeout
	}
	if c.MaxFlows == 0 {
		c.MaxFlows = DefaultMaxFlows
	}
	if c.TeardownGrace == 0 {
		c.TeardownGrace = time.Second
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Second
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.IdleTimeout < 0:
		return fmt.Errorf("idle timeout %v is negative", c.IdleTimeout)
	case c.ActiveTimeout < 0:
		return fmt.Errorf("active timeout %v is negative", c.ActiveTimeout)
	case c.MaxFlows < 0:
		return fmt.Errorf("max flows %d is negative", c.MaxFlows)
	}
	return nil
}

// ExpireFunc receives each flow as it expires, before its slot is reused.
// at is the packet time of the expiry: the sweep boundary for timeouts,
// the packet's time for expiries a packet caused, the end time for flushes.
type ExpireFunc func(slot int32, f *Flow, reason Reason, at int64)

// Stats counts what the table did.
type Stats struct {
	Created uint64
	Expired [NumReasons]uint64
	Active  int
}

const nilSlot = -1

// list is an intrusive doubly linked list over the slab, oldest first.
type list struct{ head, tail int32 }

// Table holds the active flows. It is not safe for concurrent use: shard
// packets over several tables instead. Flows live in a slab of slots; an
// open-addressing index (index.go) finds a key's slot, cheaper per packet
// than a Go map and a seventh of its memory.
type Table struct {
	cfg    Config
	idle   int64
	active int64
	grace  int64
	sweep  int64

	index   index
	flows   []Flow
	free    []int32
	lru     list // open flows by last packet time
	closed  list // torn-down TCP flows by teardown time
	now     int64
	next    int64 // next sweep
	nextID  uint64
	idStep  uint64
	stats   Stats
	expired ExpireFunc
}

// NewTable returns an empty table that hands expired flows to fn.
// Flow IDs start at firstID and step by idStep, so several shards can
// number flows without clashing.
func NewTable(cfg Config, fn ExpireFunc, firstID, idStep uint64) *Table {
	cfg = cfg.withDefaults()
	if idStep == 0 {
		idStep = 1
	}
	return &Table{
		cfg:     cfg,
		idle:    int64(cfg.IdleTimeout),
		active:  int64(cfg.ActiveTimeout),
		grace:   int64(cfg.TeardownGrace),
		sweep:   int64(cfg.SweepInterval),
		index:   newIndex(min(cfg.MaxFlows, 1<<16)),
		lru:     list{nilSlot, nilSlot},
		closed:  list{nilSlot, nilSlot},
		nextID:  firstID,
		idStep:  idStep,
		expired: fn,
	}
}

// Flow returns the flow in slot.
func (t *Table) Flow(slot int32) *Flow { return &t.flows[slot] }

// Len is the number of active flows.
func (t *Table) Len() int { return t.index.n }

// Now is the latest packet time seen, ns.
func (t *Table) Now() int64 { return t.now }

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Active = t.index.n
	return s
}

// Add puts p in its flow, creating the flow if needed, and returns the
// flow's slot, p's direction in it and whether the flow is new. Flows that
// expire on the way (timeouts due by p's time, eviction, a new SYN after a
// teardown) are handed to the expire function first.
func (t *Table) Add(p *decode.Packet) (slot int32, dir Dir, created bool) {
	t.Advance(p.Timestamp)
	k, fromB := KeyOf(p)
	h := t.index.tag(&k)
	slot = t.index.find(t.flows, &k, h)
	ok := slot >= 0
	if ok {
		f := &t.flows[slot]
		if r := t.staleReason(f, p); r != Active {
			t.expire(slot, r, p.Timestamp)
			ok = false
		}
	}
	if !ok {
		slot = t.create(k, h, fromB, p)
		created = true
	}
	f := &t.flows[slot]
	if (!fromB) == f.SrcIsA {
		dir = Forward
	} else {
		dir = Backward
	}
	if p.Timestamp > f.Last {
		f.Last = p.Timestamp
	}
	if f.inClosed {
		return slot, dir, created
	}
	t.lru.remove(t.flows, slot)
	t.lru.pushBack(t.flows, slot)
	if p.Proto == 6 {
		t.tcpState(slot, f, p, dir)
	}
	return slot, dir, created
}

// staleReason says why p must not join flow f (its time is up, or p opens
// a new connection on a torn-down one), or Active when it may.
func (t *Table) staleReason(f *Flow, p *decode.Packet) Reason {
	ts := p.Timestamp
	switch {
	case f.inClosed && (ts-f.closedAt >= t.grace || p.TCPFlags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN):
		return f.closeReason
	case ts-f.Last >= t.idle:
		return IdleTimeout
	case ts-f.First >= t.active:
		return ActiveTimeout
	}
	return Active
}

func (t *Table) tcpState(slot int32, f *Flow, p *decode.Packet, dir Dir) {
	fl := p.TCPFlags
	if fl&(decode.FlagFIN|decode.FlagRST) == 0 {
		return
	}
	if fl&decode.FlagRST != 0 {
		f.closeReason = TCPRst
	} else {
		if dir == Forward {
			f.finFwd = true
		} else {
			f.finBwd = true
		}
		if !(f.finFwd && f.finBwd) {
			return
		}
		f.closeReason = TCPFin
	}
	f.closedAt = p.Timestamp
	t.lru.remove(t.flows, slot)
	t.closed.pushBack(t.flows, slot)
	f.inClosed = true
}

func (t *Table) create(k Key, h uint32, fromB bool, p *decode.Packet) int32 {
	if t.index.n >= t.cfg.MaxFlows {
		if t.closed.head != nilSlot {
			t.expire(t.closed.head, t.flows[t.closed.head].closeReason, p.Timestamp)
		} else {
			t.expire(t.lru.head, Evicted, p.Timestamp)
		}
	}
	var slot int32
	if n := len(t.free); n > 0 {
		slot = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if len(t.flows) == cap(t.flows) {
			t.grow()
		}
		t.flows = append(t.flows, Flow{})
		slot = int32(len(t.flows) - 1)
	}
	srcIsA := !fromB
	// A first packet that is a SYN-ACK comes from the server: turn the
	// flow round so src is the client.
	if p.Proto == 6 && p.TCPFlags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN|decode.FlagACK {
		srcIsA = !srcIsA
	}
	t.flows[slot] = Flow{Key: k, tag: h, ID: t.nextID, First: p.Timestamp, Last: p.Timestamp, SrcIsA: srcIsA,
		prev: nilSlot, next: nilSlot}
	t.nextID += t.idStep
	t.index.insert(h, slot)
	t.lru.pushBack(t.flows, slot)
	t.stats.Created++
	return slot
}

// grow doubles the flow array (up to the table's limit). append grows
// large slices by a quarter: under a flood that copied the array about
// four times its final size, into fresh pages each time, and the copies
// took a tenth of the run.
func (t *Table) grow() {
	n := max(2*cap(t.flows), 1024)
	if limit := t.cfg.MaxFlows + 1; n > limit {
		n = max(limit, len(t.flows)+1)
	}
	grown := make([]Flow, len(t.flows), n)
	copy(grown, t.flows)
	t.flows = grown
}

func (t *Table) expire(slot int32, reason Reason, at int64) {
	f := &t.flows[slot]
	if t.expired != nil {
		t.expired(slot, f, reason, at)
	}
	if f.inClosed {
		t.closed.remove(t.flows, slot)
	} else {
		t.lru.remove(t.flows, slot)
	}
	t.index.remove(f.tag, slot)
	t.stats.Expired[reason]++
	*f = Flow{prev: nilSlot, next: nilSlot}
	t.free = append(t.free, slot)
}

// Advance moves the table's clock to packet time now, sweeping at every
// sweep-interval boundary passed on the way. Boundaries are multiples of the
// interval, so tables that see different packets (shards) sweep at the same
// times and expire flows at the same times as one table would.
func (t *Table) Advance(now int64) {
	if now > t.now {
		t.now = now
	}
	if t.next == 0 {
		t.next = (t.now/t.sweep + 1) * t.sweep
		return
	}
	if t.now < t.next {
		return
	}
	// Sweep at each boundary where something is due; boundaries where
	// nothing can be due are skipped, so a capture that jumps years ahead
	// costs one step.
	for t.next <= t.now {
		due := t.earliestDue()
		if due > t.now {
			t.next = (t.now/t.sweep + 1) * t.sweep
			return
		}
		b := max(t.next, (due+t.sweep-1)/t.sweep*t.sweep)
		if b > t.now {
			t.next = b
			return
		}
		t.sweepAt(b)
		t.next = b + t.sweep
	}
}

// earliestDue is the first packet time at which a flow may expire by
// timeout or teardown grace; MaxInt64 for an empty table.
func (t *Table) earliestDue() int64 {
	due := int64(math.MaxInt64)
	if t.closed.head != nilSlot {
		due = t.flows[t.closed.head].closedAt + t.grace
	}
	if t.lru.head != nilSlot {
		due = min(due, t.flows[t.lru.head].Last+t.idle)
	}
	return due
}

// sweepAt expires every flow whose time is up at packet time now.
func (t *Table) sweepAt(now int64) {
	for t.closed.head != nilSlot {
		f := &t.flows[t.closed.head]
		if now-f.closedAt < t.grace {
			break
		}
		t.expire(t.closed.head, f.closeReason, now)
	}
	for t.lru.head != nilSlot {
		f := &t.flows[t.lru.head]
		if now-f.Last < t.idle {
			break
		}
		t.expire(t.lru.head, IdleTimeout, now)
	}
}

// Flush expires every flow with the given reason (end of input, shutdown)
// at packet time at.
//
// Flows go out in order of first packet time, then stable id: the order
// in which the sharded pipeline merges flows that end at one instant, so
// each shard can hand its flush over in pieces instead of all at once.
func (t *Table) Flush(reason Reason, at int64) {
	type entry struct {
		first int64
		id    uint64
		slot  int32
	}
	all := make([]entry, 0, t.Len())
	t.Each(func(slot int32, f *Flow) { all = append(all, entry{f.First, f.StableID(), slot}) })
	slices.SortFunc(all, func(a, b entry) int { return Order(a.first, a.id, b.first, b.id) })
	for _, e := range all {
		r := reason
		if f := &t.flows[e.slot]; f.inClosed {
			r = f.closeReason
		}
		t.expire(e.slot, r, at)
	}
}

// Order compares flows by first packet time, then by id: the order in which
// flows that end at one instant are handed out. (Not cmp.Or: built with the
// project's profile, its variadic slice escaped, one allocation per
// comparison.)
func Order(firstA int64, idA uint64, firstB int64, idB uint64) int {
	if c := cmp.Compare(firstA, firstB); c != 0 {
		return c
	}
	return cmp.Compare(idA, idB)
}

// Each calls fn for every active flow, oldest first.
func (t *Table) Each(fn func(slot int32, f *Flow)) {
	for s := t.lru.head; s != nilSlot; s = t.flows[s].next {
		fn(s, &t.flows[s])
	}
	for s := t.closed.head; s != nilSlot; s = t.flows[s].next {
		fn(s, &t.flows[s])
	}
}

func (l *list) pushBack(flows []Flow, s int32) {
	f := &flows[s]
	f.prev, f.next = l.tail, nilSlot
	if l.tail != nilSlot {
		flows[l.tail].next = s
	} else {
		l.head = s
	}
	l.tail = s
}

func (l *list) remove(flows []Flow, s int32) {
	f := &flows[s]
	if f.prev != nilSlot {
		flows[f.prev].next = f.next
	} else {
		l.head = f.next
	}
	if f.next != nilSlot {
		flows[f.next].prev = f.prev
	} else {
		l.tail = f.prev
	}
	f.prev, f.next = nilSlot, nilSlot
}
