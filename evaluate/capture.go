package evaluate

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// CaptureRate is the detection result for one capture: the share of its flows
// flagged at the threshold. For a malicious capture a high Rate is good (the
// capture is detected); for a benign one every flagged flow is a false alarm.
type CaptureRate struct {
	Capture string  `json:"capture"`
	Label   int     `json:"label"` // majority label of the capture's flows
	Flows   int     `json:"flows"`
	Flagged int     `json:"flagged"`
	Rate    float64 `json:"rate"` // Flagged / Flows
}

// PerCapture counts, for every capture (group), how many of its flows score
// >= threshold. Results are sorted by label (malicious first), then by rate
// (lowest first for malicious, highest first for benign), so the captures a
// reader should worry about come first.
func PerCapture(groups []string, labels []int, scores []float64, threshold float64) ([]CaptureRate, error) {
	gs, err := collectGroups(groups, labels)
	if err != nil {
		return nil, fmt.Errorf("per-capture: %w", err)
	}
	if len(scores) != len(groups) {
		return nil, fmt.Errorf("per-capture: %d groups but %d scores", len(groups), len(scores))
	}
	out := make([]CaptureRate, 0, len(gs))
	for _, g := range gs {
		c := CaptureRate{Capture: g.name, Label: g.label, Flows: len(g.rows)}
		for _, r := range g.rows {
			if math.IsNaN(scores[r]) {
				return nil, fmt.Errorf("per-capture: score %d (capture %s) is NaN", r, g.name)
			}
			if scores[r] >= threshold {
				c.Flagged++
			}
		}
		c.Rate = float64(c.Flagged) / float64(c.Flows)
		out = append(out, c)
	}
	SortCaptures(out)
	return out, nil
}

// SortCaptures orders captures worst first: malicious ones by ascending
// detection rate, then benign ones by descending false-alarm rate; ties by
// more flows, then name.
func SortCaptures(cs []CaptureRate) {
	sort.SliceStable(cs, func(a, b int) bool {
		x, y := cs[a], cs[b]
		if x.Label != y.Label {
			return x.Label > y.Label
		}
		if x.Rate != y.Rate {
			if x.Label == 1 {
				return x.Rate < y.Rate
			}
			return x.Rate > y.Rate
		}
		if x.Flows != y.Flows {
			return x.Flows > y.Flows
		}
		return x.Capture < y.Capture
	})
}

// Importance is one feature's share of the model's split gain.
type Importance struct {
	Name string  `json:"name"`
	Gain float64 `json:"gain"`
}

// TopImportance pairs feature names with gains and returns the n largest
// (n <= 0 keeps all), ties broken by name. Features with zero gain are left
// out: the model never split on them.
func TopImportance(names []string, gain []float64, n int) ([]Importance, error) {
	if len(names) != len(gain) {
		return nil, fmt.Errorf("importance: %d names but %d gains", len(names), len(gain))
	}
	var out []Importance
	for i, g := range gain {
		if math.IsNaN(g) || math.IsInf(g, 0) || g < 0 {
			return nil, fmt.Errorf("importance: feature %s has gain %v", names[i], g)
		}
		if g > 0 {
			out = append(out, Importance{Name: names[i], Gain: g})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Gain != out[b].Gain {
			return out[a].Gain > out[b].Gain
		}
		return out[a].Name < out[b].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// ScoringCost measures the mean wall-clock time of score over rows, in
// microseconds per row. It scores every row once to warm caches and then
// repeats passes until at least minDur has passed (at least one pass).
func ScoringCost(rows [][]float64, score func([]float64) float64, minDur time.Duration) (float64, error) {
	if len(rows) == 0 {
		return 0, fmt.Errorf("scoring cost: %w", ErrEmpty)
	}
	for _, r := range rows {
		score(r)
	}
	n := 0
	start := time.Now()
	for {
		for _, r := range rows {
			score(r)
		}
		n += len(rows)
		if time.Since(start) >= minDur {
			break
		}
	}
	el := time.Since(start)
	return float64(el.Nanoseconds()) / 1e3 / float64(n), nil
}
