package meter

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/decode"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket/layers"
)

// Scorer scores feature rows laid out in schema order, row-major. Each
// worker gets its own, so it need not be safe for concurrent use.
type Scorer interface {
	ScoreBatch(rows []float64, n int, out []float64) error
}

// EventKind tells flow ends from alerts on flows still active.
type EventKind uint8

const (
	// FlowEnd is a flow that expired, with its final score.
	FlowEnd EventKind = iota
	// ActiveAlert is a flow still active whose score crossed the
	// threshold when re-scored.
	ActiveAlert
	// activeCheck is a snapshot of an active flow due for re-scoring (its
	// packet count reached a multiple of RescorePackets); it becomes an
	// ActiveAlert or is dropped after the merge.
	activeCheck
	// tickCheck is an activeCheck taken at a re-scoring tick. Its kind
	// sorts before every other event of the same time, so a tick's
	// snapshots can be handed over in pieces, each with a mark just past
	// it, and a snapshot that a packet of that same instant triggers later
	// still sorts after the mark.
	tickCheck
)

// isCheck tells snapshots of active flows from events to pass on.
func (k EventKind) isCheck() bool { return k == activeCheck || k == tickCheck }

// Context attaches the columns that depend on other flows (window.Context).
// The pipeline calls it after the merge, in expiry order, from one
// goroutine: Attach for each flow that ends, Peek for a snapshot of an
// active flow, Reset when a new recording starts.
type Context interface {
	Attach(r *features.Record)
	Peek(r *features.Record)
	Reset()
}

// Event is one output of the pipeline. Record is owned by the event until
// the output function returns.
type Event struct {
	Kind   EventKind
	Time   int64 // packet time of the event, ns
	Record features.Record
	Score  float64
	Scored bool
	// Alert is set when this event raises the flow's alert: the first time
	// its score reached the threshold. AlertedBefore is set on a FlowEnd
	// whose alert an ActiveAlert already raised.
	Alert, AlertedBefore bool
	epoch                uint32
	worker               int
	// pieceEnd, on the last event of a piece (see flushPiece), is its
	// worker's credits: releasing the event gives one back.
	pieceEnd chan struct{}
}

// Options configure a pipeline run.
type Options struct {
	Schema  *features.Schema
	Flow    flow.Config
	Workers int // default 1
	// NewScorer makes one scorer per worker; nil runs without scoring.
	NewScorer func() (Scorer, error)
	// Context, when set, fills the context columns of every flow before it
	// is scored.
	Context   Context
	Threshold float64
	// RescoreInterval re-scores every active flow this often in packet
	// time (0: never); RescorePackets re-scores a flow each time its packet
	// count reaches a multiple of it (0: never).
	RescoreInterval time.Duration
	RescorePackets  uint64
	BPF             string
	// Progress, when set, is called from the reading goroutine now and then.
	Progress func(Progress)
	// OnPanic, when set, receives a panic raised in one of the pipeline's
	// goroutines (a bug) instead of letting it crash the process with a
	// stack trace; it must not return (the CLI prints one line and exits).
	OnPanic func(any)
}

// guard hands a panic of the current goroutine to the caller's handler.
func guard(onPanic func(any)) {
	if onPanic == nil {
		return
	}
	if r := recover(); r != nil {
		onPanic(r)
	}
}

// Progress is a snapshot of how far reading got.
type Progress struct {
	Path             string
	Offset, Size     int64 // bytes of the current file
	Packets          uint64
	FilesDone, Files int
	Flows, Alerts    uint64
}

// Summary accounts for a whole run.
type Summary struct {
	Files    []FileResult
	Counters features.Counters
	Filtered uint64
	// Unusable names link types the capture filter could not be compiled
	// for; their packets were counted as filtered.
	Unusable    map[layers.LinkType]error
	Flows       uint64
	Alerts      uint64
	KernelDrops uint64
	Live        bool // a live capture was among the inputs
	Interrupted bool
	Elapsed     time.Duration
	// PeakHeld is the most events the merge held at once waiting for the
	// slowest worker: what ordered output costs in memory.
	PeakHeld int
}

