package features

import (
	"net/netip"

	"github.com/flowclass/flowclass/appmeta"

	"github.com/flowclass/flowclass/flow"
)

// Record is one expired flow: identity, metadata and the numeric features
// in schema order. The extractor reuses it: copy what must outlive the
// callback.
type Record struct {
	FlowID           uint64
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto, IPVersion uint8
	VLAN             uint16
	First, Last      int64 // ns since the epoch
	Expiration       flow.Reason
	Expired          int64     // packet time at which the flow expired (or was snapshot), ns
	Meta             []string  // len(Schema.Meta)
	Values           []float64 // len(Schema.Features)
	Source           string    // where the packets came from (capture path or interface)
}

// calc holds what the feature functions read for one flow.
type calc struct {
	rec       *Record
	acc       *Accumulator
	dur       [3]float64 // ns
	size      [3]summary
	piat      [3]summary
	sizeDelta [3]summary // index 0 unused
	piatDelta [3]summary // index 0 unused
	pay       [3]moments // transport payload lengths; index 0 unused
	walk      walk       // bulk transfers and subflows
	active    moments
	idle      moments
	act       int64     // the activity timeout, ns
	noTail    tailStats // stays zero: the tail of a flow that has none
	app       appmeta.Meta
	appNums   []float64
	appStrs   []string

	// Scratch series and their summary, reused between flows.
	buf     [12][]int64 // integers: bytes and nanoseconds
	scratch []int64
	keptBuf keptSummary
}

func (c *calc) packets(d int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].packets + c.acc.dir[1].packets)
	}
	return float64(c.acc.dir[d-1].packets)
}

func (c *calc) bytes(d int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].bytes + c.acc.dir[1].bytes)
	}
	return float64(c.acc.dir[d-1].bytes)
}

func (c *calc) payload(d int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].payload + c.acc.dir[1].payload)
	}
	return float64(c.acc.dir[d-1].payload)
}

func (c *calc) header(d int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].header + c.acc.dir[1].header)
	}
	return float64(c.acc.dir[d-1].header)
}

func (c *calc) payloadPackets(d int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].payloadPackets + c.acc.dir[1].payloadPackets)
	}
	return float64(c.acc.dir[d-1].payloadPackets)
}

func (c *calc) flag(d, i int) float64 {
	if d == 0 {
		return float64(c.acc.dir[0].flags[i] + c.acc.dir[1].flags[i])
	}
	return float64(c.acc.dir[d-1].flags[i])
}

// splt returns field k (0 direction, 1 size, 2 inter-arrival ms) of early
// packet i, or -1 past the flow's end.
func (c *calc) splt(i, k int) float64 {
	s := c.acc.samples
	if i >= len(s) {
		return -1
	}
	switch k {
	case 0:
		return float64(s[i].dir())
	case 1:
		return float64(s[i].size)
	}
	if i == 0 {
		return 0
	}
	// Arrival gaps never go negative, as in the online statistics: time
	// that runs backwards in a capture counts as a zero gap.
	hi := s[0].t
	for j := 1; j < i; j++ {
		hi = max(hi, s[j].t)
	}
	return float64(max(s[i].t-hi, 0)) / 1e6
}

