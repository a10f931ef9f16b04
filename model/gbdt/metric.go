package gbdt

import (
	"fmt"
	"math"
	"slices"
)

// ROCAUC returns the area under the ROC curve of scores against labels in
// {0,1}. Tied scores count half, as in the Mann-Whitney U statistic.
func ROCAUC(scores, labels []float64) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("gbdt: %d scores for %d labels", len(scores), len(labels))
	}
	var pos, neg bool
	for i, y := range labels {
		if y != 0 && y != 1 {
			return 0, fmt.Errorf("gbdt: label %v at %d, want 0 or 1", y, i)
		}
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("gbdt: NaN score at %d", i)
		}
		pos = pos || y == 1
		neg = neg || y == 0
	}
	if !pos || !neg {
		return 0, fmt.Errorf("gbdt: AUC needs both classes")
	}
	return aucScores(scores, labels), nil
}

// aucScores sorts by score and, walking groups of equal scores, counts the
// negatives ranked below each positive (ties weigh 1/2).
func aucScores(scores, labels []float64) float64 {
	order := make([]int32, len(scores))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		sa, sb := scores[a], scores[b]
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	var negBelow, nPos, nNeg, pairs float64
	for i := 0; i < len(order); {
		j := i
		var p, n float64
		for ; j < len(order) && scores[order[j]] == scores[order[i]]; j++ {
			if labels[order[j]] == 1 {
				p++
			} else {
				n++
			}
		}
		pairs += p*negBelow + 0.5*p*n
		negBelow += n
		nPos += p
		nNeg += n
		i = j
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	return pairs / (nPos * nNeg)
}

// logLossRaw is the weighted mean log loss of raw scores, computed in a
// form that stays finite for large |raw|.
func logLossRaw(raw []float64, d *Dataset) float64 {
	var sum, wsum float64
	for r, f := range raw {
		w := d.weight(r)
		// -log(sigmoid(f)) = softplus(-f), -log(1-sigmoid(f)) = softplus(f)
		z := f
		if d.Y[r] == 1 {
			z = -f
		}
		sum += w * softplus(z)
		wsum += w
	}
	return sum / wsum
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