const (
	// flushPiece is how many events a worker hands over at a time while
	// flushing its table or snapshotting it for re-scoring; flushCredits
	// is how many such pieces of one worker the merge may hold. A worker
	// that runs ahead of the others would otherwise pile its pieces up in
	// the merge, waiting for theirs.
	flushPiece   = 1024
	flushCredits = 3
	batchPackets = 512
	batchBytes   = 512 << 10
	// liveFlushAge bounds how long, in packet time, a live packet may wait
	// in a partly filled batch.
	liveFlushAge = int64(100 * time.Millisecond)
)

type pktRef struct {
	off, n int32
	wire   uint32 // a record's original length: a damaged one can claim 4 GiB
	lt     layers.LinkType
	ts     int64
}

// batch carries packets of one shard, then a watermark: every packet of
// this shard with a time up to mark has been sent.
type batch struct {
	data   []byte
	pkts   []pktRef
	source string
	mark   int64
	epoch  uint32
	// rescore starts a re-scoring tick at mark (see reader.rescoreAt).
	rescore bool
	// flush expires every flow at flushAt (file boundary or the end).
	flush       bool
	flushReason flow.Reason
	flushAt     int64
	last        bool
	warm        byte
}

// warmHeaders loads the first two cache lines of every packet of b, where
// the headers are, into this core's cache. The reader wrote them on
// another core: read one by one as the packets are metered, each would
// wait out a miss on its own; loaded here, independent of each other, the
// misses overlap.
func warmHeaders(b *batch) byte {
	var x byte
	for _, p := range b.pkts {
		if p.n > 0 {
			x += b.data[p.off] + b.data[p.off+min(p.n, 64)-1]
		}
	}
	return x
}

type workerOut struct {
	worker int
	events []*Event
	mark   int64
	// key, when set, is a finer mark than mark: every later event of the
	// worker sorts at or after it (a flush handed over in pieces).
	key    *markKey
	epoch  uint32
	done   bool
	counts features.Counters
	err    error
}

// Run meters the inputs. Files are read in order; a live source (at most
// one, and then alone) runs until ctx is cancelled or the interface fails.
// out is called from one goroutine, in order of packet time; the event
// and its record's slices are recycled once it returns, so out copies
// what it keeps.
func Run(ctx context.Context, inputs []Input, opt Options, out func(*Event)) (Summary, error) {
	start := time.Now()
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	var m *BPF
	if opt.BPF != "" {
		var err error
		if m, err = NewBPF(opt.BPF); err != nil {
			return Summary{}, err
		}
	}
	scorers := make([]Scorer, opt.Workers)
	if opt.NewScorer != nil {
		for i := range scorers {
			s, err := opt.NewScorer()
			if err != nil {
				return Summary{}, err
			}
			scorers[i] = s
		}
	}
	fc := opt.Flow
	if fc.MaxFlows > 0 {
		fc.MaxFlows = max(fc.MaxFlows/opt.Workers, 1)
	}

	alerted := make([]*alertedSet, opt.Workers)
	for w := range alerted {
		alerted[w] = &alertedSet{m: map[uint64]bool{}}
	}
	ins := make([]chan *batch, opt.Workers)
	free := make(chan *batch, opt.Workers*8)
	outs := make(chan workerOut, opt.Workers*4)
	events := &eventPool{}
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		ins[w] = make(chan *batch, 4)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer guard(opt.OnPanic)
			runWorker(w, opt, fc, opt.NewScorer != nil, events, alerted[w], ins[w], free, outs)
		}(w)
	}
	var flows, alerts atomic.Uint64
	mergeDone := make(chan struct{})
	var counts features.Counters
	var peakHeld int
	var werr error
	// The output function (formatting CSV rows and alerts, a third of the
	// work behind the merge under a flood) runs on a goroutine of its own,
	// in order, so it overlaps with context and scoring of what follows.
	toOut := make(chan []*Event, 4)
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		defer guard(opt.OnPanic)
		for evs := range toOut {
			for _, ev := range evs {
				if ev.Kind == FlowEnd {
					flows.Add(1)
				}
				if ev.Alert {
					alerts.Add(1)
				}
				out(ev)
				events.release(ev)
			}
		}
	}()
	var passed []*Event
	post := &postStage{opt: opt, scorers: scorers, alerted: alerted, events: events, emit: func(ev *Event) { passed = append(passed, ev) }}
	if opt.NewScorer == nil {
		post.scorers = nil
	}
	go func() {
		defer guard(opt.OnPanic)
		defer close(mergeDone)
		defer func() { close(toOut); <-outDone }()
		var serr error
		var credits []chan struct{}
		counts, peakHeld, werr = merge(opt.Workers, outs, func(evs []*Event) {
			credits = credits[:0]
			for _, ev := range evs {
				if ev.pieceEnd != nil {
					credits = append(credits, ev.pieceEnd)
				}
			}
			if err := post.process(evs); err != nil && serr == nil {
				serr = err
			}
			if len(passed) > 0 {
				toOut <- passed
				passed = nil
			}
			for _, c := range credits {
				<-c
			}
		})
		if werr == nil {
			werr = serr
		}
	}()

	r := &reader{opt: opt, ins: ins, free: free, match: m, cur: make([]*batch, opt.Workers), dec: decode.NewDecoder(),
		flows: &flows, alerts: &alerts}
	sum := r.run(ctx, inputs)
	wg.Wait()
	close(outs)
	<-mergeDone
	sum.Counters, sum.PeakHeld = counts, peakHeld
	sum.Flows, sum.Alerts = flows.Load(), alerts.Load()
	if r.err == nil {
		r.err = werr
	}
	if m != nil {
		sum.Unusable = m.Unusable
	}
	sum.Elapsed = time.Since(start)
	return sum, r.err
}

