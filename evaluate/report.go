package evaluate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// DataSummary counts captures and flows per label ([0] benign, [1] malicious)
// overall and on each side of the holdout split.
type DataSummary struct {
	Captures      [2]int `json:"captures"`
	Flows         [2]int `json:"flows"`
	TrainCaptures [2]int `json:"train_captures"`
	TrainFlows    [2]int `json:"train_flows"`
	TestCaptures  [2]int `json:"test_captures"`
	TestFlows     [2]int `json:"test_flows"`
	Features      int    `json:"features"`
}

// Summarize fills a DataSummary from per-row capture names and labels and the
// holdout split (train/test may be nil). Flows are counted by their own
// label, captures by their majority label.
func Summarize(groups []string, labels []int, train, test []int, features int) (DataSummary, error) {
	gs, err := collectGroups(groups, labels)
	if err != nil {
		return DataSummary{}, fmt.Errorf("summarize: %w", err)
	}
	d := DataSummary{Features: features}
	groupLabel := make(map[string]int, len(gs))
	for _, g := range gs {
		d.Captures[g.label]++
		groupLabel[g.name] = g.label
	}
	for _, l := range labels {
		d.Flows[l]++
	}
	side := func(rows []int, caps, flows *[2]int) error {
		seen := map[string]bool{}
		for _, r := range rows {
			if r < 0 || r >= len(groups) {
				return fmt.Errorf("summarize: row index %d out of range", r)
			}
			flows[labels[r]]++
			if g := groups[r]; !seen[g] {
				seen[g] = true
				caps[groupLabel[g]]++
			}
		}
		return nil
	}
	if err := side(train, &d.TrainCaptures, &d.TrainFlows); err != nil {
		return DataSummary{}, err
	}
	if err := side(test, &d.TestCaptures, &d.TestFlows); err != nil {
		return DataSummary{}, err
	}
	return d, nil
}

// Param is one training setting, kept in the order the caller gives.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Report gathers everything cmd/train measured. Fill the fields, then write
// it with WriteJSON, WriteHTML or Text. Only Holdout is required; empty
// sections are left out of the output.
type Report struct {
	Title     string      `json:"title"`
	Generated string      `json:"generated,omitempty"` // time stamp chosen by the caller
	Data      DataSummary `json:"data"`
	Params    []Param     `json:"params,omitempty"`

	ModelName     string  `json:"model_name"`     // e.g. "gbdt"
	ThresholdRule string  `json:"threshold_rule"` // as given to ChooseThreshold
	Holdout       Metrics `json:"holdout"`        // the model on held-out captures

	BaselineName string   `json:"baseline_name,omitempty"`
	Baseline     *Metrics `json:"baseline,omitempty"` // baseline on the same held-out captures

	CVFolds []Metrics `json:"cv_folds,omitempty"` // one per GroupKFold fold

	Captures   []CaptureRate `json:"captures,omitempty"`   // held-out captures, see PerCapture
	Importance []Importance  `json:"importance,omitempty"` // see TopImportance

	ScoringMicrosPerFlow float64  `json:"scoring_us_per_flow,omitempty"`
	Notes                []string `json:"notes,omitempty"`
}

// Stat is the mean and sample standard deviation of one metric over folds.
type Stat struct {
	Metric string  `json:"metric"`
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	Folds  int     `json:"folds"`
}

// metricRows lists the headline metrics in display order.
var metricRows = []struct {
	name string
	get  func(Metrics) float64
}{
	{"ROC AUC", func(m Metrics) float64 { return m.ROCAUC }},
	{"PR AUC (AP)", func(m Metrics) float64 { return m.PRAUC }},
	{"Recall @ 1% FPR", func(m Metrics) float64 { return m.RecallAt1PctFPR }},
	{"Precision", func(m Metrics) float64 { return m.Precision }},
	{"Recall", func(m Metrics) float64 { return m.Recall }},
	{"F1", func(m Metrics) float64 { return m.F1 }},
	{"FPR", func(m Metrics) float64 { return m.FPR }},
	{"Accuracy", func(m Metrics) float64 { return m.Accuracy }},
}

// CVSummary returns mean ± std of the headline metrics over the CV folds.
// Folds whose test side held a single class are left out of the AUC rows,
// where their conventional 0.5 would only blur the mean.
func (r *Report) CVSummary() []Stat {
	if len(r.CVFolds) == 0 {
		return nil
	}
	out := make([]Stat, 0, len(metricRows))
	for _, row := range metricRows {
		auc := strings.Contains(row.name, "AUC")
		var vals []float64
		for _, f := range r.CVFolds {
			if auc && f.SingleClass {
				continue
			}
			vals = append(vals, row.get(f))
		}
		s := Stat{Metric: row.name, Folds: len(vals)}
		for _, v := range vals {
			s.Mean += v
		}
		if len(vals) > 0 {
			s.Mean /= float64(len(vals))
		}
		if len(vals) > 1 {
			var ss float64
			for _, v := range vals {
				ss += (v - s.Mean) * (v - s.Mean)
			}
			s.Std = math.Sqrt(ss / float64(len(vals)-1))
		}
		out = append(out, s)
	}
	return out
}

// WriteJSON writes the report with the CV summary added, indented.
func (r *Report) WriteJSON(w io.Writer) error {
	type plain Report // drops the methods, so no recursion
	v := struct {
		*plain
		CVSummary []Stat `json:"cv_summary,omitempty"`
	}{(*plain)(r), r.CVSummary()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write report JSON: %w", err)
	}
	return nil
}

