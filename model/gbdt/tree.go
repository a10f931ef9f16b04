package gbdt

import "math"

// tree is stored like LightGBM's: internal nodes in split order, children
// >= 0 are internal nodes and child < 0 is leaf ^child. A leaf keeps its
// index when split (it becomes the left child) and the right child is a new
// leaf, so the arrays can be written out as they are.
type tree struct {
	feature       []int32
	threshold     []float64
	thresholdBin  []uint8 // value bins 1..thresholdBin go left
	defaultLeft   []bool
	left, right   []int32
	gain          []float64
	internalValue []float64
	internalHess  []float64
	internalCount []int64

	leafValue []float64 // shrunk; tree 0 also carries the initial score
	leafHess  []float64
	leafCount []int64
	leafDepth []int32

	shrinkage float64
}

func (t *tree) numLeaves() int { return len(t.leafValue) }

// predict follows LightGBM's numerical decision with missing_type=NaN:
// NaN takes the default side, everything else goes left iff x <= threshold.
func (t *tree) predict(row []float64) float64 {
	if len(t.feature) == 0 {
		return t.leafValue[0]
	}
	n := int32(0)
	for n >= 0 {
		x := row[t.feature[n]]
		var goLeft bool
		if math.IsNaN(x) {
			goLeft = t.defaultLeft[n]
		} else {
			goLeft = x <= t.threshold[n]
		}
		if goLeft {
			n = t.left[n]
		} else {
			n = t.right[n]
		}
	}
	return t.leafValue[^n]
}

// leafOfBinned walks the tree on the binned matrix (column-major, n rows).
func (t *tree) leafOfBinned(bins []uint8, n, r int) int {
	if len(t.feature) == 0 {
		return 0
	}
	k := int32(0)
	for k >= 0 {
		b := bins[int(t.feature[k])*n+r]
		var goLeft bool
		if b == 0 {
			goLeft = t.defaultLeft[k]
		} else {
			goLeft = b <= t.thresholdBin[k]
		}
		if goLeft {
			k = t.left[k]
		} else {
			k = t.right[k]
		}
	}
	return int(^k)
}
