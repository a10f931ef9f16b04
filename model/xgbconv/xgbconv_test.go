package xgbconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// tinyModel is a two-tree XGBoost 1.7-layout model, small enough to score by
// hand:
//
//	tree 0: f0 < 5 (missing left) ? -0.4 : (f1 < 0.1 (missing right) ? 0.25 : 0.6)
//	tree 1: constant 0.1
//
// base_score 0.2, i.e. a margin offset of ln(0.25).
func tinyModel() map[string]any {
	tree0 := map[string]any{
		"base_weights": []float64{0, 0, 0, 0, 0}, "categories": []int{}, "categories_nodes": []int{},
		"categories_segments": []int{}, "categories_sizes": []int{},
		"default_left":     []int{1, 0, 0, 0, 0},
		"id":               0,
		"left_children":    []int{1, -1, 3, -1, -1},
		"right_children":   []int{2, -1, 4, -1, -1},
		"parents":          []int{2147483647, 0, 0, 2, 2},
		"loss_changes":     []float64{1, 0, 1, 0, 0},
		"split_conditions": []float64{5.0, -0.4, 0.1, 0.25, 0.6},
		"split_indices":    []int{0, 0, 1, 0, 0},
		"split_type":       []int{0, 0, 0, 0, 0},
		"sum_hessian":      []float64{1, 1, 1, 1, 1},
		"tree_param":       map[string]any{"num_deleted": "0", "num_feature": "2", "num_nodes": "5", "size_leaf_vector": "0"},
	}
	tree1 := map[string]any{
		"default_left": []int{0}, "id": 1, "left_children": []int{-1}, "right_children": []int{-1},
		"split_conditions": []float64{0.1}, "split_indices": []int{0}, "split_type": []int{0},
		"categories_nodes": []int{},
		"tree_param":       map[string]any{"num_deleted": "0", "num_feature": "2", "num_nodes": "1", "size_leaf_vector": "0"},
	}
	return map[string]any{
		"version": []int{1, 7, 4},
		"learner": map[string]any{
			"attributes":    map[string]any{},
			"feature_names": []string{"pkts", "ratio"},
			"feature_types": []string{"float", "float"},
			"gradient_booster": map[string]any{
				"name": "gbtree",
				"model": map[string]any{
					"gbtree_model_param": map[string]any{"num_parallel_tree": "1", "num_trees": "2", "size_leaf_vector": "0"},
					"tree_info":          []int{0, 0},
					"trees":              []any{tree0, tree1},
				},
			},
			"learner_model_param": map[string]any{"base_score": "2E-1", "boost_from_average": "1", "num_class": "0", "num_feature": "2", "num_target": "1"},
			"objective":           map[string]any{"name": "binary:logistic", "reg_loss_param": map[string]any{"scale_pos_weight": "1"}},
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks a decoded tinyModel by keys and tree indices.
func at(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

func learner(m map[string]any) map[string]any { return at(m, "learner") }
func tree(m map[string]any, i int) map[string]any {
	return at(m, "learner", "gradient_booster", "model", "trees", i)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestTinyModelByHand(t *testing.T) {
	text, info, err := Convert(bytes.NewReader(mustJSON(t, tinyModel())), nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Trees != 2 || info.Features != 2 || info.Objective != "binary:logistic" || info.Booster != "gbtree" ||
		info.BaseScore != float64(float32(0.2)) || strings.Join(info.FeatureNames, ",") != "pkts,ratio" {
		t.Errorf("info = %+v", info)
	}
	if !bytes.Contains(text, []byte("\nfeature_names=pkts ratio\n")) || !bytes.Contains(text, []byte("\nobjective=binary sigmoid:1\n")) {
		t.Errorf("header misses names or objective:\n%s", text)
	}
	e := loadLeaves(t, text)

	// Leaves are float32 in XGBoost; the margin starts at logit(0.2).
	base := math.Log(float64(float32(0.2)) / (1 - float64(float32(0.2))))
	l1, l3, l4, c := float64(float32(-0.4)), 0.25, float64(float32(0.6)), float64(float32(0.1))
	nan := math.NaN()
	cases := []struct {
		name   string
		row    []float64
		margin float64
	}{
		{"below 5 goes left", []float64{4, 7}, base + l1 + c},
		{"exactly 5 goes right, 0 < 0.1 left", []float64{5, 0}, base + l3 + c},
		{"missing f0 defaults left", []float64{nan, 7}, base + l1 + c},
		{"missing f1 defaults right", []float64{6, nan}, base + l4 + c},
		{"float32 just below 5 goes left", []float64{float64(math.Nextafter32(5, 0)), 0}, base + l1 + c},
		// float64 0.1 rounds to float32(0.1), which is not < float32(0.1).
		{"float64 0.1 rounds onto the condition", []float64{6, 0.1}, base + l4 + c},
		{"+Inf goes right", []float64{math.Inf(1), math.Inf(1)}, base + l4 + c},
		{"-Inf goes left", []float64{6, math.Inf(-1)}, base + l3 + c},
	}
	for _, tc := range cases {
		got := predictAll(t, e, [][]float64{tc.row})[0]
		if want := sigmoid(tc.margin); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: %v scores %.12g, want %.12g", tc.name, tc.row, got, want)
		}
	}
}

func TestFeatureNames(t *testing.T) {
	m := tinyModel()
	data := mustJSON(t, m)
	_, info, err := Convert(bytes.NewReader(data), []string{"a", "b"})
	if err != nil || strings.Join(info.FeatureNames, ",") != "a,b" {
		t.Errorf("override: names %v, err %v", info.FeatureNames, err)
	}
	delete(learner(m), "feature_names")
	text, info, err := Convert(bytes.NewReader(mustJSON(t, m)), nil)
	if err != nil || strings.Join(info.FeatureNames, ",") != "f0,f1" || !bytes.Contains(text, []byte("feature_names=f0 f1\n")) {
		t.Errorf("default: names %v, err %v", info.FeatureNames, err)
	}
	for _, bad := range [][]string{{"a"}, {"a", "b c"}, {"a", ""}, {"a=1", "b"}} {
		if _, _, err := Convert(bytes.NewReader(data), bad); err == nil {
			t.Errorf("names %q accepted", bad)
		}
	}
}

// TestOlderLayouts covers layout variants other XGBoost releases may write:
// boolean default_left, no split_type, numbers instead of strings, and the
// bracketed base_score of 3.1+.
func TestOlderLayouts(t *testing.T) {
	want := predictAll(t, loadLeaves(t, mustConvert(t, tinyModel())), [][]float64{{math.NaN(), 1}, {6, math.NaN()}})
	m := tinyModel()
	tr := tree(m, 0)
	tr["default_left"] = []bool{true, false, false, false, false}
	delete(tr, "split_type")
	delete(tr, "categories_nodes")
	at(m, "learner", "learner_model_param")["num_feature"] = 2
	at(m, "learner", "learner_model_param")["base_score"] = "[2E-1]"
	got := predictAll(t, loadLeaves(t, mustConvert(t, m)), [][]float64{{math.NaN(), 1}, {6, math.NaN()}})
	if got[0] != want[0] || got[1] != want[1] {
		t.Errorf("older layout scores %v, want %v", got, want)
	}
}

func mustConvert(t testing.TB, m map[string]any) []byte {
	t.Helper()
	text, _, err := Convert(bytes.NewReader(mustJSON(t, m)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestDartWeights(t *testing.T) {
	m := tinyModel()
	gb := at(m, "learner", "gradient_booster")
	at(m, "learner", "gradient_booster")["gbtree"] = map[string]any{"name": "gbtree", "model": gb["model"]}
	delete(gb, "model")
	gb["name"] = "dart"
	gb["weight_drop"] = []float64{0.5, 0.25}
	text, info, err := Convert(bytes.NewReader(mustJSON(t, m)), nil)
	if err != nil || info.Booster != "dart" {
		t.Fatalf("dart: %v, info %+v", err, info)
	}
	got := predictAll(t, loadLeaves(t, text), [][]float64{{4, 0}})[0]
	want := sigmoid(info.BaseMargin + 0.5*float64(float32(-0.4)) + 0.25*float64(float32(0.1)))
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("dart scores %.12g, want %.12g", got, want)
	}
}

// TestThresholdRule checks the threshold rule against its definition, Go's
// own float64→float32 rounding: x <= splitThreshold(t) iff float32(x) < t,
// for thresholds across the float32 range and inputs on and between the
// float32 neighbours.
func TestThresholdRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conds := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 5, 0.1, -0.1, 1 << 24, 3 << 23,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0x1p-126}
	for range 20000 {
		c := math.Float32frombits(rng.Uint32())
		if !math.IsNaN(float64(c)) && !math.IsInf(float64(c), 0) {
			conds = append(conds, c)
		}
	}
	nextBelowWrong := 0
	for _, c := range conds {
		th := splitThreshold(c)
		lo := float64(math.Nextafter32(c, float32(math.Inf(-1))))
		hi := float64(math.Nextafter32(c, float32(math.Inf(1))))
		if math.IsInf(lo, -1) {
			lo = -0x1p128
		}
		if math.IsInf(hi, 1) {
			hi = 0x1p128
		}
		xs := []float64{th, math.Nextafter(th, math.Inf(1)), math.Nextafter(th, math.Inf(-1)),
			float64(c), math.Nextafter(float64(c), math.Inf(-1)), math.Nextafter(float64(c), math.Inf(1)),
			lo, hi, (lo + float64(c)) / 2, (hi + float64(c)) / 2, math.Inf(1), math.Inf(-1)}
		for range 4 {
			xs = append(xs, lo+rng.Float64()*(hi-lo))
		}
		for _, x := range xs {
			want := float32(x) < c
			if got := x <= th; got != want {
				t.Fatalf("cond %g (bits %#x): x=%v goes left=%v, XGBoost left=%v (threshold %v)",
					c, math.Float32bits(c), x, got, want, th)
			}
			if (x <= nextBelowThreshold(c)) != want {
				nextBelowWrong++
			}
		}
	}
	t.Logf("%d conditions; the nextafter(t, -Inf) rule mis-routes %d of the probed inputs", len(conds), nextBelowWrong)
	if nextBelowWrong == 0 {
		t.Error("probes never separate the midpoint rule from nextafter(t, -Inf)")
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name        string
		edit        func(m map[string]any)
		raw         string // used instead of the model when set
		suffix      string // appended to the model
		unsupported bool
	}{
		{name: "empty", raw: ""},
		{name: "binary", raw: "\x00\x00\x00?binf"},
		{name: "truncated", raw: `{"learner": {"feature_names": [`},
		{name: "trailing garbage", suffix: " {}"},
		{name: "not an object", raw: `[1, 2]`},
		{name: "no learner", raw: `{"version": [1, 7, 4]}`},
		{name: "no objective", edit: func(m map[string]any) { delete(learner(m), "objective") }},
		{name: "multi-class objective", unsupported: true, edit: func(m map[string]any) {
			at(m, "learner", "objective")["name"] = "multi:softprob"
			at(m, "learner", "learner_model_param")["num_class"] = "3"
		}},
		{name: "num_class 3", unsupported: true, edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["num_class"] = "3" }},
		{name: "num_target 2", unsupported: true, edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["num_target"] = "2" }},
		{name: "regression objective", unsupported: true, edit: func(m map[string]any) { at(m, "learner", "objective")["name"] = "reg:squarederror" }},
		{name: "gblinear", unsupported: true, edit: func(m map[string]any) {
			learner(m)["gradient_booster"] = map[string]any{"name": "gblinear", "model": map[string]any{"weights": []float64{1, 2, 3}}}
		}},
		{name: "categorical split_type", unsupported: true, edit: func(m map[string]any) { tree(m, 0)["split_type"] = []int{0, 0, 1, 0, 0} }},
		{name: "categories_nodes", unsupported: true, edit: func(m map[string]any) { tree(m, 0)["categories_nodes"] = []int{2} }},
		{name: "categorical feature type", unsupported: true, edit: func(m map[string]any) { learner(m)["feature_types"] = []string{"float", "c"} }},
		{name: "vector leaf", unsupported: true, edit: func(m map[string]any) {
			at(m, "learner", "gradient_booster", "model", "trees", 0, "tree_param")["size_leaf_vector"] = "2"
		}},
		{name: "tree in group 1", unsupported: true, edit: func(m map[string]any) { at(m, "learner", "gradient_booster", "model")["tree_info"] = []int{0, 1} }},
		{name: "tree_info length", edit: func(m map[string]any) { at(m, "learner", "gradient_booster", "model")["tree_info"] = []int{0} }},
		{name: "num_trees mismatch", edit: func(m map[string]any) {
			at(m, "learner", "gradient_booster", "model", "gbtree_model_param")["num_trees"] = "3"
		}},
		{name: "no trees", edit: func(m map[string]any) {
			mod := at(m, "learner", "gradient_booster", "model")
			mod["trees"], mod["tree_info"] = []any{}, []int{}
			at(m, "learner", "gradient_booster", "model", "gbtree_model_param")["num_trees"] = "0"
		}},
		{name: "dart without weights", edit: func(m map[string]any) {
			gb := at(m, "learner", "gradient_booster")
			gb["name"], gb["gbtree"] = "dart", map[string]any{"model": gb["model"]}
		}},
		{name: "base_score 0", edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["base_score"] = "0" }},
		{name: "base_score 1", edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["base_score"] = "1E0" }},
		{name: "base_score text", edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["base_score"] = "half" }},
		{name: "base_score vector", unsupported: true, edit: func(m map[string]any) {
			at(m, "learner", "learner_model_param")["base_score"] = "[2E-1,3E-1]"
		}},
		{name: "num_feature 0", edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["num_feature"] = "0" }},
		{name: "num_feature huge", edit: func(m map[string]any) { at(m, "learner", "learner_model_param")["num_feature"] = "2000000000" }},
		{name: "feature index out of range", edit: func(m map[string]any) { tree(m, 0)["split_indices"] = []int{0, 0, 2, 0, 0} }},
		{name: "negative feature index", edit: func(m map[string]any) { tree(m, 0)["split_indices"] = []int{-1, 0, 0, 0, 0} }},
		{name: "child out of range", edit: func(m map[string]any) { tree(m, 0)["right_children"] = []int{9, -1, 4, -1, -1} }},
		{name: "child -2", edit: func(m map[string]any) { tree(m, 0)["left_children"] = []int{-2, -1, 3, -1, -1} }},
		{name: "child index not an integer", edit: func(m map[string]any) { tree(m, 0)["left_children"] = []float64{1.5, -1, 3, -1, -1} }},
		{name: "cycle to root", edit: func(m map[string]any) { tree(m, 0)["right_children"] = []int{2, -1, 0, -1, -1} }},
		{name: "self loop", edit: func(m map[string]any) { tree(m, 0)["left_children"] = []int{1, -1, 2, -1, -1} }},
		{name: "shared child", edit: func(m map[string]any) { tree(m, 0)["right_children"] = []int{2, -1, 3, -1, -1} }},
		{name: "right child without left", edit: func(m map[string]any) { tree(m, 0)["right_children"] = []int{2, 3, 4, -1, -1} }},
		{name: "array lengths differ", edit: func(m map[string]any) { tree(m, 0)["split_conditions"] = []float64{5, -0.4, 0.1, 0.25} }},
		{name: "num_nodes mismatch", edit: func(m map[string]any) {
			at(m, "learner", "gradient_booster", "model", "trees", 0, "tree_param")["num_nodes"] = "7"
		}},
		{name: "empty tree", edit: func(m map[string]any) {
			tr := tree(m, 1)
			for _, k := range []string{"default_left", "left_children", "right_children", "split_conditions", "split_indices", "split_type"} {
				tr[k] = []int{}
			}
			at(m, "learner", "gradient_booster", "model", "trees", 1, "tree_param")["num_nodes"] = "0"
		}},
		{name: "condition beyond float32", edit: func(m map[string]any) { tree(m, 0)["split_conditions"] = []float64{1e39, -0.4, 0.1, 0.25, 0.6} }},
		{name: "leaf beyond float32", edit: func(m map[string]any) { tree(m, 1)["split_conditions"] = []float64{-1e39} }},
		{name: "default_left 2", edit: func(m map[string]any) { tree(m, 0)["default_left"] = []int{2, 0, 0, 0, 0} }},
		{name: "string where number", edit: func(m map[string]any) { tree(m, 0)["split_conditions"] = []any{"five", -0.4, 0.1, 0.25, 0.6} }},
	}
	for _, tc := range cases {
		data := []byte(tc.raw)
		if tc.raw == "" && tc.name != "empty" {
			m := tinyModel()
			if tc.edit != nil {
				tc.edit(m)
			}
			data = append(mustJSON(t, m), tc.suffix...)
		}
		text, _, err := Convert(bytes.NewReader(data), nil)
		if err == nil {
			t.Errorf("%s: accepted:\n%s", tc.name, text)
			continue
		}
		if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
			t.Errorf("%s: errors.Is(ErrUnsupported) = %v, want %v (%v)", tc.name, got, tc.unsupported, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadError(t *testing.T) {
	if _, _, err := Convert(failingReader{}, nil); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error not reported: %v", err)
	}
}
