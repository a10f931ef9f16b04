package xgbconv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dmitryikh/leaves"
)

// Debian's python3-xgboost lives in the system interpreter; the pyenv
// python3 first on PATH does not have it.
const systemPython = "/usr/bin/python3"

const tolerance = 1e-6

func needXGBoost(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import xgboost; print(xgboost.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("%s cannot import xgboost (apt-get install -y python3-xgboost): %v: %s", systemPython, err, bytes.TrimSpace(out))
	}
	t.Logf("reference: xgboost %s", bytes.TrimSpace(out))
}

var featNames = []string{"pkts", "bytes", "syn", "port_class", "duration", "iat_mean"}

// flowRows builds flow-like rows: small integer counts (so many rows sit
// exactly on hist cut points), byte counts above 2^24 (not float32
// representable), NaNs, and arbitrary float64 timings.
func flowRows(n int) (labels []float64, rows [][]float64) {
	rng := rand.New(rand.NewPCG(42, 1))
	for range n {
		pkts := float64(1 + int(math.Exp(rng.Float64()*5)))
		bytes := math.Round(pkts * (40 + rng.Float64()*1500))
		if rng.IntN(10) == 0 {
			bytes = float64(1<<24 + rng.IntN(1<<27)) // big, mostly not float32 exact
		}
		syn := float64(rng.IntN(6))
		port := float64(rng.IntN(21))
		if rng.IntN(10) == 0 {
			port = math.NaN()
		}
		dur := rng.ExpFloat64() * 3
		iat := dur / pkts
		if rng.IntN(8) == 0 {
			iat = math.NaN()
		}
		z := 0.8*(syn-2.5) + 0.002*(pkts-20) - 0.5*dur + 1.5*math.Log1p(bytes/1e6)
		if !math.IsNaN(port) {
			z += 0.15 * (port - 10)
		} else {
			z += 1
		}
		if !math.IsNaN(iat) && iat < 0.05 {
			z += 0.7
		}
		label := 0.0
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			label = 1
		}
		labels = append(labels, label)
		rows = append(rows, []float64{pkts, bytes, syn, port, dur, iat})
	}
	return labels, rows
}

func writeCSV(t *testing.T, path string, labels []float64, rows [][]float64) {
	t.Helper()
	var b strings.Builder
	b.WriteString("label," + strings.Join(featNames, ",") + "\n")
	for i, r := range rows {
		b.WriteString(strconv.FormatFloat(labels[i], 'g', -1, 64))
		for _, v := range r {
			b.WriteByte(',')
			if !math.IsNaN(v) {
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64)) // round-trips float64
			}
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPreds(t *testing.T, path string, want int) []float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(data))
	if len(lines) != want {
		t.Fatalf("%s: %d predictions, want %d", path, len(lines), want)
	}
	out := make([]float64, len(lines))
	for i, s := range lines {
		if out[i], err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
	}
	return out
}

func runPython(t *testing.T, args ...string) {
	t.Helper()
	script := filepath.Join("testdata", "train_xgb.py")
	out, err := exec.Command(systemPython, append([]string{script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", script, args, err, out)
	}
}

func loadLeaves(t testing.TB, text []byte) *leaves.Ensemble {
	t.Helper()
	e, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(text)), true)
	if err != nil {
		t.Fatalf("leaves rejects converted model: %v", err)
	}
	return e
}

func predictAll(t testing.TB, e *leaves.Ensemble, rows [][]float64) []float64 {
	t.Helper()
	out := make([]float64, len(rows))
	var p [1]float64
	for i, r := range rows {
		if err := e.Predict(r, 0, p[:]); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		out[i] = p[0]
	}
	return out
}

// compare returns how many rows differ beyond the tolerance and the largest
// difference.
func compare(got, want []float64) (bad int, maxDiff float64, first int) {
	first = -1
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if d > maxDiff || math.IsNaN(d) {
			maxDiff = d
		}
		if !(d <= tolerance) {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	return bad, maxDiff, first
}

func convertFile(t *testing.T, path string, th thresholdFunc) ([]byte, Info) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text, info, err := convert(data, nil, th)
	if err != nil {
		t.Fatalf("convert %s: %v", path, err)
	}
	return text, info
}

func naiveThreshold(t float32) float64     { return float64(t) }
func nextBelowThreshold(t float32) float64 { return math.Nextafter(float64(t), math.Inf(-1)) }

