package evaluate

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// MaxCurvePoints bounds the points kept in Metrics.ROC and Metrics.PR, enough
// for a smooth plot while keeping the JSON report small.
const MaxCurvePoints = 200

// ErrEmpty is returned for inputs without rows.
var ErrEmpty = errors.New("evaluate: no rows")

// ErrSingleClass is returned where a computation needs both classes.
var ErrSingleClass = errors.New("evaluate: labels hold a single class")

// Point is one point of a curve: X and Y are (FPR, TPR) on a ROC curve and
// (recall, precision) on a PR curve; Threshold is the score at and above
// which flows are flagged to reach it.
type Point struct {
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Threshold float64 `json:"threshold"`
}

// Metrics summarises scores against labels. Counts are weighted sums.
type Metrics struct {
	N         int     `json:"n"`         // rows
	Positives float64 `json:"positives"` // weight of label-1 rows
	Negatives float64 `json:"negatives"` // weight of label-0 rows
	// Weighted is true when row weights were given: counts are then sums
	// of weights, not flows.
	Weighted bool `json:"weighted"`
	// SingleClass is true when the labels (with positive weight) hold one
	// class: ROCAUC is then 0.5 and PRAUC the positive rate by convention.
	SingleClass bool `json:"single_class"`

	ROCAUC          float64 `json:"roc_auc"`
	PRAUC           float64 `json:"pr_auc"`             // average precision
	RecallAt1PctFPR float64 `json:"recall_at_1pct_fpr"` // best recall with FPR <= 1%

	Threshold float64 `json:"threshold"` // flagged when score >= Threshold
	TP        float64 `json:"tp"`
	FP        float64 `json:"fp"`
	TN        float64 `json:"tn"`
	FN        float64 `json:"fn"`
	Precision float64 `json:"precision"` // 0 when nothing is flagged
	Recall    float64 `json:"recall"`    // 0 without positives
	F1        float64 `json:"f1"`
	FPR       float64 `json:"fpr"` // 0 without negatives
	Accuracy  float64 `json:"accuracy"`

	ROC []Point `json:"roc"` // downsampled, at most MaxCurvePoints
	PR  []Point `json:"pr"`  // downsampled, at most MaxCurvePoints
}

// curveStep is the cumulative confusion at one distinct score threshold, in
// descending score order: rows with score >= thr are flagged.
type curveStep struct {
	thr    float64
	tp, fp float64
}

// checkInputs validates the common inputs of Compute and ChooseThreshold.
func checkInputs(scores []float64, labels []int, weights []float64) error {
	if len(scores) == 0 {
		return ErrEmpty
	}
	if len(labels) != len(scores) {
		return fmt.Errorf("evaluate: %d scores but %d labels", len(scores), len(labels))
	}
	if weights != nil && len(weights) != len(scores) {
		return fmt.Errorf("evaluate: %d scores but %d weights", len(scores), len(weights))
	}
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("evaluate: score %d is %v, want a finite number", i, s)
		}
		if labels[i] != 0 && labels[i] != 1 {
			return fmt.Errorf("evaluate: label %d is %d, want 0 or 1", i, labels[i])
		}
		if weights != nil {
			w := weights[i]
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return fmt.Errorf("evaluate: weight %d is %v, want finite and >= 0", i, w)
			}
		}
	}
	return nil
}

// steps sorts rows by descending score and returns the cumulative weighted
// (TP, FP) after each distinct score, plus the class totals.
func steps(scores []float64, labels []int, weights []float64) (st []curveStep, pos, neg float64) {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var tp, fp float64
	for k, i := range idx {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		if labels[i] == 1 {
			tp += w
		} else {
			fp += w
		}
		// Close a step only after the last row of a tied score, so ties
		// move both TP and FP at once (a diagonal segment on the ROC).
		if k == len(idx)-1 || scores[idx[k+1]] != scores[i] {
			st = append(st, curveStep{thr: scores[i], tp: tp, fp: fp})
		}
	}
	return st, tp, fp
}

