// Package evaluate measures a trained flow classifier honestly and reports it:
// capture-grouped splits (flows of one capture are alike, so whole captures are
// held out), weighted ROC/PR metrics, threshold rules chosen on validation data,
// per-capture detection rates, a golearn baseline, and JSON/HTML/text reports.
//
// # Conventions
//
// Labels are 0 (benign) and 1 (malicious); scores are finite numbers, usually
// probabilities in [0,1]. A flow is flagged when its score is >= the threshold.
// Weights are optional (nil means every row weighs 1) and must be finite and
// non-negative.
//
// # Splits
//
// A capture's label is the majority label of its flows (a tie counts as
// malicious: malicious captures are the rarer ones and matter most).
// HoldoutByGroup and
// GroupKFold never put flows of one capture on both sides, and stratify by the
// capture label so each side sees both classes when there are enough captures.
// The holdout fraction counts captures, not flows: captures differ in size by
// orders of magnitude, and counting flows would let one large capture decide
// the whole test set. GroupKFold balances flows across folds within each class.
//
// # Metrics
//
// ROC AUC is the trapezoid area over the distinct score thresholds, which equals
// the weighted Mann-Whitney statistic with ties counting one half. PR AUC is
// average precision as scikit-learn defines it: sum over distinct thresholds of
// (R_n - R_{n-1}) * P_n, without interpolation. Both are undefined when the
// labels hold a single class: Compute then sets SingleClass, reports ROC AUC
// 0.5 and PR AUC equal to the positive rate (what a random ranking scores), and
// ChooseThreshold's data-driven rules return an error.
//
// # Use from cmd/train
//
//	train, test, _ := evaluate.HoldoutByGroup(groups, labels, 0.25, seed)
//	// split train again by capture for validation, fit, then:
//	thr, _ := evaluate.ChooseThreshold("f1", validScores, validLabels, validWeights)
//	// refit on train, score test:
//	hold, _ := evaluate.Compute(testScores, testLabels, testWeights, thr)
//	caps, _ := evaluate.PerCapture(testGroups, testLabels, testScores, thr)
//	folds, _ := evaluate.GroupKFold(groups, labels, 5, seed) // same steps per fold -> Report.CVFolds
//	base, _ := evaluate.Baseline(trainX, trainLabels, testX, seed)
//	rep := &evaluate.Report{Holdout: hold, Captures: caps /* ... */}
//	rep.Text(os.Stdout); rep.WriteJSON(f); rep.WriteHTML(g)
//
// Compared with the first sketch of this API, Compute, PerCapture and
// Report.Text also return an error, because empty or NaN input must be
// reported rather than turned into numbers.
//
// # Baseline
//
// Baseline trains a bagged ensemble of golearn ID3 trees on quantile-binned
// features (see Baseline for the subsampling it does to stay fast) so the
// boosted model can be compared against something simple on the same split.
// Its bootstrap draws come from golearn and cannot be seeded, so its figures
// vary a little from run to run; everything else here is fixed by the seed.
package evaluate
