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
	// The previous packet's size and inter-arrival time, for the deltas
	// of packets past the kept prefix.
	lastSize, lastPIAT int64
	flags              [8]uint32 // FIN SYN RST PSH ACK URG ECE CWR
	initWin            int32     // -1 until the first TCP packet
	bulk               bulkAcc
	// Transport (L4) header bytes alone, and their per-packet minimum,
	// as CICFlowMeter's Fwd Header Length and Fwd Seg Size Min count them.
	l4Header    uint64
	minL4Header int32 // -1 until the first packet
}

// tailStats holds online moments of the packets past a flow's kept prefix
// (Config.MaxSamples). The prefix's moments are computed exactly from the
// kept packets when the flow is summarised, so short flows, nearly all of
// them, pay no per-packet moment updates and carry no moment state.
type tailStats struct {
	dir [2]struct {
		size, piat, sizeDelta, piatDelta, pay moments
	}
	biPIAT moments
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
	maxKeep  int
	proto    uint8
	icmpType int16
	icmpCode int16

	activeStart, activeEnd int64
	active, idle           moments
	subflows               uint32
	sfLast                 int64

	synTS, synAckTS, hsAckTS int64

	app appState
}

func (a *Accumulator) reset(p *decode.Packet, samples []sample, maxKeep int) {
	*a = Accumulator{samples: samples[:0], maxKeep: maxKeep, proto: p.Proto,
		firstTS: p.Timestamp, lastTS: p.Timestamp, icmpType: -1, icmpCode: -1,
		activeStart: p.Timestamp, activeEnd: p.Timestamp, subflows: 1, sfLast: p.Timestamp}
	a.dir[0].initWin, a.dir[1].initWin = -1, -1
	a.dir[0].minL4Header, a.dir[1].minL4Header = -1, -1
	if p.Proto == 1 || p.Proto == 58 {
		a.icmpType, a.icmpCode = int16(p.ICMPType), int16(p.ICMPCode)
	}
}

// add folds one packet in. activity is the active/idle threshold (ns);
// l4 is the packet's transport header length in bytes.
func (a *Accumulator) add(p *decode.Packet, dir flow.Dir, activity int64, l4 int) {
	ts := p.Timestamp
	d := &a.dir[dir]
	size := int64(p.WireLen)
	first := d.packets == 0

	// Inside the kept prefix the packet is recorded and its moments wait
	// for the summary; past it, they are updated online.
	if len(a.samples) < a.maxKeep {
		a.samples = append(a.samples, newSample(ts-a.firstTS, p.WireLen, p.PayloadLen, dir))
	} else {
		a.addTail(d, dir, ts, size, int64(p.PayloadLen), first)
	}
	if !first {
		piat := max(ts-d.last, 0)
		d.lastPIAT = piat
	}
	d.lastSize = size

	// Active/idle periods, subflows.
	if gap := ts - a.activeEnd; gap > activity {
		if a.activeEnd-a.activeStart > 0 {
			a.active.add(float64(a.activeEnd - a.activeStart))
		}
		a.idle.add(float64(gap))
		a.activeStart, a.activeEnd = ts, ts
	} else if ts > a.activeEnd {
		a.activeEnd = ts
	}
	if ts-a.sfLast > subflowGap {
		a.subflows++
	}
	a.sfLast = ts

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
	if p.PayloadLen > 0 {
		a.bulk(dir, ts, uint64(p.PayloadLen))
	}
}

// addTail updates the online moments with a packet past the kept prefix;
// d still holds the state before this packet. The series are those calc
// rebuilds from the kept packets, continued.
func (a *Accumulator) addTail(d *dirAcc, dir flow.Dir, ts, size, pay int64, first bool) {
	if a.tail == nil {
		a.tail = new(tailStats)
	}
	t := &a.tail.dir[dir]
	a.tail.biPIAT.add(float64(max(ts-a.lastTS, 0)))
	t.size.add(float64(size))
	t.pay.add(float64(pay))
	if first {
		return
	}
	piat := max(ts-d.last, 0)
	t.piat.add(float64(piat))
	t.sizeDelta.add(float64(size - d.lastSize))
	if d.packets >= 2 {
		t.piatDelta.add(float64(piat - d.lastPIAT))
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

func (a *Accumulator) bulk(dir flow.Dir, ts int64, size uint64) {
	b := &a.dir[dir].bulk
	other := &a.dir[1-dir].bulk
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

// finishActive closes the last active period at the flow's end.
func (a *Accumulator) finishActive() (active, idle moments) {
	active, idle = a.active, a.idle
	if a.activeEnd-a.activeStart > 0 {
		active.add(float64(a.activeEnd - a.activeStart))
	}
	return active, idle
}