// Input is one packet source.
type Input struct {
	Path string        // a capture file, opened when its turn comes
	Live *capture.Live // or an open live capture
	Name string        // for messages and the Source column
}

type reader struct {
	opt    Options
	ins    []chan *batch
	free   chan *batch
	cur    []*batch
	match  *BPF
	dec    *decode.Decoder
	epoch  atomic.Uint32
	last   int64 // latest packet time read
	nextTk int64 // next watermark boundary
	// nextRescore is the next re-scoring boundary in packet time.
	nextRescore int64
	err         error
	flows       *atomic.Uint64
	alerts      *atomic.Uint64
	sum         Summary
	live        bool
	// liveMu guards cur, nextRescore and liveAdded on a live capture,
	// where liveTicks hands over batches left partly filled when packets
	// stop coming.
	liveMu    sync.Mutex
	liveAdded uint64 // packets metered so far, for liveTicks
}

func (r *reader) run(ctx context.Context, inputs []Input) Summary {
	for i, in := range inputs {
		if ctx.Err() != nil {
			r.sum.Interrupted = true
			break
		}
		res := r.readInput(ctx, in, i, len(inputs))
		r.sum.Files = append(r.sum.Files, res)
		if ctx.Err() != nil {
			r.sum.Interrupted = true
			break
		}
	}
	reason := flow.EndOfInput
	if r.sum.Interrupted {
		reason = flow.Shutdown
	}
	for w := range r.ins {
		b := r.batchFor(w)
		b.mark, b.epoch = r.last, r.epoch.Load()
		b.flush, b.flushReason, b.flushAt, b.last = true, reason, r.last, true
		r.ins[w] <- b
		r.cur[w] = nil
		close(r.ins[w])
	}
	return r.sum
}

