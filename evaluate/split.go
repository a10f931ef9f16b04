package evaluate

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
)

// groupInfo is one capture: its rows, majority label and name.
type groupInfo struct {
	name  string
	rows  []int
	label int
}

// collectGroups groups row indices by capture and labels each capture by the
// majority of its flows (ties count as malicious). Groups come back sorted
// by name so that the seed alone decides the shuffles that follow.
func collectGroups(groups []string, labels []int) ([]groupInfo, error) {
	if len(groups) == 0 {
		return nil, ErrEmpty
	}
	if len(labels) != len(groups) {
		return nil, fmt.Errorf("evaluate: %d groups but %d labels", len(groups), len(labels))
	}
	byName := map[string]*groupInfo{}
	pos := map[string]int{}
	for i, g := range groups {
		if labels[i] != 0 && labels[i] != 1 {
			return nil, fmt.Errorf("evaluate: label %d is %d, want 0 or 1", i, labels[i])
		}
		gi, ok := byName[g]
		if !ok {
			gi = &groupInfo{name: g}
			byName[g] = gi
		}
		gi.rows = append(gi.rows, i)
		pos[g] += labels[i]
	}
	out := make([]groupInfo, 0, len(byName))
	for name, gi := range byName {
		if 2*pos[name] >= len(gi.rows) {
			gi.label = 1
		}
		out = append(out, *gi)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
	return out, nil
}

// byLabel splits groups into benign and malicious lists, each shuffled.
func byLabel(gs []groupInfo, rng *rand.Rand) [2][]groupInfo {
	var c [2][]groupInfo
	for _, g := range gs {
		c[g.label] = append(c[g.label], g)
	}
	for l := range c {
		rng.Shuffle(len(c[l]), func(i, j int) { c[l][i], c[l][j] = c[l][j], c[l][i] })
	}
	return c
}

// HoldoutByGroup splits rows into train and test so that no capture (group)
// has rows on both sides. Within each capture label, round(fraction * n)
// captures go to test, at least one when the label has two or more captures
// and never all of them (a label with a single capture stays in train).
// Returned indices are sorted. The same seed gives the same split.
func HoldoutByGroup(groups []string, labels []int, fraction float64, seed int64) (train, test []int, err error) {
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, fmt.Errorf("holdout: fraction %v, want 0 < f < 1", fraction)
	}
	gs, err := collectGroups(groups, labels)
	if err != nil {
		return nil, nil, fmt.Errorf("holdout: %w", err)
	}
	if len(gs) < 2 {
		return nil, nil, fmt.Errorf("holdout: %d capture(s), need at least 2 to hold one out", len(gs))
	}
	classes := byLabel(gs, rand.New(rand.NewSource(seed)))
	for _, c := range classes {
		n := len(c)
		nTest := int(math.Round(fraction * float64(n)))
		if n >= 2 && nTest == 0 {
			nTest = 1
		}
		if nTest >= n {
			nTest = n - 1
		}
		for i, g := range c {
			if i < nTest {
				test = append(test, g.rows...)
			} else {
				train = append(train, g.rows...)
			}
		}
	}
	if len(test) == 0 {
		return nil, nil, fmt.Errorf("holdout: no capture label has 2 captures, cannot hold any out")
	}
	sort.Ints(train)
	sort.Ints(test)
	return train, test, nil
}

// GroupKFold returns k (train, test) pairs of sorted row indices. Every
// capture is in exactly one test fold. Captures of each label are shuffled
// with seed and each is given to the fold holding the fewest flows of that
// label so far, which keeps both the label mix and the flow counts of the
// folds close. It fails when there are fewer than k captures.
func GroupKFold(groups []string, labels []int, k int, seed int64) ([][2][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("group k-fold: k=%d, want >= 2", k)
	}
	gs, err := collectGroups(groups, labels)
	if err != nil {
		return nil, fmt.Errorf("group k-fold: %w", err)
	}
	if len(gs) < k {
		return nil, fmt.Errorf("group k-fold: %d captures for %d folds", len(gs), k)
	}
	classes := byLabel(gs, rand.New(rand.NewSource(seed)))
	fold := make([]int, len(groups)) // row -> fold
	nGroups := make([]int, k)
	start := 0
	for _, c := range classes {
		flows := make([]int, k)
		for _, g := range c {
			// Fewest flows first; ties go to the fold with fewest captures,
			// then round-robin from where the previous label left off, so
			// small labels do not all land in fold 0.
			best := -1
			for j := 0; j < k; j++ {
				f := (start + j) % k
				if best < 0 || flows[f] < flows[best] ||
					(flows[f] == flows[best] && nGroups[f] < nGroups[best]) {
					best = f
				}
			}
			for _, r := range g.rows {
				fold[r] = best
			}
			flows[best] += len(g.rows)
			nGroups[best]++
			start = (best + 1) % k
		}
	}
	out := make([][2][]int, k)
	for r, f := range fold {
		for j := 0; j < k; j++ {
			if j == f {
				out[j][1] = append(out[j][1], r)
			} else {
				out[j][0] = append(out[j][0], r)
			}
		}
	}
	for j := range out {
		if len(out[j][1]) == 0 {
			return nil, fmt.Errorf("group k-fold: fold %d got no capture", j)
		}
	}
	return out, nil
}
