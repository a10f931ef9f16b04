package evaluate

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"testing"
)

// synthGroups makes nBen benign and nMal malicious captures of very
// different sizes, interleaved in row order; a few captures hold a minority
// of the other label, as real captures do.
func synthGroups(rng *rand.Rand, nBen, nMal int) (groups []string, labels []int) {
	type cap struct {
		name  string
		label int
		size  int
	}
	var caps []cap
	for i := 0; i < nBen; i++ {
		caps = append(caps, cap{fmt.Sprintf("benign/b%02d.pcap", i), 0, 1 + rng.Intn(200)})
	}
	for i := 0; i < nMal; i++ {
		caps = append(caps, cap{fmt.Sprintf("malicious/m%02d.pcap", i), 1, 1 + rng.Intn(80)})
	}
	for len(caps) > 0 {
		k := rng.Intn(len(caps))
		c := &caps[k]
		l := c.label
		if rng.Intn(10) == 0 {
			l = 1 - l // minority flow
		}
		groups = append(groups, c.name)
		labels = append(labels, l)
		c.size--
		if c.size == 0 {
			caps = append(caps[:k], caps[k+1:]...)
		}
	}
	return groups, labels
}

// majority recomputes each capture's label independently of the package.
func majority(groups []string, labels []int) map[string]int {
	n, p := map[string]int{}, map[string]int{}
	for i, g := range groups {
		n[g]++
		p[g] += labels[i]
	}
	out := map[string]int{}
	for g := range n {
		if 2*p[g] >= n[g] {
			out[g] = 1
		} else {
			out[g] = 0
		}
	}
	return out
}

func checkPartition(t *testing.T, n int, train, test []int) {
	t.Helper()
	seen := make([]int, n)
	for _, side := range [][]int{train, test} {
		if !sort.IntsAreSorted(side) {
			t.Fatal("indices not sorted")
		}
		for _, r := range side {
			seen[r]++
		}
	}
	for r, c := range seen {
		if c != 1 {
			t.Fatalf("row %d appears %d times across train and test", r, c)
		}
	}
}

func capturesOf(groups []string, rows []int) map[string]bool {
	m := map[string]bool{}
	for _, r := range rows {
		m[groups[r]] = true
	}
	return m
}

func TestHoldoutByGroup(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	groups, labels := synthGroups(rng, 40, 10)
	maj := majority(groups, labels)
	train, test, err := HoldoutByGroup(groups, labels, 0.25, 42)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, len(groups), train, test)
	trC, teC := capturesOf(groups, train), capturesOf(groups, test)
	for g := range teC {
		if trC[g] {
			t.Fatalf("capture %s on both sides", g)
		}
	}
	var perLabel [2]int
	for g := range teC {
		perLabel[maj[g]]++
	}
	// round(0.25*40)=10 benign, round(0.25*10)=3 (2.5 rounds away from 0).
	if perLabel != [2]int{10, 3} {
		t.Errorf("held-out captures per label %v, want [10 3]", perLabel)
	}

	tr2, te2, _ := HoldoutByGroup(groups, labels, 0.25, 42)
	if !reflect.DeepEqual(train, tr2) || !reflect.DeepEqual(test, te2) {
		t.Error("same seed gave a different split")
	}
	_, te3, _ := HoldoutByGroup(groups, labels, 0.25, 43)
	if reflect.DeepEqual(test, te3) {
		t.Error("different seed gave the same split")
	}

	// A label with one capture stays in train; a label with two loses one.
	g := []string{"a", "a", "b", "c", "d"}
	y := []int{1, 1, 0, 0, 0}
	train, test, err = HoldoutByGroup(g, y, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if capturesOf(g, test)["a"] || len(capturesOf(g, test)) != 1 {
		t.Errorf("test captures %v: want one benign capture and never the only malicious one", capturesOf(g, test))
	}
	checkPartition(t, len(g), train, test)
}

func TestHoldoutErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		g    []string
		y    []int
		f    float64
	}{
		{"empty", nil, nil, 0.2},
		{"mismatch", []string{"a"}, []int{0, 1}, 0.2},
		{"fraction 0", []string{"a", "b"}, []int{0, 1}, 0},
		{"fraction 1", []string{"a", "b"}, []int{0, 1}, 1},
		{"fraction NaN", []string{"a", "b"}, []int{0, 1}, math.NaN()},
		{"one capture", []string{"a", "a"}, []int{0, 1}, 0.5},
		{"one capture per label", []string{"a", "b"}, []int{0, 1}, 0.5},
		{"bad label", []string{"a", "b"}, []int{0, 3}, 0.5},
	} {
		if _, _, err := HoldoutByGroup(c.g, c.y, c.f, 1); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestGroupKFold(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	groups, labels := synthGroups(rng, 60, 12)
	maj := majority(groups, labels)
	const k = 5
	folds, err := GroupKFold(groups, labels, k, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(folds) != k {
		t.Fatalf("%d folds, want %d", len(folds), k)
	}
	inTest := make([]int, len(groups))
	var flows [2][]int
	for f, pair := range folds {
		checkPartition(t, len(groups), pair[0], pair[1])
		trC, teC := capturesOf(groups, pair[0]), capturesOf(groups, pair[1])
		var perLabel [2]int
		for g := range teC {
			if trC[g] {
				t.Fatalf("fold %d: capture %s on both sides", f, g)
			}
			perLabel[maj[g]]++
		}
		// 12 malicious captures over 5 folds: every fold gets 2 or 3.
		if perLabel[1] < 2 || perLabel[0] < 10 {
			t.Errorf("fold %d test captures per label %v", f, perLabel)
		}
		var fl [2]int
		for _, r := range pair[1] {
			inTest[r]++
			fl[maj[groups[r]]]++
		}
		flows[0] = append(flows[0], fl[0])
		flows[1] = append(flows[1], fl[1])
	}
	for r, c := range inTest {
		if c != 1 {
			t.Fatalf("row %d in %d test folds", r, c)
		}
	}
	// Greedy balancing: within a label no fold exceeds another by more
	// than the largest capture of that label.
	largest := [2]int{}
	size := map[string]int{}
	for _, g := range groups {
		size[g]++
	}
	for g, n := range size {
		largest[maj[g]] = max(largest[maj[g]], n)
	}
	for l := 0; l < 2; l++ {
		lo, hi := flows[l][0], flows[l][0]
		for _, v := range flows[l] {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo > largest[l] {
			t.Errorf("label %d flows per fold %v: spread %d > largest capture %d", l, flows[l], hi-lo, largest[l])
		}
	}

	if _, err := GroupKFold(groups, labels, 1, 1); err == nil {
		t.Error("k=1 accepted")
	}
	if _, err := GroupKFold([]string{"a", "b"}, []int{0, 1}, 3, 1); err == nil {
		t.Error("3 folds from 2 captures accepted")
	}
	if _, err := GroupKFold(nil, nil, 2, 1); err == nil {
		t.Error("empty input accepted")
	}
}
