package model

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/model/gbdt"
)

// checkAgainstLeaves scores rows (model order) with the Scorer and with an
// independently loaded leaves ensemble and checks, row by row, that
//   - Score equals leaves' probability exactly,
//   - our tree walker picks exactly the leaves leaves picks, in every tree,
//   - bias + sum(contributions) equals leaves' raw margin to 1e-9.
func checkAgainstLeaves(t *testing.T, m *Model, rows [][]float64) {
	t.Helper()
	s, err := m.Bind(m.Features, m.FeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	ref := leavesModel(t, m.LightGBM)
	if ref.NFeatures() != len(m.Features) {
		t.Fatalf("leaves reads %d features, model lists %d", ref.NFeatures(), len(m.Features))
	}
	raw := ref.EnsembleWithRawPredictions()
	leafIdx := ref.EnsembleWithLeafPredictions()
	nTrees := ref.NEstimators()
	if nTrees != len(s.trees.trees) {
		t.Fatalf("leaves reads %d trees, we read %d", nTrees, len(s.trees.trees))
	}
	leavesLeaf := make([]float64, nTrees)
	contrib := make([]float64, len(m.Features))
	var maxDiff float64
	for r, row := range rows {
		if got, want := s.Score(row), ref.PredictSingle(row, 0); got != want {
			t.Fatalf("row %d: Score %v, leaves %v", r, got, want)
		}
		if err := leafIdx.Predict(row, 0, leavesLeaf); err != nil {
			t.Fatal(err)
		}
		for ti := range s.trees.trees {
			if got := s.trees.trees[ti].leaf(row); float64(got) != leavesLeaf[ti] {
				t.Fatalf("row %d %v tree %d: our walker reaches leaf %d, leaves reaches %v", r, row, ti, got, leavesLeaf[ti])
			}
		}
		margin := raw.PredictSingle(row, 0)
		sum := s.Contributions(row, contrib)
		for _, c := range contrib {
			sum += c
		}
		d := math.Abs(sum - margin)
		if !(d <= 1e-9) {
			t.Fatalf("row %d: bias+contributions %v, leaves margin %v (diff %g)", r, sum, margin, d)
		}
		maxDiff = max(maxDiff, d)
		// The margin is the logit of leaves' probability, where the
		// probability still resolves it.
		if p := ref.PredictSingle(row, 0); p > 1e-6 && p < 1-1e-6 {
			if l := math.Log(p / (1 - p)); math.Abs(l-margin) > 1e-6 {
				t.Fatalf("row %d: logit(p) %v, margin %v", r, l, margin)
			}
		}
	}
	t.Logf("%d rows, %d trees: max |bias+sum(contrib) - margin| = %g", len(rows), nTrees, maxDiff)
}

func rowsOf(x []float64, nCols int) [][]float64 {
	rows := make([][]float64, len(x)/nCols)
	for r := range rows {
		rows[r] = x[r*nCols : (r+1)*nCols]
	}
	return rows
}

func TestExplainGBDT(t *testing.T) {
	m, e, x := trainModel(t, 3000, 12, 40)
	rows := rowsOf(x, 12)
	// Rows sitting on every threshold the model uses and NaN everywhere.
	for _, tr := range mustParse(t, m.LightGBM).trees {
		for j := range tr.threshold {
			row := append([]float64(nil), rows[j%len(rows)]...)
			row[tr.feature[j]] = tr.threshold[j]
			rows = append(rows, row)
		}
	}
	nan := make([]float64, 12)
	for i := range nan {
		nan[i] = math.NaN()
	}
	rows = append(rows, nan, make([]float64, 12))
	checkAgainstLeaves(t, m, rows)

	// gbdt's own predictor is a second reference for the margin.
	s, err := m.Bind(m.Features, testFeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		if got, want := s.Margin(row), e.PredictRaw(row); math.Abs(got-want) > 1e-12 {
			t.Fatalf("row %d: margin %v, gbdt %v", r, got, want)
		}
	}
}

func TestExplainRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 30 {
		nf := 2 + rng.IntN(6)
		text := randomLightGBM(rng, nf, 1+rng.IntN(8), []string{"v2", "v3"}[i%2])
		m := &Model{Features: featureNames(nf), Threshold: 0.5, LightGBM: text}
		rows := make([][]float64, 400)
		for r := range rows {
			rows[r] = randomRow(rng, nf)
		}
		checkAgainstLeaves(t, m, rows)
	}
}

