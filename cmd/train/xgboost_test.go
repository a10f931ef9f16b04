package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/model"
)

const systemPython = "/usr/bin/python3"

// xgbSplits reads the split features and conditions of an XGBoost JSON
// model, to count how many CSV cells sit exactly on a split.
func xgbSplits(t *testing.T, path string) (names []string, splits map[int][]float32) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Learner struct {
			FeatureNames    []string `json:"feature_names"`
			GradientBooster struct {
				Model struct {
					Trees []struct {
						Left       []int     `json:"left_children"`
						SplitIdx   []int     `json:"split_indices"`
						Conditions []float32 `json:"split_conditions"`
					} `json:"trees"`
				} `json:"model"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	splits = map[int][]float32{}
	for _, tr := range doc.Learner.GradientBooster.Model.Trees {
		for n, l := range tr.Left {
			if l >= 0 {
				splits[tr.SplitIdx[n]] = append(splits[tr.SplitIdx[n]], tr.Conditions[n])
			}
		}
	}
	return doc.Learner.FeatureNames, splits
}

// TestXGBoostRoundTrip trains XGBoost on our exported CSV, converts its
// model with train --import-xgboost and checks that our scorer gives
// XGBoost's own probability for every row. Counts, -1 sentinels and ports
// sit exactly on split values, so a converter that gets the comparison
// (XGBoost sends x < split left, LightGBM x <= threshold) or float32
// rounding wrong shows up here.
func TestXGBoostRoundTrip(t *testing.T) {
	if err := exec.Command(systemPython, "-c", "import xgboost, numpy").Run(); err != nil {
		t.Skipf("%s cannot import xgboost and numpy (%v); install python3-xgboost; skipping", systemPython, err)
	}
	benignCaps := pickCaptures(t, "benign", 10, 50, 5000)
	maliciousCaps := pickCaptures(t, "malicious", 5, 50, 5000)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "flows.csv")
	mustTrain(t, append(captureArgs(benignCaps, maliciousCaps), "--csv", csvPath)...)

	schema := defaultSchema(t)
	namesPath := filepath.Join(dir, "features.txt")
	if err := os.WriteFile(namesPath, []byte(strings.Join(schema.ModelInputs(), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xgbModel := filepath.Join(dir, "xgb.json")
	predPath := filepath.Join(dir, "xgb-pred.txt")
	script, err := filepath.Abs(filepath.Join("testdata", "xgb_train.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemPython, script, csvPath, namesPath, xgbModel, predPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xgboost training: %v\n%s", err, out)
	}
	conv := filepath.Join(dir, "conv.json")
	mustTrain(t, "--import-xgboost", xgbModel, "-o", conv)

	m, err := model.LoadFile(conv)
	if err != nil {
		t.Fatalf("load converted model: %v", err)
	}
	fnames := schema.FeatureNames()
	sc, err := m.Bind(fnames, features.Version)
	if err != nil {
		t.Fatalf("bind converted model: %v", err)
	}
	rawPred, err := os.ReadFile(predPath)
	if err != nil {
		t.Fatal(err)
	}
	preds := strings.Fields(string(rawPred))
	c := readCSVFile(t, csvPath)
	if len(preds) != len(c.rows) {
		t.Fatalf("%d XGBoost predictions for %d CSV rows", len(preds), len(c.rows))
	}
	xnames, splits := xgbSplits(t, xgbModel)
	if len(splits) == 0 {
		t.Fatal("the XGBoost model has no splits: the comparison would be trivial")
	}
	// Rows rebuilt in the extractor's schema order from the CSV by name;
	// columns the CSV lacks stay missing (the model does not use them).
	row := make([]float64, len(fnames))
	var maxDiff float64
	worst, onSplit, bad := -1, 0, 0
	for i, rec := range c.rows {
		for j, n := range fnames {
			row[j] = math.NaN()
			if k, ok := c.col[n]; ok {
				if v, err := strconv.ParseFloat(rec[k], 64); err == nil {
					row[j] = v
				}
			}
		}
		for f, conds := range splits {
			v := float32(row[schema.Index(xnames[f])])
			for _, s := range conds {
				if v == s {
					onSplit++
				}
			}
		}
		want, err := strconv.ParseFloat(preds[i], 64)
		if err != nil {
			t.Fatalf("prediction %d: %v", i, err)
		}
		got := sc.Score(row)
		d := math.Abs(got - want)
		if !(d <= 1e-6) {
			bad++
			if bad <= 5 {
				t.Errorf("row %d (%s %s:%s -> %s:%s): ours %.9f, XGBoost %.9f", i+2, filepath.Base(c.get(rec, "source")),
					c.get(rec, "src_ip"), c.get(rec, "src_port"), c.get(rec, "dst_ip"), c.get(rec, "dst_port"), got, want)
			}
		}
		if d > maxDiff || math.IsNaN(d) {
			maxDiff, worst = d, i
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d rows differ by more than 1e-6", bad, len(c.rows))
	}
	t.Logf("%d rows, max |ours - XGBoost| = %.3g (row %d); %d row-split pairs sit exactly on a split value", len(c.rows), maxDiff, worst+2, onSplit)
}
