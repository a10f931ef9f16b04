package gbdt

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dmitryikh/leaves"
)

// xorData draws y = (x0 > 0.3) xor (x1 < 0.5) with labels flipped with
// probability noise, nCols-2 pure-noise features and a fraction nanFrac of
// missing values in every column.
func xorData(n, nCols int, noise, nanFrac float64, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n*nCols)
	y := make([]float64, n)
	for r := 0; r < n; r++ {
		row := x[r*nCols : (r+1)*nCols]
		for c := range row {
			row[c] = rng.Float64()
		}
		if (row[0] > 0.3) != (row[1] < 0.5) {
			y[r] = 1
		}
		if rng.Float64() < noise {
			y[r] = 1 - y[r]
		}
		for c := range row {
			if rng.Float64() < nanFrac {
				row[c] = math.NaN()
			}
		}
	}
	return &Dataset{X: x, NRows: n, NCols: nCols, Y: y}
}

func fastParams() Params {
	p := DefaultParams()
	p.NumRounds = 40
	p.LearningRate = 0.3
	p.EarlyStoppingRounds = 0
	return p
}

func loadLeaves(t *testing.T, e *Ensemble, transform bool) (*leaves.Ensemble, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := e.WriteLightGBM(&buf, nil); err != nil {
		t.Fatal(err)
	}
	model, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(buf.Bytes())), transform)
	if err != nil {
		t.Fatalf("leaves cannot load the model: %v\n%s", err, buf.String()[:min(buf.Len(), 2000)])
	}
	return model, buf.Bytes()
}

// probeRows returns rows sitting exactly on every split threshold (and one
// ulp either side), rows with NaN in the split feature, and an all-NaN row.
func probeRows(e *Ensemble, base []float64) [][]float64 {
	var rows [][]float64
	nan := make([]float64, e.nFeatures)
	for i := range nan {
		nan[i] = math.NaN()
	}
	rows = append(rows, nan)
	for _, t := range e.trees {
		for k, f := range t.feature {
			th := t.threshold[k]
			for _, v := range []float64{th, math.Nextafter(th, math.Inf(-1)), math.Nextafter(th, math.Inf(1)), math.NaN()} {
				row := append([]float64(nil), base...)
				row[f] = v
				rows = append(rows, row)
			}
		}
	}
	return rows
}

func TestLeavesPredictsIdentically(t *testing.T) {
	d := xorData(4000, 6, 0.1, 0.05, 1)
	test := xorData(2000, 6, 0.1, 0.05, 2)
	p := fastParams()
	p.Subsample = 0.8
	p.ColSampleByTree = 0.8
	p.MaxLeaves = 12
	p.MaxDepth = 0
	e, err := Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	prob, _ := loadLeaves(t, e, true)
	raw, _ := loadLeaves(t, e, false)
	if prob.NEstimators() != e.NumTrees() {
		t.Fatalf("leaves has %d trees, want %d", prob.NEstimators(), e.NumTrees())
	}
	rows := probeRows(e, test.row(0))
	for r := 0; r < test.NRows; r++ {
		rows = append(rows, test.row(r))
	}
	onThreshold := 0
	for i, row := range rows {
		got, want := prob.PredictSingle(row, 0), e.Predict(row)
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("row %d %v: leaves %v, ours %v", i, row, got, want)
		}
		gotRaw, wantRaw := raw.PredictSingle(row, 0), e.PredictRaw(row)
		if math.Abs(gotRaw-wantRaw) > 1e-9 {
			t.Fatalf("row %d %v: leaves raw %v, ours %v", i, row, gotRaw, wantRaw)
		}
		for _, tr := range e.trees {
			for k, f := range tr.feature {
				if row[f] == tr.threshold[k] {
					onThreshold++
				}
			}
		}
	}
	if onThreshold < e.NumTrees() {
		t.Fatalf("only %d rows exercised a threshold exactly", onThreshold)
	}
}

