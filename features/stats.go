package features

import (
	"math"
)

// moments accumulates count, mean, central moments 2-4 (Welford/Terriberry
// online updates, numerically stable), min and max of a series.
type moments struct {
	n        float64
	sum      float64 // exact for integer series (sizes, ns times): the reported mean is sum/n
	mean, m2 float64
	m3, m4   float64
	min, max float64
}

func (m *moments) add(x float64) {
	if m.n == 0 {
		m.min, m.max = x, x
	} else {
		m.min = math.Min(m.min, x)
		m.max = math.Max(m.max, x)
	}
	m.sum += x
	n1 := m.n
	m.n++
	n := m.n
	delta := x - m.mean
	dn := delta / n
	dn2 := dn * dn
	term1 := delta * dn * n1
	m.mean += dn
	m.m4 += term1*dn2*(n*n-3*n+3) + 6*dn2*m.m2 - 4*dn*m.m3
	m.m3 += term1*dn*(n-2) - 3*dn*m.m2
	m.m2 += term1
}

// merge combines two accumulators (Chan et al.'s pairwise formulas), so the
// bidirectional size series needs no accumulator of its own.
func merge(a, b moments) moments {
	if a.n == 0 {
		return b
	}
	if b.n == 0 {
		return a
	}
	n := a.n + b.n
	d := b.mean - a.mean
	d2, d3, d4 := d*d, d*d*d, d*d*d*d
	var r moments
	r.n = n
	r.sum = a.sum + b.sum
	r.mean = a.mean + d*b.n/n
	r.m2 = a.m2 + b.m2 + d2*a.n*b.n/n
	r.m3 = a.m3 + b.m3 + d3*a.n*b.n*(a.n-b.n)/(n*n) + 3*d*(a.n*b.m2-b.n*a.m2)/n
	r.m4 = a.m4 + b.m4 + d4*a.n*b.n*(a.n*a.n-a.n*b.n+b.n*b.n)/(n*n*n) +
		6*d2*(a.n*a.n*b.m2+b.n*b.n*a.m2)/(n*n) + 4*d*(a.n*b.m3-b.n*a.m3)/n
	r.min = math.Min(a.min, b.min)
	r.max = math.Max(a.max, b.max)
	return r
}

// variance is the population variance (divided by n).
func (m *moments) variance() float64 {
	if m.n < 2 {
		return 0
	}
	v := m.m2 / m.n
	if v < 0 { // rounding on constant series
		return 0
	}
	return v
}

// skewness is the biased Fisher-Pearson coefficient (scipy.stats.skew's
// default); 0 for a constant series.
func (m *moments) skewness() float64 {
	if m.n < 2 || m.m2 <= tiny(m) {
		return 0
	}
	return math.Sqrt(m.n) * m.m3 / math.Pow(m.m2, 1.5)
}

// kurtosis is the biased excess (Fisher) kurtosis (scipy.stats.kurtosis's
// default); 0 for a constant series.
func (m *moments) kurtosis() float64 {
	if m.n < 2 || m.m2 <= tiny(m) {
		return 0
	}
	return m.n*m.m4/(m.m2*m.m2) - 3
}

// tiny treats a second moment lost in rounding as zero, so a constant
// series does not report a huge skewness from 1e-30 noise.
func tiny(m *moments) float64 {
	s := math.Max(math.Abs(m.min), math.Abs(m.max))
	return m.n * s * s * 1e-24
}

// summary is the fixed set of statistics every series reports.
type summary struct {
	min, max, mean, median, mode float64
	stddev, variance, cv         float64
	skewness, kurtosis           float64
	p10, p25, p50, p75, p90      float64
}

// statNames are the statistics in column order; the values of summary.values
// follow the same order.
var statNames = [...]string{"min", "max", "mean", "median", "mode", "stddev", "variance", "cv",
	"skewness", "kurtosis", "p10", "p25", "p50", "p75", "p90"}

func (s *summary) values() [len(statNames)]float64 {
	return [...]float64{s.min, s.max, s.mean, s.median, s.mode, s.stddev, s.variance, s.cv,
		s.skewness, s.kurtosis, s.p10, s.p25, s.p50, s.p75, s.p90}
}

// statFields read one statistic, in statNames order, without building
// the whole values array for each of the 150 distribution columns.
var statFields = [len(statNames)]func(*summary) float64{
	func(s *summary) float64 { return s.min }, func(s *summary) float64 { return s.max },
	func(s *summary) float64 { return s.mean }, func(s *summary) float64 { return s.median },
	func(s *summary) float64 { return s.mode }, func(s *summary) float64 { return s.stddev },
	func(s *summary) float64 { return s.variance }, func(s *summary) float64 { return s.cv },
	func(s *summary) float64 { return s.skewness }, func(s *summary) float64 { return s.kurtosis },
	func(s *summary) float64 { return s.p10 }, func(s *summary) float64 { return s.p25 },
	func(s *summary) float64 { return s.p50 }, func(s *summary) float64 { return s.p75 },
	func(s *summary) float64 { return s.p90 },
}