func (r *reader) readInput(ctx context.Context, in Input, idx, total int) FileResult {
	res := FileResult{Path: in.Name}
	var src capture.Source
	var file *capture.File
	if in.Live != nil {
		src, r.live = in.Live, true
		// On cancel the reader drains what the kernel ring already holds
		// (Stop), so a SIGINT loses no packet the kernel captured.
		stop := context.AfterFunc(ctx, in.Live.Stop)
		defer stop()
		done := make(chan struct{})
		var ticks sync.WaitGroup
		ticks.Add(1)
		go func() {
			defer ticks.Done()
			defer guard(r.opt.OnPanic)
			r.liveTicks(done)
		}()
		// The ticker must be gone before the shards' channels close.
		defer ticks.Wait()
		defer close(done)
	} else {
		f, err := capture.OpenFile(in.Path)
		if err != nil {
			res.Err = err
			return res
		}
		defer f.Close()
		src, file = f, f
	}
	var rec capture.Record
	first := true
	for {
		err := src.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.Err = err
			break
		}
		res.Packets++
		ts := rec.Timestamp.UnixNano()
		if first {
			first = false
			if ts < r.last {
				// A file that starts before the previous one ended is a
				// separate recording: end every flow first.
				r.flushAll(flow.EndOfInput, r.last)
				r.epoch.Add(1)
				// The new recording keeps its own clock: its marks, ticks
				// and final flush time must not come from the old one.
				r.last, r.nextTk, r.nextRescore = ts, 0, 0
			}
		}
		if ts > r.last {
			r.last = ts
		}
		if r.match != nil && !r.match.Match(rec.Data, rec.Length, rec.LinkType) {
			res.Filtered++
			r.sum.Filtered++
			continue
		}
		if r.live {
			r.liveMu.Lock()
			r.add(&rec, ts, in.Name)
			r.liveAdded++
			r.liveMu.Unlock()
		} else {
			r.add(&rec, ts, in.Name)
		}
		if res.Packets&0x3ff == 0 {
			if ctx.Err() != nil {
				break
			}
			if r.opt.Progress != nil {
				// Live captures report too: their status line needs the count.
				p := Progress{Path: in.Name, Packets: res.Packets, FilesDone: idx, Files: total,
					Flows: r.flows.Load(), Alerts: r.alerts.Load()}
				if file != nil {
					p.Offset, p.Size = file.Offset(), file.Size()
				}
				r.opt.Progress(p)
			}
		}
	}
	if in.Live != nil {
		// Reading ended (drained after a stop, or failed): release the ring;
		// its final counters stay readable.
		in.Live.Close()
		st := in.Live.Stats()
		r.sum.KernelDrops += st.KernelDrops
		r.sum.Live = true
	}
	// Hand over what this file left in partly filled batches, so that a
	// file boundary never holds packets back.
	r.liveMu.Lock()
	r.sendAll(r.last)
	r.liveMu.Unlock()
	if r.opt.Progress != nil && file != nil {
		r.opt.Progress(Progress{Path: in.Name, Offset: file.Size(), Size: file.Size(), Packets: res.Packets,
			FilesDone: idx + 1, Files: total, Flows: r.flows.Load(), Alerts: r.alerts.Load()})
	}
	return res
}

// add copies one packet into its shard's batch.
func (r *reader) add(rec *capture.Record, ts int64, source string) {
	w := 0
	if len(r.ins) > 1 {
		w = int(r.dec.ShardHash(rec.Data, rec.LinkType) % uint64(len(r.ins)))
	}
	b := r.batchFor(w)
	if b.source != source && len(b.pkts) > 0 {
		r.send(w, r.last)
		b = r.batchFor(w)
	}
	b.source = source
	off := len(b.data)
	b.data = append(b.data, rec.Data...)
	b.pkts = append(b.pkts, pktRef{off: int32(off), n: int32(len(rec.Data)), wire: uint32(rec.Length), lt: rec.LinkType, ts: ts})
	switch {
	case len(b.pkts) >= batchPackets || len(b.data) >= batchBytes:
		r.send(w, ts)
	case r.live && ts-b.pkts[0].ts > liveFlushAge:
		r.send(w, ts)
	}
	// Every second of packet time, every shard hears how far time got, so
	// shards without traffic still expire their flows on time.
	if ts >= r.nextTk {
		r.sendAll(ts)
		r.nextTk = (ts/int64(time.Second) + 1) * int64(time.Second)
	}
	r.rescoreAt(ts)
}

// rescoreAt starts a re-scoring tick in every shard when packet time t
// crosses an interval boundary. The shards tick at the same instant, so
// each closes its tick with a mark past all of its snapshots: the merge
// then passes one shard's snapshots on without waiting for the other
// shards' next packets. (A shard waiting for the merge to take its pieces
// must never wait on packets the reader cannot send it: the reader may be
// blocked on that very shard.)
func (r *reader) rescoreAt(t int64) {
	iv := int64(r.opt.RescoreInterval)
	if iv <= 0 || r.opt.NewScorer == nil || t < r.nextRescore {
		return
	}
	if r.nextRescore != 0 {
		for w := range r.ins {
			r.batchFor(w).rescore = true
			r.send(w, t)
		}
	}
	r.nextRescore = (t/iv + 1) * iv
}

