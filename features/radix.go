package features

import (
	"math/bits"
	"slices"
)

// sortInts sorts xs ascending. Series here are integers (bytes and
// nanoseconds) spanning few bytes, so above a small size an LSD radix
// sort over only the bytes that vary beats comparison sorting; scratch is
// reused between calls.
//
// The thresholds come from measuring each method on random series
// (sizes spanning 2^11, times spanning 2^24 and 2^40): insertion sort wins
// up to about 40 values, pdqsort up to about 64 values per radix pass.
func sortInts(xs []int64, scratch *[]int64) {
	switch {
	case len(xs) <= 40:
		insertionSort(xs)
		return
	case len(xs) < 128:
		slices.Sort(xs)
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
	if len(xs) < 64*passes {
		slices.Sort(xs)
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

func insertionSort(xs []int64) {
	for i := 1; i < len(xs); i++ {
		v := xs[i]
		j := i
		for j > 0 && xs[j-1] > v {
			xs[j] = xs[j-1]
			j--
		}
		xs[j] = v
	}
}
