package features

import "slices"

// sortInts sorts xs ascending. Series here are integers (bytes and
// nanoseconds) spanning few bytes, so above a small size an LSD radix
// sort over only the bytes that vary beats comparison sorting; scratch is
// reused between calls.
func sortInts(xs []int64, scratch *[]int64) {
	if len(xs) < 96 {
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
