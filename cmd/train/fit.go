package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowclass/flowclass/evaluate"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/model"
	"github.com/flowclass/flowclass/model/gbdt"
)

// fitted is one trained model with what it was chosen with.
type fitted struct {
	ens       *gbdt.Ensemble
	threshold float64
}

// weights gives each row its weight: with "capture", every capture carries
// the same total weight (a flood of 50,000 flows counts as much as a web
// attack of five); the positive class is then balanced against the negative
// unless --scale-pos-weight says otherwise.
func (c *Config) weights(t *table, rows []int) []float64 {
	w := make([]float64, len(rows))
	per := map[string]int{}
	if c.WeightBy == "capture" {
		for _, r := range rows {
			per[t.groups[r]]++
		}
	}
	var pos, neg float64
	for i, r := range rows {
		w[i] = 1
		if c.WeightBy == "capture" {
			w[i] = 1 / float64(per[t.groups[r]])
		}
		if t.y[r] == malicious {
			pos += w[i]
		} else {
			neg += w[i]
		}
	}
	// Keep the weights' scale near one row each so min-child-weight keeps
	// its usual meaning.
	scale := float64(len(rows)) / (pos + neg)
	spw := c.ScalePosWeight
	if spw == 0 && pos > 0 {
		spw = neg / pos
	}
	for i, r := range rows {
		w[i] *= scale
		if t.y[r] == malicious {
			w[i] *= spw
		}
	}
	return w
}

func (c *Config) dataset(t *table, rows []int) (*gbdt.Dataset, error) {
	n := len(t.names)
	x := make([]float64, 0, len(rows)*n)
	y := make([]float64, len(rows))
	for i, r := range rows {
		x = append(x, t.row(r)...)
		y[i] = float64(t.y[r])
	}
	return gbdt.NewDataset(x, len(rows), n, y, c.weights(t, rows))
}

func subset(xs []string, rows []int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = xs[r]
	}
	return out
}

func subsetInt(xs []int, rows []int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = xs[r]
	}
	return out
}

// train fits on rows, holding out a share of their captures for early
// stopping and for choosing the threshold, so neither ever sees test data.
func (c *Config) train(t *table, rows []int) (*fitted, error) {
	groups, labels := subset(t.groups, rows), subsetInt(t.y, rows)
	inner, valid, err := evaluate.HoldoutByGroup(groups, labels, 0.2, c.Seed+1)
	if err != nil {
		return nil, fmt.Errorf("validation split: %w", err)
	}
	fitRows, validRows := pick(rows, inner), pick(rows, valid)
	d, err := c.dataset(t, fitRows)
	if err != nil {
		return nil, err
	}
	v, err := c.dataset(t, validRows)
	if err != nil {
		return nil, err
	}
	ens, err := gbdt.Train(d, c.params(), v)
	if err != nil {
		return nil, err
	}
	scores := predict(ens, t, validRows)
	th, err := evaluate.ChooseThreshold(c.ThresholdBy, scores, subsetInt(t.y, validRows), v.W)
	if err != nil {
		return nil, fmt.Errorf("--threshold-for %s: %w", c.ThresholdBy, err)
	}
	return &fitted{ens: ens, threshold: th}, nil
}

func pick(rows, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

func predict(ens *gbdt.Ensemble, t *table, rows []int) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = ens.Predict(t.row(r))
	}
	return out
}