func (r *Report) modelName() string {
	if r.ModelName != "" {
		return r.ModelName
	}
	return "model"
}

// worstCaptures splits the held-out captures into the malicious ones
// detected worst and the benign ones flagged most (flagged > 0 only).
func worstCaptures(cs []CaptureRate, n int) (mal, ben []CaptureRate, nMal, nBen int) {
	sorted := append([]CaptureRate(nil), cs...)
	SortCaptures(sorted)
	for _, c := range sorted {
		if c.Label == 1 {
			nMal++
			if len(mal) < n {
				mal = append(mal, c)
			}
		} else {
			nBen++
			if c.Flagged > 0 && len(ben) < n {
				ben = append(ben, c)
			}
		}
	}
	return mal, ben, nMal, nBen
}

// Text writes a compact aligned summary for a terminal.
func (r *Report) Text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	d := r.Data
	if r.Title != "" {
		p("%s\n", r.Title)
	}
	p("data: %d captures (%d benign, %d malicious), %d flows (%d benign, %d malicious), %d features\n",
		d.Captures[0]+d.Captures[1], d.Captures[0], d.Captures[1], d.Flows[0]+d.Flows[1], d.Flows[0], d.Flows[1], d.Features)
	p("holdout: train %d captures / %d flows, test %d captures (%d benign, %d malicious) / %d flows\n",
		d.TrainCaptures[0]+d.TrainCaptures[1], d.TrainFlows[0]+d.TrainFlows[1],
		d.TestCaptures[0]+d.TestCaptures[1], d.TestCaptures[0], d.TestCaptures[1], d.TestFlows[0]+d.TestFlows[1])
	p("threshold: %.4g (rule %q)\n", r.Holdout.Threshold, r.ThresholdRule)
	if r.ScoringMicrosPerFlow > 0 {
		p("scoring cost: %.2f µs/flow\n", r.ScoringMicrosPerFlow)
	}
	if r.Holdout.SingleClass {
		p("WARNING: the held-out flows hold a single class; AUCs are placeholders\n")
	}
	p("\n")

	cv := r.CVSummary()
	header := "metric\t" + r.modelName()
	if r.Baseline != nil {
		header += "\t" + nonEmpty(r.BaselineName, "baseline")
	}
	if len(cv) > 0 {
		header += fmt.Sprintf("\tCV mean ± std (%d folds)", len(r.CVFolds))
	}
	p("%s\n", header)
	for i, row := range metricRows {
		line := fmt.Sprintf("%s\t%.4f", row.name, row.get(r.Holdout))
		if r.Baseline != nil {
			line += fmt.Sprintf("\t%.4f", row.get(*r.Baseline))
		}
		if len(cv) > 0 {
			line += fmt.Sprintf("\t%.4f ± %.4f", cv[i].Mean, cv[i].Std)
		}
		p("%s\n", line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	m := r.Holdout
	what := "held-out flows"
	if m.Weighted {
		what = "held-out flows, weighted counts"
	}
	p("\nconfusion matrix (%s, threshold %.4g)\n", what, m.Threshold)
	p("\tflagged\tnot flagged\n")
	p("malicious\t%s (TP)\t%s (FN)\n", count(m.TP), count(m.FN))
	p("benign\t%s (FP)\t%s (TN)\n", count(m.FP), count(m.TN))
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Importance) > 0 {
		var total float64
		for _, f := range r.Importance {
			total += f.Gain
		}
		n := min(len(r.Importance), 15)
		p("\ntop %d features by gain\n", n)
		p("#\tfeature\tgain\tshare of listed\n")
		for i, f := range r.Importance[:n] {
			p("%d\t%s\t%s\t%.1f%%\n", i+1, f.Name, tickLabel(f.Gain), 100*f.Gain/total)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if len(r.Captures) > 0 {
		mal, ben, nMal, nBen := worstCaptures(r.Captures, 10)
		detected, alarmed := captureCounts(r.Captures)
		p("\nper-capture detection (held-out): %d/%d malicious captures have a flagged flow; %d/%d benign captures have a false alarm\n",
			detected, nMal, alarmed, nBen)
		if len(mal) > 0 {
			p("worst detected malicious captures\n")
			p("capture\tflows\tflagged\trate\n")
			for _, c := range mal {
				p("%s\t%d\t%d\t%.1f%%\n", c.Capture, c.Flows, c.Flagged, 100*c.Rate)
			}
		}
		if len(ben) > 0 {
			p("most flagged benign captures\n")
			p("capture\tflows\tflagged\trate\n")
			for _, c := range ben {
				p("%s\t%d\t%d\t%.1f%%\n", c.Capture, c.Flows, c.Flagged, 100*c.Rate)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		p("note: %s\n", n)
	}
	return tw.Flush()
}

// captureCounts returns how many malicious captures have at least one
// flagged flow and how many benign captures have at least one false alarm.
func captureCounts(cs []CaptureRate) (detected, alarmed int) {
	for _, c := range cs {
		if c.Flagged > 0 && c.Label == 1 {
			detected++
		} else if c.Flagged > 0 {
			alarmed++
		}
	}
	return detected, alarmed
}

// count prints a weighted count without decimals when it is whole.
func count(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ParamsFromMap turns a map into Params sorted by name, for callers whose
// settings have no natural order.
func ParamsFromMap(m map[string]string) []Param {
	out := make([]Param, 0, len(m))
	for k, v := range m {
		out = append(out, Param{Name: k, Value: v})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
