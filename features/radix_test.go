package features

import (
	"math/rand"
	"slices"
	"testing"
)

// TestSortIntsMatchesSort checks sortInts (insertion, pdq or radix sort by
// size and span) against the standard sort
// on sizes, nanosecond gaps and signed deltas of many shapes.
func TestSortIntsMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var scratch []int64
	for trial := 0; trial < 500; trial++ {
		n := rng.Intn(3000)
		if trial%2 == 1 {
			n = rng.Intn(150) // insertion sort and pdqsort
		}
		xs := make([]int64, n)
		scale := []int64{1, 1500, 1 << 20, 1e11, 1 << 62}[trial%5]
		for i := range xs {
			xs[i] = rng.Int63n(scale)
			if trial%3 == 0 {
				xs[i] -= scale / 2 // signed deltas
			}
		}
		want := slices.Clone(xs)
		slices.Sort(want)
		sortInts(xs, &scratch)
		if !slices.Equal(xs, want) {
			t.Fatalf("trial %d (n=%d, scale %d): radix sort differs", trial, n, scale)
		}
	}
}