func (r *reader) batchFor(w int) *batch {
	if r.cur[w] == nil {
		select {
		case b := <-r.free:
			r.cur[w] = b
		default:
			r.cur[w] = &batch{data: make([]byte, 0, batchBytes+65536), pkts: make([]pktRef, 0, batchPackets)}
		}
	}
	return r.cur[w]
}

func (r *reader) send(w int, mark int64) {
	b := r.batchFor(w)
	b.mark, b.epoch = mark, r.epoch.Load()
	r.ins[w] <- b
	r.cur[w] = nil
}

func (r *reader) sendAll(mark int64) {
	for w := range r.ins {
		r.send(w, mark)
	}
}

func (r *reader) flushAll(reason flow.Reason, at int64) {
	for w := range r.ins {
		b := r.batchFor(w)
		b.flush, b.flushReason, b.flushAt = true, reason, at
		r.send(w, at)
	}
}

// liveTicks advances every shard's clock on a live capture when packets
// stop coming, so idle flows still expire. Kernel packet times are wall
// clock times; the tick stays two seconds behind, and moves no clock while
// packets are still being read (a reader running behind the kernel would
// otherwise meter packets older than the clock it had announced). Batches
// only go out as packets arrive, so when traffic stops the last packets
// would wait in partly filled batches (missing from flows that expire
// meanwhile, and split off as new flows later): each tick hands them over
// first.
func (r *reader) liveTicks(done chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var seen uint64
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			mark := now.Add(-2 * time.Second).UnixNano()
			r.liveMu.Lock()
			for w, b := range r.cur {
				if b != nil && len(b.pkts) > 0 {
					r.send(w, b.pkts[len(b.pkts)-1].ts)
				}
			}
			idle := r.liveAdded == seen
			seen = r.liveAdded
			if idle {
				// Flows keep being re-scored when packets stop coming.
				r.rescoreAt(mark)
			}
			r.liveMu.Unlock()
			if !idle {
				continue // the reader moves every shard's clock itself
			}
			for w := range r.ins {
				select {
				case r.ins[w] <- &batch{mark: mark, epoch: r.epoch.Load()}:
				default: // the worker is busy with packets: it needs no tick
				}
			}
		}
	}
}

func runWorker(w int, opt Options, fc flow.Config, scoring bool, events *eventPool, alerted *alertedSet, in <-chan *batch, free chan<- *batch, outs chan<- workerOut) {
	var pending []*Event
	credits := make(chan struct{}, flushCredits)
	piece := func(evs []*Event, epoch uint32) {
		last := evs[len(evs)-1]
		last.pieceEnd = credits
		k := keyOf(last)
		k.id++
		credits <- struct{}{}
		outs <- workerOut{worker: w, events: evs, key: &k, epoch: epoch}
	}
	rs := &rescorer{opt: opt, alerted: alerted, events: events, piece: piece}
	// A flush expires every flow at one instant, in merge order (see
	// flow.Table.Flush): hand it over in pieces, each with a mark just past
	// its last flow, so the merger can pass them on and memory holds a
	// piece, not every flow of the table.
	var flushing bool
	var flushEpoch uint32
	e := features.NewExtractor(opt.Schema, fc, func(rec *features.Record) {
		pending = append(pending, events.take(FlowEnd, rec, rec.Expired))
		if flushing && len(pending) >= flushPiece {
			piece(pending, flushEpoch)
			pending = nil
		}
	}, 1, 1)
	var rec capture.Record
	for b := range in {
		rec.Source = b.source
		b.warm = warmHeaders(b)
		for _, p := range b.pkts {
			rec.Data = b.data[p.off : p.off+p.n]
			rec.Length = int(p.wire)
			rec.LinkType = p.lt
			rec.Timestamp = time.Unix(0, p.ts)
			e.Packet(&rec)
			if opt.RescorePackets > 0 && scoring {
				if slot, n, ok := e.LastFlow(); ok && n%opt.RescorePackets == 0 && !alerted.has(e.FlowID(slot)) {
					pending = append(pending, events.take(activeCheck, e.SnapshotFlow(slot), p.ts))
				}
			}
		}
		if b.mark > 0 {
			e.Advance(b.mark)
		}
		if b.flush {
			flushing, flushEpoch = true, b.epoch
			e.FlushAt(b.flushReason, b.flushAt)
			flushing = false
		}
		o := workerOut{worker: w, events: pending, mark: b.mark, epoch: b.epoch}
		if b.rescore && scoring && !b.flush {
			o.events = rs.snapshots(e, b.mark, b.epoch, pending)
			// Every snapshot of this tick is out; what follows at the same
			// instant sorts after them (see tickCheck).
			o.key = &markKey{b.mark, tickCheck, math.MaxInt64, math.MaxUint64}
		}
		if b.flush {
			// Everything of this epoch is out: let the merger move on.
			o.mark = b.flushAt + 1
		}
		last := b.last
		pending = nil
		if last {
			o.done, o.counts = true, e.Counters()
		}
		outs <- o
		b.data, b.pkts, b.source = b.data[:0], b.pkts[:0], ""
		b.flush, b.last, b.rescore = false, false, false
		if cap(b.data) > 0 {
			select {
			case free <- b:
			default:
			}
		}
	}
}

