package appmeta

import (
	"math/rand"
	"testing"
)

type seg struct {
	seq uint32
	p   []byte
}

// split cuts stream (which starts at seq isn) at the given offsets.
func split(isn uint32, stream []byte, cuts []int) []seg {
	var out []seg
	prev := 0
	for _, c := range append(cuts, len(stream)) {
		if c <= prev || c > len(stream) {
			continue
		}
		out = append(out, seg{isn + uint32(prev), stream[prev:c]})
		prev = c
	}
	return out
}

func feed(s *State, dir int, segs []seg) {
	for _, g := range segs {
		s.Observe(dir, true, g.seq, g.p)
	}
}

// bigHello is a ClientHello spread over several TLS records, as a hello
// with post-quantum key shares or padding may be.
func bigHello() []byte {
	h := specHello()
	h.exts = append(h.exts, ext{0xfe0d, make([]byte, 3000)})
	return records(handshake(1, h.body()), 1500)
}

// TestReassemblyOrders feeds the same stream cut and shuffled in many ways,
// with retransmissions and overlaps, and expects the result of the whole
// stream in one piece (the naive reference).
func TestReassemblyOrders(t *testing.T) {
	for _, stream := range [][]byte{specHello().record(), bigHello()} {
		want := observeWhole(t, 443, stream, nil)
		if want.JA4 == "" || want.TLSSNI != "example.com" {
			t.Fatalf("reference parse failed: %+v", want)
		}
		rng := rand.New(rand.NewSource(1))
		for trial := 0; trial < 300; trial++ {
			isn := rng.Uint32() // exercise sequence wrap-around too
			if trial%7 == 0 {
				isn = 0xffffffff - uint32(rng.Intn(3000))
			}
			n := 1 + rng.Intn(6)
			cuts := make([]int, n)
			for i := range cuts {
				cuts[i] = 1 + rng.Intn(len(stream)-1)
			}
			sortInts(cuts)
			segs := split(isn, stream, cuts)
			// Retransmit a few segments, sometimes as a longer overlapping
			// segment, then shuffle.
			for k := rng.Intn(3); k > 0; k-- {
				g := segs[rng.Intn(len(segs))]
				segs = append(segs, g)
			}
			if rng.Intn(2) == 0 && len(stream) > 40 {
				a := rng.Intn(len(stream) - 20)
				segs = append(segs, seg{isn + uint32(a), stream[a : a+20]})
			}
			rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
			// The tentative path only waits maxTentative segments for the
			// start; beyond that an early middle segment loses the flow, so
			// keep the first segment among the first few.
			for i, g := range segs {
				if g.seq == isn && i >= maxTentative {
					segs[0], segs[i] = segs[i], segs[0]
				}
			}
			var s State
			s.Init(true, 50000, 443)
			feed(&s, 0, segs)
			got := s.Result()
			if got != want {
				t.Fatalf("trial %d (%d segments, isn %#x): got %+v\nwant %+v", trial, len(segs), isn, got, want)
			}
		}
	}
}

// TestReassemblyLateStartAtRecordBoundary: the first segment seen starts
// with a later TLS record, so it looks like a record start but is not the
// hello; the real start arrives next.
func TestReassemblyLateStartAtRecordBoundary(t *testing.T) {
	stream := bigHello()
	want := observeWhole(t, 443, stream, nil)
	segs := split(5000, stream, []int{1505, 3010})
	if !looksTLS(segs[1].p) {
		t.Fatalf("test premise: segment 2 should start with a record header")
	}
	var s State
	s.Init(true, 50000, 443)
	feed(&s, 0, []seg{segs[1], segs[0], segs[2]})
	if got := s.Result(); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// TestReassemblyFirstLateOnOtherPort: without a TLS port, an unrecognised
// first segment is not buffered (no copy for flows of no interest).
func TestReassemblyFirstLateOnOtherPort(t *testing.T) {
	stream := specHello().record()
	segs := split(100, stream, []int{50})
	var s State
	s.Init(true, 50000, 9999)
	s.Observe(0, true, segs[1].seq, segs[1].p)
	if s.d != nil {
		t.Fatalf("allocated detail for an unrecognised segment on a port of no interest")
	}
	s.Observe(0, true, segs[0].seq, segs[0].p)
	if m := s.Result(); m.JA4 != "" {
		t.Errorf("direction should have given up, got JA4 %q", m.JA4)
	}
}

// TestReassemblyCap: a hello longer than MaxBuffer is given up cleanly and
// the direction then ignores further data.
func TestReassemblyCap(t *testing.T) {
	h := specHello()
	h.exts = append(h.exts, ext{0xfe0d, make([]byte, MaxBuffer)})
	stream := records(handshake(1, h.body()), 1<<14)
	var s State
	s.Init(true, 50000, 443)
	seq := uint32(7)
	for off := 0; off < len(stream); off += 1400 {
		end := min(off+1400, len(stream))
		s.Observe(0, true, seq+uint32(off), stream[off:end])
	}
	if s.flags&flagDone0 == 0 {
		t.Fatalf("direction not given up past the cap")
	}
	if s.d.dir[0].r.buf != nil {
		t.Errorf("buffer kept after giving up")
	}
	if m := s.Result(); m.JA4 != "" || m.Application != "https" {
		t.Errorf("got JA4 %q app %q, want none and the port guess", m.JA4, m.Application)
	}
}

// TestReassemblyHoleNeverFilled: a lost segment makes the direction give
// up after maxSegments without holding the buffer forever.
func TestReassemblyHoleNeverFilled(t *testing.T) {
	stream := bigHello()
	var s State
	s.Init(true, 50000, 443)
	s.Observe(0, true, 0, stream[:100])
	for i := 0; i <= maxSegments; i++ {
		s.Observe(0, true, 200, stream[200:300]) // retransmitted, beyond the hole
	}
	if s.flags&flagDone0 == 0 {
		t.Errorf("direction still buffering after %d segments", maxSegments+1)
	}
}

func TestReasmShiftAndRanges(t *testing.T) {
	var r reasm
	r.init(1000, []byte("ghij"))
	if !r.add(994, []byte("abcdef")) {
		t.Fatal("add before base failed")
	}
	if got := string(r.prefix()); got != "abcdefghij" {
		t.Fatalf("prefix %q", got)
	}
	// Overlap keeps first bytes.
	r.add(996, []byte("XXXXXXXXk"))
	if got := string(r.prefix()); got != "abcdefghijk" {
		t.Fatalf("prefix after overlap %q", got)
	}
	// More disjoint ranges than maxHoles: refused.
	var q reasm
	q.init(0, []byte("a"))
	ok := true
	for i := 1; i <= maxHoles+1 && ok; i++ {
		ok = q.add(uint32(10*i), []byte("x"))
	}
	if ok {
		t.Errorf("more than %d holes accepted", maxHoles)
	}
}
