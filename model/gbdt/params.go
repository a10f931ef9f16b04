package gbdt

import (
	"fmt"
	"math"
	"runtime"
)

// Metric selects the validation metric used for early stopping.
type Metric int

const (
	// LogLoss is the weighted mean negative log-likelihood (lower is better).
	LogLoss Metric = iota
	// AUC is the (unweighted) area under the ROC curve (higher is better).
	AUC
)

func (m Metric) String() string {
	switch m {
	case LogLoss:
		return "binary_logloss"
	case AUC:
		return "auc"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Params controls training. Start from DefaultParams and change fields.
type Params struct {
	NumRounds    int     // boosting rounds (upper bound when early stopping)
	LearningRate float64 // shrinkage applied to every leaf value

	// Tree shape. Growth is best-first; MaxLeaves=0 means no leaf limit
	// (then the tree equals depth-wise growth), MaxDepth=0 means no depth
	// limit. At least one of them must be set.
	MaxDepth  int
	MaxLeaves int

	Lambda         float64 // L2 regularisation on leaf values
	MinSplitGain   float64 // minimum loss reduction to split (XGBoost's gamma)
	MinChildWeight float64 // minimum hessian sum in a child
	MinSamplesLeaf int     // minimum number of rows in a child

	Subsample       float64 // fraction of rows drawn per tree, without replacement
	ColSampleByTree float64 // fraction of features drawn per tree

	MaxBin        int // value bins per feature, 2..255 (missing values get their own extra bin)
	BinSampleRows int // rows sampled to find the bin cuts; <= 0 uses every row

	// ScalePosWeight multiplies the weight of every positive row (class
	// weighting for imbalanced data).
	ScalePosWeight float64

	// Early stopping on the validation set given to Train: stop when the
	// metric has not improved for EarlyStoppingRounds rounds and keep the
	// trees up to the best round. 0 disables it.
	EarlyStoppingRounds int
	EvalMetric          Metric

	Seed       uint64 // drives row/column sampling and the bin-cut row sample
	NumThreads int    // 0 uses runtime.NumCPU(); the model does not depend on it
}

// DefaultParams returns XGBoost-like defaults: 300 rounds, learning rate
// 0.1, depth 6, lambda 1, min_child_weight 1, early stopping after 20 rounds.
func DefaultParams() Params {
	return Params{
		NumRounds:           300,
		LearningRate:        0.1,
		MaxDepth:            6,
		MaxLeaves:           0,
		Lambda:              1,
		MinSplitGain:        0,
		MinChildWeight:      1,
		MinSamplesLeaf:      1,
		Subsample:           1,
		ColSampleByTree:     1,
		MaxBin:              255,
		BinSampleRows:       200000,
		ScalePosWeight:      1,
		EarlyStoppingRounds: 20,
		EvalMetric:          LogLoss,
		Seed:                1,
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (p *Params) validate() error {
	switch {
	case p.NumRounds <= 0:
		return fmt.Errorf("gbdt: NumRounds=%d, want > 0", p.NumRounds)
	case !finite(p.LearningRate) || p.LearningRate <= 0:
		return fmt.Errorf("gbdt: LearningRate=%v, want > 0", p.LearningRate)
	case p.MaxDepth < 0 || p.MaxLeaves < 0:
		return fmt.Errorf("gbdt: MaxDepth=%d MaxLeaves=%d, want >= 0", p.MaxDepth, p.MaxLeaves)
	case p.MaxDepth == 0 && p.MaxLeaves == 0:
		return fmt.Errorf("gbdt: MaxDepth and MaxLeaves are both 0 (unbounded trees)")
	case p.MaxLeaves == 1:
		return fmt.Errorf("gbdt: MaxLeaves=1 allows no split, want 0 or >= 2")
	case !finite(p.Lambda) || p.Lambda < 0:
		return fmt.Errorf("gbdt: Lambda=%v, want >= 0", p.Lambda)
	case !finite(p.MinSplitGain) || p.MinSplitGain < 0:
		return fmt.Errorf("gbdt: MinSplitGain=%v, want >= 0", p.MinSplitGain)
	case !finite(p.MinChildWeight) || p.MinChildWeight < 0:
		return fmt.Errorf("gbdt: MinChildWeight=%v, want >= 0", p.MinChildWeight)
	case p.MinSamplesLeaf < 1:
		return fmt.Errorf("gbdt: MinSamplesLeaf=%d, want >= 1", p.MinSamplesLeaf)
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return fmt.Errorf("gbdt: Subsample=%v, want in (0,1]", p.Subsample)
	case !(p.ColSampleByTree > 0 && p.ColSampleByTree <= 1):
		return fmt.Errorf("gbdt: ColSampleByTree=%v, want in (0,1]", p.ColSampleByTree)
	case p.MaxBin < 2 || p.MaxBin > 255:
		return fmt.Errorf("gbdt: MaxBin=%d, want 2..255", p.MaxBin)
	case !finite(p.ScalePosWeight) || p.ScalePosWeight <= 0:
		return fmt.Errorf("gbdt: ScalePosWeight=%v, want > 0", p.ScalePosWeight)
	case p.EarlyStoppingRounds < 0:
		return fmt.Errorf("gbdt: EarlyStoppingRounds=%d, want >= 0", p.EarlyStoppingRounds)
	case p.EvalMetric != LogLoss && p.EvalMetric != AUC:
		return fmt.Errorf("gbdt: unknown EvalMetric %d", int(p.EvalMetric))
	case p.NumThreads < 0:
		return fmt.Errorf("gbdt: NumThreads=%d, want >= 0", p.NumThreads)
	}
	return nil
}

func (p *Params) threads() int {
	if p.NumThreads > 0 {
		return p.NumThreads
	}
	return runtime.NumCPU()
}