// rescorer chooses the active flows a worker snapshots for re-scoring.
type rescorer struct {
	opt Options
	// scored is, by table slot, the flow last snapshot there and its
	// packet count then, so a flow that did not grow is not scored again.
	// A slot's next flow has another id. (A slice rather than a map by id:
	// a flood holds a million flows, all looked up at every tick.)
	scored  []scoredMark
	alerted *alertedSet
	events  *eventPool
	// piece hands a piece of snapshots over with a mark just past it.
	piece func(evs []*Event, epoch uint32)
	due   []dueFlow
}

type scoredMark struct{ id, packets uint64 }

// dueFlow is an active flow due for a snapshot at a tick.
type dueFlow struct {
	slot  int32
	id    uint64
	first int64
}

// alertedSet holds the active flows of one worker that already alerted:
// the post-merge stage decides alerts and records them here, so the
// worker stops snapshotting those flows.
type alertedSet struct {
	mu sync.Mutex
	m  map[uint64]bool
}

func (a *alertedSet) has(id uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[id]
}

func (a *alertedSet) set(id uint64, on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if on {
		a.m[id] = true
	} else {
		delete(a.m, id)
	}
}

// eventPool recycles events with their feature and metadata slices: one
// event per expired flow, with its 288 values and 19 strings, would
// otherwise be the pipeline's largest allocation (a flood expires a
// million flows). Each Run has its own; it returns each event once the
// output function is done with it.
type eventPool struct{ p sync.Pool }

// resize returns s with length n, reusing its array when it is big enough.
func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n, 2*n)
	}
	return s[:n]
}

// take makes an event of the record of an expired flow or of a snapshot,
// taking the record's value and metadata slices rather than copying them
// (see features.EmitFunc): the extractor gets the slices the recycled
// event held, or fresh ones.
func (ep *eventPool) take(kind EventKind, rec *features.Record, at int64) *Event {
	ev, _ := ep.p.Get().(*Event)
	if ev == nil {
		ev = new(Event)
	}
	vals, meta := ev.Record.Values, ev.Record.Meta
	*ev = Event{Kind: kind, Time: at, Record: *rec}
	if cap(vals) < len(rec.Values) {
		vals = make([]float64, len(rec.Values))
	}
	if cap(meta) < len(rec.Meta) {
		meta = make([]string, len(rec.Meta))
	}
	rec.Values, rec.Meta = vals[:len(rec.Values)], meta[:len(rec.Meta)]
	return ev
}

// release recycles ev; nothing may use it, or its record's slices, after.
func (ep *eventPool) release(ev *Event) {
	ep.p.Put(ev)
}

