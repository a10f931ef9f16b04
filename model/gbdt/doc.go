// Package gbdt trains gradient-boosted decision trees for binary
// classification (logistic loss) with a histogram method comparable to
// XGBoost's "hist", and writes the models in LightGBM's text format so that
// github.com/dmitryikh/leaves loads them (the files follow LightGBM's own
// layout, but have only been checked against leaves).
//
// # Data
//
// A Dataset holds dense float64 rows in row-major order (X[r*NCols+c]),
// labels in {0,1} and optional non-negative per-row weights. NaN marks a
// missing value; ±Inf are ordinary (extreme) values.
//
// # Algorithm
//
// Train(d, DefaultParams(), valid) fits an Ensemble; Predict/PredictRaw
// score a row, FeatureImportance reports gain or split counts, and
// WriteLightGBM saves the model.
//
// Every feature is cut into at most Params.MaxBin value bins at weighted
// quantiles of a (deterministic) row sample, plus a dedicated bin 0 for
// missing values. The binned matrix is stored column-major as uint8. Trees
// grow best-first (leaf-wise, like LightGBM): the leaf whose best split gains
// most is split next, bounded by MaxLeaves and MaxDepth. With MaxLeaves=0 the
// result equals depth-wise growth to MaxDepth (XGBoost's default policy),
// because then every leaf with a useful split is eventually split whatever
// the order. Each node's gradient/hessian histogram is built only for the
// smaller child; the larger one is its parent's minus the smaller. Gradient
// pairs are float32 (as in XGBoost) and histograms float64; rows are
// processed in blocks across groups of features so a block's gradients stay
// in cache, and each histogram is kept in four interleaved copies so that
// runs of rows hitting the same bin do not serialise on one memory slot.
// Missing values learn a default direction per split: both sides are tried.
//
// Histograms are built in parallel over features only, and each feature's
// histogram is summed in an order fixed by the rows, so a model depends on
// the seed and the data but not on the number of cores. Row subsampling
// draws each row independently (like XGBoost's subsample); column
// subsampling draws a fixed number of features per tree.
//
// # Model format
//
// A split on value bin s sends bins 1..s left; its threshold is the cut
// between bin s and s+1, so "x <= threshold" (LightGBM's rule) selects exactly
// the same rows as the binned comparison. Splits are written with
// missing_type=NaN and the learned default_left bit. The initial score
// (log-odds of the weighted base rate) is folded into the first tree's
// leaves, as LightGBM does, so a plain sum of tree outputs is the raw score.
package gbdt
