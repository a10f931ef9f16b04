package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortFloatsMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var buf []uint64
	buf = sortFloats(nil, buf)
	one := []float64{3}
	if buf = sortFloats(one, buf); one[0] != 3 {
		t.Fatalf("single value became %v", one[0])
	}
	for trial := 0; trial < 50; trial++ {
		n := 1 + rng.IntN(3000)
		v := make([]float64, n)
		for i := range v {
			switch rng.IntN(6) {
			case 0:
				v[i] = float64(rng.IntN(5)) // ties
			case 1:
				v[i] = -rng.ExpFloat64() * 1e10
			case 2:
				v[i] = []float64{math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64}[rng.IntN(6)]
			default:
				v[i] = rng.NormFloat64()
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		buf = sortFloats(v, buf)
		for i := range v {
			// -0 and +0 compare equal, so either order is sorted.
			if v[i] != want[i] {
				t.Fatalf("trial %d: position %d holds %v, want %v", trial, i, v[i], want[i])
			}
		}
		if !slices.IsSorted(v) {
			t.Fatalf("trial %d: not sorted", trial)
		}
	}
}
