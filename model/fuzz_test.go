package model

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds Load arbitrary bytes. Load must never panic; whatever it
// accepts must bind, score, explain additively and survive Write/Load.
func FuzzLoad(f *testing.F) {
	m, _, _ := trainModel(f, 300, 4, 3)
	var env bytes.Buffer
	if err := m.Write(&env); err != nil {
		f.Fatal(err)
	}
	f.Add(env.Bytes())
	f.Add(m.LightGBM)
	f.Add(randomLightGBM(rand.New(rand.NewPCG(5, 5)), 3, 2, "v4"))
	f.Add([]byte(`{"learner":{"attributes":{},"feature_names":[],"gradient_booster":{"name":"gbtree","model":{"gbtree_model_param":{"num_trees":"1"},"trees":[{"tree_param":{"num_nodes":"1"},"left_children":[-1],"right_children":[-1],"split_indices":[0],"split_conditions":[0.5],"default_left":[0],"base_weights":[0.5]}]}},"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"1"},"objective":{"name":"binary:logistic"}},"version":[1,7,4]}`))
	f.Add([]byte("tree\nversion=v3\n"))
	f.Add([]byte(`{"format":"flowclass-model/1"}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		s, err := m.Bind(m.Features, m.FeatureSet)
		if err != nil {
			t.Fatalf("loaded model does not bind: %v", err)
		}
		contrib := make([]float64, len(m.Features))
		for _, fill := range []float64{0, math.NaN(), 1, -1e300} {
			row := make([]float64, len(m.Features))
			for i := range row {
				row[i] = fill
			}
			p := s.Score(row)
			if math.IsNaN(p) || p < 0 || p > 1 {
				t.Fatalf("score %v", p)
			}
			bias := s.Contributions(row, contrib)
			sum, scale := bias, math.Abs(bias)
			for _, c := range contrib {
				sum += c
				scale += math.Abs(c)
			}
			margin := s.Margin(row)
			// Contributions can be huge and cancel (leaf values of 7e8
			// beside 1e-7): rounding is relative to their magnitude, not
			// to the margin's.
			if d := math.Abs(sum - margin); d > 1e-9*max(1, math.Abs(margin), scale) {
				t.Fatalf("bias+contributions %v, margin %v", sum, margin)
			}
			_ = s.Explain(row, 3)
		}
		var buf bytes.Buffer
		if err := m.Write(&buf); err != nil {
			t.Fatalf("loaded model does not write: %v", err)
		}
		m2, err := Load(&buf)
		if err != nil {
			t.Fatalf("written model does not load: %v", err)
		}
		if strings.Join(m2.Features, " ") != strings.Join(m.Features, " ") || !bytes.Equal(m2.LightGBM, m.LightGBM) {
			t.Fatal("Write/Load changed the model")
		}
	})
}

// TestLoadRefusesNonUTF8LightGBM: a LightGBM text with a stray byte (the
// input fuzzing found) is refused with the offset, rather than loaded and
// then saved changed.
func TestLoadRefusesNonUTF8LightGBM(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzz/FuzzLoad/a5621621c4279e86")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	text = text[strings.Index(text, "[]byte(")+len("[]byte("):]
	var body string
	if _, err := fmt.Sscanf(text, "%q", &body); err != nil {
		t.Fatal(err)
	}
	_, err = Load(strings.NewReader(body))
	if err == nil || !strings.Contains(err.Error(), "not UTF-8 text at offset 5788") {
		t.Fatalf("Load: %v, want a refusal naming offset 5788", err)
	}
}
