package evaluate

import (
	"math"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"
)

// synthFlows makes rows where features 0 and 1 carry the label (shifted
// Gaussians), feature 2 is informative only through NaN-ness, and the rest
// are noise on wildly different scales plus one constant column.
func synthFlows(rng *rand.Rand, n, nf int, posRate float64) ([][]float64, []int) {
	x := make([][]float64, n)
	y := make([]int, n)
	for i := range x {
		if rng.Float64() < posRate {
			y[i] = 1
		}
		r := make([]float64, nf)
		f := float64(y[i])
		r[0] = rng.NormFloat64() + 1.5*f
		r[1] = 1000 * (rng.NormFloat64() - 1.2*f)
		if rng.Float64() < 0.2+0.5*f {
			r[2] = math.NaN()
		} else {
			r[2] = rng.Float64()
		}
		for c := 3; c < nf; c++ {
			r[c] = rng.NormFloat64() * math.Pow(10, float64(c%7))
		}
		if nf > 4 {
			r[nf-1] = 7 // constant
		}
		x[i] = r
	}
	return x, y
}

func TestBaselineLearns(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	trX, trY := synthFlows(rng, 3000, 12, 0.3)
	teX, teY := synthFlows(rng, 1000, 12, 0.3)
	start := time.Now()
	scores, err := Baseline(trX, trY, teX, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline on 3000x12: %v", time.Since(start))
	if len(scores) != len(teX) {
		t.Fatalf("%d scores for %d rows", len(scores), len(teX))
	}
	for i, s := range scores {
		if !(s >= 0 && s <= 1) {
			t.Fatalf("score %d = %v outside [0,1]", i, s)
		}
		// Scores are vote shares.
		if v := s * BaselineTrees; math.Abs(v-math.Round(v)) > 1e-9 {
			t.Fatalf("score %d = %v is not a multiple of 1/%d", i, s, BaselineTrees)
		}
	}
	m, err := Compute(scores, teY, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// The Bayes-optimal AUC on features 0-2 is about 0.92; a bagged ID3 on
	// 12 quantile bins should get most of it, and a broken one gets 0.5.
	t.Logf("baseline ROC AUC %.4f, AP %.4f", m.ROCAUC, m.PRAUC)
	if m.ROCAUC < 0.8 {
		t.Errorf("baseline ROC AUC %.4f < 0.8", m.ROCAUC)
	}
}

// TestBaselineDuplicatesDoNotHang feeds rows that no split can separate
// (identical features, both labels) with more features than the per-node
// choice, the case where golearn's own RandomTree loops forever.
func TestBaselineDuplicatesDoNotHang(t *testing.T) {
	var x [][]float64
	var y []int
	for i := 0; i < 400; i++ {
		r := make([]float64, 30)
		for c := range r {
			r[c] = float64((i / 100) * c) // 4 distinct rows, repeated
		}
		x = append(x, r)
		y = append(y, i%2)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Baseline(x, y, x[:10], 1)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("baseline did not finish within 60 s on duplicate rows")
	}
}

// TestBaselineOddValues feeds infinities, NaN-only and constant columns:
// the baseline must still answer with valid scores.
func TestBaselineOddValues(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var x [][]float64
	var y []int
	for i := 0; i < 300; i++ {
		l := i % 2
		v := rng.NormFloat64() + 2*float64(l)
		if i%17 == 0 {
			v = math.Inf(1 - 2*l)
		}
		x = append(x, []float64{v, math.NaN(), 3})
		y = append(y, l)
	}
	scores, err := Baseline(x, y, [][]float64{{math.Inf(1), 0, 3}, {math.NaN(), math.NaN(), math.NaN()}, {-5, 1, 3}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range scores {
		if !(s >= 0 && s <= 1) {
			t.Errorf("score %d = %v", i, s)
		}
	}
	// Only constant columns: every tree is a single majority leaf.
	cx := [][]float64{{1, 2}, {1, 2}, {1, 2}}
	scores, err = Baseline(cx, []int{0, 0, 1}, cx[:1], 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(scores[0] >= 0 && scores[0] <= 1) {
		t.Errorf("constant columns: score %v", scores[0])
	}
}

func TestBaselineErrors(t *testing.T) {
	x := [][]float64{{1, 2}, {3, 4}}
	for _, c := range []struct {
		name   string
		tr, te [][]float64
		y      []int
	}{
		{"no train", nil, x, nil},
		{"no test", x, nil, []int{0, 1}},
		{"ragged", [][]float64{{1, 2}, {3}}, x, []int{0, 1}},
		{"test width", x, [][]float64{{1}}, []int{0, 1}},
		{"no features", [][]float64{{}, {}}, [][]float64{{}}, []int{0, 1}},
		{"labels mismatch", x, x, []int{0}},
		{"bad label", x, x, []int{0, 2}},
		{"single class", x, x, []int{1, 1}},
	} {
		if _, err := Baseline(c.tr, c.y, c.te, 1); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestBaselineAtLimits measures a fit at the documented row and feature
// limits. It takes about a minute, so it runs only when asked:
// EVALUATE_BASELINE_FULL=1 go test -run AtLimits ./evaluate
func TestBaselineAtLimits(t *testing.T) {
	if ok, _ := strconv.ParseBool(os.Getenv("EVALUATE_BASELINE_FULL")); !ok {
		t.Skip("set EVALUATE_BASELINE_FULL=1 to time the baseline at its row/feature limits")
	}
	rng := rand.New(rand.NewSource(8))
	trX, trY := synthFlows(rng, 30000, 60, 0.2)
	teX, teY := synthFlows(rng, 5000, 60, 0.2)
	start := time.Now()
	scores, err := Baseline(trX, trY, teX, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compute(scores, teY, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline 30000x60 (kept %d rows x %d features): %v, ROC AUC %.4f", BaselineMaxRows, BaselineMaxFeatures, time.Since(start), m.ROCAUC)
}
