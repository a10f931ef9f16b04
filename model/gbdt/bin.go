package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// binMapper holds the cut points that turn raw feature values into bins.
// Bin 0 is "missing"; value bins run 1..nbins[f]. Value bin b (b < nbins)
// holds the values x with uppers[f][b-2] < x <= uppers[f][b-1].
type binMapper struct {
	nbins  []int
	uppers [][]float64
	minVal []float64 // over all rows, NaN when the feature is all missing
	maxVal []float64
}

type valWeight struct{ v, w float64 }

// sampleRows picks the rows used to find cut points, sorted ascending so
// the strided reads of X run forward through memory.
func sampleRows(n, k int, seed uint64) []int32 {
	if k <= 0 || k >= n {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x62696e73)) // separate stream from tree sampling
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	s := perm[:k:k]
	slices.Sort(s)
	return s
}

func newBinMapper(d *Dataset, p *Params, threads int) *binMapper {
	nf := d.NCols
	m := &binMapper{
		nbins:  make([]int, nf),
		uppers: make([][]float64, nf),
		minVal: make([]float64, nf),
		maxVal: make([]float64, nf),
	}
	rows := sampleRows(d.NRows, p.BinSampleRows, p.Seed)
	// Per-worker buffers: fresh ones per feature make the GC work hard.
	fbuf := make([][]float64, threads)
	kbuf := make([][]uint64, threads)
	vbuf := make([][]valWeight, threads)
	parallelWorkers(nf, threads, func(t, f int) {
		vals := vbuf[t][:0]
		if d.W == nil {
			// Unweighted: radix-sorting plain float64s is much faster than
			// sorting pairs, and this sort dominates binning.
			v := fbuf[t][:0]
			each(d.NRows, rows, func(r int) {
				if x := d.X[r*nf+f]; !math.IsNaN(x) {
					v = append(v, x)
				}
			})
			kbuf[t] = sortFloats(v, kbuf[t])
			for _, x := range v {
				vals = append(vals, valWeight{x, 1})
			}
			fbuf[t] = v
		} else {
			each(d.NRows, rows, func(r int) {
				if x := d.X[r*nf+f]; !math.IsNaN(x) {
					vals = append(vals, valWeight{x, d.W[r]})
				}
			})
			slices.SortFunc(vals, func(a, b valWeight) int {
				switch {
				case a.v < b.v:
					return -1
				case a.v > b.v:
					return 1
				}
				return 0
			})
		}
		vbuf[t] = vals
		m.uppers[f] = cutPoints(vals, p.MaxBin)
		m.nbins[f] = len(m.uppers[f]) + 1
	})
	return m
}

// each calls fn for every sampled row, or every row when rows is nil.
func each(n int, rows []int32, fn func(r int)) {
	if rows == nil {
		for r := 0; r < n; r++ {
			fn(r)
		}
		return
	}
	for _, r := range rows {
		fn(int(r))
	}
}

// cutPoints returns the upper bounds of all value bins but the last, given
// the values sorted ascending.
func cutPoints(vals []valWeight, maxBin int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	// Merge equal values.
	k := 0
	for i := 1; i < len(vals); i++ {
		if vals[i].v == vals[k].v {
			vals[k].w += vals[i].w
		} else {
			k++
			vals[k] = vals[i]
		}
	}
	vals = vals[:k+1]
	if len(vals) == 1 {
		return nil
	}
	var cutAfter []int
	if len(vals) <= maxBin {
		cutAfter = make([]int, len(vals)-1)
		for i := range cutAfter {
			cutAfter[i] = i
		}
	} else {
		total := 0.0
		for _, v := range vals {
			total += v.w
		}
		unit := !(total > 0)
		if unit {
			total = float64(len(vals))
		}
		cum := 0.0
		j := 1
		for i := 0; i < len(vals)-1 && j < maxBin; i++ {
			if unit {
				cum++
			} else {
				cum += vals[i].w
			}
			if cum >= total*float64(j)/float64(maxBin) {
				cutAfter = append(cutAfter, i)
				for j < maxBin && cum >= total*float64(j)/float64(maxBin) {
					j++
				}
			}
		}
	}
	uppers := make([]float64, len(cutAfter))
	for i, c := range cutAfter {
		uppers[i] = cutBetween(vals[c].v, vals[c+1].v)
	}
	return uppers
}

