package features

import (
	"github.com/flowclass/flowclass/appmeta"
	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/flow"
)

// Counters account for every packet the extractor was given:
// Read = InFlows + sum(Skipped).
type Counters struct {
	Read    uint64
	InFlows uint64
	Skipped [decode.NumReasons]uint64
	// SnapCut counts packets whose capture was shorter than the wire
	// length; they are in flows with their wire length.
	SnapCut uint64
	// Backwards counts packets whose time was earlier than an earlier
	// packet's; they join flows with zero inter-arrival gaps.
	Backwards uint64
	Flows     flow.Stats
}

// SkippedTotal is the number of packets that joined no flow.
func (c *Counters) SkippedTotal() uint64 {
	var n uint64
	for _, v := range c.Skipped {
		n += v
	}
	return n
}

// Add folds another shard's or file's counters in.
func (c *Counters) Add(o Counters) {
	c.Read += o.Read
	c.InFlows += o.InFlows
	for i := range c.Skipped {
		c.Skipped[i] += o.Skipped[i]
	}
	c.SnapCut += o.SnapCut
	c.Backwards += o.Backwards
	c.Flows.Created += o.Flows.Created
	for i := range c.Flows.Expired {
		c.Flows.Expired[i] += o.Flows.Expired[i]
	}
	c.Flows.Active += o.Flows.Active
}

// EmitFunc receives each expired flow's record. The record is reused after
// the call returns; a receiver that keeps the values may take r.Values and
// r.Meta for itself by putting other slices of the same lengths in their
// place (every value is written afresh for each flow).
type EmitFunc func(r *Record)

// Extractor is the flow meter: it decodes packets, keeps them in a flow
// table and turns each expiring flow into a Record. One per goroutine.
type Extractor struct {
	schema *Schema
	dec    *decode.Decoder
	table  *flow.Table
	accs   [][]Accumulator // chunks of accChunk, indexed by flow slot
	pool   samplePool
	apps   appmeta.Pool // parser details of ended flows
	emit   EmitFunc
	rec    Record
	calc   calc
	pkt    decode.Packet
	source string
	last   int64
	cnt    Counters
	// lastSlot is the slot of the flow the latest packet joined, -1 if none.
	lastSlot int32
}

// NewExtractor returns a meter for schema whose expired flows go to emit.
// Flow IDs start at firstID and step by idStep (for sharding).
func NewExtractor(schema *Schema, fc flow.Config, emit EmitFunc, firstID, idStep uint64) *Extractor {
	e := &Extractor{schema: schema, dec: decode.NewDecoder(), emit: emit}
	e.calc.act = schema.Config.ActivityTimeoutNS
	e.pool.max = schema.Config.MaxSamples
	e.rec.Values = make([]float64, len(schema.Features))
	e.rec.Meta = make([]string, len(schema.Meta))
	e.table = flow.NewTable(fc, e.expired, firstID, idStep)
	return e
}

// Packet feeds one captured packet.
func (e *Extractor) Packet(r *capture.Record) {
	e.source = r.Source
	e.PacketAt(r.Data, r.Length, r.Timestamp.UnixNano(), r)
}

// PacketAt is Packet for callers that already hold the fields apart.
func (e *Extractor) PacketAt(data []byte, wireLen int, ts int64, r *capture.Record) {
	e.cnt.Read++
	e.lastSlot = -1
	p := &e.pkt
	if reason := e.dec.Decode(data, wireLen, ts, r.LinkType, p); reason != decode.OK {
		e.cnt.Skipped[reason]++
		return
	}
	e.cnt.InFlows++
	if p.CapLen < p.WireLen {
		e.cnt.SnapCut++
	}
	if ts < e.last {
		e.cnt.Backwards++
	} else {
		e.last = ts
	}
	slot, dir, created := e.table.Add(p)
	for int(slot) >= len(e.accs)*accChunk {
		e.accs = append(e.accs, make([]Accumulator, accChunk))
	}
	a := e.acc(slot)
	if created {
		a.reset(p, e.pool.get())
		a.app.init(p, dir == flow.Forward)
	}
	if len(a.samples) == cap(a.samples) && len(a.samples) < e.pool.max {
		a.samples = e.pool.grow(a.samples)
	}
	a.add(p, dir, e.pool.max, e.calc.act, p.L4HeaderLen)
	a.app.observe(&e.apps, int(dir), p)
	e.lastSlot = slot
}

// accChunk is the accumulators allocated at a time. Chunks never move:
// one growing slice would copy every accumulator (with pointer write
// barriers) each time a flood doubled the table.
const accChunk = 1024

func (e *Extractor) acc(slot int32) *Accumulator {
	return &e.accs[slot/accChunk][slot%accChunk]
}

// LastFlow returns the slot of the flow the latest packet joined and its
// packet count so far, for re-scoring a flow every N packets; ok is false
// when the latest packet joined no flow.
func (e *Extractor) LastFlow() (slot int32, packets uint64, ok bool) {
	if e.lastSlot < 0 {
		return 0, 0, false
	}
	a := e.acc(e.lastSlot)
	return e.lastSlot, a.dir[0].packets + a.dir[1].packets, true
}

// SnapshotFlow computes the record of one active flow without expiring it.
// The record is reused by the next call; as with EmitFunc, the caller may
// take its Values and Meta slices by giving it fresh ones of the same
// lengths.
func (e *Extractor) SnapshotFlow(slot int32) *Record {
	e.fill(slot, e.table.Flow(slot), flow.Active, e.table.Now())
	return &e.rec
}

