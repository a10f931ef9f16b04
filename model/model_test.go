package model

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	m, e, x := trainModel(t, 2000, 8, 20)
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// The file is our envelope with the documented keys.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "feature_set", "features", "threshold", "positive_class", "training", "lightgbm"} {
		if _, ok := top[k]; !ok {
			t.Errorf("written model has no %q key", k)
		}
	}
	path := filepath.Join(t.TempDir(), "model.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != SourceEnvelope || got.Format != FormatV1 || got.FeatureSet != m.FeatureSet ||
		!slices.Equal(got.Features, m.Features) || got.Threshold != m.Threshold || got.PositiveClass != m.PositiveClass ||
		!bytes.Equal(got.LightGBM, m.LightGBM) {
		t.Fatalf("round trip changed the model:\n got %+v\nwant %+v", got, m)
	}
	var a, b any
	if err := json.Unmarshal(got.Training, &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(m.Training, &b)
	if ja, _ := json.Marshal(a); string(ja) != `{"rounds":20,"rows":2000}` {
		t.Fatalf("training summary %s", got.Training)
	}

	// The loaded model scores like the trainer's own predictor.
	s, err := got.Bind(got.Features, testFeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rowsOf(x, 8)[:500] {
		if d := math.Abs(s.Score(row) - e.Predict(row)); d > 1e-12 {
			t.Fatalf("row %d: score differs from gbdt by %g", r, d)
		}
	}
}

func TestLoadBareLightGBM(t *testing.T) {
	m, _, x := trainModel(t, 1000, 5, 10)
	rows := rowsOf(x, 5)[:200]
	for _, version := range []string{"v3", "v2", "v4"} {
		text := bytes.Replace(m.LightGBM, []byte("version=v3"), []byte("version="+version), 1)
		got, err := Load(bytes.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		if got.Source != SourceLightGBM || got.FeatureSet != "" || got.Threshold != 0.5 || !slices.Equal(got.Features, m.Features) {
			t.Fatalf("%s: loaded %+v", version, got)
		}
		// Any feature set is accepted when the model names none.
		s, err := got.Bind(m.Features, "whatever/9")
		if err != nil {
			t.Fatal(err)
		}
		ref := leavesModel(t, m.LightGBM)
		for r, row := range rows {
			if s.Score(row) != ref.PredictSingle(row, 0) {
				t.Fatalf("%s row %d: score differs from leaves", version, r)
			}
		}
	}
	text := bytes.Replace(m.LightGBM, []byte("version=v3"), []byte("version=v5"), 1)
	if _, err := Load(bytes.NewReader(text)); err == nil || !strings.Contains(err.Error(), `"v5"`) {
		t.Fatalf("v5 model: err %v", err)
	}
}

// TestBindSchema binds to a schema with the model's features shuffled among
// extra columns and checks Score, ScoreBatch and Explain against the
// model-order row.
func TestBindSchema(t *testing.T) {
	m, _, x := trainModel(t, 1500, 10, 15)
	rng := rand.New(rand.NewPCG(1, 2))
	schema := append(slices.Clone(m.Features), "extra_a", "extra_b", "extra_c")
	rng.Shuffle(len(schema), func(i, j int) { schema[i], schema[j] = schema[j], schema[i] })
	s, err := m.Bind(schema, testFeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	if s.direct {
		t.Fatal("shuffled schema bound directly")
	}
	ref, err := m.Bind(m.Features, testFeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	if !ref.direct {
		t.Fatal("identical schema not bound directly")
	}
	rows := rowsOf(x, 10)[:300]
	flat := make([]float64, 0, len(rows)*len(schema))
	for _, row := range rows {
		for _, name := range schema {
			if i := slices.Index(m.Features, name); i >= 0 {
				flat = append(flat, row[i])
			} else {
				flat = append(flat, rng.NormFloat64()*1e6) // must be ignored
			}
		}
	}
	out := make([]float64, len(rows))
	if err := s.ScoreBatch(flat, len(rows), out); err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		srow := flat[r*len(schema) : (r+1)*len(schema)]
		want := ref.Score(row)
		if got := s.Score(srow); got != want || out[r] != want {
			t.Fatalf("row %d: Score %v, ScoreBatch %v, model-order %v", r, got, out[r], want)
		}
		e1, e2 := s.Explain(srow, 5), ref.Explain(row, 5)
		if !slices.EqualFunc(e1, e2, sameContribution) {
			t.Fatalf("row %d: Explain %v vs %v", r, e1, e2)
		}
		for _, c := range e1 {
			if c.Value != row[slices.Index(m.Features, c.Feature)] && !math.IsNaN(c.Value) {
				t.Fatalf("row %d: %s value %v", r, c.Feature, c.Value)
			}
		}
	}
	// A batch through the direct path too.
	flat2 := slices.Concat(rows...)
	if err := ref.ScoreBatch(flat2, len(rows), out); err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		if out[r] != ref.Score(row) {
			t.Fatalf("direct batch row %d", r)
		}
	}
	if err := s.ScoreBatch(flat[:len(flat)-1], len(rows), out); err == nil {
		t.Fatal("short batch accepted")
	}
	if err := s.ScoreBatch(flat, len(rows), out[:1]); err == nil {
		t.Fatal("short output accepted")
	}
	if !math.IsNaN(s.Score(flat[:3])) {
		t.Fatal("short row scored")
	}
	c := s.Clone()
	if c.Score(flat[:len(schema)]) != s.Score(flat[:len(schema)]) {
		t.Fatal("clone scores differently")
	}
}

func TestBindErrors(t *testing.T) {
	m, _, _ := trainModel(t, 500, 6, 5)
	schema := slices.Clone(m.Features)
	schema[3] = "feat_3_renamed"
	_, err := m.Bind(schema, testFeatureSet)
	if err == nil || !strings.Contains(err.Error(), `model feature "feat_3" is not produced by this extractor (feature set "test-features/1")`) {
		t.Fatalf("renamed feature: err %v", err)
	}
	if _, err := m.Bind(m.Features, "other-features/2"); err == nil || !strings.Contains(err.Error(), `"other-features/2"`) {
		t.Fatalf("other feature set: err %v", err)
	}
	if _, err := m.Bind(append(slices.Clone(m.Features), "feat_0"), testFeatureSet); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate schema column: err %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	m, _, _ := trainModel(t, 500, 6, 5)
	var env bytes.Buffer
	if err := m.Write(&env); err != nil {
		t.Fatal(err)
	}
	withText := func(text []byte) []byte {
		c := *m
		c.LightGBM = text
		b, err := json.Marshal(envelope{Format: FormatV1, Features: c.Features, Threshold: &c.Threshold, LightGBM: string(text)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withFeatures := func(f []string) []byte {
		b, err := json.Marshal(envelope{Format: FormatV1, Features: f, Threshold: &m.Threshold, LightGBM: string(m.LightGBM)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	text := string(m.LightGBM)
	rng := rand.New(rand.NewPCG(9, 9))
	random := make([]byte, 300)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0] = 0x8f

	cases := []struct {
		name, input, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t\n", "empty"},
		{"random bytes", string(random), "unrecognised model file"},
		{"truncated JSON", env.String()[:env.Len()/2], "does not parse"},
		{"JSON array", "[1,2]", "unrecognised"},
		{"other JSON", `{"name":"x","trees":[]}`, `keys [name trees] is neither`},
		{"future format", `{"format":"flowclass-model/2"}`, `"flowclass-model/2"`},
		{"no threshold", `{"format":"flowclass-model/1","features":["a"],"lightgbm":"tree"}`, "no threshold"},
		{"bad threshold", string(bytes.Replace(env.Bytes(), []byte(`"threshold": 0.4`), []byte(`"threshold": 1.5`), 1)), "not a probability"},
		{"no lightgbm", `{"format":"flowclass-model/1","features":["a"],"threshold":0.5}`, "no lightgbm"},
		{"leaves rejects header", string(withText([]byte(strings.Replace(text, "label_index=0", "label_index=0=1", 1)))), "leaves cannot read"},
		{"leaves rejects version", string(withText([]byte(strings.Replace(text, "version=v3", "version=v1", 1)))), `version "v1"`},
		{"fewer features", string(withFeatures(m.Features[:5])), "lists 5 features but its LightGBM model has 6"},
		{"more features", string(withFeatures(append(slices.Clone(m.Features), "x"))), "lists 7 features but its LightGBM model has 6"},
		{"renamed feature", string(withFeatures(append([]string{"zz"}, m.Features[1:]...))), `"zz" but its LightGBM model calls it "feat_0"`},
		{"duplicate feature", string(withFeatures(append([]string{"feat_1"}, m.Features[1:]...))), "twice"},
		{"truncated text", text[:len(text)/2], "LightGBM"},
		{"child out of range", setFirst(text, "left_child", "999"), "child node 999 is out of range"},
		{"leaf out of range", setFirst(text, "right_child", "-999"), "child leaf 998 is out of range"},
		{"child cycle", strings.Replace(text, "left_child=1 ", "left_child=0 ", 1), "out of range or shared"},
		{"feature out of range", setFirst(text, "split_feature", "6"), "splits on feature 6, the model has 6"},
		{"short array", strings.Replace(text, "split_feature=", "split_feature=1 ", 1), "split_feature has"},
		{"multiclass", strings.Replace(text, "num_class=1", "num_class=3", 1), "num_class"},
		{"regression", strings.Replace(text, "objective=binary sigmoid:1", "objective=regression", 1), `objective "regression"`},
		{"categorical", strings.Replace(text, "num_cat=0", "num_cat=1", 1), "categorical"},
		{"NaN leaf", setFirst(text, "leaf_value", "nan"), "leaf_value 0 is NaN"},
		{"bad number", setFirst(text, "threshold", "1.2.3"), "threshold value 0"},
		{"bad decision type", setFirst(text, "decision_type", "12"), "unknown missing type 3"},
		{"xgboost garbage", `{"learner": 3}`, "convert XGBoost model"},
		{"ubjson", "{L\x00\x00\x00\x00\x00\x00\x00\x07learner{", "UBJSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			t.Logf("%v", err)
		})
	}
}

// setFirst replaces the first value of the first "key=" line.
func setFirst(text, key, val string) string {
	i := strings.Index(text, "\n"+key+"=") + len(key) + 2
	j := i + strings.IndexAny(text[i:], " \n")
	return text[:i] + val + text[j:]
}

func TestWriteRefusesBadModel(t *testing.T) {
	m, _, _ := trainModel(t, 500, 6, 3)
	m.Features = m.Features[:4]
	var buf bytes.Buffer
	if err := m.Write(&buf); err == nil || buf.Len() != 0 {
		t.Fatalf("bad model written (err %v, %d bytes)", err, buf.Len())
	}
}

func sameContribution(a, b Contribution) bool {
	return a.Feature == b.Feature && a.Contribution == b.Contribution &&
		(a.Value == b.Value || math.IsNaN(a.Value) && math.IsNaN(b.Value))
}

// TestScoreAllocations checks the hot path: Score allocates nothing, and
// ScoreBatch's only allocation is leaves' per-call bookkeeping, whatever
// the number of rows.
func TestScoreAllocations(t *testing.T) {
	m, _, x := trainModel(t, 1000, 8, 10)
	schema := append(slices.Clone(m.Features), "extra")
	slices.Reverse(schema)
	s, err := m.Bind(schema, testFeatureSet)
	if err != nil {
		t.Fatal(err)
	}
	const n = 256
	rows := make([]float64, n*len(schema))
	for i := range rows {
		rows[i] = x[i%len(x)]
	}
	out := make([]float64, n)
	if a := testing.AllocsPerRun(100, func() { s.Score(rows[:len(schema)]) }); a != 0 {
		t.Fatalf("Score allocates %v times", a)
	}
	_ = s.ScoreBatch(rows, n, out) // sizes the batch buffer once
	for _, nr := range []int{1, 16, n} {
		if a := testing.AllocsPerRun(50, func() { _ = s.ScoreBatch(rows, nr, out) }); a > 1 {
			t.Fatalf("ScoreBatch of %d rows allocates %v times", nr, a)
		}
	}
}
