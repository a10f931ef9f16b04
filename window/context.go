package window

import (
	"fmt"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
)

// Context gives each flow the company it keeps: what its source and its
// destination did in the window the flow ends in and the window before
// (see features' "context" family for the column definitions). Records
// must come in the order flows expire, one goroutine; the counts are of
// the flows that expired before this one, and this one, so they need no
// look into the future and classify can score a flow the moment it ends.
//
// Each window keeps four hash maps of 64-bit keys; a window is dropped
// once no flow can end in it any more (its end plus Hold is past the
// latest last-packet time), and a window past MaxKeys distinct keys counts
// no new keys (Saturated reports how many flows were counted partly), so a
// flood from millions of spoofed sources costs bounded memory.
type Context struct {
	width, hold int64
	maxKeys     int
	idx         contextIndex
	wins        map[int64]*ctxWindow
	newest      int64
	dropK       int64 // window of newest at the last drop
	started     bool
	saturated   uint64
	late        uint64
}

// DefaultMaxKeys bounds each window's distinct keys (about 40 bytes each).
const DefaultMaxKeys = 1 << 22

type contextIndex struct {
	answered                                 int // dst2src_packets
	srcFlows, srcIPs, srcPorts, srcDport     int
	srcDportAnswered, dstFlows, dstOtherSrcs int
}

type srcCount struct {
	flows uint32
	// own: distinct destination addresses and (protocol, port) pairs in
	// this window; union: in this window and the one before.
	ownIPs, ownPorts     uint32
	unionIPs, unionPorts uint32
}

type dstCount struct {
	flows            uint32
	ownSrcs, unionSr uint32
}

type ctxWindow struct {
	k int64
	// byDport counts flows (low 32 bits) and answered flows (high 32) per
	// (source, protocol, destination port); pairs is the set of (source,
	// destination) address pairs.
	byDport map[uint64]uint64
	pairs   map[uint64]struct{}
	src     map[uint64]srcCount
	dst     map[uint64]dstCount
}

// NewContext returns the context for schema's records, over windows of
// the schema's ContextWindowNS; nil (which ignores records) when the
// schema turns context off. hold is how long after a window's end flows
// may still end in it: the flow idle timeout (0: flow's default).
func NewContext(schema *features.Schema, hold int64, maxKeys int) (*Context, error) {
	width := schema.Config.ContextWindowNS
	if width <= 0 {
		return nil, nil
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if hold <= 0 {
		hold = int64(flow.DefaultIdleTimeout)
	}
	c := &Context{width: width, hold: hold, maxKeys: maxKeys, wins: map[int64]*ctxWindow{}}
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"dst2src_packets", &c.idx.answered},
		{"ctx_src_flows", &c.idx.srcFlows},
		{"ctx_src_dst_ips", &c.idx.srcIPs},
		{"ctx_src_dst_ports", &c.idx.srcPorts},
		{"ctx_src_dport_flows", &c.idx.srcDport},
		{"ctx_src_dport_answered", &c.idx.srcDportAnswered},
		{"ctx_dst_flows", &c.idx.dstFlows},
		{"ctx_dst_other_srcs", &c.idx.dstOtherSrcs},
	} {
		if *f.dst = schema.Index(f.name); *f.dst < 0 {
			return nil, fmt.Errorf("context needs feature %s, which the schema lacks", f.name)
		}
	}
	return c, nil
}

// Saturated is the number of flows counted while their window was full
// (some of their keys were not added), Late those that ended in a window
// already dropped (counted alone).
func (c *Context) Saturated() uint64 {
	if c == nil {
		return 0
	}
	return c.saturated
}

// Late: see Saturated.
func (c *Context) Late() uint64 {
	if c == nil {
		return 0
	}
	return c.late
}

// keys of one flow.
type ctxKeys struct {
	k                   int64
	src, dst, pair, dpt uint64
	hasPort             bool
}

func (c *Context) keysOf(r *features.Record) ctxKeys {
	src, dst := addrHash(r.Src.As16()), addrHash(r.Dst.As16())
	var port uint16
	hasPort := r.Proto == 6 || r.Proto == 17
	if hasPort {
		port = r.DstPort
	}
	return ctxKeys{
		k:   floorDiv(r.Last, c.width),
		src: src, dst: dst,
		pair:    pairHash(src, dst),
		dpt:     pairHash(src, hash2(uint64(r.Proto), uint64(port))),
		hasPort: hasPort,
	}
}

// Attach counts the expired flow r and writes its context columns.
func (c *Context) Attach(r *features.Record) {
	if c == nil {
		return
	}
	k := c.keysOf(r)
	if c.started && c.gone(k.k) {
		// Its window was dropped: a flow that ended long before the
		// latest one (only time running backwards does this).
		c.late++
		c.write(r, k, nil, nil, 1)
		return
	}
	if !c.started || r.Last > c.newest {
		c.newest, c.started = r.Last, true
	}
	w := c.window(k.k)
	c.add(w, k, r.Values[c.idx.answered] > 0)
	c.write(r, k, w, c.wins[k.k-1], 0)
	if kn := floorDiv(c.newest, c.width); kn != c.dropK {
		c.dropK = kn
		c.drop()
	}
}

// gone reports whether window k may have been dropped: flows end in it at
// most hold after its end, and the window after it reads it until the
// same holds for that one; one more width is margin for the flow table's
// sweep granularity.
func (c *Context) gone(k int64) bool { return (k+3)*c.width+c.hold <= c.newest }

