package gbdt

import "math"

// floatKey maps a float64 to a uint64 whose unsigned order is the float
// order (for non-NaN values; -0 sorts just below +0).
func floatKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func keyFloat(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// sortFloats sorts v (no NaNs) ascending with an LSD radix sort on the
// order-preserving keys, skipping the byte positions where all keys agree.
// It is several times faster than a comparison sort on the 10^5-10^6
// values per feature that binning sorts. buf is scratch space, grown as
// needed and returned for reuse.
func sortFloats(v []float64, buf []uint64) []uint64 {
	n := len(v)
	if n < 2 {
		return buf
	}
	if cap(buf) < 2*n {
		buf = make([]uint64, 2*n)
	}
	keys, tmp := buf[:n], buf[n:2*n]
	var counts [8][256]int
	for i, x := range v {
		k := floatKey(x)
		keys[i] = k
		for d := 0; d < 8; d++ {
			counts[d][byte(k>>(8*d))]++
		}
	}
	for d := 0; d < 8; d++ {
		c := &counts[d]
		if c[byte(keys[0]>>(8*d))] == n {
			continue // every key has the same byte here
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := 8 * d
		for _, k := range keys {
			b := byte(k >> shift)
			tmp[c[b]] = k
			c[b]++
		}
		keys, tmp = tmp, keys
	}
	for i, k := range keys {
		v[i] = keyFloat(k)
	}
	return buf
}
