package evaluate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/model/gbdt"
)

var featNames = []string{
	"duration", "fwd_packets", "bwd_packets", "fwd_bytes", "bwd_bytes", "pkt_len_mean",
	"pkt_len_std", "iat_mean", "iat_std", "syn_count", "rst_count", "fin_count",
	"dst_port_class", "ttl_mean", "win_size_init", "payload_entropy", "dns_qname_len",
	"tls_sni_len", "http_uri_len", "bytes_ratio", "active_mean", "idle_mean",
}

// synthCaptures makes flows from captures whose flows share a capture-level
// centre, so that held-out captures are genuinely harder than held-out
// flows. Features 0-5 carry the label, the rest are noise.
func synthCaptures(rng *rand.Rand, nBen, nMal int) (x [][]float64, y []int, groups []string) {
	nf := len(featNames)
	for c := 0; c < nBen+nMal; c++ {
		label, name := 0, fmt.Sprintf("benign/capture-%03d.pcap", c)
		if c >= nBen {
			label, name = 1, fmt.Sprintf("malicious/attack-%03d.pcapng", c-nBen)
		}
		centre := make([]float64, nf)
		for f := range centre {
			centre[f] = rng.NormFloat64()
			if f < 6 && label == 1 {
				centre[f] += 2.5 - 0.3*float64(f)
			}
		}
		n := 20 + rng.Intn(150)
		for i := 0; i < n; i++ {
			r := make([]float64, nf)
			for f := range r {
				r[f] = centre[f] + 0.6*rng.NormFloat64()
			}
			if rng.Intn(20) == 0 {
				r[16] = math.NaN()
			}
			x = append(x, r)
			y = append(y, label)
			groups = append(groups, name)
		}
	}
	return x, y, groups
}

func subset[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, r := range idx {
		out[i] = v[r]
	}
	return out
}