// seriesMoments computes the moments of xs in two passes: the sum, exact
// for integers below 2^53, then the central moments about the mean. Each
// pass keeps two independent accumulators, so consecutive floating-point
// additions do not wait on each other.
func seriesMoments(xs []int64) moments {
	if len(xs) == 0 {
		return moments{}
	}
	var m moments
	lo, hi := xs[0], xs[0]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(xs); i += 2 {
		a, b := xs[i], xs[i+1]
		s0 += float64(a)
		s1 += float64(b)
		lo, hi = min(lo, a, b), max(hi, a, b)
	}
	if i < len(xs) {
		s0 += float64(xs[i])
		lo, hi = min(lo, xs[i]), max(hi, xs[i])
	}
	m.sum = s0 + s1
	m.n = float64(len(xs))
	m.min, m.max = float64(lo), float64(hi)
	m.mean = m.sum / m.n
	if lo == hi {
		return m
	}
	var a2, a3, a4, b2, b3, b4 float64
	i = 0
	for ; i+1 < len(xs); i += 2 {
		da := float64(xs[i]) - m.mean
		db := float64(xs[i+1]) - m.mean
		da2, db2 := da*da, db*db
		a2 += da2
		a3 += da2 * da
		a4 += da2 * da2
		b2 += db2
		b3 += db2 * db
		b4 += db2 * db2
	}
	if i < len(xs) {
		d := float64(xs[i]) - m.mean
		d2 := d * d
		a2 += d2
		a3 += d2 * d
		a4 += d2 * d2
	}
	m.m2, m.m3, m.m4 = a2+b2, a3+b3, a4+b4
	return m
}

// orderStats are the statistics of a series taken from its kept values
// in ascending order; all zero for an empty series.
type orderStats struct {
	p10, p25, p50, p75, p90, mode float64
}

func orderOf(sorted []int64) orderStats {
	if len(sorted) == 0 {
		return orderStats{}
	}
	return orderStats{
		p10: quantile(sorted, 0.10), p25: quantile(sorted, 0.25), p50: quantile(sorted, 0.50),
		p75: quantile(sorted, 0.75), p90: quantile(sorted, 0.90), mode: mode(sorted),
	}
}

// summaryOf reports a series from its moments (kept values and any tail
// merged) and the order statistics of its kept values. An empty series
// gives all zeros.
func summaryOf(m moments, o orderStats) summary {
	var s summary
	if m.n == 0 {
		return s
	}
	s.min, s.max, s.mean = m.min, m.max, m.sum/m.n
	s.variance = m.variance()
	s.stddev = math.Sqrt(s.variance)
	if scale := math.Max(math.Abs(m.min), math.Abs(m.max)); math.Abs(s.mean) > 1e-9*scale {
		s.cv = s.stddev / math.Abs(s.mean)
	}
	s.skewness = m.skewness()
	s.kurtosis = m.kurtosis()
	s.p10, s.p25, s.p50, s.p75, s.p90 = o.p10, o.p25, o.p50, o.p75, o.p90
	s.median = o.p50
	s.mode = o.mode
	return s
}

// quantile interpolates linearly between closest ranks (numpy's default,
// Hyndman-Fan type 7) over sorted xs.
func quantile(xs []int64, q float64) float64 {
	if len(xs) == 1 {
		return float64(xs[0])
	}
	h := q * float64(len(xs)-1)
	lo := int(math.Floor(h))
	if lo >= len(xs)-1 {
		return float64(xs[len(xs)-1])
	}
	return float64(xs[lo]) + (h-float64(lo))*float64(xs[lo+1]-xs[lo])
}

// mode is the most frequent value of sorted xs, the smallest on ties: a
// value replaces the best only once its run is strictly longer. One pass
// with no branch on the data (the compiler turns the comparisons into
// conditional moves): on sorted sizes and times the end of a run is as
// unpredictable as the data.
func mode(xs []int64) float64 {
	best, bestN, run := xs[0], 1, 1
	for i := 1; i < len(xs); i++ {
		run = run*b2i(xs[i] == xs[i-1]) + 1
		if run > bestN {
			best = xs[i]
		}
		bestN = max(bestN, run)
	}
	return float64(best)
}