// TestNodeValues checks the node expected values on a hand-written tree:
//
//	node0: f0 <= 1 ? node1 : leaf2(6, count 2)
//	node1: f1 <= 0 ? leaf0(1, count 1) : leaf1(4, count 3)
//
// node1 = (1*1 + 4*3)/4 = 3.25, node0 = (13 + 12)/6 = 25/6.
func TestNodeValues(t *testing.T) {
	text := []byte(`tree
version=v3
num_class=1
num_tree_per_iteration=1
max_feature_idx=1
objective=binary sigmoid:1
feature_names=a b
tree_sizes=1 1

Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
threshold=1 0
decision_type=2 2
left_child=1 -1
right_child=-3 -2
leaf_value=1 4 6
leaf_count=1 3 2
is_linear=0
shrinkage=1


Tree=1
num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=-0.25
leaf_weight=
leaf_count=
internal_value=
internal_weight=
internal_count=
is_linear=0
shrinkage=1


end of trees

parameters:
[boosting: gbdt]
end of parameters
`)
	m := &Model{Features: []string{"a", "b"}, Threshold: 0.5, LightGBM: text}
	s, err := m.Bind([]string{"b", "a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	tr := s.trees.trees[0]
	if math.Abs(tr.nodeValue[0]-25.0/6) > 1e-15 || tr.nodeValue[1] != 3.25 {
		t.Fatalf("node values %v, want [25/6 3.25]", tr.nodeValue)
	}
	// Row (a=0.5, b=2), schema order (b, a): leaf1 = 4. a moves 25/6 -> 3.25,
	// b moves 3.25 -> 4.
	got := s.Explain([]float64{2, 0.5}, 0)
	want := []Contribution{{"a", 0.5, 3.25 - 25.0/6}, {"b", 2, 0.75}}
	if len(got) != 2 {
		t.Fatalf("Explain = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Feature != want[i].Feature || got[i].Value != want[i].Value || math.Abs(got[i].Contribution-want[i].Contribution) > 1e-15 {
			t.Fatalf("Explain = %v, want %v", got, want)
		}
	}
	if top := s.Explain([]float64{2, 0.5}, 1); len(top) != 1 || top[0].Feature != "a" {
		t.Fatalf("Explain k=1 = %v", top)
	}
	// a=2 goes straight to leaf2: only a contributes.
	if got := s.Explain([]float64{-5, 2}, 0); len(got) != 1 || got[0].Feature != "a" || math.Abs(got[0].Contribution-(6-25.0/6)) > 1e-15 {
		t.Fatalf("Explain = %v", got)
	}
	// The constant tree adds its leaf to the margin and to the bias.
	if got := s.Margin([]float64{2, 0.5}); got != 3.75 {
		t.Fatalf("Margin %v, want 4 - 0.25", got)
	}
	if bias := s.Contributions([]float64{2, 0.5}, make([]float64, 2)); math.Abs(bias-(25.0/6-0.25)) > 1e-15 {
		t.Fatalf("bias %v, want 25/6 - 0.25", bias)
	}
	checkAgainstLeaves(t, m, [][]float64{{0.5, 2}, {2, -1}, {math.NaN(), math.NaN()}, {1, 0}})

	// The same text as LightGBM 4 writes it loads too, and linear trees,
	// which leaves would score wrongly, are refused.
	v4 := bytes.Replace(text, []byte("version=v3"), []byte("version=v4"), 1)
	if m4, err := Load(bytes.NewReader(v4)); err != nil || !slices.Equal(m4.Features, []string{"a", "b"}) {
		t.Fatalf("v4: %v", err)
	}
	linear := bytes.Replace(text, []byte("is_linear=0"), []byte("is_linear=1"), 1)
	if _, err := Load(bytes.NewReader(linear)); err == nil || !strings.Contains(err.Error(), "linear trees") {
		t.Fatalf("linear tree: err %v", err)
	}
}

func mustParse(t *testing.T, text []byte) *lgbModel {
	t.Helper()
	m, err := parseLightGBM(bytes.Clone(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExplainFindsSignal trains on data whose label depends on one column
// only (the others are noise): that column must lead most explanations.
func TestExplainFindsSignal(t *testing.T) {
	const nRows, nCols = 3000, 6
	rng := rand.New(rand.NewPCG(8, 8))
	x := make([]float64, nRows*nCols)
	y := make([]float64, nRows)
	for r := range nRows {
		for c := range nCols {
			x[r*nCols+c] = rng.NormFloat64()
		}
		if x[r*nCols+4]+0.3*rng.NormFloat64() > 0 {
			y[r] = 1
		}
	}
	d, err := gbdt.NewDataset(x, nRows, nCols, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := gbdt.DefaultParams()
	p.NumRounds, p.MaxDepth, p.EarlyStoppingRounds, p.NumThreads = 30, 3, 0, 1
	e, err := gbdt.Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := e.WriteLightGBM(&text, nil); err != nil {
		t.Fatal(err)
	}
	// Column_i names from the trainer; the envelope names the columns.
	m := &Model{Features: featureNames(nCols), Threshold: 0.5, LightGBM: text.Bytes()}
	s, err := m.Bind(m.Features, "")
	if err != nil {
		t.Fatal(err)
	}
	lead := 0
	for r := range 500 {
		row := x[r*nCols : (r+1)*nCols]
		top := s.Explain(row, 1)
		if len(top) == 1 && top[0].Feature == "feat_4" {
			lead++
			// It pushes towards the side the row's value is on.
			if (row[4] > 0.5 && top[0].Contribution <= 0) || (row[4] < -0.5 && top[0].Contribution >= 0) {
				t.Fatalf("row %d: feat_4=%v contributes %v", r, row[4], top[0].Contribution)
			}
		}
	}
	if lead < 475 {
		t.Fatalf("the signal column leads %d of 500 explanations", lead)
	}
	t.Logf("signal column leads %d of 500 explanations", lead)
}
