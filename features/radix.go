package features

import (
	"math/bits"
	"slices"
)

// sortInts sorts xs ascending. Series here are integers (bytes and
// nanoseconds) spanning few bytes: long ones go to an LSD radix sort over
// only the bytes that vary, the rest to a quicksort whose partition has
// no data-dependent branch; scratch is reused between calls.
//
// The thresholds come from measuring each method on 2,048 different
// random series per length (sizes spanning 2^11 with many repeats, times
// spanning 2^27), never the same few series again: a branch predictor
// learns a small benchmark's inputs by heart, and pdqsort measured on
// repeated inputs looked 3-5 times faster than on fresh ones. On fresh
// series the branch-free quicksort takes 6-15 ns a value where pdqsort
// took 17-37 (60 to 250 values) and insertion sort 8-15 (4 to 40);
// radix takes over from quicksort at about 160 times (four passes) and
// 700 sizes (two passes, where repeats make quicksort's work small).
func sortInts(xs []int64, scratch *[]int64) {
	if len(xs) < 160 {
		quicksort(xs)
		return
	}
	lo, hi := xs[0], xs[0]
	for _, v := range xs {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	span := uint64(hi - lo)
	if span == 0 {
		return
	}
	passes := (bits.Len64(span) + 7) / 8
	if len(xs) < 48*passes || passes <= 2 && len(xs) < 768 {
		quicksort(xs)
		return
	}
	if cap(*scratch) < len(xs) {
		*scratch = make([]int64, len(xs))
	}
	src, dst := xs, (*scratch)[:len(xs)]
	for shift := uint(0); shift < 64 && span>>shift != 0; shift += 8 {
		var count [256]int
		for _, v := range src {
			count[(uint64(v-lo)>>shift)&0xff]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, v := range src {
			b := (uint64(v-lo) >> shift) & 0xff
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
}

// exchangeSort sorts a few values by compare-exchange, min and max
// compiled to conditional moves: every pair costs the same whatever the
// data, where an insertion sort pays a mispredicted branch for about
// every value (on fresh series of 4 to 12 values: 3.5-7.3 ns a value
// against 8.5-10.6).
func exchangeSort(xs []int64) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0; j-- {
			a, b := xs[j-1], xs[j]
			xs[j-1], xs[j] = min(a, b), max(a, b)
		}
	}
}

// quicksort sorts xs with a branch-free Lomuto partition around a
// median-of-three pivot, as introsort: past 2·log2(n) levels, which only
// an adversarial series reaches, it hands the rest to pdqsort, so a
// flow's packets cannot make it quadratic.
func quicksort(xs []int64) {
	quicksortDepth(xs, 2*bits.Len(uint(len(xs))))
}

func quicksortDepth(xs []int64, depth int) {
	for len(xs) > 8 {
		if depth == 0 {
			slices.Sort(xs)
			return
		}
		depth--
		n := len(xs)
		a, b, c := 0, n/2, n-1
		if xs[a] > xs[b] {
			a, b = b, a
		}
		if xs[b] > xs[c] {
			b = c
			if xs[a] > xs[b] {
				b = a
			}
		}
		xs[0], xs[b] = xs[b], xs[0]
		p := xs[0]
		i := partitionBelow(xs[1:], p, false)
		if i == 0 {
			// The pivot is the least value: move its copies next to it,
			// where they are sorted, however many the series repeats.
			xs = xs[1+partitionBelow(xs[1:], p, true):]
			continue
		}
		xs[0], xs[i] = xs[i], xs[0]
		lo, hi := xs[:i], xs[i+1:]
		if len(lo) < len(hi) {
			quicksortDepth(lo, depth)
			xs = hi
		} else {
			quicksortDepth(hi, depth)
			xs = lo
		}
	}
	exchangeSort(xs)
}

// partitionBelow moves the values below p (or equal to it, with orEqual)
// to the front of xs and returns how many there are. Every value costs
// the same two stores whichever side it goes to, so the loop has no
// branch to mispredict on random data.
func partitionBelow(xs []int64, p int64, orEqual bool) int {
	i := 0
	if orEqual {
		for j, v := range xs {
			xs[j] = xs[i]
			xs[i] = v
			i += b2i(v <= p)
		}
		return i
	}
	for j, v := range xs {
		xs[j] = xs[i]
		xs[i] = v
		i += b2i(v < p)
	}
	return i
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
