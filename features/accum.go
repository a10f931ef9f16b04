package features

import (
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/flow"
)

// sample is one packet kept for order statistics, SPLT and the moments of
// the kept prefix: its time from the flow's start, its frame size, and its
// transport payload length with the direction in the top bit.
type sample struct {
	t    int64
	size uint32
	pd   uint32
}

const dirBit = 1 << 31

func newSample(t int64, size, pay int, dir flow.Dir) sample {
	s := sample{t: t, size: uint32(size), pd: uint32(min(pay, dirBit-1))}
	if dir == flow.Backward {
		s.pd |= dirBit
	}
	return s
}

func (s sample) dir() flow.Dir {
	if s.pd&dirBit != 0 {
		return flow.Backward
	}
	return flow.Forward
}

func (s sample) pay() int64 { return int64(s.pd &^ dirBit) }

// dirAcc accumulates one direction of a flow.
type dirAcc struct {
	packets, payloadPackets uint64
	bytes, payload, header  uint64
	first, last             int64
	flags                   [8]uint32 // FIN SYN RST PSH ACK URG ECE CWR
	initWin                 int32     // -1 until the first TCP packet
	// Transport (L4) header bytes alone, and their per-packet minimum,
	// as CICFlowMeter's Fwd Header Length and Fwd Seg Size Min count them.
	minL4Header int32 // -1 until the first packet
	l4Header    uint64
}

// tailStats is the state of a flow that outgrew its kept prefix
// (Config.MaxSamples): online moments of the packets past the prefix, and
// the walk over all its packets. The prefix's moments are computed exactly
// from the kept packets when the flow is summarised, and its walk is
// replayed from them, so short flows, nearly all of them, pay no
// per-packet moment or walk updates and carry neither.
type tailStats struct {
	dir [2]struct {
		size, piat, sizeDelta, piatDelta, pay moments
	}
	biPIAT moments
	walk   walk
	kept   *keptSummary // summary of the kept packets, from the flow's first snapshot or end on
}

// walk is the state only a pass over a flow's packets in arrival order
// gives: bulk transfers, active and idle periods, subflows, and each
// direction's previous packet for the deltas. Everything it reads is in
// a kept sample (time, direction, size, payload length), so for a flow
// within its prefix it is rebuilt when the flow is summarised rather
// than carried: 344 bytes less per flow, which a flood of one-packet
// flows holds a million times.
type walk struct {
	bulk                   [2]bulkAcc
	lastSize, lastPIAT     [2]int64
	activeStart, activeEnd int64
	active, idle           moments
	subflows               uint32
	sfLast                 int64
}

// bulkAcc follows CICFlowMeter's bulk definition: at least four
// consecutive payload packets in one direction, gaps under 1 s, with no
// payload packet from the other side in between.
type bulkAcc struct {
	startHelper, lastTS int64
	helperPackets       uint32
	helperBytes         uint64
	count, packets      uint64
	bytes               uint64
	duration            int64
}

const (
	bulkMinPackets = 4
	bulkGap        = int64(1e9)
	subflowGap     = int64(1e9)
)

// Accumulator is the running state of one flow. Its zero value is not
// ready: the extractor resets it for each new flow.
type Accumulator struct {
	dir      [2]dirAcc
	tail     *tailStats // nil until the flow outgrows its kept prefix
	firstTS  int64
	lastTS   int64
	samples  []sample
	proto    uint8
	icmpType int16
	icmpCode int16

	synTS, synAckTS, hsAckTS int64

	app appState
}

func (a *Accumulator) reset(p *decode.Packet, samples []sample) {
	*a = Accumulator{samples: samples[:0], proto: p.Proto,
		firstTS: p.Timestamp, lastTS: p.Timestamp, icmpType: -1, icmpCode: -1}
	a.dir[0].initWin, a.dir[1].initWin = -1, -1
	a.dir[0].minL4Header, a.dir[1].minL4Header = -1, -1
	if p.Proto == 1 || p.Proto == 58 {
		a.icmpType, a.icmpCode = int16(p.ICMPType), int16(p.ICMPCode)
	}
}

// add folds one packet in. keep is the kept prefix's length (packets);
// activity is the active/idle threshold (ns); l4 is the packet's
// transport header length in bytes.
func (a *Accumulator) add(p *decode.Packet, dir flow.Dir, keep int, activity int64, l4 int) {
	ts := p.Timestamp
	d := &a.dir[dir]
	first := d.packets == 0

	// Inside the kept prefix the packet is recorded and its moments and
	// walk wait for the summary; past it, they are updated online.
	if len(a.samples) < keep {
		a.samples = append(a.samples, newSample(ts-a.firstTS, p.WireLen, p.PayloadLen, dir))
	} else {
		if a.tail == nil {
			a.tail = &tailStats{walk: a.replay(activity)}
		}
		size, pay := int64(p.WireLen), int64(p.PayloadLen)
		a.addTail(d, dir, ts, size, pay, first)
		a.tail.walk.step(dir, ts, size, pay, d.last, first, activity)
	}

	// Per direction.
	d.packets++
	d.bytes += uint64(p.WireLen)
	d.payload += uint64(p.PayloadLen)
	d.header += uint64(p.HeaderLen())
	if p.PayloadLen > 0 {
		d.payloadPackets++
	}
	d.l4Header += uint64(l4)
	if d.minL4Header < 0 || int32(l4) < d.minL4Header {
		d.minL4Header = int32(l4)
	}
	if first {
		d.first = ts
	}
	if ts > d.last || first {
		d.last = ts
	}
	if ts > a.lastTS {
		a.lastTS = ts
	}

	if p.Proto == 6 {
		a.tcp(p, dir, d, first)
	}
}