// Compute scores the predictions against the labels at threshold (flagged
// when score >= threshold). weights may be nil.
func Compute(scores []float64, labels []int, weights []float64, threshold float64) (Metrics, error) {
	if err := checkInputs(scores, labels, weights); err != nil {
		return Metrics{}, err
	}
	if math.IsNaN(threshold) || math.IsInf(threshold, 0) {
		// Inf would also make the report unencodable as JSON.
		return Metrics{}, fmt.Errorf("evaluate: threshold %v, want a finite number", threshold)
	}
	st, pos, neg := steps(scores, labels, weights)
	m := Metrics{N: len(scores), Positives: pos, Negatives: neg, Threshold: threshold, Weighted: weights != nil}

	for i, s := range scores {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		flagged := s >= threshold
		switch {
		case labels[i] == 1 && flagged:
			m.TP += w
		case labels[i] == 1:
			m.FN += w
		case flagged:
			m.FP += w
		default:
			m.TN += w
		}
	}
	m.Precision = ratio(m.TP, m.TP+m.FP)
	m.Recall = ratio(m.TP, pos)
	m.FPR = ratio(m.FP, neg)
	m.F1 = ratio(2*m.TP, 2*m.TP+m.FP+m.FN)
	m.Accuracy = ratio(m.TP+m.TN, pos+neg)

	if pos == 0 || neg == 0 {
		m.SingleClass = true
		m.ROCAUC = 0.5
		m.PRAUC = ratio(pos, pos+neg)
		if neg == 0 && pos > 0 {
			m.RecallAt1PctFPR = 1 // no negatives: every threshold has FPR 0
		}
		m.ROC, m.PR = curves(st, pos, neg)
		return m, nil
	}

	// ROC AUC: trapezoids between consecutive distinct thresholds. A tied
	// block contributes a diagonal segment, i.e. half of its pos*neg pairs.
	var area, prevTP, prevFP float64
	for _, s := range st {
		area += (s.fp - prevFP) * (s.tp + prevTP) / 2
		prevTP, prevFP = s.tp, s.fp
	}
	m.ROCAUC = area / (pos * neg)

	// Average precision, scikit-learn's step-wise definition.
	var ap, prevR float64
	for _, s := range st {
		r := s.tp / pos
		if r > prevR {
			ap += (r - prevR) * s.tp / (s.tp + s.fp)
		}
		prevR = r
	}
	m.PRAUC = ap

	for _, s := range st {
		if s.fp/neg <= 0.01 {
			m.RecallAt1PctFPR = math.Max(m.RecallAt1PctFPR, s.tp/pos)
		}
	}
	m.ROC, m.PR = curves(st, pos, neg)
	return m, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// curves builds the downsampled ROC and PR curves from the threshold steps.
func curves(st []curveStep, pos, neg float64) (roc, pr []Point) {
	if len(st) == 0 {
		return nil, nil
	}
	// The origin is reached with a threshold just above the highest score.
	top := math.Nextafter(st[0].thr, math.Inf(1))
	roc = append(roc, Point{X: 0, Y: 0, Threshold: top})
	for _, s := range st {
		roc = append(roc, Point{X: ratio(s.fp, neg), Y: ratio(s.tp, pos), Threshold: s.thr})
	}
	if pos > 0 {
		// As scikit-learn draws it: start at recall 0 with precision 1.
		pr = append(pr, Point{X: 0, Y: 1, Threshold: top})
		for _, s := range st {
			pr = append(pr, Point{X: s.tp / pos, Y: ratio(s.tp, s.tp+s.fp), Threshold: s.thr})
		}
	}
	return downsample(roc, MaxCurvePoints), downsample(pr, MaxCurvePoints)
}

// downsample keeps at most max points of a curve: the first and last, and
// points spaced along the curve's path length so that steep and flat parts
// both keep their shape.
func downsample(p []Point, max int) []Point {
	if len(p) <= max {
		return p
	}
	var total float64
	for i := 1; i < len(p); i++ {
		total += math.Abs(p[i].X-p[i-1].X) + math.Abs(p[i].Y-p[i-1].Y)
	}
	if total == 0 {
		// Every point is the same (all weights zero): nothing to trace.
		return []Point{p[0], p[len(p)-1]}
	}
	out := make([]Point, 0, max)
	out = append(out, p[0])
	step := total / float64(max-2)
	var walked, next float64
	next = step
	for i := 1; i < len(p)-1 && len(out) < max-1; i++ {
		walked += math.Abs(p[i].X-p[i-1].X) + math.Abs(p[i].Y-p[i-1].Y)
		if walked >= next {
			out = append(out, p[i])
			for next <= walked {
				next += step
			}
		}
	}
	return append(out, p[len(p)-1])
}

// ChooseThreshold picks a decision threshold from validation scores. Rules:
//
//	"f1"       the threshold with the highest F1
//	"fpr=X"    the highest recall whose false-positive rate is <= X (e.g. "fpr=0.01")
//	"youden"   the highest TPR - FPR (Youden's J)
//	"0.5"      a fixed number, returned as is (no data needed)
//
// Data-driven rules return one of the observed scores; ties in the criterion
// go to the higher threshold (fewer alerts). Call it on validation data only,
// never on the test set that is then reported.
func ChooseThreshold(rule string, scores []float64, labels []int, weights []float64) (float64, error) {
	rule = strings.TrimSpace(strings.ToLower(rule))
	if v, err := strconv.ParseFloat(rule, 64); err == nil {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("threshold rule %q: not a finite number", rule)
		}
		return v, nil
	}
	var crit func(tp, fp, pos, neg float64) (float64, bool)
	switch {
	case rule == "f1":
		crit = func(tp, fp, pos, neg float64) (float64, bool) {
			return ratio(2*tp, tp+fp+pos), true // 2TP / (2TP+FP+FN)
		}
	case rule == "youden":
		crit = func(tp, fp, pos, neg float64) (float64, bool) { return tp/pos - fp/neg, true }
	case strings.HasPrefix(rule, "fpr="):
		limit, err := strconv.ParseFloat(strings.TrimPrefix(rule, "fpr="), 64)
		if err != nil || !(limit >= 0 && limit < 1) {
			return 0, fmt.Errorf("threshold rule %q: want fpr=X with 0 <= X < 1", rule)
		}
		crit = func(tp, fp, pos, neg float64) (float64, bool) { return tp / pos, fp/neg <= limit }
	default:
		return 0, fmt.Errorf("threshold rule %q: want f1, youden, fpr=X or a number", rule)
	}
	if err := checkInputs(scores, labels, weights); err != nil {
		return 0, fmt.Errorf("threshold rule %q: %w", rule, err)
	}
	st, pos, neg := steps(scores, labels, weights)
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("threshold rule %q: %w", rule, ErrSingleClass)
	}
	best, found := math.Inf(-1), false
	var thr float64
	for _, s := range st { // descending thresholds: strict > keeps the higher one on ties
		v, ok := crit(s.tp, s.fp, pos, neg)
		if ok && v > best {
			best, thr, found = v, s.thr, true
		}
	}
	if !found {
		// Even the highest score exceeds the FPR budget: flag nothing.
		return math.Nextafter(st[0].thr, math.Inf(1)), nil
	}
	return thr, nil
}
