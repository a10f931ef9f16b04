package evaluate

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"
)

// Colours used throughout the HTML report: the model, the baseline, and the
// two labels.
const (
	colModel     = "#1f5fbf"
	colBaseline  = "#e08a00"
	colMalicious = "#c62828"
	colBenign    = "#5c6bc0"
	colGrid      = "#e3e3e3"
	colAxis      = "#444"
)

// maxCaptureBars bounds the per-capture chart; the text under it says how
// many captures were left out.
const maxCaptureBars = 60

// esc escapes text for SVG/HTML bodies and attributes.
func esc(s string) string { return html.EscapeString(s) }

type series struct {
	name   string
	color  string
	points []Point
	dashed bool
}

// lineChart draws curves on the unit square with labelled axes and a legend.
func lineChart(title, xLabel, yLabel string, ss []series) template.HTML {
	const w, h = 470, 430
	const left, top, right, bottom = 60, 40, 20, 55
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	x := func(v float64) float64 { return left + v*pw }
	y := func(v float64) float64 { return top + (1-v)*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="22" class="ct">%s</text>`, w/2, esc(title))
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x(v), y(0), x(v), y(1), colGrid)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x(0), y(v), x(1), y(v), colGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tk" text-anchor="middle">%.1f</text>`, x(v), y(0)+16, v)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tk" text-anchor="end">%.1f</text>`, x(0)-6, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="%s"/>`, left, top, pw, ph, colAxis)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="al" text-anchor="middle">%s</text>`, x(0.5), h-14, esc(xLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" class="al" text-anchor="middle">%s</text>`, y(0.5), esc(yLabel))
	for i, s := range ss {
		if len(s.points) == 0 {
			continue
		}
		var pts strings.Builder
		for _, p := range s.points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(clamp01(p.X)), y(clamp01(p.Y)))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.2"%s/>`, strings.TrimSpace(pts.String()), s.color, dash)
		// Legend in the lower right, where ROC and PR curves rarely are...
		// except PR's, so it has a white backing box.
		ly := float64(top) + ph - 18 - float64(len(ss)-1-i)*20
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="252" height="20" fill="white" fill-opacity="0.85"/>`, x(1)-256, ly-14)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"%s/>`, x(1)-250, ly-4, x(1)-226, ly-4, s.color, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lg">%s</text>`, x(1)-220, ly, esc(s.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// tickLabel prints an axis value without exponents for the ranges gains
// and counts take.
func tickLabel(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

type bar struct {
	label string
	value float64 // in [0, max]
	text  string  // printed after the bar
	color string
}

// hBarChart draws one horizontal bar per item with its label on the left.
func hBarChart(title, xLabel string, bars []bar, max float64, percent bool) template.HTML {
	const w, labelW, right, rowH, top = 900, 300, 130, 18, 40
	n := len(bars)
	h := top + n*rowH + 50
	pw := float64(w - labelW - right)
	if max <= 0 {
		max = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="22" class="ct">%s</text>`, w/2, esc(title))
	axisY := top + n*rowH
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		gx := labelW + v*pw
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`, gx, top, gx, axisY, colGrid)
		tick := tickLabel(v * max)
		if percent {
			tick = fmt.Sprintf("%.0f%%", 100*v*max)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tk" text-anchor="middle">%s</text>`, gx, axisY+16, tick)
	}
	for i, br := range bars {
		yy := top + i*rowH
		bw := pw * clamp01(br.value/max)
		label := br.label
		if len([]rune(label)) > 40 {
			label = "…" + string([]rune(label)[len([]rune(label))-39:])
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="bl" text-anchor="end"><title>%s</title>%s</text>`, labelW-8, yy+13, esc(br.label), esc(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelW, yy+3, math.Max(bw, 1), rowH-5, br.color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="bv">%s</text>`, float64(labelW)+math.Max(bw, 1)+5, yy+13, esc(br.text))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, labelW, top, labelW, axisY, colAxis)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="al" text-anchor="middle">%s</text>`, labelW+pw/2, axisY+38, esc(xLabel))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// groupedBars compares the model and the baseline on a few [0,1] metrics.
func groupedBars(title string, names []string, a, b []float64, aName, bName string) template.HTML {
	const w, h, left, top, bottom = 900, 340, 60, 72, 50
	ph := float64(h - top - bottom)
	gw := float64(w-left-20) / float64(len(names))
	var s strings.Builder
	fmt.Fprintf(&s, `<svg width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, w, h, esc(title))
	fmt.Fprintf(&s, `<text x="%d" y="22" class="ct">%s</text>`, w/2, esc(title))
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		yy := float64(top) + (1-v)*ph
		fmt.Fprintf(&s, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, left, yy, w-20, yy, colGrid)
		fmt.Fprintf(&s, `<text x="%d" y="%.1f" class="tk" text-anchor="end">%.1f</text>`, left-6, yy+4, v)
	}
	for i, n := range names {
		gx := float64(left) + float64(i)*gw
		for j, v := range []float64{a[i], b[i]} {
			col := colModel
			if j == 1 {
				col = colBaseline
			}
			bh := clamp01(v) * ph
			bx := gx + gw*0.18 + float64(j)*gw*0.32
			fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, bx, float64(top)+ph-bh, gw*0.3, bh, col)
			fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" class="bv" text-anchor="middle">%.3f</text>`, bx+gw*0.15, float64(top)+ph-bh-4, v)
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="al" text-anchor="middle">%s</text>`, gx+gw/2, h-bottom+20, esc(n))
	}
	fmt.Fprintf(&s, `<rect x="%d" y="36" width="14" height="12" fill="%s"/><text x="%d" y="47" class="lg">%s</text>`, left, colModel, left+20, esc(aName))
	fmt.Fprintf(&s, `<rect x="%d" y="36" width="14" height="12" fill="%s"/><text x="%d" y="47" class="lg">%s</text>`, left+220, colBaseline, left+240, esc(bName))
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

type metricRow struct {
	Name     string
	Model    string
	Baseline string
	Delta    string
	CV       string
}

type foldRow struct {
	Fold                           int
	N                              int
	Positives, Negatives           string
	ROCAUC, PRAUC, F1, Recall, FPR string
	SingleClass                    bool
}

type cmCell struct {
	Text  string
	Style template.CSS
}

type htmlData struct {
	R                *Report
	Model            string
	BaselineName     string
	HasBaseline      bool
	Rows             []metricRow
	CVFolds          int
	Folds            []foldRow
	FoldsWeighted    bool
	ROC, PR          template.HTML
	Compare          template.HTML
	CapturesChart    template.HTML
	CapturesNote     string
	CapturesSummary  string
	CountsNote       string
	ImportanceChart  template.HTML
	CM               [2][2]cmCell // [actual malicious, benign][flagged, not]
	Params           []Param
	Notes            []string
	TotalCaptures    int
	TotalFlows       int
	TestCaptures     int
	TestFlows        int
	TrainCaptures    int
	TrainFlows       int
	Threshold        string
	SingleClassAlert bool
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline SVG charts, no scripts and no external resources.
func (r *Report) WriteHTML(w io.Writer) error {
	d := htmlData{
		R:                r,
		Model:            r.modelName(),
		BaselineName:     nonEmpty(r.BaselineName, "baseline"),
		HasBaseline:      r.Baseline != nil,
		CVFolds:          len(r.CVFolds),
		Params:           r.Params,
		Notes:            r.Notes,
		Threshold:        fmt.Sprintf("%.4g", r.Holdout.Threshold),
		SingleClassAlert: r.Holdout.SingleClass,
	}
	if r.Holdout.Weighted {
		d.CountsNote = "Counts are sums of row weights, not numbers of flows."
	}
	ds := r.Data
	d.TotalCaptures = ds.Captures[0] + ds.Captures[1]
	d.TotalFlows = ds.Flows[0] + ds.Flows[1]
	d.TrainCaptures = ds.TrainCaptures[0] + ds.TrainCaptures[1]
	d.TrainFlows = ds.TrainFlows[0] + ds.TrainFlows[1]
	d.TestCaptures = ds.TestCaptures[0] + ds.TestCaptures[1]
	d.TestFlows = ds.TestFlows[0] + ds.TestFlows[1]

	cv := r.CVSummary()
	for i, row := range metricRows {
		mr := metricRow{Name: row.name, Model: fmt.Sprintf("%.4f", row.get(r.Holdout))}
		if r.Baseline != nil {
			bv := row.get(*r.Baseline)
			mr.Baseline = fmt.Sprintf("%.4f", bv)
			mr.Delta = fmt.Sprintf("%+.4f", row.get(r.Holdout)-bv)
		}
		if len(cv) > 0 {
			mr.CV = fmt.Sprintf("%.4f ± %.4f", cv[i].Mean, cv[i].Std)
		}
		d.Rows = append(d.Rows, mr)
	}

	for i, f := range r.CVFolds {
		d.FoldsWeighted = d.FoldsWeighted || f.Weighted
		d.Folds = append(d.Folds, foldRow{
			Fold: i + 1, N: f.N, Positives: count(f.Positives), Negatives: count(f.Negatives),
			ROCAUC: fmt.Sprintf("%.4f", f.ROCAUC), PRAUC: fmt.Sprintf("%.4f", f.PRAUC),
			F1: fmt.Sprintf("%.4f", f.F1), Recall: fmt.Sprintf("%.4f", f.Recall), FPR: fmt.Sprintf("%.4f", f.FPR),
			SingleClass: f.SingleClass,
		})
	}

	rocS := []series{{name: fmt.Sprintf("%s (AUC %.3f)", d.Model, r.Holdout.ROCAUC), color: colModel, points: r.Holdout.ROC}}
	prS := []series{{name: fmt.Sprintf("%s (AP %.3f)", d.Model, r.Holdout.PRAUC), color: colModel, points: r.Holdout.PR}}
	if r.Baseline != nil {
		rocS = append(rocS, series{name: fmt.Sprintf("%s (AUC %.3f)", d.BaselineName, r.Baseline.ROCAUC), color: colBaseline, points: r.Baseline.ROC})
		prS = append(prS, series{name: fmt.Sprintf("%s (AP %.3f)", d.BaselineName, r.Baseline.PRAUC), color: colBaseline, points: r.Baseline.PR})
	}
	rocS = append(rocS, series{name: "random (AUC 0.5)", color: "#888", points: []Point{{0, 0, 0}, {1, 1, 0}}, dashed: true})
	if tot := r.Holdout.Positives + r.Holdout.Negatives; tot > 0 {
		base := r.Holdout.Positives / tot
		prS = append(prS, series{name: fmt.Sprintf("random (AP %.3f)", base), color: "#888", points: []Point{{0, base, 0}, {1, base, 0}}, dashed: true})
	}
	d.ROC = lineChart("ROC curve (held-out captures)", "False-positive rate", "True-positive rate (recall)", rocS)
	d.PR = lineChart("Precision-recall curve (held-out captures)", "Recall", "Precision", prS)

	if r.Baseline != nil {
		names := []string{"ROC AUC", "PR AUC", "Recall@1%FPR", "Precision", "Recall", "F1"}
		get := func(m Metrics) []float64 {
			return []float64{m.ROCAUC, m.PRAUC, m.RecallAt1PctFPR, m.Precision, m.Recall, m.F1}
		}
		d.Compare = groupedBars("Boosted model vs baseline (held-out captures)", names, get(r.Holdout), get(*r.Baseline), d.Model, d.BaselineName)
	}

	m := r.Holdout
	cell := func(v, rowTotal float64, good bool) cmCell {
		share := ratio(v, rowTotal)
		hue := 120 // green for correct cells
		if !good {
			hue = 0
		}
		light := 96 - int(40*share)
		return cmCell{
			Text:  fmt.Sprintf("%s (%.1f%%)", count(v), 100*share),
			Style: template.CSS(fmt.Sprintf("background: hsl(%d, 60%%, %d%%)", hue, light)),
		}
	}
	d.CM[0][0] = cell(m.TP, m.TP+m.FN, true)
	d.CM[0][1] = cell(m.FN, m.TP+m.FN, false)
	d.CM[1][0] = cell(m.FP, m.FP+m.TN, false)
	d.CM[1][1] = cell(m.TN, m.FP+m.TN, true)

	if len(r.Captures) > 0 {
		// Every malicious capture matters (each is an attack to catch), so
		// they come first; benign ones follow, most false alarms first.
		sorted := append([]CaptureRate(nil), r.Captures...)
		SortCaptures(sorted)
		shown := sorted
		if len(shown) > maxCaptureBars {
			shown = shown[:maxCaptureBars]
			d.CapturesNote = fmt.Sprintf("Showing %d of %d held-out captures: malicious captures with the lowest detection first, then benign captures with the most false alarms.", maxCaptureBars, len(sorted))
		}
		bars := make([]bar, len(shown))
		for i, c := range shown {
			col := colBenign
			if c.Label == 1 {
				col = colMalicious
			}
			bars[i] = bar{label: c.Capture, value: c.Rate, color: col,
				text: fmt.Sprintf("%.0f%% (%d/%d)", 100*c.Rate, c.Flagged, c.Flows)}
		}
		_, _, nMal, nBen := worstCaptures(sorted, 0)
		det, alarm := captureCounts(sorted)
		d.CapturesSummary = fmt.Sprintf("%d of %d held-out malicious captures have at least one flagged flow; %d of %d held-out benign captures have at least one false alarm.", det, nMal, alarm, nBen)
		d.CapturesChart = hBarChart("Share of each held-out capture's flows flagged", "Flows flagged at the threshold (red: malicious capture, blue: benign capture)", bars, 1, true)
	}
	if len(r.Importance) > 0 {
		imp := r.Importance
		if len(imp) > 20 {
			imp = imp[:20]
		}
		var total, max float64
		for _, f := range r.Importance {
			total += f.Gain
			max = math.Max(max, f.Gain)
		}
		bars := make([]bar, len(imp))
		for i, f := range imp {
			bars[i] = bar{label: f.Name, value: f.Gain, color: colModel, text: fmt.Sprintf("%.1f%%", 100*f.Gain/total)}
		}
		d.ImportanceChart = hBarChart(fmt.Sprintf("Top %d features by total split gain", len(imp)), "Total gain (label: share of the listed features' gain)", bars, max, false)
	}
	if err := htmlTmpl.Execute(w, d); err != nil {
		return fmt.Errorf("write report HTML: %w", err)
	}
	return nil
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{with .R.Title}}{{.}}{{else}}Training report{{end}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 960px; color: #222; line-height: 1.4; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; }
h3 { font-size: 16px; margin-top: 20px; }
h2 { font-size: 20px; margin-top: 32px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 15px; }
th, td { border: 1px solid #ccc; padding: 5px 10px; text-align: right; }
th { background: #f3f5f8; }
td.l, th.l { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg { background: #fff; border: 1px solid #e5e5e5; }
svg text { font-family: inherit; fill: #222; }
svg .ct { font-size: 16px; font-weight: 600; text-anchor: middle; }
svg .al { font-size: 13px; }
svg .tk { font-size: 11px; fill: #555; }
svg .lg { font-size: 13px; }
svg .bl { font-size: 12px; }
svg .bv { font-size: 11px; fill: #333; }
.warn { background: #fff4e5; border-left: 4px solid #e08a00; padding: 8px 12px; }
.cm td { min-width: 150px; text-align: center; font-size: 16px; }
.note { color: #555; font-size: 14px; }
code { font-size: 0.95em; background: #f3f5f8; padding: 0 3px; }
</style>
</head>
<body>
<h1>{{with .R.Title}}{{.}}{{else}}Training report{{end}}</h1>
<p class="sub">{{with .R.Generated}}Generated {{.}}. {{end}}Model: {{.Model}}. Threshold {{.Threshold}} chosen by rule <code>{{.R.ThresholdRule}}</code> on validation data.{{if .R.ScoringMicrosPerFlow}} Scoring cost {{printf "%.2f" .R.ScoringMicrosPerFlow}} µs per flow.{{end}}</p>
{{if .SingleClassAlert}}<p class="warn">The held-out flows hold a single class: ROC AUC and PR AUC are placeholders (0.5 and the positive rate), not measurements.</p>{{end}}

<h2>Data</h2>
<table>
<tr><th class="l"></th><th>Captures</th><th>benign</th><th>malicious</th><th>Flows</th><th>benign</th><th>malicious</th></tr>
<tr><td class="l">All</td><td>{{.TotalCaptures}}</td><td>{{index .R.Data.Captures 0}}</td><td>{{index .R.Data.Captures 1}}</td><td>{{.TotalFlows}}</td><td>{{index .R.Data.Flows 0}}</td><td>{{index .R.Data.Flows 1}}</td></tr>
<tr><td class="l">Train</td><td>{{.TrainCaptures}}</td><td>{{index .R.Data.TrainCaptures 0}}</td><td>{{index .R.Data.TrainCaptures 1}}</td><td>{{.TrainFlows}}</td><td>{{index .R.Data.TrainFlows 0}}</td><td>{{index .R.Data.TrainFlows 1}}</td></tr>
<tr><td class="l">Held out</td><td>{{.TestCaptures}}</td><td>{{index .R.Data.TestCaptures 0}}</td><td>{{index .R.Data.TestCaptures 1}}</td><td>{{.TestFlows}}</td><td>{{index .R.Data.TestFlows 0}}</td><td>{{index .R.Data.TestFlows 1}}</td></tr>
</table>
<p class="note">Whole captures are held out: no capture has flows on both sides. {{.R.Data.Features}} features.</p>

<h2>Metrics</h2>
<table>
<tr><th class="l">Metric (held-out captures)</th><th>{{.Model}}</th>{{if .HasBaseline}}<th>{{.BaselineName}}</th><th>difference</th>{{end}}{{if .CVFolds}}<th>cross-validation mean ± std ({{.CVFolds}} folds)</th>{{end}}</tr>
{{range .Rows}}<tr><td class="l">{{.Name}}</td><td>{{.Model}}</td>{{if $.HasBaseline}}<td>{{.Baseline}}</td><td>{{.Delta}}</td>{{end}}{{if $.CVFolds}}<td>{{.CV}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">Precision, recall, F1, FPR and accuracy are at the threshold {{.Threshold}}; AUCs and recall at 1% FPR do not depend on it.</p>

{{if .Folds}}<h3>Cross-validation folds (grouped by capture)</h3>
<table>
<tr><th>fold</th><th>flows</th><th>malicious{{if .FoldsWeighted}} (weight){{end}}</th><th>benign{{if .FoldsWeighted}} (weight){{end}}</th><th>ROC AUC</th><th>PR AUC</th><th>F1</th><th>Recall</th><th>FPR</th></tr>
{{range .Folds}}<tr><td>{{.Fold}}</td><td>{{.N}}</td><td>{{.Positives}}</td><td>{{.Negatives}}</td><td>{{if .SingleClass}}n/a (one class){{else}}{{.ROCAUC}}{{end}}</td><td>{{if .SingleClass}}n/a{{else}}{{.PRAUC}}{{end}}</td><td>{{.F1}}</td><td>{{.Recall}}</td><td>{{.FPR}}</td></tr>
{{end}}</table>
<p class="note">Each fold's model is trained on the other folds' captures; the spread across folds shows how much the held-out figures above depend on which captures were held out.</p>
{{end}}
<h2>ROC and precision-recall curves</h2>
<div class="charts">{{.ROC}}{{.PR}}</div>

<h2>Confusion matrix</h2>
<table class="cm">
<tr><th class="l">actual \ predicted</th><th>flagged malicious</th><th>not flagged</th></tr>
<tr><th class="l">malicious</th><td style="{{(index (index .CM 0) 0).Style}}">TP {{(index (index .CM 0) 0).Text}}</td><td style="{{(index (index .CM 0) 1).Style}}">FN {{(index (index .CM 0) 1).Text}}</td></tr>
<tr><th class="l">benign</th><td style="{{(index (index .CM 1) 0).Style}}">FP {{(index (index .CM 1) 0).Text}}</td><td style="{{(index (index .CM 1) 1).Style}}">TN {{(index (index .CM 1) 1).Text}}</td></tr>
</table>
<p class="note">Held-out flows at threshold {{.Threshold}}; percentages are of each actual class.{{with .CountsNote}} {{.}}{{end}}</p>

{{if .HasBaseline}}<h2>Baseline comparison</h2>
{{.Compare}}
<p class="note">Both models were trained on the same training captures and scored on the same held-out captures.</p>
{{end}}
{{if .CapturesChart}}<h2>Per-capture detection</h2>
<p>{{.CapturesSummary}}</p>
{{.CapturesChart}}
{{with .CapturesNote}}<p class="note">{{.}}</p>{{end}}
{{end}}
{{if .ImportanceChart}}<h2>Feature importance</h2>
{{.ImportanceChart}}
{{end}}
{{if .Params}}<h2>Training parameters</h2>
<table>{{range .Params}}<tr><td class="l">{{.Name}}</td><td class="l"><code>{{.Value}}</code></td></tr>{{end}}</table>
{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))