// cutBetween returns t with lo <= t < hi, the midpoint when representable,
// so unseen values between two training values split evenly.
func cutBetween(lo, hi float64) float64 {
	mid := lo + (hi-lo)/2
	if math.IsNaN(mid) || math.IsInf(mid, 0) || mid < lo || mid >= hi {
		return lo
	}
	return mid
}

// binOf maps one raw value to its bin by binary search.
func binOf(uppers []float64, x float64) uint8 {
	if math.IsNaN(x) {
		return 0
	}
	lo, hi := 0, len(uppers)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x <= uppers[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return uint8(lo + 1)
}

// paddedCuts is a feature's cut points padded with +Inf to 256 entries so
// that binFast can run a fixed 8-step search without bounds checks.
type paddedCuts [256]float64

func newPaddedCuts(uppers []float64) *paddedCuts {
	var p paddedCuts
	copy(p[:], uppers)
	for i := len(uppers); i < len(p); i++ {
		p[i] = math.Inf(1)
	}
	return &p
}

// binFast equals binOf: it counts the cut points below x (at most 254
// real ones, so the count stays below 255) and adds one.
func (p *paddedCuts) binFast(x float64) uint8 {
	if x != x {
		return 0
	}
	// pos += step*(cut < x) with a SETcc instead of a branch: the branch
	// would be mispredicted half the time on real data.
	pos := uint8(0)
	for step := uint8(128); step > 0; step >>= 1 {
		pos += step * b2u8(p[pos+step-1] < x)
	}
	return pos + 1
}

func b2u8(b bool) uint8 {
	var v uint8
	if b {
		v = 1
	}
	return v
}

// binMatrix bins every value of d into a column-major uint8 matrix
// (bins[f*NRows+r]) and records each feature's range.
func (m *binMapper) binMatrix(d *Dataset, threads int) []uint8 {
	n, nf := d.NRows, d.NCols
	bins := make([]uint8, n*nf)
	cuts := make([]*paddedCuts, nf)
	for f := range cuts {
		cuts[f] = newPaddedCuts(m.uppers[f])
	}
	const block = 2048
	nBlocks := (n + block - 1) / block
	type rng struct{ lo, hi []float64 }
	ranges := make([]rng, threads)
	for t := range ranges {
		ranges[t] = rng{make([]float64, nf), make([]float64, nf)}
		for f := 0; f < nf; f++ {
			ranges[t].lo[f] = math.Inf(1)
			ranges[t].hi[f] = math.Inf(-1)
		}
	}
	parallelWorkers(nBlocks, threads, func(t, b int) {
		r0 := b * block
		r1 := min(r0+block, n)
		lo, hi := ranges[t].lo, ranges[t].hi
		// Rows outer: X is read sequentially, and each column's writes
		// advance sequentially too.
		for r := r0; r < r1; r++ {
			row := d.X[r*nf : (r+1)*nf]
			for f, x := range row {
				bins[f*n+r] = cuts[f].binFast(x)
				if x < lo[f] {
					lo[f] = x
				}
				if x > hi[f] {
					hi[f] = x
				}
			}
		}
	})
	for f := 0; f < nf; f++ {
		m.minVal[f], m.maxVal[f] = math.NaN(), math.NaN()
		for t := range ranges {
			if ranges[t].lo[f] <= ranges[t].hi[f] {
				if !(ranges[t].lo[f] >= m.minVal[f]) {
					m.minVal[f] = ranges[t].lo[f]
				}
				if !(ranges[t].hi[f] <= m.maxVal[f]) {
					m.maxVal[f] = ranges[t].hi[f]
				}
			}
		}
	}
	return bins
}

// parallelFor runs fn(i) for i in [0,n) on up to threads goroutines. Work is
// handed out dynamically; callers must make fn's result independent of which
// goroutine runs it.
func parallelFor(n, threads int, fn func(i int)) {
	parallelWorkers(n, threads, func(_, i int) { fn(i) })
}

// parallelWorkers is parallelFor that also tells fn which worker (0..threads-1) runs it.
func parallelWorkers(n, threads int, fn func(worker, i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for {
				j := int(next.Add(1) - 1)
				if j >= n {
					return
				}
				fn(t, j)
			}
		}(t)
	}
	wg.Wait()
}