// Peek writes the context columns of a flow still active (for periodic
// re-scoring) without counting it: the counts of the flows that ended.
func (c *Context) Peek(r *features.Record) {
	if c == nil {
		return
	}
	k := c.keysOf(r)
	c.write(r, k, c.wins[k.k], c.wins[k.k-1], 1)
}

// Reset forgets every window, as for a new recording.
func (c *Context) Reset() {
	if c == nil {
		return
	}
	clear(c.wins)
	c.started = false
}

func (c *Context) window(k int64) *ctxWindow {
	if w := c.wins[k]; w != nil {
		return w
	}
	w := &ctxWindow{k: k, byDport: map[uint64]uint64{}, pairs: map[uint64]struct{}{},
		src: map[uint64]srcCount{}, dst: map[uint64]dstCount{}}
	// The union counts of a new window start from the window before it.
	if prev := c.wins[k-1]; prev != nil {
		for key, s := range prev.src {
			if s.ownIPs > 0 || s.ownPorts > 0 {
				w.src[key] = srcCount{unionIPs: s.ownIPs, unionPorts: s.ownPorts}
			}
		}
		for key, d := range prev.dst {
			if d.ownSrcs > 0 {
				w.dst[key] = dstCount{unionSr: d.ownSrcs}
			}
		}
	}
	c.wins[k] = w
	return w
}

func (w *ctxWindow) size() int { return len(w.byDport) + len(w.pairs) + len(w.src) + len(w.dst) }

// add counts a flow in window w; a key new to w is new to w's union count
// unless the window before had it, and new to the next window's union
// count (when a late flow arrives after that window opened) unless that
// window has it.
func (c *Context) add(w *ctxWindow, k ctxKeys, answered bool) {
	prev, next := c.wins[w.k-1], c.wins[w.k+1]
	full := w.size() >= c.maxKeys
	if full {
		c.saturated++
	}
	s, sok := w.src[k.src]
	d, dok := w.dst[k.dst]
	if !full || sok {
		s.flows++
	}
	if !full || dok {
		d.flows++
	}
	if v, ok := w.byDport[k.dpt]; ok || !full {
		v++
		if answered {
			v += 1 << 32
		}
		w.byDport[k.dpt] = v
		if !ok && k.hasPort {
			s.ownPorts++
			if !has(prev, k.dpt, true) {
				s.unionPorts++
			}
			if next != nil && !has(next, k.dpt, true) {
				ns := next.src[k.src]
				ns.unionPorts++
				next.src[k.src] = ns
			}
		}
	}
	if _, ok := w.pairs[k.pair]; !ok && !full {
		w.pairs[k.pair] = struct{}{}
		s.ownIPs++
		d.ownSrcs++
		if !has(prev, k.pair, false) {
			s.unionIPs++
			d.unionSr++
		}
		if next != nil && !has(next, k.pair, false) {
			ns, nd := next.src[k.src], next.dst[k.dst]
			ns.unionIPs++
			nd.unionSr++
			next.src[k.src], next.dst[k.dst] = ns, nd
		}
	}
	if !full || sok {
		w.src[k.src] = s
	}
	if !full || dok {
		w.dst[k.dst] = d
	}
}

func has(w *ctxWindow, key uint64, dport bool) bool {
	if w == nil {
		return false
	}
	if dport {
		_, ok := w.byDport[key]
		return ok
	}
	_, ok := w.pairs[key]
	return ok
}

// write fills r's context columns from window w and the one before;
// self is 1 for a flow not counted in them (Peek, late), so that the
// columns still include the flow itself.
func (c *Context) write(r *features.Record, k ctxKeys, w, prev *ctxWindow, self uint32) {
	var s srcCount
	var d dstCount
	var dp uint64
	if w != nil {
		s, d, dp = w.src[k.src], w.dst[k.dst], w.byDport[k.dpt]
	} else if prev != nil {
		// A window not opened yet: its unions would start from the window
		// before (see window).
		ps, pd := prev.src[k.src], prev.dst[k.dst]
		s.unionIPs, s.unionPorts, d.unionSr = ps.ownIPs, ps.ownPorts, pd.ownSrcs
	}
	flows, dflows := s.flows, d.flows
	if prev != nil {
		flows += prev.src[k.src].flows
		dflows += prev.dst[k.dst].flows
		dp += prev.byDport[k.dpt]
	}
	ips, ports, srcs := s.unionIPs, s.unionPorts, d.unionSr
	if self == 1 {
		answered := uint64(0)
		if r.Values[c.idx.answered] > 0 {
			answered = 1 << 32
		}
		flows++
		dflows++
		dp += 1 + answered
		// A flow not counted adds its own pair and port if they are new.
		if !has(w, k.pair, false) && !has(prev, k.pair, false) {
			ips++
			srcs++
		}
		if k.hasPort && !has(w, k.dpt, true) && !has(prev, k.dpt, true) {
			ports++
		}
	}
	v := r.Values
	v[c.idx.srcFlows] = float64(flows)
	v[c.idx.srcIPs] = float64(ips)
	v[c.idx.srcPorts] = float64(ports)
	v[c.idx.srcDport] = float64(uint32(dp))
	v[c.idx.srcDportAnswered] = float64(dp >> 32)
	v[c.idx.dstFlows] = float64(dflows)
	v[c.idx.dstOtherSrcs] = float64(max(srcs, 1) - 1)
}

// drop forgets windows no flow can end in any more.
func (c *Context) drop() {
	for k := range c.wins {
		if c.gone(k) {
			delete(c.wins, k)
		}
	}
}