// snapshots appends a snapshot of each active flow that has lasted at
// least one interval and grew since its last one. A tick can find every
// flow of the table due (a flood's million one-packet flows, ten seconds
// on): the snapshots go out in pieces, in merge order, each with a mark
// just past its last, so the merge passes them on as they come and memory
// holds a piece of them, not a copy of every flow's features.
func (rs *rescorer) snapshots(e *features.Extractor, at int64, epoch uint32, evs []*Event) []*Event {
	iv := int64(rs.opt.RescoreInterval)
	rs.due = rs.due[:0]
	rs.alerted.mu.Lock()
	e.ActiveFlows(func(slot int32, id uint64, first int64, packets uint64) {
		if int(slot) >= len(rs.scored) {
			rs.scored = append(rs.scored, make([]scoredMark, int(slot)+1-len(rs.scored))...)
		}
		m := &rs.scored[slot]
		if at-first < iv || *m == (scoredMark{id, packets}) || rs.alerted.m[id] {
			return
		}
		*m = scoredMark{id, packets}
		rs.due = append(rs.due, dueFlow{slot, id, first})
	})
	// Not held while handing pieces over: the post-merge stage takes it
	// to record alerts. A flow that alerts meanwhile is dropped there.
	rs.alerted.mu.Unlock()
	slices.SortFunc(rs.due, func(a, b dueFlow) int { return flow.Order(a.first, a.id, b.first, b.id) })
	for i, d := range rs.due {
		evs = append(evs, rs.events.take(tickCheck, e.SnapshotFlow(d.slot), at))
		if (i+1)%flushPiece == 0 && i+1 < len(rs.due) {
			rs.piece(evs, epoch)
			evs = nil
		}
	}
	if cap(rs.due) > 4*flushPiece && len(rs.due) < cap(rs.due)/4 {
		rs.due = nil // a flood is over: give its list back
	}
	return evs
}

// postStage runs after the merge, on flows in expiry order: it attaches
// the context columns, scores in batches (split over the scorers when a
// batch is large), decides alerts (once per flow) and hands events out.
type postStage struct {
	opt     Options
	scorers []Scorer      // nil: no scoring
	alerted []*alertedSet // by worker
	events  *eventPool
	emit    func(*Event)
	epoch   uint32
	rows    []float64
	scores  []float64
}

// process handles events released by one merge step, in order.
func (p *postStage) process(evs []*Event) error {
	for _, ev := range evs {
		if ev.epoch != p.epoch {
			if p.opt.Context != nil {
				p.opt.Context.Reset()
			}
			p.epoch = ev.epoch
		}
		if p.opt.Context != nil {
			if ev.Kind == FlowEnd {
				p.opt.Context.Attach(&ev.Record)
			} else {
				p.opt.Context.Peek(&ev.Record)
			}
		}
	}
	var err error
	if p.scorers != nil {
		err = p.score(evs)
	}
	for _, ev := range evs {
		id := ev.Record.FlowID
		alerted := p.alerted[ev.worker]
		switch {
		case !ev.Scored:
		case ev.Kind.isCheck():
			if alerted.m[id] || ev.Score < p.opt.Threshold {
				p.events.release(ev)
				continue
			}
			alerted.set(id, true)
			ev.Kind, ev.Alert = ActiveAlert, true
		case alerted.m[id]:
			ev.AlertedBefore = true
			alerted.set(id, false)
		case ev.Score >= p.opt.Threshold:
			ev.Alert = true
		}
		if ev.Kind.isCheck() { // not scored: nothing to say
			p.events.release(ev)
			continue
		}
		p.emit(ev)
	}
	return err
}

// score scores evs in bounded chunks: a flush at the end of input hands
// over every active flow at once, and one row buffer for all would double
// the memory they already take.
func (p *postStage) score(evs []*Event) error {
	const chunk = 1024
	nf := len(p.opt.Schema.Features)
	for start := 0; start < len(evs); start += chunk {
		part := evs[start:min(start+chunk, len(evs))]
		if cap(p.rows) < len(part)*nf {
			p.rows = make([]float64, 0, chunk*nf)
		}
		p.rows = p.rows[:0]
		for _, ev := range part {
			p.rows = append(p.rows, ev.Record.Values...)
		}
		p.scores = resize(p.scores, len(part))
		if err := scoreSplit(p.scorers, p.rows, nf, p.scores); err != nil {
			return fmt.Errorf("score: %w", err)
		}
		for i, ev := range part {
			ev.Score, ev.Scored = p.scores[i], true
		}
	}
	return nil
}

