package evaluate

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/flowclass/flowclass/model/gbdt"
	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/evaluation"
)

// naiveAUC is the O(n²) weighted Mann-Whitney statistic: over every
// (positive, negative) pair, 1 if the positive scores higher, ½ on a tie.
func naiveAUC(scores []float64, labels []int, weights []float64) float64 {
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	var num, pos, neg float64
	for i := range scores {
		if labels[i] == 1 {
			pos += w(i)
		} else {
			neg += w(i)
		}
	}
	for i := range scores {
		if labels[i] != 1 {
			continue
		}
		for j := range scores {
			if labels[j] != 0 {
				continue
			}
			switch {
			case scores[i] > scores[j]:
				num += w(i) * w(j)
			case scores[i] == scores[j]:
				num += w(i) * w(j) / 2
			}
		}
	}
	return num / (pos * neg)
}

// naiveAP computes average precision the other way round: every positive
// contributes its weight share times the precision at its own score (rows
// tied with it all count as flagged).
func naiveAP(scores []float64, labels []int, weights []float64) float64 {
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	var pos float64
	for i := range scores {
		if labels[i] == 1 {
			pos += w(i)
		}
	}
	var ap float64
	for i := range scores {
		if labels[i] != 1 || w(i) == 0 {
			continue
		}
		var tp, fp float64
		for j := range scores {
			if scores[j] >= scores[i] {
				if labels[j] == 1 {
					tp += w(j)
				} else {
					fp += w(j)
				}
			}
		}
		ap += w(i) / pos * tp / (tp + fp)
	}
	return ap
}

func randomCase(rng *rand.Rand, n int, weighted bool, levels int) ([]float64, []int, []float64) {
	s := make([]float64, n)
	y := make([]int, n)
	var w []float64
	if weighted {
		w = make([]float64, n)
	}
	for i := range s {
		y[i] = rng.Intn(2)
		// Informative but overlapping scores, rounded to force many ties.
		v := rng.Float64()*0.7 + 0.3*float64(y[i])
		s[i] = math.Round(v*float64(levels)) / float64(levels)
		if weighted {
			w[i] = float64(rng.Intn(4)) + rng.Float64()
			if rng.Intn(10) == 0 {
				w[i] = 0
			}
		}
	}
	y[0], y[1] = 0, 1 // both classes
	if weighted {
		w[0], w[1] = 1, 1
	}
	return s, y, w
}

func TestROCAUCAndAPAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.Intn(300)
		levels := []int{2, 5, 20, 1000}[trial%4]
		s, y, w := randomCase(rng, n, trial%2 == 1, levels)
		m, err := Compute(s, y, w, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveAUC(s, y, w); math.Abs(m.ROCAUC-want) > 1e-12 {
			t.Fatalf("trial %d (n=%d levels=%d weighted=%v): ROC AUC %v, naive %v", trial, n, levels, w != nil, m.ROCAUC, want)
		}
		if want := naiveAP(s, y, w); math.Abs(m.PRAUC-want) > 1e-12 {
			t.Fatalf("trial %d: AP %v, naive %v", trial, m.PRAUC, want)
		}
		if w == nil {
			// A third, independent implementation in the trainer.
			fy := make([]float64, n)
			for i, v := range y {
				fy[i] = float64(v)
			}
			g, err := gbdt.ROCAUC(s, fy)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(g-m.ROCAUC) > 1e-12 {
				t.Fatalf("trial %d: ROC AUC %v, gbdt.ROCAUC %v", trial, m.ROCAUC, g)
			}
		}
	}
}

