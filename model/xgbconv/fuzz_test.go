package xgbconv

import (
	"bytes"
	"math"
	"testing"
)

// FuzzConvert feeds arbitrary bytes to Convert: it must never panic, and
// whatever it accepts must load in leaves and score rows (including NaN and
// infinities) without panicking.
func FuzzConvert(f *testing.F) {
	f.Add(mustJSON(f, tinyModel()))
	m := tinyModel()
	tree(m, 0)["left_children"] = []int{1, -1, 0, -1, -1}
	f.Add(mustJSON(f, m))
	m = tinyModel()
	gb := at(m, "learner", "gradient_booster")
	gb["name"], gb["gbtree"], gb["weight_drop"] = "dart", map[string]any{"model": gb["model"]}, []float64{0.5, 1}
	f.Add(mustJSON(f, m))
	f.Add([]byte(`{"learner":{}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, info, err := Convert(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		e := loadLeaves(t, text)
		if e.NEstimators() != info.Trees {
			t.Fatalf("leaves sees %d trees, Info says %d", e.NEstimators(), info.Trees)
		}
		rows := make([][]float64, 4)
		for i, v := range []float64{0, math.NaN(), math.Inf(1), -1e300} {
			rows[i] = make([]float64, info.Features)
			for j := range rows[i] {
				rows[i][j] = v
			}
		}
		for i, p := range predictAll(t, e, rows) {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("row %d scores %v, not a probability", i, p)
			}
		}
	})
}
