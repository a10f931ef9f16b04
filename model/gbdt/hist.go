package gbdt

// gpair is one row's gradient and hessian of the weighted logistic loss.
type gpair struct{ g, h float64 }

// histEntry accumulates the gradient pairs of the rows in one bin. Row
// counts live in a separate histogram that is only built when
// MinSamplesLeaf > 1: leaving them out keeps the hot loop to two adds.
type histEntry struct{ g, h float64 }

// nodeSum is the totals of a node.
type nodeSum struct {
	g, h float64
	n    int64
}

// buildFeature fills h (the histogram of one feature, cleared by the caller)
// from the rows idx of column col; og[i] is the gradient pair of row idx[i].
// h is an array pointer so that the uint8 bin index needs no bounds check.
func buildFeature(h *[256]histEntry, col []uint8, idx []int32, og []gpair) {
	og = og[:len(idx)]
	for i, r := range idx {
		e := &h[col[r]]
		p := og[i]
		e.g += p.g
		e.h += p.h
	}
}

// countFeature adds the rows idx of column col to the count histogram c.
func countFeature(c *[256]int64, col []uint8, idx []int32) {
	for _, r := range idx {
		c[col[r]]++
	}
}

// buildFeatureAll is buildFeature for the node holding every row in order.
func buildFeatureAll(h *[256]histEntry, col []uint8, gh []gpair) {
	gh = gh[:len(col)]
	for r, b := range col {
		e := &h[b]
		p := gh[r]
		e.g += p.g
		e.h += p.h
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