// Advance moves the meter's clock to packet time now (ns), expiring flows
// whose timeouts passed; live capture and shard ticks call it when no
// packets arrive.
func (e *Extractor) Advance(now int64) { e.table.Advance(now) }

// Flush expires every active flow with reason (end of input, shutdown) at
// the latest packet time seen.
func (e *Extractor) Flush(reason flow.Reason) { e.table.Flush(reason, e.table.Now()) }

// FlushAt is Flush at a given packet time, for shards that must agree on
// one end time.
func (e *Extractor) FlushAt(reason flow.Reason, at int64) { e.table.Flush(reason, at) }

// Now is the latest packet time seen, ns.
func (e *Extractor) Now() int64 { return e.table.Now() }

// Counters returns the packet and flow accounting so far.
func (e *Extractor) Counters() Counters {
	c := e.cnt
	c.Flows = e.table.Stats()
	return c
}

// Schema is the column set this extractor fills.
func (e *Extractor) Schema() *Schema { return e.schema }

// Snapshot computes the record of an active flow without expiring it, for
// periodic re-scoring of long flows.
func (e *Extractor) Snapshot(fn func(r *Record)) {
	e.table.Each(func(slot int32, f *flow.Flow) {
		e.fill(slot, f, flow.Active, e.table.Now())
		fn(&e.rec)
	})
}

// ActiveFlows lists the active flows (slot, stable id, first packet time,
// packets so far) without computing their features, so a caller can choose
// which to snapshot with SnapshotFlow.
func (e *Extractor) ActiveFlows(fn func(slot int32, id uint64, first int64, packets uint64)) {
	e.table.Each(func(slot int32, f *flow.Flow) {
		a := e.acc(slot)
		fn(slot, f.StableID(), f.First, a.dir[0].packets+a.dir[1].packets)
	})
}

func (e *Extractor) expired(slot int32, f *flow.Flow, reason flow.Reason, at int64) {
	e.fill(slot, f, reason, at)
	if e.emit != nil {
		e.emit(&e.rec)
	}
	a := e.acc(slot)
	e.pool.put(a.samples)
	a.samples = nil
	a.app.s.Release(&e.apps)
}

func (e *Extractor) fill(slot int32, f *flow.Flow, reason flow.Reason, at int64) {
	a := e.acc(slot)
	r := &e.rec
	src, sport := f.Src()
	dst, dport := f.Dst()
	r.FlowID = f.StableID()
	r.Expired = at
	r.Src = flow.Addr(src, f.Key.IPVersion)
	r.Dst = flow.Addr(dst, f.Key.IPVersion)
	r.SrcPort, r.DstPort = sport, dport
	r.Proto, r.IPVersion, r.VLAN = f.Key.Proto, f.Key.IPVersion, f.Key.VLAN
	r.First, r.Last = a.firstTS, a.lastTS
	r.Expiration = reason
	r.Source = e.source
	e.calc.prepare(r, a)
	fs := e.schema.Features
	for i := 0; i < len(fs); {
		if f := &fs[i]; f.block != nil {
			f.block(&e.calc, r.Values[i:i+f.blockLen])
			i += f.blockLen
			continue
		}
		r.Values[i] = clean(fs[i].value(&e.calc))
		i++
	}
}

// clean keeps NaN and Inf out of the output whatever a definition missed.
func clean(v float64) float64 {
	if v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
		return 0
	}
	return v
}

// samplePool recycles per-flow sample buffers by power-of-two capacity, so
// steady-state extraction allocates nothing per packet or per flow.
type samplePool struct {
	max  int
	free [24][][]sample
}

// minSampleCap is a new flow's sample buffer. Most flows of a flood hold
// one packet: 4 samples (64 B) cost nothing measurable in time against 8
// and save 64 B per flow; 2 saved 32 B more but cost 1% in BenchmarkExtract.
const minSampleCap = 4

func classOf(c int) int {
	k := 0
	for n := minSampleCap; n < c; n <<= 1 {
		k++
	}
	return k
}

func (p *samplePool) get() []sample { return p.take(0) }

func (p *samplePool) take(class int) []sample {
	if l := p.free[class]; len(l) > 0 {
		s := l[len(l)-1]
		p.free[class] = l[:len(l)-1]
		return s[:0]
	}
	return make([]sample, 0, minSampleCap<<class)
}

func (p *samplePool) grow(s []sample) []sample {
	n := p.take(classOf(cap(s)) + 1)
	n = append(n, s...)
	p.put(s)
	return n
}

func (p *samplePool) put(s []sample) {
	if cap(s) < minSampleCap {
		return
	}
	k := classOf(cap(s))
	if k < len(p.free) && cap(s) == minSampleCap<<k && len(p.free[k])*cap(s) < poolSamplesPerClass {
		p.free[k] = append(p.free[k], s[:0])
	}
}

// poolSamplesPerClass bounds the samples each size class keeps for reuse
// (16 bytes each: 4 MiB a class). Flows end and begin at about the same
// rate, so a short free list serves them; without a bound, the end of a
// million-flow flood, or its expiry by the idle timeout, would keep every
// buffer (and a list of them) alive until the process exits, and the
// collector could not reclaim them while the rest of the flush goes on.
const poolSamplesPerClass = 1 << 18

// FlowID is the stable id of the active flow in slot.
func (e *Extractor) FlowID(slot int32) uint64 { return e.table.Flow(slot).StableID() }
