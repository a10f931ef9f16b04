package gbdt

// gpair is one row's gradient and hessian of the weighted logistic loss.
// Like XGBoost we keep them in float32 (half the memory traffic in the
// histogram loop) and sum them in float64.
type gpair struct{ g, h float32 }

// histEntry accumulates the gradient pairs of the rows in one bin. Row
// counts live in a separate histogram that is only built when
// MinSamplesLeaf > 1: leaving them out keeps the hot loop to two adds.
type histEntry struct{ g, h float64 }

// nodeSum is the totals of a node.
type nodeSum struct {
	g, h float64
	n    int64
}

// lanes is the number of histogram copies the build loops rotate through.
// Consecutive rows of a low-cardinality feature mostly hit the same bin;
// with one copy every add waits for the previous one to be stored, with four
// the chains run side by side (about 3x faster on two-valued features).
const lanes = 4

// laneHist is one feature's histogram in lanes interleaved copies.
type laneHist [lanes * 256]histEntry

// buildFeature adds the rows idx of column col to s; og[i] is the gradient
// pair of row idx[i]. Row i always goes to copy i%lanes, so the sums do not
// depend on how the work is scheduled.
func buildFeature(s *laneHist, col []uint8, idx []int32, og []gpair) {
	og = og[:len(idx)]
	n := len(idx) &^ (lanes - 1)
	for i := 0; i < n; i += lanes {
		i4 := idx[i : i+4 : i+4]
		o4 := og[i : i+4 : i+4]
		e0 := &s[col[i4[0]]]
		e1 := &s[256+int(col[i4[1]])]
		e2 := &s[512+int(col[i4[2]])]
		e3 := &s[768+int(col[i4[3]])]
		e0.g += float64(o4[0].g)
		e0.h += float64(o4[0].h)
		e1.g += float64(o4[1].g)
		e1.h += float64(o4[1].h)
		e2.g += float64(o4[2].g)
		e2.h += float64(o4[2].h)
		e3.g += float64(o4[3].g)
		e3.h += float64(o4[3].h)
	}
	for i := n; i < len(idx); i++ {
		e := &s[col[idx[i]]]
		e.g += float64(og[i].g)
		e.h += float64(og[i].h)
	}
}

// buildFeatureAll is buildFeature for a run of consecutive rows: col and
// gh start at the same row. The caller keeps runs a multiple of lanes long
// (except the last) so lane assignment matches buildFeature's.
func buildFeatureAll(s *laneHist, col []uint8, gh []gpair) {
	gh = gh[:len(col)]
	n := len(col) &^ (lanes - 1)
	for i := 0; i < n; i += lanes {
		c4 := col[i : i+4 : i+4]
		g4 := gh[i : i+4 : i+4]
		e0 := &s[c4[0]]
		e1 := &s[256+int(c4[1])]
		e2 := &s[512+int(c4[2])]
		e3 := &s[768+int(c4[3])]
		e0.g += float64(g4[0].g)
		e0.h += float64(g4[0].h)
		e1.g += float64(g4[1].g)
		e1.h += float64(g4[1].h)
		e2.g += float64(g4[2].g)
		e2.h += float64(g4[2].h)
		e3.g += float64(g4[3].g)
		e3.h += float64(g4[3].h)
	}
	for i := n; i < len(col); i++ {
		e := &s[col[i]]
		e.g += float64(gh[i].g)
		e.h += float64(gh[i].h)
	}
}

// mergeLanes writes the sum of s's copies of bins 0..len(h)-1 into h, in a
// fixed order.
func mergeLanes(h []histEntry, s *laneHist) {
	for b := range h {
		h[b] = histEntry{
			(s[b].g + s[256+b].g) + (s[512+b].g + s[768+b].g),
			(s[b].h + s[256+b].h) + (s[512+b].h + s[768+b].h),
		}
	}
}

// countFeature adds the rows idx of column col to the count histogram c.
func countFeature(c *[256]int64, col []uint8, idx []int32) {
	for _, r := range idx {
		c[col[r]]++
	}
}

// countFeatureAll is countFeature for the node holding every row.
func countFeatureAll(c *[256]int64, col []uint8) {
	for _, b := range col {
		c[b]++
	}
}

// split describes a candidate split of a leaf on a feature.
type split struct {
	feature     int // -1: none
	bin         int // value bins 1..bin go left
	defaultLeft bool
	gain        float64
	left, right nodeSum
}

var noSplit = split{feature: -1}

// splitRules are the constraints a child must meet.
type splitRules struct {
	lambda         float64
	minGain        float64
	minChildWeight float64
	minSamples     int64
}

func leafScore(g, h, lambda float64) float64 {
	if h+lambda <= 0 {
		return 0
	}
	return g * g / (h + lambda)
}

// bestSplit scans the histogram h (bin 0 missing, bins 1..nb values) of
// feature f for a node with totals sum; cnt is the matching count histogram,
// nil when MinSamplesLeaf is 1 (then an empty child has zero gain and cannot
// win). Gain is XGBoost's loss change (without the 1/2 factor), so
// MinSplitGain means the same as its gamma. Ties keep the first candidate
// found, which makes the result deterministic.
func bestSplit(f int, h []histEntry, cnt []int64, nb int, sum nodeSum, ru *splitRules) split {
	best := noSplit
	best.gain = ru.minGain
	if nb < 2 {
		return best
	}
	parent := leafScore(sum.g, sum.h, ru.lambda)
	miss := nodeSum{g: h[0].g, h: h[0].h}
	hasMissing := miss.h > 1e-9*sum.h // subtracted histograms leave rounding residue
	if cnt != nil {
		miss.n = cnt[0]
		hasMissing = miss.n > 0
	}
	scan := func(missLeft bool) {
		var acc nodeSum
		if missLeft {
			acc = miss
		}
		for b := 1; b < nb; b++ {
			e := h[b]
			acc.g += e.g
			acc.h += e.h
			if cnt != nil {
				acc.n += cnt[b]
				if acc.n < ru.minSamples {
					continue
				}
				if sum.n-acc.n < ru.minSamples {
					break
				}
			}
			rh := sum.h - acc.h
			if acc.h < ru.minChildWeight || rh < ru.minChildWeight {
				continue
			}
			rg := sum.g - acc.g
			gain := leafScore(acc.g, acc.h, ru.lambda) + leafScore(rg, rh, ru.lambda) - parent
			if gain > best.gain {
				best = split{feature: f, bin: b, defaultLeft: missLeft, gain: gain,
					left: acc, right: nodeSum{rg, rh, sum.n - acc.n}}
			}
		}
	}
	scan(false)
	if hasMissing {
		scan(true)
	} else if best.feature >= 0 {
		// No missing values reached this node: send future ones to the
		// heavier child, the likelier home for a typical row.
		best.defaultLeft = best.left.h > best.right.h
	}
	return best
}