// prepare computes the per-flow summaries from the accumulator.
func (c *calc) prepare(rec *Record, a *Accumulator) {
	c.rec, c.acc = rec, a
	c.dur[0] = float64(a.lastTS - a.firstTS)
	for d := 0; d < 2; d++ {
		if a.dir[d].packets > 0 {
			c.dur[d+1] = float64(a.dir[d].last - a.dir[d].first)
		} else {
			c.dur[d+1] = 0
		}
	}
	k := c.kept(a)
	tail := a.tail
	if tail == nil {
		tail = &c.noTail
	}
	var size [3]moments
	for d := 1; d < 3; d++ {
		t := &tail.dir[d-1]
		size[d] = merge(k.m[d], t.size)
		c.size[d] = summaryOf(size[d], k.order[d])
		c.piat[d] = summaryOf(merge(k.m[3+d], t.piat), k.order[3+d])
		c.sizeDelta[d] = summaryOf(merge(k.m[5+d], t.sizeDelta), k.order[5+d])
		c.piatDelta[d] = summaryOf(merge(k.m[7+d], t.piatDelta), k.order[7+d])
		c.pay[d] = merge(k.m[9+d], t.pay)
	}
	c.size[0] = summaryOf(merge(size[1], size[2]), k.order[0])
	c.piat[0] = summaryOf(merge(k.m[3], tail.biPIAT), k.order[3])
	if a.tail != nil {
		c.walk = a.tail.walk
	} else {
		c.walk = a.replay(c.act)
	}
	c.active, c.idle = c.walk.finish()
	c.app = a.app.s.Result()
	c.appNums = c.app.AppendNumbers(c.appNums[:0])
	c.appStrs = c.app.AppendStrings(c.appStrs[:0])
	copy(rec.Meta, c.appStrs)
}

// keptSummary is what a flow's kept packets give: the moments of each
// series rebuilt from them and the order statistics of the first ten.
// Index as calc.buf: 0-2 sizes (both, fwd, bwd), 3-5 inter-arrivals, 6-7
// size deltas (fwd, bwd), 8-9 inter-arrival deltas, 10-11 payload
// lengths; m[0] is unused (the sizes of both directions merge theirs).
type keptSummary struct {
	m     [12]moments
	order [10]orderStats
}

// kept summarises the flow's kept packets. Once a flow has outgrown them
// they no longer change, so its summary is kept with its tail: a long
// flow re-scored every thousand packets for hours sorts its 20,000 kept
// packets once, not at every snapshot.
func (c *calc) kept(a *Accumulator) *keptSummary {
	if a.tail != nil && a.tail.kept != nil {
		return a.tail.kept
	}
	for i := range c.buf {
		c.buf[i] = c.buf[i][:0]
	}
	var lastT [2]int64
	var lastSize [2]int64
	var lastPIAT [2]int64
	var seen [2]int
	var hi int64
	for i, s := range a.samples {
		d := int(s.dir())
		size := int64(s.size)
		c.buf[1+d] = append(c.buf[1+d], size)
		c.buf[10+d] = append(c.buf[10+d], s.pay())
		if i > 0 {
			c.buf[3] = append(c.buf[3], max(s.t-hi, 0))
		}
		hi = max(hi, s.t)
		if seen[d] > 0 {
			piat := max(s.t-lastT[d], 0)
			c.buf[4+d] = append(c.buf[4+d], piat)
			c.buf[6+d] = append(c.buf[6+d], size-lastSize[d])
			if seen[d] > 1 {
				c.buf[8+d] = append(c.buf[8+d], piat-lastPIAT[d])
			}
			lastPIAT[d] = piat
			lastT[d] = max(lastT[d], s.t)
		} else {
			lastT[d] = s.t
		}
		lastSize[d] = size
		seen[d]++
	}
	k := &c.keptBuf
	for i := 1; i < 10; i++ {
		sortInts(c.buf[i], &c.scratch)
		k.m[i] = seriesMoments(c.buf[i])
	}
	k.m[10], k.m[11] = seriesMoments(c.buf[10]), seriesMoments(c.buf[11])
	// Both directions' sizes are now sorted: merge them rather than sort
	// the bidirectional series again.
	c.buf[0] = mergeSorted(c.buf[0][:0], c.buf[1], c.buf[2])
	for i := range k.order {
		k.order[i] = orderOf(c.buf[i])
	}
	if a.tail != nil {
		saved := *k
		a.tail.kept = &saved
	}
	return k
}

// mergeSorted appends the merge of sorted a and b to dst.
func mergeSorted(dst, a, b []int64) []int64 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			dst = append(dst, a[i])
			i++
		} else {
			dst = append(dst, b[j])
			j++
		}
	}
	dst = append(dst, a[i:]...)
	return append(dst, b[j:]...)
}
