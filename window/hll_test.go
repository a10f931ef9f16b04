package window

import (
	"math"
	"testing"
)

func TestHLLWithinThreeStandardErrors(t *testing.T) {
	for _, c := range []struct {
		n    int
		seed uint64
	}{{1_000_000, 1}, {1_000_000, 2}, {200_000, 3}, {70_000, 4}} {
		var d distinct
		for i := 0; i < c.n; i++ {
			x := hash2(c.seed, uint64(i))
			d.add(x, DefaultExactLimit)
			if i%3 == 0 {
				d.add(x, DefaultExactLimit) // repeats must not count
			}
		}
		got, exact := d.count()
		if exact {
			t.Fatalf("n=%d: still exact past the limit", c.n)
		}
		rel := (got - float64(c.n)) / float64(c.n)
		t.Logf("n=%d seed=%d: estimate %.0f, error %+.3f%% (standard error %.2f%%)", c.n, c.seed, got, 100*rel, 100*HLLStdError)
		if math.Abs(rel) > 3*HLLStdError {
			t.Errorf("n=%d: estimate %.0f is %.2f%% off, more than 3 standard errors", c.n, got, 100*rel)
		}
	}
}

func TestDistinctExactUpToLimit(t *testing.T) {
	var d distinct
	held := 0
	for round := 0; round < 2; round++ {
		for i := 0; i < DefaultExactLimit; i++ {
			held += d.add(hash2(7, uint64(i)), DefaultExactLimit)
		}
	}
	got, exact := d.count()
	if !exact || got != DefaultExactLimit || held != DefaultExactLimit || d.cost() != DefaultExactLimit {
		t.Fatalf("count %v exact %v held %d cost %d, want %d exact", got, exact, held, d.cost(), DefaultExactLimit)
	}
	d.add(hash2(7, DefaultExactLimit), DefaultExactLimit)
	got, exact = d.count()
	if exact || got < DefaultExactLimit+1 || d.cost() != hllCost {
		t.Fatalf("past the limit: count %v exact %v cost %d; want a sketch of at least %d", got, exact, d.cost(), DefaultExactLimit+1)
	}
	// Small sets: the slice form and its move to a map keep counting right.
	var s distinct
	for i := 0; i < 3*smallSet; i++ {
		s.add(uint64(i%(smallSet+3)), DefaultExactLimit)
	}
	if n, ok := s.count(); n != smallSet+3 || !ok {
		t.Fatalf("small set: %v %v, want %d exact", n, ok, smallSet+3)
	}
}

// Linear counting handles the small range of a bare sketch.
func TestHLLSmallRange(t *testing.T) {
	for _, n := range []int{1, 100, 5000, 30000} {
		var h hll
		for i := 0; i < n; i++ {
			h.add(hash2(11, uint64(i)))
		}
		if rel := math.Abs(h.estimate()-float64(n)) / float64(n); rel > 3*HLLStdError && math.Abs(h.estimate()-float64(n)) > 1 {
			t.Errorf("n=%d: estimate %.1f", n, h.estimate())
		}
	}
}