func trainGBDT(t *testing.T, x [][]float64, y []int) *gbdt.Ensemble {
	t.Helper()
	nf := len(x[0])
	flat := make([]float64, 0, len(x)*nf)
	fy := make([]float64, len(y))
	for i, r := range x {
		flat = append(flat, r...)
		fy[i] = float64(y[i])
	}
	d, err := gbdt.NewDataset(flat, len(x), nf, fy, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := gbdt.DefaultParams()
	p.NumRounds = 40
	p.EarlyStoppingRounds = 0
	p.NumThreads = 2
	e, err := gbdt.Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func predictAll(e *gbdt.Ensemble, x [][]float64) []float64 {
	s := make([]float64, len(x))
	for i, r := range x {
		s[i] = e.Predict(r)
	}
	return s
}

// buildReport runs the evaluation the way cmd/train is meant to: holdout by
// capture, threshold chosen on a validation split of the training captures,
// grouped CV, baseline, per-capture rates, importance and scoring cost.
func buildReport(t *testing.T) *Report {
	t.Helper()
	rng := rand.New(rand.NewSource(21))
	x, y, groups := synthCaptures(rng, 45, 15)
	train, test, err := HoldoutByGroup(groups, y, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	trG, trY, trX := subset(groups, train), subset(y, train), subset(x, train)
	fit, val, err := HoldoutByGroup(trG, trY, 0.25, 2)
	if err != nil {
		t.Fatal(err)
	}
	const rule = "f1"
	vm := trainGBDT(t, subset(trX, fit), subset(trY, fit))
	thr, err := ChooseThreshold(rule, predictAll(vm, subset(trX, val)), subset(trY, val), nil)
	if err != nil {
		t.Fatal(err)
	}

	model := trainGBDT(t, trX, trY)
	teX, teY, teG := subset(x, test), subset(y, test), subset(groups, test)
	scores := predictAll(model, teX)
	hold, err := Compute(scores, teY, nil, thr)
	if err != nil {
		t.Fatal(err)
	}

	folds, err := GroupKFold(groups, y, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	var cv []Metrics
	for _, f := range folds {
		m := trainGBDT(t, subset(x, f[0]), subset(y, f[0]))
		fm, err := Compute(predictAll(m, subset(x, f[1])), subset(y, f[1]), nil, thr)
		if err != nil {
			t.Fatal(err)
		}
		cv = append(cv, fm)
	}

	// The baseline's scores are vote shares on another scale, so it gets its
	// own threshold, chosen the same way on the same validation captures.
	bv, err := Baseline(subset(trX, fit), subset(trY, fit), subset(trX, val), 1)
	if err != nil {
		t.Fatal(err)
	}
	bthr, err := ChooseThreshold(rule, bv, subset(trY, val), nil)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Baseline(trX, trY, teX, 1)
	if err != nil {
		t.Fatal(err)
	}
	bm, err := Compute(bs, teY, nil, bthr)
	if err != nil {
		t.Fatal(err)
	}

	caps, err := PerCapture(teG, teY, scores, thr)
	if err != nil {
		t.Fatal(err)
	}
	gain, err := model.FeatureImportance(gbdt.ImportanceGain)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := TopImportance(featNames, gain, 0)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := ScoringCost(teX[:200], model.Predict, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Summarize(groups, y, train, test, len(featNames))
	if err != nil {
		t.Fatal(err)
	}
	return &Report{
		Title:     "flowclass training report (synthetic captures)",
		Generated: "2026-11-28 10:00 UTC",
		Data:      ds,
		Params: []Param{{"rounds", "40"}, {"learning_rate", "0.1"}, {"max_depth", "6"},
			{"holdout", "0.3 of captures, seed 1"}},
		ModelName:            "gbdt",
		ThresholdRule:        rule,
		Holdout:              hold,
		BaselineName:         BaselineName,
		Baseline:             &bm,
		CVFolds:              cv,
		Captures:             caps,
		Importance:           imp,
		ScoringMicrosPerFlow: cost,
		Notes:                []string{"synthetic data for the report test"},
	}
}

func TestReportOutputs(t *testing.T) {
	start := time.Now()
	r := buildReport(t)
	t.Logf("built the report in %v", time.Since(start))

	// JSON: round trip, and the CV summary against an independent mean/std.
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Holdout   Metrics `json:"holdout"`
		CVSummary []Stat  `json:"cv_summary"`
		Captures  []CaptureRate
		Data      DataSummary
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Holdout.ROCAUC != r.Holdout.ROCAUC || back.Holdout.TP != r.Holdout.TP || len(back.Holdout.ROC) != len(r.Holdout.ROC) {
		t.Errorf("holdout metrics did not survive JSON")
	}
	if back.Data != r.Data || len(back.Captures) != len(r.Captures) {
		t.Errorf("data summary or captures did not survive JSON")
	}
	var aucs []float64
	for _, f := range r.CVFolds {
		aucs = append(aucs, f.ROCAUC)
	}
	mean, std := meanStd(aucs)
	if s := back.CVSummary[0]; s.Metric != "ROC AUC" || math.Abs(s.Mean-mean) > 1e-12 || math.Abs(s.Std-std) > 1e-12 || s.Folds != 4 {
		t.Errorf("CV ROC AUC summary %+v, want mean %v std %v over 4 folds", s, mean, std)
	}
	t.Logf("holdout ROC AUC %.4f AP %.4f (CV %.4f ± %.4f); baseline ROC AUC %.4f; scoring %.2f µs/flow",
		r.Holdout.ROCAUC, r.Holdout.PRAUC, mean, std, r.Baseline.ROCAUC, r.ScoringMicrosPerFlow)

	// Text: the headline rows are aligned and the numbers are the report's.
	var tx bytes.Buffer
	if err := r.Text(&tx); err != nil {
		t.Fatal(err)
	}
	text := tx.String()
	for _, want := range []string{
		"metric", "ROC AUC", fmt.Sprintf("%.4f", r.Holdout.ROCAUC), fmt.Sprintf("%.4f", r.Baseline.ROCAUC),
		"confusion matrix", count(r.Holdout.TP) + " (TP)", count(r.Holdout.FP) + " (FP)",
		"top 15 features by gain", r.Importance[0].Name, "worst detected malicious captures",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	lines := strings.Split(text, "\n")
	col := -1
	for _, l := range lines {
		if strings.HasPrefix(l, "metric ") {
			col = strings.Index(l, "gbdt")
		}
	}
	for _, row := range metricRows {
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(row.name) + ` +[0-9]`)
		for _, l := range lines {
			if re.MatchString(l) {
				if i := strings.Index(l, fmt.Sprintf("%.4f", row.get(r.Holdout))); i != col {
					t.Errorf("row %q value starts at column %d, header at %d", row.name, i, col)
				}
			}
		}
	}
	if testing.Verbose() {
		t.Logf("text report:\n%s", text)
	}

	// HTML: self-contained and escaped.
	var hb bytes.Buffer
	if err := r.WriteHTML(&hb); err != nil {
		t.Fatal(err)
	}
	page := hb.String()
	if keep := os.Getenv("EVALUATE_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep+".html", hb.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url(", "<link", "<odd"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{"<svg", "ROC curve", "Precision-recall curve"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 5 {
		t.Errorf("%d SVG charts, want 5 (ROC, PR, comparison, captures, importance)", n)
	}
	renderInChromium(t, page, []string{"Data", "Metrics", "ROC and precision-recall curves", "Confusion matrix",
		"Baseline comparison", "Per-capture detection", "Feature importance", "Training parameters"})
}

func meanStd(v []float64) (float64, float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}

// renderInChromium loads the page in headless Chromium, checks a screenshot
// is produced and the DOM holds the headings and no error text. With
// EVALUATE_SCREENSHOT=path the screenshot is kept there for a person to look at.
func renderInChromium(t *testing.T, page string, headings []string) {
	t.Helper()
	bin := "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not found (apt-get install -y chromium); skipping the browser rendering check", bin)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--window-size=1200,2400"}
	run := func(extra ...string) []byte {
		args := append(append(append([]string(nil), flags...), "--user-data-dir="+filepath.Join(dir, "profile")), extra...)
		args = append(args, "file://"+file)
		cmd := exec.Command(bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start chromium: %v", err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
			}
		case <-time.After(90 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("chromium %v timed out", extra)
		}
		return out.Bytes()
	}
	run("--screenshot=" + shot)
	st, err := os.Stat(shot)
	if err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %s missing or tiny: %v", shot, err)
	}
	png, _ := os.ReadFile(shot)
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("screenshot is not a PNG")
	}
	if keep := os.Getenv("EVALUATE_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dom := string(run("--dump-dom"))
	for _, h := range headings {
		if !strings.Contains(dom, "<h2>"+h+"</h2>") {
			t.Errorf("rendered DOM lacks heading %q", h)
		}
	}
	for _, bad := range []string{"This page isn", "ERR_", "error on line", "NaN", "Infinity"} {
		if strings.Contains(dom, bad) {
			t.Errorf("rendered DOM contains %q", bad)
		}
	}
}

// TestHTMLEscapes checks that names from captures and features cannot
// inject markup into the page.
func TestHTMLEscapes(t *testing.T) {
	m, err := Compute([]float64{0.1, 0.9, 0.4, 0.7}, []int{0, 1, 0, 1}, nil, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{
		Title:      "<script>alert(1)</script>",
		Holdout:    m,
		Captures:   []CaptureRate{{Capture: `odd <b>name</b> & "quotes".pcap`, Label: 1, Flows: 2, Flagged: 1, Rate: 0.5}},
		Importance: []Importance{{Name: "<img src=x>", Gain: 1}},
		Params:     []Param{{"</td>", "<i>"}},
		Notes:      []string{"<iframe>"},
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<b>name", "<img", "<iframe", "<i>", "</td></td>"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "odd &lt;b&gt;name&lt;/b&gt; &amp; &#34;quotes&#34;.pcap", "&lt;img src=x&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks escaped %q", want)
		}
	}
}