func TestMatchesXGBoost(t *testing.T) {
	needXGBoost(t)
	dir := t.TempDir()
	labels, rows := flowRows(4000)
	data := filepath.Join(dir, "train.csv")
	writeCSV(t, data, labels, rows)

	cases := []struct {
		name string
		args []string
		info Info
	}{
		{"gbtree", []string{"--base-score", "0.3"}, Info{Trees: 50, Booster: "gbtree", BaseScore: float64(float32(0.3))}},
		{"dart", []string{"--booster", "dart", "--rounds", "30"}, Info{Trees: 30, Booster: "dart", BaseScore: 0.5}},
		{"parallel", []string{"--parallel", "3", "--rounds", "10", "--base-score", "0.7"}, Info{Trees: 30, Booster: "gbtree", BaseScore: float64(float32(0.7))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := filepath.Join(dir, tc.name+".json")
			predPath := filepath.Join(dir, tc.name+".pred")
			runPython(t, append([]string{"train", data, model, predPath}, tc.args...)...)
			want := readPreds(t, predPath, len(rows))

			text, info := convertFile(t, model, splitThreshold)
			if info.Trees != tc.info.Trees || info.Booster != tc.info.Booster || info.BaseScore != tc.info.BaseScore ||
				info.Features != len(featNames) || info.Objective != "binary:logistic" ||
				strings.Join(info.FeatureNames, " ") != strings.Join(featNames, " ") {
				t.Errorf("info = %+v, want trees %d booster %s base_score %g, stored names", info, tc.info.Trees, tc.info.Booster, tc.info.BaseScore)
			}
			if d := info.BaseMargin - math.Log(info.BaseScore/(1-info.BaseScore)); math.Abs(d) > 1e-12 {
				t.Errorf("base margin %g is not logit(%g)", info.BaseMargin, info.BaseScore)
			}
			got := predictAll(t, loadLeaves(t, text), rows)
			bad, maxDiff, first := compare(got, want)
			t.Logf("%d rows, max |leaves - xgboost| = %.3g", len(rows), maxDiff)
			if bad > 0 {
				t.Fatalf("%d of %d rows differ beyond %g; first row %d: leaves %.9g xgboost %.9g (%v)",
					bad, len(rows), tolerance, first, got[first], want[first], rows[first])
			}
			if tc.name == "dart" {
				checkDartWeights(t, model)
			}
			if tc.name != "gbtree" {
				return
			}

			// Keeping t itself sends rows sitting on a cut point left,
			// where XGBoost sends them right.
			naiveText, _ := convertFile(t, model, naiveThreshold)
			bad, maxDiff, _ = compare(predictAll(t, loadLeaves(t, naiveText), rows), want)
			t.Logf("naive threshold t: %d of %d rows differ, max %.3g", bad, len(rows), maxDiff)
			if bad == 0 {
				t.Errorf("naive conversion matched XGBoost on every row; the data does not exercise ties")
			}

			probeThresholds(t, dir, model, text, rows)
		})
	}
}

// probeThresholds scores, with XGBoost and with the converted model, rows
// whose value for a split's feature sits on, just around, and between the
// float32 neighbours of that split's condition.
func probeThresholds(t *testing.T, dir, model string, text []byte, base [][]float64) {
	splits := modelSplits(t, model)
	var probes [][]float64
	rng := rand.New(rand.NewPCG(7, 7))
	for _, s := range splits {
		c := float64(s.cond)
		below := float64(math.Nextafter32(s.cond, float32(math.Inf(-1))))
		above := float64(math.Nextafter32(s.cond, float32(math.Inf(1))))
		midLo, midHi := (below+c)/2, (c+above)/2
		for _, v := range []float64{
			c, math.Nextafter(c, math.Inf(-1)), math.Nextafter(c, math.Inf(1)),
			below, above,
			midLo, math.Nextafter(midLo, math.Inf(-1)), math.Nextafter(midLo, math.Inf(1)),
			midHi, (midLo + c) / 2,
		} {
			row := append([]float64(nil), base[rng.IntN(len(base))]...)
			row[s.feature] = v
			probes = append(probes, row)
		}
	}
	rowsPath := filepath.Join(dir, "probe.csv")
	predPath := filepath.Join(dir, "probe.pred")
	writeCSV(t, rowsPath, make([]float64, len(probes)), probes)
	runPython(t, "predict", model, rowsPath, predPath)
	want := readPreds(t, predPath, len(probes))

	got := predictAll(t, loadLeaves(t, text), probes)
	bad, maxDiff, first := compare(got, want)
	t.Logf("%d probe rows around %d split conditions, max diff %.3g", len(probes), len(splits), maxDiff)
	if bad > 0 {
		t.Fatalf("%d of %d probe rows differ; first %d: leaves %.9g xgboost %.9g (%v)",
			bad, len(probes), first, got[first], want[first], probes[first])
	}

	// nextafter(t) is right only for float32-representable inputs: values
	// between the neighbours that XGBoost rounds up to t must go right.
	nextText, _ := convertFile(t, model, nextBelowThreshold)
	bad, _, _ = compare(predictAll(t, loadLeaves(t, nextText), probes), want)
	t.Logf("threshold nextafter(t, -Inf): %d of %d probe rows differ", bad, len(probes))
	if bad == 0 {
		t.Errorf("nextafter rule matched XGBoost on every probe; probes do not reach between-neighbour values")
	}
}

type split struct {
	feature int
	cond    float32
}

// modelSplits lists the distinct numeric splits of a saved model, read with
// a plain map decode independent of the converter's structs.
func modelSplits(t *testing.T, path string) []split {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Learner struct {
			GradientBooster struct {
				Model struct {
					Trees []map[string]json.RawMessage `json:"trees"`
				} `json:"model"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	seen := map[split]bool{}
	for _, tr := range m.Learner.GradientBooster.Model.Trees {
		var left []int
		var idx []int
		var cond []float64
		for k, dst := range map[string]any{"left_children": &left, "split_indices": &idx, "split_conditions": &cond} {
			if err := json.Unmarshal(tr[k], dst); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		for i := range left {
			if left[i] != -1 {
				seen[split{idx[i], float32(cond[i])}] = true
			}
		}
	}
	out := make([]split, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].feature != out[j].feature {
			return out[i].feature < out[j].feature
		}
		return out[i].cond < out[j].cond
	})
	if len(out) == 0 {
		t.Fatal(fmt.Errorf("%s has no splits", path))
	}
	return out
}

// checkDartWeights makes sure the dart case scales trees at all: with every
// weight at 1 it would not tell dart support from plain gbtree.
func checkDartWeights(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Learner struct {
			GradientBooster struct {
				WeightDrop []float64 `json:"weight_drop"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	scaled := 0
	for _, w := range m.Learner.GradientBooster.WeightDrop {
		if w != 1 {
			scaled++
		}
	}
	t.Logf("dart: %d of %d trees have weight != 1", scaled, len(m.Learner.GradientBooster.WeightDrop))
	if scaled == 0 {
		t.Errorf("dart model has no weight != 1")
	}
}