func allRows(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

func (c *Config) fit(t *table, schema *features.Schema, prov []dataset, stdout, stderr io.Writer) error {
	if count(t.y, benign) == 0 || count(t.y, malicious) == 0 {
		return fmt.Errorf("training data holds a single class (%d benign, %d malicious flows): a classifier needs both", count(t.y, benign), count(t.y, malicious))
	}
	start := time.Now()
	trainIdx, testIdx, err := evaluate.HoldoutByGroup(t.groups, t.y, c.Holdout, c.Seed)
	if err != nil {
		return fmt.Errorf("holdout split by capture: %w", err)
	}
	m, err := c.train(t, trainIdx)
	if err != nil {
		return err
	}
	testScores := predict(m.ens, t, testIdx)
	testLabels := subsetInt(t.y, testIdx)
	testGroups := subset(t.groups, testIdx)
	testW := c.weights(t, testIdx)
	hold, err := evaluate.Compute(testScores, testLabels, testW, m.threshold)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	summary, _ := evaluate.Summarize(t.groups, t.y, trainIdx, testIdx, len(t.names))
	rep := &evaluate.Report{
		Title:         "flowclass training report",
		Generated:     time.Now().UTC().Format(time.RFC3339),
		Data:          summary,
		ModelName:     fmt.Sprintf("gbdt (%d trees)", m.ens.NumTrees()),
		ThresholdRule: c.ThresholdBy,
		Holdout:       hold,
		Params:        c.paramList(),
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("Weights: --weight-by %s; metrics on held-out captures are weighted the same way.", c.WeightBy))
	if slices.ContainsFunc(t.attack, func(a string) bool { return a != "" }) {
		rep.Notes = append(rep.Notes, attackRecall(t, testIdx, testScores, m.threshold))
	}
	if caps, err := evaluate.PerCapture(testGroups, testLabels, testScores, m.threshold); err == nil {
		rep.Captures = caps
	}
	if gain, err := m.ens.FeatureImportance(gbdt.ImportanceGain); err == nil {
		rep.Importance, _ = evaluate.TopImportance(t.names, gain, 20)
	}
	if !c.NoBaseline {
		if b, err := c.baseline(t, trainIdx, testIdx, testLabels, testW, m.threshold); err == nil {
			rep.BaselineName, rep.Baseline = evaluate.BaselineName, b
		} else {
			fmt.Fprintf(stderr, "note: baseline skipped: %v\n", err)
		}
	}
	if c.Folds > 1 {
		folds, err := evaluate.GroupKFold(t.groups, t.y, c.Folds, c.Seed)
		if err != nil {
			fmt.Fprintf(stderr, "note: cross-validation skipped: %v\n", err)
		}
		for _, f := range folds {
			fm, err := c.train(t, f[0])
			if err != nil {
				fmt.Fprintf(stderr, "note: a cross-validation fold failed: %v\n", err)
				continue
			}
			met, err := evaluate.Compute(predict(fm.ens, t, f[1]), subsetInt(t.y, f[1]), c.weights(t, f[1]), fm.threshold)
			if err == nil {
				met.ROC, met.PR = nil, nil
				rep.CVFolds = append(rep.CVFolds, met)
			}
		}
	}
	final := m
	if c.Refit {
		p := c.params()
		p.NumRounds, p.EarlyStoppingRounds = m.ens.NumTrees(), 0
		d, err := c.dataset(t, allRows(t.rows()))
		if err != nil {
			return err
		}
		ens, err := gbdt.Train(d, p, nil)
		if err != nil {
			return fmt.Errorf("refit: %w", err)
		}
		final = &fitted{ens: ens, threshold: m.threshold}
		rep.Notes = append(rep.Notes, "The written model was refit on every capture with the same number of trees; the held-out metrics are those of the model fit on the training captures.")
	}
	mod, err := c.modelFile(final, t, schema, prov, rep)
	if err != nil {
		return err
	}
	sc, err := mod.Bind(t.names, mod.FeatureSet)
	if err != nil {
		return fmt.Errorf("check written model: %w", err)
	}
	sample := make([][]float64, 0, 2000)
	for _, r := range testIdx {
		if len(sample) == cap(sample) {
			break
		}
		sample = append(sample, t.row(r))
	}
	if cost, err := evaluate.ScoringCost(sample, sc.Score, 200*time.Millisecond); err == nil {
		rep.ScoringMicrosPerFlow = cost
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("Trained in %s.", time.Since(start).Round(time.Millisecond)))
	if err := writeModel(c.Model, mod); err != nil {
		return err
	}
	if err := rep.Text(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%d trees, threshold %.4f, %.1f µs per flow to score)\n", c.Model, final.ens.NumTrees(), final.threshold, rep.ScoringMicrosPerFlow)
	if c.Report != "" {
		if err := writeReport(c.Report, rep); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s/report.json and report.html\n", c.Report)
	}
	return nil
}

func (c *Config) baseline(t *table, trainIdx, testIdx []int, testLabels []int, testW []float64, threshold float64) (*evaluate.Metrics, error) {
	tx := make([][]float64, len(trainIdx))
	for i, r := range trainIdx {
		tx[i] = t.row(r)
	}
	vx := make([][]float64, len(testIdx))
	for i, r := range testIdx {
		vx[i] = t.row(r)
	}
	scores, err := evaluate.Baseline(tx, subsetInt(t.y, trainIdx), vx, c.Seed)
	if err != nil {
		return nil, err
	}
	m, err := evaluate.Compute(scores, testLabels, testW, 0.5)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (c *Config) paramList() []evaluate.Param {
	p := c.params()
	kv := [][2]string{
		{"rounds", strconv.Itoa(p.NumRounds)}, {"learning_rate", fmt.Sprint(p.LearningRate)},
		{"max_depth", strconv.Itoa(p.MaxDepth)}, {"max_leaves", strconv.Itoa(p.MaxLeaves)},
		{"min_child_weight", fmt.Sprint(p.MinChildWeight)}, {"min_samples_leaf", strconv.Itoa(p.MinSamplesLeaf)},
		{"lambda", fmt.Sprint(p.Lambda)}, {"subsample", fmt.Sprint(p.Subsample)}, {"colsample", fmt.Sprint(p.ColSampleByTree)},
		{"early_stopping", strconv.Itoa(p.EarlyStoppingRounds)}, {"weight_by", c.WeightBy},
		{"holdout_fraction", fmt.Sprint(c.Holdout)}, {"folds", strconv.Itoa(c.Folds)}, {"seed", strconv.FormatInt(c.Seed, 10)},
	}
	out := make([]evaluate.Param, len(kv))
	for i, e := range kv {
		out[i] = evaluate.Param{Name: e[0], Value: e[1]}
	}
	return out
}

// trainingSummary is the provenance recorded in the model file.
type trainingSummary struct {
	Date      string           `json:"date"`
	Seed      int64            `json:"seed"`
	Datasets  []dataset        `json:"datasets"`
	Flows     map[string]int   `json:"flows"`
	Trees     int              `json:"trees"`
	Holdout   map[string]any   `json:"holdout_metrics"`
	CV        []evaluate.Stat  `json:"cv_metrics,omitempty"`
	Params    []evaluate.Param `json:"params"`
	Threshold string           `json:"threshold_rule"`
}

func (c *Config) modelFile(f *fitted, t *table, schema *features.Schema, prov []dataset, rep *evaluate.Report) (*model.Model, error) {
	var lgb bytes.Buffer
	lgbNames := t.names
	if t.featureSet != "" {
		// CIC names hold spaces and slashes, which LightGBM's text cannot;
		// its default names are accepted by model files, which keep the
		// real names in Features.
		lgbNames = make([]string, len(t.names))
		for i := range lgbNames {
			lgbNames[i] = "Column_" + strconv.Itoa(i)
		}
	}
	if err := f.ens.WriteLightGBM(&lgb, lgbNames); err != nil {
		return nil, fmt.Errorf("write model: %w", err)
	}
	h := rep.Holdout
	sum := trainingSummary{
		Date: time.Now().UTC().Format(time.RFC3339), Seed: c.Seed, Datasets: prov,
		Flows: map[string]int{"benign": count(t.y, benign), "malicious": count(t.y, malicious)},
		Trees: f.ens.NumTrees(),
		Holdout: map[string]any{"roc_auc": round4(h.ROCAUC), "pr_auc": round4(h.PRAUC), "precision": round4(h.Precision),
			"recall": round4(h.Recall), "f1": round4(h.F1), "fpr": round4(h.FPR), "recall_at_1pct_fpr": round4(h.RecallAt1PctFPR)},
		CV: rep.CVSummary(), Params: rep.Params, Threshold: c.ThresholdBy,
	}
	raw, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	fs := features.Version
	if t.featureSet != "" {
		fs = t.featureSet
	}
	return &model.Model{FeatureSet: fs, Features: t.names, Threshold: f.threshold,
		PositiveClass: "malicious", Training: raw, LightGBM: lgb.Bytes()}, nil
}

// attackRecall is one line giving, for every attack type in the data, the
// share of its held-out flows scored malicious. Types with no held-out flow
// are named too, so a reader sees what the test did not cover.
func attackRecall(t *table, testIdx []int, scores []float64, threshold float64) string {
	type hits struct{ n, caught int }
	per := map[string]*hits{}
	var order []string
	for _, a := range t.attack {
		if a != "" && per[a] == nil {
			per[a] = &hits{}
			order = append(order, a)
		}
	}
	sort.Strings(order)
	for i, r := range testIdx {
		if a := t.attack[r]; a != "" {
			per[a].n++
			if scores[i] >= threshold {
				per[a].caught++
			}
		}
	}
	parts := make([]string, 0, len(order))
	var absent []string
	for _, a := range order {
		h := per[a]
		if h.n == 0 {
			absent = append(absent, a)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.3f (%d/%d)", a, float64(h.caught)/float64(h.n), h.caught, h.n))
	}
	line := "Recall per attack type on held-out flows: " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		line = "Recall per attack type on held-out flows: no typed attack flow held out"
	}
	if len(absent) > 0 {
		line += "; not in the held-out flows: " + strings.Join(absent, ", ")
	}
	return line + "."
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func writeModel(path string, m *model.Model) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	err = m.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return nil
}

func writeReport(dir string, rep *evaluate.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{{"report.json", rep.WriteJSON}, {"report.html", rep.WriteHTML}} {
		f, err := os.Create(filepath.Join(dir, out.name))
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		err = out.write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("--report %s: %w", out.name, err)
		}
	}
	return nil
}

// importXGBoost converts an XGBoost JSON model into a model file. Its
// feature names must be ours (train it on a CSV from train --csv).
func (c *Config) importXGBoost(stderr io.Writer) error {
	if c.Model == "" {
		return fmt.Errorf("--import-xgboost needs -o for the converted model")
	}
	m, err := model.LoadFile(c.ImportXGBoost)
	if err != nil {
		return fmt.Errorf("--import-xgboost: %w", err)
	}
	if m.Source != model.SourceXGBoost {
		return fmt.Errorf("--import-xgboost %s: not an XGBoost JSON model (found a %s model)", c.ImportXGBoost, m.Source)
	}
	schema, err := c.schema()
	if err != nil {
		return err
	}
	if _, err := m.Bind(schema.ModelInputs(), features.Version); err != nil {
		return fmt.Errorf("--import-xgboost %s: %w", c.ImportXGBoost, err)
	}
	m.FeatureSet = features.Version
	if m.Threshold == 0 {
		m.Threshold = 0.5
	}
	m.PositiveClass = "malicious"
	h, _ := fileHash(c.ImportXGBoost)
	m.Training, _ = json.Marshal(map[string]any{"imported_from": c.ImportXGBoost, "sha256": h, "date": time.Now().UTC().Format(time.RFC3339)})
	if err := writeModel(c.Model, m); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (converted from XGBoost, %d features, threshold %.2f)\n", c.Model, len(m.Features), m.Threshold)
	return nil
}