func TestHandWorkedExamples(t *testing.T) {
	// scikit-learn's docstring example: sorted by score 0.8(+) 0.4(-)
	// 0.35(+) 0.1(-). AP = 0.5*1 + 0.5*(2/3) = 5/6; AUC: 3 of 4 pairs
	// ordered correctly = 0.75.
	s := []float64{0.1, 0.4, 0.35, 0.8}
	y := []int{0, 0, 1, 1}
	m, err := Compute(s, y, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AP", m.PRAUC, 5.0/6)
	near(t, "ROC AUC", m.ROCAUC, 0.75)
	// At 0.5 only 0.8 is flagged: TP=1 FP=0 FN=1 TN=2.
	near(t, "precision", m.Precision, 1)
	near(t, "recall", m.Recall, 0.5)
	near(t, "F1", m.F1, 2.0/3)
	near(t, "accuracy", m.Accuracy, 0.75)
	near(t, "FPR", m.FPR, 0)
	// Recall at FPR<=1%: only thresholds with no false positive qualify,
	// the best is 0.8 with recall 0.5.
	near(t, "recall@1%FPR", m.RecallAt1PctFPR, 0.5)

	// Weighted: the positive at 0.35 weighs 3. Steps: 0.8 -> TP 1, P=1,
	// R=1/4; 0.4 -> FP 1; 0.35 -> TP 4, P=4/5, R=1. AP = 1/4 + 3/4*4/5.
	// AUC: pairs (pos w, neg w, credit): 0.8 beats both negatives (1*1*2),
	// 0.35 beats 0.1 only (3*1) -> (2+3)/(4*2) = 5/8.
	m, err = Compute(s, y, []float64{1, 1, 3, 1}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Weighted {
		t.Error("Weighted not set with weights")
	}
	near(t, "weighted AP", m.PRAUC, 0.25+0.75*0.8)
	near(t, "weighted ROC AUC", m.ROCAUC, 5.0/8)
	// At 0.3: 0.8, 0.4, 0.35 flagged: TP=4, FP=1, TN=1, FN=0.
	near(t, "weighted TP", m.TP, 4)
	near(t, "weighted FP", m.FP, 1)
	near(t, "weighted precision", m.Precision, 0.8)
	near(t, "weighted FPR", m.FPR, 0.5)

	// All tied: one step to (1,1) -> AUC 0.5, AP = precision = 1/2.
	m, err = Compute([]float64{0.5, 0.5, 0.5, 0.5}, []int{1, 0, 1, 0}, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "tied AUC", m.ROCAUC, 0.5)
	near(t, "tied AP", m.PRAUC, 0.5)
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// golearnCM builds golearn instances for the true and predicted classes and
// returns golearn's confusion matrix.
func golearnCM(t *testing.T, y []int, pred []int) evaluation.ConfusionMatrix {
	t.Helper()
	mk := func(v []int) *base.DenseInstances {
		inst := base.NewDenseInstances()
		a := base.NewCategoricalAttribute()
		a.SetName("label")
		spec := inst.AddAttribute(a)
		if err := inst.AddClassAttribute(a); err != nil {
			t.Fatal(err)
		}
		if err := inst.Extend(len(v)); err != nil {
			t.Fatal(err)
		}
		for i, c := range v {
			s := "0"
			if c == 1 {
				s = "1"
			}
			inst.Set(spec, i, a.GetSysValFromString(s))
		}
		return inst
	}
	cm, err := evaluation.GetConfusionMatrix(mk(y), mk(pred))
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func TestConfusionAgainstGolearn(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 30; trial++ {
		s, y, _ := randomCase(rng, 50+rng.Intn(500), false, 100)
		thr := rng.Float64()
		m, err := Compute(s, y, nil, thr)
		if err != nil {
			t.Fatal(err)
		}
		pred := make([]int, len(s))
		for i, v := range s {
			if v >= thr {
				pred[i] = 1
			}
		}
		cm := golearnCM(t, y, pred)
		near(t, "TP", m.TP, evaluation.GetTruePositives("1", cm))
		near(t, "FP", m.FP, evaluation.GetFalsePositives("1", cm))
		near(t, "FN", m.FN, evaluation.GetFalseNegatives("1", cm))
		near(t, "TN", m.TN, evaluation.GetTrueNegatives("1", cm))
		near(t, "accuracy", m.Accuracy, evaluation.GetAccuracy(cm))
		if m.TP+m.FP > 0 { // golearn divides by zero (NaN) where we report 0
			near(t, "precision", m.Precision, evaluation.GetPrecision("1", cm))
		}
		near(t, "recall", m.Recall, evaluation.GetRecall("1", cm))
		if m.TP > 0 {
			near(t, "F1", m.F1, evaluation.GetF1Score("1", cm))
		}
	}
}

func TestRecallAt1PctFPRAndCurves(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	s, y, w := randomCase(rng, 5000, true, 100000)
	m, err := Compute(s, y, w, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Naive: try every observed score as the threshold.
	var pos, neg float64
	for i := range s {
		if y[i] == 1 {
			pos += w[i]
		} else {
			neg += w[i]
		}
	}
	best := 0.0
	for _, thr := range s {
		var tp, fp float64
		for i, v := range s {
			if v >= thr && y[i] == 1 {
				tp += w[i]
			} else if v >= thr {
				fp += w[i]
			}
		}
		if fp/neg <= 0.01 && tp/pos > best {
			best = tp / pos
		}
	}
	near(t, "recall@1%FPR", m.RecallAt1PctFPR, best)

	for name, c := range map[string][]Point{"ROC": m.ROC, "PR": m.PR} {
		if len(c) > MaxCurvePoints || len(c) < 50 {
			t.Errorf("%s curve has %d points, want 50..%d", name, len(c), MaxCurvePoints)
		}
		for i := 1; i < len(c); i++ {
			if c[i].X < c[i-1].X || c[i].Threshold > c[i-1].Threshold {
				t.Fatalf("%s curve not monotone at %d: %+v after %+v", name, i, c[i], c[i-1])
			}
		}
	}
	if p := m.ROC[0]; p.X != 0 || p.Y != 0 {
		t.Errorf("ROC starts at %+v, want origin", p)
	}
	if p := m.ROC[len(m.ROC)-1]; p.X != 1 || p.Y != 1 {
		t.Errorf("ROC ends at %+v, want (1,1)", p)
	}
	// The downsampled ROC must still integrate close to the exact AUC.
	var area float64
	for i := 1; i < len(m.ROC); i++ {
		area += (m.ROC[i].X - m.ROC[i-1].X) * (m.ROC[i].Y + m.ROC[i-1].Y) / 2
	}
	if math.Abs(area-m.ROCAUC) > 0.01 {
		t.Errorf("area under downsampled ROC %v, exact %v", area, m.ROCAUC)
	}
}

func TestChooseThreshold(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	s, y, w := randomCase(rng, 2000, true, 200)
	eval := func(thr float64) Metrics {
		m, err := Compute(s, y, w, thr)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Brute force over every observed score.
	var bestF1, bestJ, bestRec float64 = -1, -2, -1
	for _, thr := range s {
		m := eval(thr)
		bestF1 = math.Max(bestF1, m.F1)
		bestJ = math.Max(bestJ, m.Recall-m.FPR)
		if m.FPR <= 0.01 {
			bestRec = math.Max(bestRec, m.Recall)
		}
	}
	thr, err := ChooseThreshold("f1", s, y, w)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "F1 at chosen threshold", eval(thr).F1, bestF1)
	thr, err = ChooseThreshold("youden", s, y, w)
	if err != nil {
		t.Fatal(err)
	}
	m := eval(thr)
	near(t, "Youden J at chosen threshold", m.Recall-m.FPR, bestJ)
	thr, err = ChooseThreshold("fpr=0.01", s, y, w)
	if err != nil {
		t.Fatal(err)
	}
	m = eval(thr)
	if m.FPR > 0.01 {
		t.Errorf("fpr=0.01 chose %v with FPR %v", thr, m.FPR)
	}
	near(t, "recall at fpr=0.01 threshold", m.Recall, bestRec)

	if thr, err := ChooseThreshold("0.37", nil, nil, nil); err != nil || thr != 0.37 {
		t.Errorf("fixed rule: %v, %v", thr, err)
	}
	// A budget nothing meets: flag nothing.
	thr, err = ChooseThreshold("fpr=0", []float64{0.9, 0.8}, []int{0, 1}, nil)
	if err != nil || thr <= 0.9 {
		t.Errorf("fpr=0 with the top score negative: %v, %v (want > 0.9)", thr, err)
	}
	for _, bad := range []string{"", "f2", "fpr=", "fpr=1.5", "fpr=-1", "NaN", "inf"} {
		if _, err := ChooseThreshold(bad, s, y, w); err == nil {
			t.Errorf("rule %q accepted", bad)
		}
	}
	if _, err := ChooseThreshold("f1", []float64{0.2, 0.3}, []int{1, 1}, nil); !errors.Is(err, ErrSingleClass) {
		t.Errorf("single class: %v, want ErrSingleClass", err)
	}
}

func TestComputeEdgeCases(t *testing.T) {
	cases := []struct {
		name string
		s    []float64
		y    []int
		w    []float64
		thr  float64
	}{
		{"empty", nil, nil, nil, 0.5},
		{"length mismatch", []float64{0.1, 0.2}, []int{0}, nil, 0.5},
		{"weights mismatch", []float64{0.1}, []int{0}, []float64{1, 2}, 0.5},
		{"NaN score", []float64{0.1, math.NaN()}, []int{0, 1}, nil, 0.5},
		{"Inf score", []float64{0.1, math.Inf(1)}, []int{0, 1}, nil, 0.5},
		{"bad label", []float64{0.1, 0.2}, []int{0, 2}, nil, 0.5},
		{"negative weight", []float64{0.1, 0.2}, []int{0, 1}, []float64{1, -1}, 0.5},
		{"NaN weight", []float64{0.1, 0.2}, []int{0, 1}, []float64{1, math.NaN()}, 0.5},
		{"NaN threshold", []float64{0.1, 0.2}, []int{0, 1}, nil, math.NaN()},
		{"Inf threshold", []float64{0.1, 0.2}, []int{0, 1}, nil, math.Inf(1)},
	}
	for _, c := range cases {
		if _, err := Compute(c.s, c.y, c.w, c.thr); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if _, err := Compute(nil, nil, nil, 0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v, want ErrEmpty", err)
	}

	m, err := Compute([]float64{0.1, 0.9, 0.4}, []int{0, 0, 0}, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !m.SingleClass || m.ROCAUC != 0.5 || m.PRAUC != 0 || m.Recall != 0 || m.Precision != 0 {
		t.Errorf("all-benign: %+v", m)
	}
	near(t, "all-benign FPR", m.FPR, 1.0/3)
	m, err = Compute([]float64{0.1, 0.9}, []int{1, 1}, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !m.SingleClass || m.ROCAUC != 0.5 || m.PRAUC != 1 || m.Recall != 0.5 || m.Precision != 1 {
		t.Errorf("all-malicious: %+v", m)
	}
	// All weights zero over many distinct scores: a degenerate curve that
	// must still come back (and quickly).
	zs := make([]float64, 500)
	zy := make([]int, 500)
	zw := make([]float64, 500)
	for i := range zs {
		zs[i], zy[i] = float64(i)/500, i%2
	}
	m, err = Compute(zs, zy, zw, 0.5)
	if err != nil || !m.SingleClass || len(m.ROC) > MaxCurvePoints {
		t.Errorf("all-zero weights: %d ROC points, %v", len(m.ROC), err)
	}
	// Zero weights on every positive make it single-class too.
	m, err = Compute([]float64{0.1, 0.9}, []int{0, 1}, []float64{1, 0}, 0.5)
	if err != nil || !m.SingleClass {
		t.Errorf("zero-weight positives: %+v, %v", m, err)
	}
}

func BenchmarkCompute100k(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	s, y, w := randomCase(rng, 100000, true, 1000000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compute(s, y, w, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
