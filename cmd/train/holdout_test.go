package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/evaluate"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/model"
)

func readReport(t *testing.T, dir string) *evaluate.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var r evaluate.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return &r
}

// externalRef finds a src or href that would fetch something from the
// network (http, https or protocol-relative): the report must open offline.
var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//)`)

// TestHoldoutModel trains on a subset of real captures and checks what the
// run produces: held-out ranking above chance, a self-contained report, a
// model without identity columns, the same result from the exported CSV,
// and a model with a renamed feature refused at bind time.
func TestHoldoutModel(t *testing.T) {
	benignCaps := pickCaptures(t, "benign", 40, 50, 5000)
	maliciousCaps := pickCaptures(t, "malicious", 20, 50, 5000)
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "model.json")
	reportDir := filepath.Join(dir, "report")
	csvPath := filepath.Join(dir, "flows.csv")
	common := []string{"--folds", "0", "--no-baseline", "--seed", "1"}
	mustTrain(t, slices.Concat(captureArgs(benignCaps, maliciousCaps), common,
		[]string{"-o", modelPath, "--report", reportDir, "--csv", csvPath})...)
	rep := readReport(t, reportDir)
	schema := defaultSchema(t)
	m, err := model.LoadFile(modelPath)
	if err != nil {
		t.Fatalf("load written model: %v", err)
	}

	t.Run("HoldoutAUC", func(t *testing.T) {
		h := rep.Holdout
		if h.SingleClass || h.Positives == 0 || h.Negatives == 0 {
			t.Fatalf("held-out set is not two-class: %+v", h)
		}
		// Seed 1 gave 0.81 on these captures. The held-out set is only 15
		// captures, so the seed (which picks them) moves the figure a lot:
		// seeds 1 to 8 gave 0.56 to 0.87. Training is deterministic for a
		// seed, so the bar holds seed 1 with 0.16 to spare for changes in
		// the trainer or extractor, and still fails a model at chance.
		t.Logf("held-out ROC AUC %.4f, PR AUC %.4f over %d flows (%.0f weighted positives)", h.ROCAUC, h.PRAUC, h.N, h.Positives)
		if h.ROCAUC < 0.65 {
			t.Errorf("held-out ROC AUC %.4f < 0.65", h.ROCAUC)
		}
	})

	t.Run("ReportHTML", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(reportDir, "report.html"))
		if err != nil {
			t.Fatalf("report.html: %v", err)
		}
		html := string(b)
		if !strings.Contains(strings.ToLower(html), "<html") {
			t.Errorf("report.html is not an HTML page")
		}
		if loc := externalRef.FindStringIndex(html); loc != nil {
			t.Errorf("report.html loads from the network: %q", html[loc[0]:min(len(html), loc[1]+60)])
		}
		if auc := fmt.Sprintf("%.4f", rep.Holdout.ROCAUC); !strings.Contains(html, auc) {
			t.Errorf("report.html does not show the held-out ROC AUC %s", auc)
		}
	})

	t.Run("ModelFeatures", func(t *testing.T) {
		if len(m.Features) == 0 {
			t.Fatal("model lists no features")
		}
		inputs := schema.ModelInputs()
		for _, id := range []string{"src_ip", "dst_ip", "src_port", "flow_id", "first_seen", "last_seen", "vlan_id"} {
			if slices.Contains(m.Features, id) {
				t.Errorf("model uses identity column %s", id)
			}
		}
		for _, f := range m.Features {
			if !slices.Contains(inputs, f) {
				t.Errorf("model feature %s is not a model input of %s", f, features.Version)
			}
		}
		if m.FeatureSet != features.Version {
			t.Errorf("model feature set %q, want %q", m.FeatureSet, features.Version)
		}
	})

	t.Run("FromCSVSameMetrics", func(t *testing.T) {
		dir2 := t.TempDir()
		model2 := filepath.Join(dir2, "model.json")
		report2 := filepath.Join(dir2, "report")
		mustTrain(t, slices.Concat([]string{"--from-csv", csvPath}, common, []string{"-o", model2, "--report", report2})...)
		a, b := rep.Holdout, readReport(t, report2).Holdout
		type pair struct {
			name string
			x, y float64
		}
		for _, p := range []pair{{"n", float64(a.N), float64(b.N)}, {"roc_auc", a.ROCAUC, b.ROCAUC}, {"pr_auc", a.PRAUC, b.PRAUC},
			{"recall_at_1pct_fpr", a.RecallAt1PctFPR, b.RecallAt1PctFPR}, {"threshold", a.Threshold, b.Threshold},
			{"tp", a.TP, b.TP}, {"fp", a.FP, b.FP}, {"tn", a.TN, b.TN}, {"fn", a.FN, b.FN}} {
			if p.x != p.y {
				t.Errorf("held-out %s: %v from captures, %v from the CSV", p.name, p.x, p.y)
			}
		}
		m2, err := model.LoadFile(model2)
		if err != nil {
			t.Fatalf("load CSV-trained model: %v", err)
		}
		if !bytes.Equal(m.LightGBM, m2.LightGBM) {
			t.Errorf("the trees differ between training from captures and from their CSV")
		}
		t.Logf("both paths: ROC AUC %.6f, threshold %.6f, identical trees", b.ROCAUC, b.Threshold)
	})

	t.Run("RenamedFeatureRefused", func(t *testing.T) {
		if _, err := m.Bind(schema.FeatureNames(), features.Version); err != nil {
			t.Fatalf("the model as written does not bind: %v", err)
		}
		if len(rep.Importance) == 0 {
			t.Fatal("report lists no feature importance")
		}
		// Rename a feature the trees really split on, in both the envelope
		// and the LightGBM text, as an extractor change would.
		old := rep.Importance[0].Name
		renamed := old + "_v0"
		raw, err := os.ReadFile(modelPath)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("model file: %v", err)
		}
		feats, _ := doc["features"].([]any)
		found := false
		for i, f := range feats {
			if f == old {
				feats[i], found = renamed, true
			}
		}
		if !found {
			t.Fatalf("model features do not list %s", old)
		}
		lgb, _ := doc["lightgbm"].(string)
		lines := strings.Split(lgb, "\n")
		for i, l := range lines {
			if names, ok := strings.CutPrefix(l, "feature_names="); ok {
				toks := strings.Fields(names)
				for j := range toks {
					if toks[j] == old {
						toks[j] = renamed
					}
				}
				lines[i] = "feature_names=" + strings.Join(toks, " ")
			}
		}
		doc["lightgbm"] = strings.Join(lines, "\n")
		edited, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		em, err := model.Load(bytes.NewReader(edited))
		if err != nil {
			if strings.Contains(err.Error(), renamed) {
				t.Logf("refused at load: %v", err)
				return
			}
			t.Fatalf("load edited model: %v", err)
		}
		_, err = em.Bind(schema.FeatureNames(), features.Version)
		if err == nil {
			t.Fatalf("a model with feature %s renamed to %s was bound to the extractor", old, renamed)
		}
		if !strings.Contains(err.Error(), renamed) {
			t.Errorf("bind error does not name the unknown feature %s: %v", renamed, err)
		}
		t.Logf("refused: %v", err)
	})
}

