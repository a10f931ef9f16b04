package model

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Debian's python3-xgboost lives in the system interpreter (the python3
// first on PATH may not have it); the training script is xgbconv's.
const systemPython = "/usr/bin/python3"

func needXGBoost(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import xgboost; print(xgboost.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("%s cannot import xgboost (apt-get install -y python3-xgboost): %v: %s", systemPython, err, bytes.TrimSpace(out))
	}
	t.Logf("reference: xgboost %s", bytes.TrimSpace(out))
}

// TestLoadXGBoost trains a real XGBoost model, loads its JSON file and checks
// the scores against XGBoost's own predictions, then runs the leaves
// cross-checks (leaf choice, additivity of the explanations).
func TestLoadXGBoost(t *testing.T) {
	needXGBoost(t)
	const nRows, nCols = 2000, 8
	x, y := synthRows(11, nRows, nCols)
	names := featureNames(nCols)
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("label," + strings.Join(names, ",") + "\n")
	for r := range nRows {
		csv.WriteString(strconv.FormatFloat(y[r], 'g', -1, 64))
		for _, v := range x[r*nCols : (r+1)*nCols] {
			csv.WriteByte(',')
			if !math.IsNaN(v) {
				csv.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		csv.WriteByte('\n')
	}
	data, modelPath, predPath := filepath.Join(dir, "d.csv"), filepath.Join(dir, "m.json"), filepath.Join(dir, "p.txt")
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join("xgbconv", "testdata", "train_xgb.py")
	if out, err := exec.Command(systemPython, script, "train", data, modelPath, predPath, "--rounds", "30", "--base-score", "0.3").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	raw, err := os.ReadFile(predPath)
	if err != nil {
		t.Fatal(err)
	}
	preds := strings.Fields(string(raw))
	if len(preds) != nRows {
		t.Fatalf("%d XGBoost predictions for %d rows", len(preds), nRows)
	}

	m, err := LoadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != SourceXGBoost || m.FeatureSet != "" || m.Threshold != 0.5 || !slices.Equal(m.Features, names) {
		t.Fatalf("loaded %s model, set %q, threshold %v, features %v", m.Source, m.FeatureSet, m.Threshold, m.Features)
	}
	s, err := m.Bind(names, "any")
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(x, nCols)
	var maxDiff float64
	for r, row := range rows {
		want, err := strconv.ParseFloat(preds[r], 64)
		if err != nil {
			t.Fatal(err)
		}
		// XGBoost sums in float32: differences around 1e-7.
		d := math.Abs(s.Score(row) - want)
		if d > 1e-6 {
			t.Fatalf("row %d: score %v, XGBoost %v", r, s.Score(row), want)
		}
		maxDiff = max(maxDiff, d)
	}
	t.Logf("max |score - XGBoost| = %g over %d rows", maxDiff, nRows)
	checkAgainstLeaves(t, m, rows)

	// Written as an envelope and read back, it is the same model.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var training struct {
		Source  string `json:"source"`
		Booster string `json:"booster"`
		Trees   int    `json:"trees"`
	}
	if err := json.Unmarshal(m2.Training, &training); err != nil {
		t.Fatal(err)
	}
	if m2.Source != SourceEnvelope || !bytes.Equal(m2.LightGBM, m.LightGBM) || training.Source != SourceXGBoost || training.Booster != "gbtree" || training.Trees != 30 {
		t.Fatalf("envelope of XGBoost model: source %s, same text %v, training %s", m2.Source, bytes.Equal(m2.LightGBM, m.LightGBM), m2.Training)
	}
}
