package evaluate

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestPerCapture(t *testing.T) {
	groups := []string{"m1", "b1", "m1", "b2", "m2", "b1", "m1", "b2", "m2", "b1"}
	labels := []int{1, 0, 1, 0, 1, 0, 0, 0, 1, 0}
	scores := []float64{0.9, 0.1, 0.4, 0.6, 0.2, 0.5, 0.8, 0.55, 0.3, 0.2}
	got, err := PerCapture(groups, labels, scores, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Hand count at >= 0.5:
	//   m1: rows 0,2,6 -> 0.9 0.4 0.8 -> 2 of 3; labels 1,1,0 -> malicious
	//   m2: rows 4,8   -> 0.2 0.3     -> 0 of 2
	//   b1: rows 1,5,9 -> 0.1 0.5 0.2 -> 1 of 3
	//   b2: rows 3,7   -> 0.6 0.55    -> 2 of 2
	// Order: malicious by rising rate, then benign by falling rate.
	want := []CaptureRate{
		{"m2", 1, 2, 0, 0},
		{"m1", 1, 3, 2, 2.0 / 3},
		{"b2", 0, 2, 2, 1},
		{"b1", 0, 3, 1, 1.0 / 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PerCapture:\n got %+v\nwant %+v", got, want)
	}

	if _, err := PerCapture(groups, labels, scores[:3], 0.5); err == nil {
		t.Error("short scores accepted")
	}
	bad := append([]float64(nil), scores...)
	bad[4] = math.NaN()
	if _, err := PerCapture(groups, labels, bad, 0.5); err == nil {
		t.Error("NaN score accepted")
	}
	if _, err := PerCapture(nil, nil, nil, 0.5); err == nil {
		t.Error("empty input accepted")
	}
}

func TestTopImportance(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	got, err := TopImportance(names, []float64{3, 0, 7, 3, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Importance{{"c", 7}, {"a", 3}, {"d", 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	all, _ := TopImportance(names, []float64{3, 0, 7, 3, 1}, 0)
	if len(all) != 4 { // b has no gain
		t.Errorf("n=0 kept %d features, want the 4 with gain", len(all))
	}
	if _, err := TopImportance(names, []float64{1}, 3); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := TopImportance(names[:1], []float64{math.NaN()}, 3); err == nil {
		t.Error("NaN gain accepted")
	}
}

func TestSummarize(t *testing.T) {
	groups := []string{"m1", "b1", "m1", "b2", "b1", "b3"}
	labels := []int{1, 0, 0, 0, 0, 0} // m1 is a tie: counts as malicious
	d, err := Summarize(groups, labels, []int{1, 3, 4}, []int{0, 2, 5}, 9)
	if err != nil {
		t.Fatal(err)
	}
	want := DataSummary{
		Captures:      [2]int{3, 1},
		Flows:         [2]int{5, 1},
		TrainCaptures: [2]int{2, 0},
		TrainFlows:    [2]int{3, 0},
		TestCaptures:  [2]int{1, 1},
		TestFlows:     [2]int{2, 1},
		Features:      9,
	}
	if d != want {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
	if _, err := Summarize(groups, labels, []int{6}, nil, 1); err == nil {
		t.Error("out-of-range row accepted")
	}
}

func TestScoringCost(t *testing.T) {
	rows := make([][]float64, 100)
	for i := range rows {
		rows[i] = []float64{float64(i)}
	}
	calls := 0
	slow := func(r []float64) float64 {
		calls++
		time.Sleep(20 * time.Microsecond)
		return r[0]
	}
	us, err := ScoringCost(rows, slow, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Each call sleeps at least 20 µs; the warm-up pass is not timed.
	if us < 20 || us > 5000 {
		t.Errorf("%.1f µs per row for a 20 µs function", us)
	}
	if calls < 200 {
		t.Errorf("%d calls: want the warm-up pass and at least one timed pass", calls)
	}
	if _, err := ScoringCost(nil, slow, time.Millisecond); err == nil {
		t.Error("no rows accepted")
	}
}