// addTail updates the online moments with a packet past the kept prefix;
// d and the walk still hold the state before this packet. The series are
// those calc rebuilds from the kept packets, continued.
func (a *Accumulator) addTail(d *dirAcc, dir flow.Dir, ts, size, pay int64, first bool) {
	t := &a.tail.dir[dir]
	w := &a.tail.walk
	a.tail.biPIAT.add(float64(max(ts-a.lastTS, 0)))
	t.size.add(float64(size))
	t.pay.add(float64(pay))
	if first {
		return
	}
	piat := max(ts-d.last, 0)
	t.piat.add(float64(piat))
	t.sizeDelta.add(float64(size - w.lastSize[dir]))
	if d.packets >= 2 {
		t.piatDelta.add(float64(piat - w.lastPIAT[dir]))
	}
}

// replay walks the kept packets. For a flow that never outgrew them this
// is its whole walk; for one that did, the walk its tail continues.
func (a *Accumulator) replay(activity int64) walk {
	w := walk{activeStart: a.firstTS, activeEnd: a.firstTS, subflows: 1, sfLast: a.firstTS}
	var last [2]int64
	var seen [2]bool
	for _, s := range a.samples {
		d := s.dir()
		ts := a.firstTS + s.t
		w.step(d, ts, int64(s.size), s.pay(), last[d], !seen[d], activity)
		if ts > last[d] || !seen[d] {
			last[d] = ts
		}
		seen[d] = true
	}
	return w
}

// step moves the walk past one packet of direction dir at time ts;
// dirLast is the latest time seen before it in that direction, and first
// says it is the direction's first packet.
func (w *walk) step(dir flow.Dir, ts, size, pay, dirLast int64, first bool, activity int64) {
	if !first {
		w.lastPIAT[dir] = max(ts-dirLast, 0)
	}
	w.lastSize[dir] = size

	if gap := ts - w.activeEnd; gap > activity {
		if w.activeEnd-w.activeStart > 0 {
			w.active.add(float64(w.activeEnd - w.activeStart))
		}
		w.idle.add(float64(gap))
		w.activeStart, w.activeEnd = ts, ts
	} else if ts > w.activeEnd {
		w.activeEnd = ts
	}
	if ts-w.sfLast > subflowGap {
		w.subflows++
	}
	w.sfLast = ts

	if pay > 0 {
		w.bulkStep(dir, ts, uint64(pay))
	}
}

func (a *Accumulator) tcp(p *decode.Packet, dir flow.Dir, d *dirAcc, first bool) {
	fl := p.TCPFlags
	for i := 0; i < 8; i++ {
		if fl&(1<<i) != 0 {
			d.flags[i]++
		}
	}
	if first {
		d.initWin = int32(p.Window)
	}
	const syn, ack = decode.FlagSYN, decode.FlagACK
	switch {
	case fl&(syn|ack) == syn && dir == flow.Forward && a.synTS == 0:
		a.synTS = p.Timestamp
	case fl&(syn|ack) == syn|ack && dir == flow.Backward && a.synTS != 0 && a.synAckTS == 0:
		a.synAckTS = p.Timestamp
	case fl&(syn|ack) == ack && dir == flow.Forward && a.synAckTS != 0 && a.hsAckTS == 0:
		a.hsAckTS = p.Timestamp
	}
}

func (w *walk) bulkStep(dir flow.Dir, ts int64, size uint64) {
	b := &w.bulk[dir]
	other := &w.bulk[1-dir]
	if other.lastTS > b.startHelper {
		b.startHelper = 0
	}
	if b.startHelper == 0 || ts-b.lastTS > bulkGap {
		b.startHelper, b.lastTS = ts, ts
		b.helperPackets, b.helperBytes = 1, size
		return
	}
	b.helperPackets++
	b.helperBytes += size
	switch {
	case b.helperPackets == bulkMinPackets:
		b.count++
		b.packets += uint64(b.helperPackets)
		b.bytes += b.helperBytes
		b.duration += ts - b.startHelper
	case b.helperPackets > bulkMinPackets:
		b.packets++
		b.bytes += size
		b.duration += ts - b.lastTS
	}
	b.lastTS = ts
}

// finish closes the last active period at the flow's end.
func (w *walk) finish() (active, idle moments) {
	active, idle = w.active, w.idle
	if w.activeEnd-w.activeStart > 0 {
		active.add(float64(w.activeEnd - w.activeStart))
	}
	return active, idle
}
