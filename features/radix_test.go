package features

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestSortIntsMatchesSort checks sortInts (quicksort or radix sort by
// size and span) against the standard sort
// on sizes, nanosecond gaps and signed deltas of many shapes.
func TestSortIntsMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var scratch []int64
	for trial := 0; trial < 500; trial++ {
		n := rng.Intn(3000)
		if trial%2 == 1 {
			n = rng.Intn(800) // quicksort
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

// TestQuicksortShapes sorts the shapes that break naive quicksorts:
// sorted, reversed, organ pipe, all equal, two values, and a sawtooth,
// at lengths on both sides of the exchange-sort cut-off and up to the
// kept-packet limit; then with the depth limit reached after one or two
// levels, as an adversarial series would reach it.
func TestQuicksortShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	shapes := map[string]func(i, n int) int64{
		"sorted":   func(i, n int) int64 { return int64(i) },
		"reversed": func(i, n int) int64 { return int64(n - i) },
		"organ":    func(i, n int) int64 { return int64(min(i, n-i)) },
		"equal":    func(i, n int) int64 { return 66 },
		"two":      func(i, n int) int64 { return []int64{66, 1514}[rng.Intn(2)] },
		"sawtooth": func(i, n int) int64 { return int64(i % 17) },
		"pipes":    func(i, n int) int64 { return int64((i * 7919) % (n/3 + 1)) },
	}
	for name, shape := range shapes {
		for _, n := range []int{0, 1, 2, 8, 9, 40, 159, 160, 1000, DefaultMaxSamples} {
			xs := make([]int64, n)
			for i := range xs {
				xs[i] = shape(i, n)
			}
			want := slices.Clone(xs)
			slices.Sort(want)
			quicksort(xs)
			if !slices.Equal(xs, want) {
				t.Fatalf("%s, n=%d: quicksort differs from slices.Sort", name, n)
			}
		}
	}
	for depth := 1; depth <= 2; depth++ {
		xs := make([]int64, 5000)
		for i := range xs {
			xs[i] = rng.Int63n(1 << 30)
		}
		want := slices.Clone(xs)
		slices.Sort(want)
		quicksortDepth(xs, depth)
		if !slices.Equal(xs, want) {
			t.Fatalf("depth limit %d: quicksort differs from slices.Sort", depth)
		}
	}
}

// BenchmarkSortInts times sortInts against slices.Sort on series shaped
// like a flow's: nanosecond gaps (exponential, mean 5 ms) and frame sizes
// (a few common sizes, one in five random). Each run cycles through
// thousands of different series: on a few repeated ones the branch
// predictor learns the inputs, and branchy sorts look several times
// faster than they are on a flow's fresh packets.
//
//	go test ./features -run XXX -bench SortInts
func BenchmarkSortInts(b *testing.B) {
	common := []int64{66, 66, 66, 1514, 1514, 590, 120}
	kinds := map[string]func(r *rand.Rand) int64{
		"times": func(r *rand.Rand) int64 { return int64(r.ExpFloat64() * 5e6) },
		"sizes": func(r *rand.Rand) int64 {
			if r.Intn(5) == 0 {
				return int64(60 + r.Intn(1400))
			}
			return common[r.Intn(len(common))]
		},
	}
	for _, kind := range []string{"times", "sizes"} {
		for _, n := range []int{8, 40, 100, 250, 1000} {
			r := rand.New(rand.NewSource(1))
			sets := make([][]int64, max(2048, 1<<19/n))
			for i := range sets {
				sets[i] = make([]int64, n)
				for j := range sets[i] {
					sets[i][j] = kinds[kind](r)
				}
			}
			work := make([]int64, n)
			var scratch []int64
			for _, sorter := range []struct {
				name string
				sort func([]int64)
			}{{"sortInts", func(xs []int64) { sortInts(xs, &scratch) }}, {"slices.Sort", slices.Sort[[]int64]}} {
				b.Run(fmt.Sprintf("%s/%d/%s", kind, n, sorter.name), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						copy(work, sets[i%len(sets)])
						sorter.sort(work)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
				})
			}
		}
	}
}