// scoreSplit scores rows (nf values each) into out, splitting a large
// batch over the scorers so scoring uses every core the workers leave.
func scoreSplit(scorers []Scorer, rows []float64, nf int, out []float64) error {
	n := len(out)
	parts := min(len(scorers), max(n/128, 1))
	if parts <= 1 {
		return scorers[0].ScoreBatch(rows, n, out)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := 0; i < parts; i++ {
		lo, hi := n*i/parts, n*(i+1)/parts
		wg.Add(1)
		go func(i, lo, hi int) {
			defer wg.Done()
			errs[i] = scorers[i].ScoreBatch(rows[lo*nf:hi*nf], hi-lo, out[lo:hi])
		}(i, lo, hi)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// merge orders the workers' events by (epoch, time, first packet, flow id)
// and emits each once no worker can still produce an earlier one.
func merge(workers int, outs <-chan workerOut, release func([]*Event)) (features.Counters, int, error) {
	peak := 0
	var counts features.Counters
	var errs []error
	marks := make([]markKey, workers)
	for w := range marks {
		marks[w] = timeKey(math.MinInt64)
	}
	epochs := make([]uint32, workers)
	done := make([]bool, workers)
	h := &eventHeap{}
	var ready []*Event
	emit := func(ev *Event) { ready = append(ready, ev) }
	for o := range outs {
		for _, ev := range o.events {
			ev.epoch, ev.worker = o.epoch, o.worker
			heap.Push(h, ev)
		}
		peak = max(peak, h.Len())
		// A mark only bounds its own epoch: a new epoch (a recording that
		// starts earlier) restarts the worker's mark from its first batch.
		mk := timeKey(o.mark)
		if o.key != nil {
			mk = *o.key
		}
		switch {
		case o.epoch > epochs[o.worker]:
			epochs[o.worker], marks[o.worker] = o.epoch, mk
		case o.epoch == epochs[o.worker] && marks[o.worker].less(mk):
			marks[o.worker] = mk
		}
		if o.done {
			done[o.worker] = true
			counts.Add(o.counts)
			if o.err != nil {
				errs = append(errs, o.err)
			}
		}
		// The slowest worker bounds what is safe to emit.
		minEpoch, minMark, all := uint32(1<<31), timeKey(math.MaxInt64), true
		for w := 0; w < workers; w++ {
			if done[w] {
				continue
			}
			all = false
			if epochs[w] < minEpoch || (epochs[w] == minEpoch && marks[w].less(minMark)) {
				minEpoch, minMark = epochs[w], marks[w]
			}
		}
		for h.Len() > 0 {
			ev := (*h)[0]
			if !all && (ev.epoch > minEpoch || (ev.epoch == minEpoch && !keyOf(ev).less(minMark))) {
				break
			}
			emit(heap.Pop(h).(*Event))
		}
		if len(ready) > 0 {
			release(ready)
			clear(ready)
			ready = ready[:0]
		}
	}
	for h.Len() > 0 {
		emit(heap.Pop(h).(*Event))
	}
	if len(ready) > 0 {
		release(ready)
	}
	return counts, peak, errors.Join(errs...)
}

// markKey is an event's place in the merged order within one epoch: time,
// then kind (alerts on active flows before flows that end at the same
// time), then first packet time, then flow id.
type markKey struct {
	time  int64
	kind  EventKind
	first int64
	id    uint64
}

func keyOf(ev *Event) markKey {
	return markKey{ev.Time, ev.Kind, ev.Record.First, ev.Record.FlowID}
}

// timeKey is the first place of time t: "every event up to t is out".
func timeKey(t int64) markKey { return markKey{t, math.MaxUint8, math.MinInt64, 0} }

func (a markKey) less(b markKey) bool {
	switch {
	case a.time != b.time:
		return a.time < b.time
	case a.kind != b.kind:
		return a.kind > b.kind
	case a.first != b.first:
		return a.first < b.first
	}
	return a.id < b.id
}

type eventHeap []*Event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.epoch != b.epoch {
		return a.epoch < b.epoch
	}
	return keyOf(a).less(keyOf(b))
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*Event)) }
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}

// ErrNoInput is returned when there is nothing to read.
var ErrNoInput = errors.New("no input")
