package gbdt

// gpair is one row's gradient and hessian of the weighted logistic loss.
type gpair struct{ g, h float64 }

// histEntry accumulates the rows that fall into one bin.
type histEntry struct {
	g, h float64
	n    int64
}

func (a histEntry) sub(b histEntry) histEntry {
	return histEntry{a.g - b.g, a.h - b.h, a.n - b.n}
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
		e.n++
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
		e.n++
	}
}

// split describes a candidate split of a leaf on a feature.
type split struct {
	feature     int // -1: none
	bin         int // value bins 1..bin go left
	defaultLeft bool
	gain        float64
	left, right histEntry
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
// feature f for a node with totals sum. Gain is XGBoost's loss change
// (without the 1/2 factor), so MinSplitGain means the same as its gamma.
// Ties keep the first candidate found, which makes the result deterministic.
func bestSplit(f int, h []histEntry, nb int, sum histEntry, ru *splitRules) split {
	best := noSplit
	best.gain = ru.minGain
	if nb < 2 {
		return best
	}
	parent := leafScore(sum.g, sum.h, ru.lambda)
	miss := h[0]
	scan := func(missLeft bool) {
		var acc histEntry
		if missLeft {
			acc = miss
		}
		for b := 1; b < nb; b++ {
			e := h[b]
			acc.g += e.g
			acc.h += e.h
			acc.n += e.n
			if acc.n < ru.minSamples || acc.h < ru.minChildWeight {
				continue
			}
			r := sum.sub(acc)
			if r.n < ru.minSamples {
				break
			}
			if r.h < ru.minChildWeight {
				continue
			}
			gain := leafScore(acc.g, acc.h, ru.lambda) + leafScore(r.g, r.h, ru.lambda) - parent
			if gain > best.gain {
				best = split{feature: f, bin: b, defaultLeft: missLeft, gain: gain, left: acc, right: r}
			}
		}
	}
	scan(false)
	if miss.n > 0 {
		scan(true)
	} else if best.feature >= 0 {
		// No missing values reached this node: send future ones to the
		// heavier child, the likelier home for a typical row.
		best.defaultLeft = best.left.h > best.right.h
	}
	return best
}