// TestSameNameCapturesStayApart gives captures that share a file name in
// different folders (as per-day or per-host capture folders often do): each
// must count as its own capture for the split and the weights, from the
// captures and from their CSV alike.
func TestSameNameCapturesStayApart(t *testing.T) {
	benignCaps := pickCaptures(t, "benign", 8, 50, 2000)
	maliciousCaps := pickCaptures(t, "malicious", 6, 50, 2000)
	dir := t.TempDir()
	var args []string
	for i, p := range slices.Concat(benignCaps, maliciousCaps) {
		sub := filepath.Join(dir, fmt.Sprintf("host%02d", i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(sub, "capture.pcap")
		if err := os.Symlink(p, link); err != nil {
			t.Skipf("cannot symlink in %s: %v", dir, err)
		}
		flag := "--benign"
		if i >= len(benignCaps) {
			flag = "--malicious"
		}
		args = append(args, flag, link)
	}
	common := []string{"--folds", "0", "--no-baseline", "--seed", "1"}
	csvPath := filepath.Join(dir, "flows.csv")
	mustTrain(t, slices.Concat(args, common, []string{"-o", filepath.Join(dir, "a.json"), "--report", filepath.Join(dir, "a"), "--csv", csvPath})...)
	mustTrain(t, slices.Concat([]string{"--from-csv", csvPath}, common, []string{"-o", filepath.Join(dir, "b.json"), "--report", filepath.Join(dir, "b")})...)
	a, b := readReport(t, filepath.Join(dir, "a")), readReport(t, filepath.Join(dir, "b"))
	// Every capture here yields flows, so the report must count them all.
	want := [2]int{len(benignCaps), len(maliciousCaps)}
	if a.Data.Captures != want {
		t.Errorf("from captures: report counts %v captures, want %v", a.Data.Captures, want)
	}
	if b.Data.Captures != want {
		t.Errorf("from CSV: report counts %v captures, want %v", b.Data.Captures, want)
	}
	if a.Holdout.ROCAUC != b.Holdout.ROCAUC || a.Holdout.Threshold != b.Holdout.Threshold || a.Holdout.N != b.Holdout.N {
		t.Errorf("held-out metrics differ: captures AUC %v threshold %v n %d, CSV AUC %v threshold %v n %d",
			a.Holdout.ROCAUC, a.Holdout.Threshold, a.Holdout.N, b.Holdout.ROCAUC, b.Holdout.Threshold, b.Holdout.N)
	}
}
