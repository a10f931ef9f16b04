package model

import (
	"math"
	"sort"
)

// Contribution is one feature's share of a row's score.
type Contribution struct {
	Feature      string
	Value        float64 // the feature's value in the row
	Contribution float64 // in log-odds; positive pushes towards the positive class
}

// Contributions writes every model feature's path attribution (Saabas) for
// one schema row into out (model order, len(Features())) and returns the
// bias, so that bias + sum(out) is the row's margin. Walking the row down
// each tree, a split adds (expected value of the child taken - expected
// value of the node) to the feature it splits on; the bias is the sum of the
// trees' root values. A node's expected value is LightGBM's internal_value
// when the model has it, else the leaf_count-weighted mean of its leaves.
// A row shorter than the schema, or out shorter than the model's features,
// gives NaN.
func (s *Scorer) Contributions(row []float64, out []float64) float64 {
	if len(out) < len(s.features) {
		return math.NaN()
	}
	out = out[:len(s.features)]
	for i := range out {
		out[i] = 0
	}
	if len(row) < s.schemaLen {
		return math.NaN()
	}
	x := s.gather(row)
	var bias float64
	for ti := range s.trees.trees {
		t := &s.trees.trees[ti]
		if len(t.left) == 0 {
			bias += t.leafValue[0]
			continue
		}
		bias += t.nodeValue[0]
		j := int32(0)
		for {
			c := t.right[j]
			if t.goesLeft(j, x[t.feature[j]]) {
				c = t.left[j]
			}
			var v float64
			if c < 0 {
				v = t.leafValue[^c]
			} else {
				v = t.nodeValue[c]
			}
			out[t.feature[j]] += v - t.nodeValue[j]
			if c < 0 {
				break
			}
			j = c
		}
	}
	return bias
}

// Explain returns the k features with the largest |contribution| to this
// row's score, largest first (all features that contributed when k <= 0).
// Features no split on the row's paths used are left out. It allocates the
// returned slice; it is meant for the flows that get reported, not for
// every row.
func (s *Scorer) Explain(row []float64, k int) []Contribution {
	if math.IsNaN(s.Contributions(row, s.contrib)) {
		return nil
	}
	if k <= 0 {
		var list []Contribution
		for i, c := range s.contrib {
			if c != 0 {
				list = append(list, Contribution{Feature: s.features[i], Value: row[s.cols[i]], Contribution: c})
			}
		}
		sort.SliceStable(list, func(a, b int) bool {
			return math.Abs(list[a].Contribution) > math.Abs(list[b].Contribution)
		})
		return list
	}
	// Keep only the k largest by |contribution| in one pass (alerts ask
	// for a handful out of hundreds); on ties the earlier feature stays
	// ahead, as a stable sort would keep it.
	top := make([]Contribution, 0, k)
	for i, c := range s.contrib {
		if c == 0 {
			continue
		}
		a := math.Abs(c)
		if len(top) == k && a <= math.Abs(top[k-1].Contribution) {
			continue
		}
		j := len(top)
		if j < k {
			top = append(top, Contribution{})
		} else {
			j = k - 1
		}
		for j > 0 && math.Abs(top[j-1].Contribution) < a {
			top[j] = top[j-1]
			j--
		}
		top[j] = Contribution{Feature: s.features[i], Value: row[s.cols[i]], Contribution: c}
	}
	return top
}
