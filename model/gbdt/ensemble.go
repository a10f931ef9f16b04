package gbdt

import (
	"fmt"
	"math"
)

// Ensemble is a trained model.
type Ensemble struct {
	trees      []*tree
	nFeatures  int
	featureMin []float64
	featureMax []float64
	params     Params
	baseScore  float64

	// BestIteration is the 0-based round the ensemble ends with: the best
	// validation round under early stopping, else the last round.
	BestIteration int
	// EvalHistory holds the validation metric after every round trained
	// (including rounds dropped by early stopping); nil without a
	// validation set.
	EvalHistory []float64
}

// NumTrees returns the number of trees.
func (e *Ensemble) NumTrees() int { return len(e.trees) }

// NumFeatures returns the number of features a row must have.
func (e *Ensemble) NumFeatures() int { return e.nFeatures }

// BaseScore returns the initial raw score (log-odds) folded into tree 0.
func (e *Ensemble) BaseScore() float64 { return e.baseScore }

// PredictRaw returns the raw score (log-odds) of row, summing the trees in
// order exactly as leaves does. It returns NaN when row is too short.
func (e *Ensemble) PredictRaw(row []float64) float64 {
	if len(row) < e.nFeatures {
		return math.NaN()
	}
	s := 0.0
	for _, t := range e.trees {
		s += t.predict(row)
	}
	return s
}

// Predict returns the probability of class 1 for row, or NaN when row is
// too short.
func (e *Ensemble) Predict(row []float64) float64 {
	return sigmoid(e.PredictRaw(row))
}

// ImportanceType selects what FeatureImportance measures.
type ImportanceType int

const (
	// ImportanceGain sums the loss reduction of every split on a feature.
	ImportanceGain ImportanceType = iota
	// ImportanceSplit counts the splits on a feature.
	ImportanceSplit
)

// FeatureImportance returns one value per feature.
func (e *Ensemble) FeatureImportance(kind ImportanceType) ([]float64, error) {
	if kind != ImportanceGain && kind != ImportanceSplit {
		return nil, fmt.Errorf("gbdt: unknown importance type %d", int(kind))
	}
	imp := make([]float64, e.nFeatures)
	for _, t := range e.trees {
		for i, f := range t.feature {
			if kind == ImportanceGain {
				imp[f] += t.gain[i]
			} else {
				imp[f]++
			}
		}
	}
	return imp, nil
}