// The scores accumulated during training come from binned comparisons;
// the model's come from raw thresholds. They agree only if "x <= threshold"
// selects exactly the bins the trainer sent left, NaN included.
func TestThresholdsMatchBins(t *testing.T) {
	d := xorData(3000, 5, 0.1, 0.1, 3)
	// Repeated values and values in the bin-sample-excluded rows.
	for r := 0; r < d.NRows; r += 7 {
		d.X[r*d.NCols+2] = 0.25
	}
	for _, sub := range []float64{1, 0.7} {
		p := fastParams()
		p.Subsample = sub
		p.BinSampleRows = 500
		p.MaxBin = 16
		e, f, err := train(d, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < d.NRows; r++ {
			if got := e.PredictRaw(d.row(r)); math.Abs(got-f[r]) > 1e-9 {
				t.Fatalf("subsample %v row %d: model %v, training score %v", sub, r, got, f[r])
			}
		}
	}
}

// Hand-checked: x=1,2,3,4, y=0,0,1,1, one stump with learning rate 1 and
// lambda 0. Base score log(2/2)=0, p=0.5, g=p-y=±0.5, h=0.25; the split
// goes between 2 and 3 (threshold 2.5) and the leaves are -G/H = -1/0.5 = -2
// and +2.
func TestStumpByHand(t *testing.T) {
	d, err := NewDataset([]float64{1, 2, 3, 4}, 4, 1, []float64{0, 0, 1, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.NumRounds, p.LearningRate, p.Lambda, p.MinChildWeight, p.MaxDepth = 1, 1, 0, 0, 1
	e, err := Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := e.trees[0]
	if len(tr.feature) != 1 || tr.threshold[0] != 2.5 {
		t.Fatalf("splits %v thresholds %v, want one at 2.5", tr.feature, tr.threshold)
	}
	for _, c := range []struct{ x, raw float64 }{{1, -2}, {2.5, -2}, {2.6, 2}, {4, 2}, {100, 2}} {
		if got := e.PredictRaw([]float64{c.x}); math.Abs(got-c.raw) > 1e-12 {
			t.Errorf("x=%v: raw %v, want %v", c.x, got, c.raw)
		}
	}
	// Gain = GL²/HL + GR²/HR - G²/H = 1/0.5 + 1/0.5 - 0 = 4.
	gain, _ := e.FeatureImportance(ImportanceGain)
	if math.Abs(gain[0]-4) > 1e-12 {
		t.Errorf("gain %v, want 4", gain[0])
	}
}

// Rows with x missing are all positive; the split on x must learn to send
// NaN to the positive side, in both the trainer and leaves.
func TestMissingDirectionLearned(t *testing.T) {
	for _, missingLabel := range []float64{0, 1} {
		n := 1000
		x := make([]float64, n)
		y := make([]float64, n)
		for r := range x {
			x[r] = float64(r%100) / 100
			if x[r] > 0.5 {
				y[r] = 1
			}
			if r%10 == 0 {
				x[r] = math.NaN()
				y[r] = missingLabel
			}
		}
		d, err := NewDataset(x, n, 1, y, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := fastParams()
		p.MaxDepth = 1
		e, err := Train(d, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := e.Predict([]float64{math.NaN()})
		if (got > 0.5) != (missingLabel == 1) {
			t.Errorf("missing label %v: P(NaN row)=%v", missingLabel, got)
		}
		model, _ := loadLeaves(t, e, true)
		if l := model.PredictSingle([]float64{math.NaN()}, 0); math.Abs(l-got) > 1e-9 {
			t.Errorf("leaves gives %v for the NaN row, ours %v", l, got)
		}
	}
}

func naiveAUC(s, y []float64) float64 {
	var num, den float64
	for i := range s {
		for j := range s {
			if y[i] == 1 && y[j] == 0 {
				den++
				switch {
				case s[i] > s[j]:
					num++
				case s[i] == s[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestAUCAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 20; trial++ {
		n := 1 + rng.IntN(300)
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(20)) // many ties
			y[i] = float64(rng.IntN(2))
		}
		y[0], y[n/2] = 1, 0
		if n == 1 {
			continue
		}
		got, err := ROCAUC(s, y)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveAUC(s, y); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUC %v, naive %v", trial, got, want)
		}
	}
	if _, err := ROCAUC([]float64{1, 2}, []float64{1, 1}); err == nil {
		t.Error("single-class AUC gave no error")
	}
}

func TestLearnsXor(t *testing.T) {
	d := xorData(20000, 10, 0.1, 0.02, 10)
	valid := xorData(5000, 10, 0.1, 0.02, 11)
	test := xorData(5000, 10, 0.1, 0.02, 12)
	p := DefaultParams()
	e, err := Train(d, p, valid)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float64, test.NRows)
	for r := range s {
		s[r] = e.Predict(test.row(r))
	}
	auc, err := ROCAUC(s, test.Y)
	if err != nil {
		t.Fatal(err)
	}
	// With 10% flipped labels the Bayes AUC is about 0.9 (2% NaN costs a
	// little): a perfect ranking of the clean classes.
	if auc < 0.87 {
		t.Errorf("held-out AUC %.4f, want >= 0.87", auc)
	}
	if naive := naiveAUC(s[:2000], test.Y[:2000]); math.Abs(naive-aucScores(s[:2000], test.Y[:2000])) > 1e-12 {
		t.Errorf("AUC %v disagrees with the naive %v", aucScores(s[:2000], test.Y[:2000]), naive)
	}
	gain, _ := e.FeatureImportance(ImportanceGain)
	splits, _ := e.FeatureImportance(ImportanceSplit)
	for f := 2; f < d.NCols; f++ {
		if gain[f] >= gain[0] || gain[f] >= gain[1] {
			t.Errorf("noise feature %d gain %v beats x0 %v / x1 %v", f, gain[f], gain[0], gain[1])
		}
	}
	if splits[0] == 0 || splits[1] == 0 {
		t.Errorf("split counts %v", splits)
	}
	t.Logf("AUC %.4f with %d trees (best round %d)", auc, e.NumTrees(), e.BestIteration)
}

func TestEarlyStopping(t *testing.T) {
	d := xorData(2000, 20, 0.3, 0, 20)
	valid := xorData(2000, 20, 0.3, 0, 21)
	for _, m := range []Metric{LogLoss, AUC} {
		p := DefaultParams()
		p.LearningRate = 0.5
		p.EarlyStoppingRounds = 5
		p.EvalMetric = m
		e, err := Train(d, p, valid)
		if err != nil {
			t.Fatal(err)
		}
		h := e.EvalHistory
		if len(h) == p.NumRounds {
			t.Fatalf("%v: no early stop in %d rounds", m, len(h))
		}
		if len(h) != e.BestIteration+1+p.EarlyStoppingRounds || e.NumTrees() != e.BestIteration+1 {
			t.Fatalf("%v: %d rounds, best %d, %d trees", m, len(h), e.BestIteration, e.NumTrees())
		}
		// The kept ensemble's metric is the recorded best one.
		raw := make([]float64, valid.NRows)
		for r := range raw {
			raw[r] = e.PredictRaw(valid.row(r))
		}
		if got := evalMetric(m, raw, valid); math.Abs(got-h[e.BestIteration]) > 1e-9 {
			t.Fatalf("%v: kept model scores %v, history says %v", m, got, h[e.BestIteration])
		}
		for i, v := range h {
			better := v < h[e.BestIteration]
			if m == AUC {
				better = v > h[e.BestIteration]
			}
			if better {
				t.Fatalf("%v: round %d (%v) beats best round %d", m, i, v, e.BestIteration)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	d := xorData(5000, 8, 0.1, 0.05, 30)
	valid := xorData(1000, 8, 0.1, 0.05, 31)
	p := fastParams()
	p.Subsample, p.ColSampleByTree, p.EarlyStoppingRounds = 0.7, 0.6, 5
	write := func(p Params) []byte {
		e, err := Train(d, p, valid)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := e.WriteLightGBM(&b, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	p.NumThreads = 1
	a := write(p)
	p.NumThreads = 4
	b := write(p)
	c := write(p)
	if !bytes.Equal(a, b) || !bytes.Equal(b, c) {
		t.Fatal("same seed gave different model files")
	}
	p.Seed = 2
	if bytes.Equal(a, write(p)) {
		t.Fatal("a different seed gave the same sampled model")
	}
}

func TestScalePosWeightAndWeights(t *testing.T) {
	d := xorData(1000, 3, 0.1, 0, 40)
	var pos, neg float64
	for _, y := range d.Y {
		if y == 1 {
			pos++
		} else {
			neg++
		}
	}
	p := fastParams()
	p.NumRounds = 1
	p.ScalePosWeight = 3
	e, err := Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Log(3 * pos / neg); math.Abs(e.BaseScore()-want) > 1e-12 {
		t.Errorf("base score %v, want %v", e.BaseScore(), want)
	}
	// Doubling every weight must not change the model (same quantiles,
	// min_child_weight 0): gradients and hessians scale together.
	p.ScalePosWeight, p.MinChildWeight, p.Lambda, p.NumRounds = 1, 0, 0, 5
	w1 := make([]float64, d.NRows)
	w2 := make([]float64, d.NRows)
	for r := range w1 {
		w1[r] = 1 + float64(r%3)
		w2[r] = 2 * w1[r]
	}
	d.W = w1
	e1, err := Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.W = w2
	e2, err := Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < d.NRows; r++ {
		if a, b := e1.PredictRaw(d.row(r)), e2.PredictRaw(d.row(r)); math.Abs(a-b) > 1e-9 {
			t.Fatalf("row %d: %v vs %v", r, a, b)
		}
	}
}

func TestWeightedQuantiles(t *testing.T) {
	// Values 0..99; rows >= 50 weigh 9 times more, so 90% of the weight
	// sits above 50 and most of 10 bins must too.
	vals := make([]valWeight, 100)
	for i := range vals {
		vals[i] = valWeight{float64(i), 1}
		if i >= 50 {
			vals[i].w = 9
		}
	}
	cuts := cutPoints(vals, 10)
	above := 0
	for _, c := range cuts {
		if c > 50 {
			above++
		}
	}
	if len(cuts) != 9 || above < 8 {
		t.Fatalf("cuts %v", cuts)
	}
}

func TestErrors(t *testing.T) {
	good := xorData(50, 2, 0, 0, 50)
	cases := []struct {
		name string
		d    *Dataset
		p    func(*Params)
		v    *Dataset
		want string
	}{
		{"empty", &Dataset{}, nil, nil, "empty"},
		{"nil", nil, nil, nil, "empty"},
		{"short X", &Dataset{X: good.X[:5], NRows: 50, NCols: 2, Y: good.Y}, nil, nil, "len(X)"},
		{"short Y", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y[:3]}, nil, nil, "len(Y)"},
		{"short W", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: []float64{1}}, nil, nil, "len(W)"},
		{"NaN label", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: withAt(good.Y, 3, math.NaN())}, nil, nil, "label NaN"},
		{"label 2", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: withAt(good.Y, 3, 2)}, nil, nil, "label 2"},
		{"Inf weight", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: withAt(ones(50), 1, math.Inf(1))}, nil, nil, "weight +Inf"},
		{"NaN weight", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: withAt(ones(50), 1, math.NaN())}, nil, nil, "weight NaN"},
		{"negative weight", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: withAt(ones(50), 1, -1)}, nil, nil, "weight -1"},
		{"zero weights", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: make([]float64, 50)}, nil, nil, "sum to 0"},
		{"single class", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: make([]float64, 50)}, nil, nil, "single class"},
		{"valid columns", good, nil, xorData(10, 3, 0, 0, 1), "columns"},
		{"valid single class AUC", good, func(p *Params) { p.EvalMetric = AUC }, &Dataset{X: good.X, NRows: 50, NCols: 2, Y: make([]float64, 50)}, "AUC is undefined"},
		{"huge weight", &Dataset{X: good.X, NRows: 50, NCols: 2, Y: good.Y, W: withAt(ones(50), 1, 1e200)}, nil, nil, "exceeds"},
		{"rounds", good, func(p *Params) { p.NumRounds = 0 }, nil, "NumRounds"},
		{"unbounded", good, func(p *Params) { p.MaxDepth, p.MaxLeaves = 0, 0 }, nil, "unbounded"},
		{"subsample", good, func(p *Params) { p.Subsample = 0 }, nil, "Subsample"},
		{"lr NaN", good, func(p *Params) { p.LearningRate = math.NaN() }, nil, "LearningRate"},
		{"max bin", good, func(p *Params) { p.MaxBin = 256 }, nil, "MaxBin"},
	}
	for _, c := range cases {
		p := fastParams()
		if c.p != nil {
			c.p(&p)
		}
		_, err := Train(c.d, p, c.v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := Train(&Dataset{X: good.X, NRows: 50, NCols: 2, Y: make([]float64, 50)}, fastParams(), nil); !errors.Is(err, ErrSingleClass) {
		t.Errorf("single class: %v is not ErrSingleClass", err)
	}
	e, err := Train(good, fastParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range [][]string{{"a"}, {"a", "b c"}, {"a", "x=1"}, {"", "b"}} {
		if err := e.WriteLightGBM(&bytes.Buffer{}, names); err == nil {
			t.Errorf("names %q accepted", names)
		}
	}
	if !math.IsNaN(e.Predict([]float64{1})) {
		t.Error("short row did not give NaN")
	}
}

func withAt(v []float64, i int, x float64) []float64 {
	c := append([]float64(nil), v...)
	c[i] = x
	return c
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func TestFeatureNamesWritten(t *testing.T) {
	d := xorData(500, 3, 0.1, 0, 60)
	e, err := Train(d, fastParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.WriteLightGBM(&b, []string{"bytes_fwd", "pkts_rev", "dur"}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"\nfeature_names=bytes_fwd pkts_rev dur\n", "\nobjective=binary sigmoid:1\n", "\nversion=v3\n", "\nend of trees\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("model lacks %q", want)
		}
	}
	// tree_sizes must give each "Tree=" block's exact byte length.
	var sizes []string
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "tree_sizes="); ok {
			sizes = strings.Fields(v)
		}
	}
	pos := strings.Index(s, "Tree=0\n")
	for i, sz := range sizes {
		var n int
		for _, ch := range sz {
			n = n*10 + int(ch-'0')
		}
		if !strings.HasPrefix(s[pos:], "Tree=") {
			t.Fatalf("tree %d does not start at the offset tree_sizes gives", i)
		}
		pos += n
	}
	if !strings.HasPrefix(s[pos:], "end of trees") {
		t.Fatalf("tree_sizes do not add up to the trees block")
	}
}

// The constraints hold in every leaf, also on the count-histogram path
// (MinSamplesLeaf > 1), and that path still agrees with the written model.
func TestLeafConstraints(t *testing.T) {
	d := xorData(3000, 5, 0.1, 0.05, 70)
	p := fastParams()
	p.MinSamplesLeaf = 40
	p.MinChildWeight = 5
	p.MaxDepth, p.MaxLeaves = 0, 16
	p.Subsample = 0.9
	e, f, err := train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range e.trees {
		if tr.numLeaves() > 16 {
			t.Fatalf("tree %d has %d leaves", i, tr.numLeaves())
		}
		for l := range tr.leafCount {
			if tr.numLeaves() > 1 && (tr.leafCount[l] < 40 || tr.leafHess[l] < 5) {
				t.Fatalf("tree %d leaf %d: %d rows, hessian %v", i, l, tr.leafCount[l], tr.leafHess[l])
			}
		}
	}
	for r := 0; r < d.NRows; r++ {
		if got := e.PredictRaw(d.row(r)); math.Abs(got-f[r]) > 1e-9 {
			t.Fatalf("row %d: model %v, training score %v", r, got, f[r])
		}
	}
	_, _ = loadLeaves(t, e, true)
}

// Constant and all-missing columns can never be split on and are written
// as "none" in feature_infos; the model still round-trips through leaves.
func TestConstantAndMissingColumns(t *testing.T) {
	d := xorData(2000, 4, 0.1, 0, 80)
	for r := 0; r < d.NRows; r++ {
		d.X[r*4+2] = 7
		d.X[r*4+3] = math.NaN()
	}
	e, err := Train(d, fastParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := e.FeatureImportance(ImportanceSplit)
	if splits[2] != 0 || splits[3] != 0 || splits[0] == 0 {
		t.Fatalf("split counts %v", splits)
	}
	m, raw := loadLeaves(t, e, true)
	if !strings.Contains(string(raw), " none none\n") {
		t.Errorf("feature_infos does not mark the dead columns: %s", strings.SplitN(string(raw), "tree_sizes", 2)[0])
	}
	row := []float64{0.5, 0.2, 3, 1}
	if a, b := m.PredictSingle(row, 0), e.Predict(row); math.Abs(a-b) > 1e-9 {
		t.Errorf("leaves %v, ours %v", a, b)
	}
}

// Small random data sets with odd values (±Inf, NaN, -0, duplicates, one
// row per class) and random parameters: training must not panic, and every
// model must agree with leaves and with its own training scores.
func TestRandomSmallProblems(t *testing.T) {
	rng := rand.New(rand.NewPCG(90, 91))
	odd := []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1), 0, 1, -1, 1e300, -1e-300}
	for trial := 0; trial < 300; trial++ {
		n, nc := 2+rng.IntN(60), 1+rng.IntN(5)
		x := make([]float64, n*nc)
		for i := range x {
			if rng.IntN(3) == 0 {
				x[i] = odd[rng.IntN(len(odd))]
			} else {
				x[i] = float64(rng.IntN(8)) / 4
			}
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(rng.IntN(2))
		}
		y[0], y[1] = 0, 1
		var w []float64
		if rng.IntN(2) == 0 {
			w = make([]float64, n)
			for i := range w {
				w[i] = float64(rng.IntN(4))
			}
			w[0], w[1] = 1, 1
		}
		d, err := NewDataset(x, n, nc, y, w)
		if err != nil {
			t.Fatal(err)
		}
		p := DefaultParams()
		p.NumRounds = 1 + rng.IntN(8)
		p.MaxDepth = rng.IntN(5)
		p.MaxLeaves = []int{0, 2, 5}[rng.IntN(3)]
		if p.MaxDepth == 0 && p.MaxLeaves == 0 {
			p.MaxDepth = 3
		}
		p.MinChildWeight = []float64{0, 0.5, 1}[rng.IntN(3)]
		p.MinSamplesLeaf = 1 + rng.IntN(3)
		p.Lambda = []float64{0, 1}[rng.IntN(2)]
		p.MaxBin = 2 + rng.IntN(6)
		p.BinSampleRows = rng.IntN(n + 1)
		p.Subsample = []float64{1, 0.5}[rng.IntN(2)]
		p.ColSampleByTree = []float64{1, 0.5}[rng.IntN(2)]
		p.NumThreads = 1 + rng.IntN(3)
		e, f, err := train(d, p, nil)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		m, _ := loadLeaves(t, e, false)
		for r := 0; r < n; r++ {
			row := d.row(r)
			got := e.PredictRaw(row)
			if l := m.PredictSingle(row, 0); math.Abs(l-got) > 1e-9 || math.IsNaN(got) {
				t.Fatalf("trial %d row %d %v: leaves %v, ours %v", trial, r, row, l, got)
			}
			if math.Abs(got-f[r]) > 1e-9 {
				t.Fatalf("trial %d row %d %v: model %v, training score %v", trial, r, row, got, f[r])
			}
		}
	}
}
