package evaluate

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/meta"
	"github.com/sjwhitworth/golearn/trees"
)

// Baseline limits. golearn keeps every cell as bytes behind interfaces and
// grows ID3 trees until they are pure or out of attributes, so it is slow;
// these bounds keep one baseline fit under a minute on two cores.
const (
	BaselineMaxRows      = 20000 // training rows kept (stratified sample)
	BaselineMaxFeatures  = 40    // features kept, by variance of their bin index
	BaselineBins         = 12    // quantile bins per feature (plus one for NaN)
	BaselineTrees        = 15    // bagged trees; scores step in 1/BaselineTrees
	BaselineMaxDepth     = 12    // splits on any root-to-leaf path
	BaselineMinSplitRows = 5     // nodes with fewer (bootstrap) rows become leaves
)

// BaselineName describes what Baseline trains, for reports.
const BaselineName = "golearn bagged ID3"

// Baseline trains a bagged ensemble of golearn ID3 trees (meta.BaggedModel
// over trees.ID3DecisionTree) on trainX/trainY and returns, for every row of
// testX, the share of trees that vote malicious, a score in [0,1].
//
// To stay fast it (1) keeps at most BaselineMaxRows training rows, sampled
// per label in proportion; (2) cuts every feature into BaselineBins quantile
// bins of those rows (NaN gets its own bin) and treats bins as categories, so
// each ID3 split consumes its attribute and trees are at most as deep as there
// are features; (3) keeps the BaselineMaxFeatures features whose bin index
// varies most, which drops near-constant columns whatever their scale;
// (4) lets each tree node choose among sqrt(features) random attributes, as
// a random forest does; (5) stops trees at BaselineMaxDepth splits and at
// nodes with fewer than BaselineMinSplitRows rows (golearn's ID3 would grow
// until it runs out of attributes, which is slow on duplicate rows).
//
// seed fixes the row sample and the attribute choices at every node. The
// bootstrap draws of meta.BaggedModel use math/rand's global source and
// cannot be seeded, so scores vary slightly between runs.
func Baseline(trainX [][]float64, trainY []int, testX [][]float64, seed int64) (scores []float64, err error) {
	nf, err := checkMatrix(trainX, testX)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if len(trainY) != len(trainX) {
		return nil, fmt.Errorf("baseline: %d training rows but %d labels", len(trainX), len(trainY))
	}
	var perClass [2][]int
	for i, y := range trainY {
		if y != 0 && y != 1 {
			return nil, fmt.Errorf("baseline: label %d is %d, want 0 or 1", i, y)
		}
		perClass[y] = append(perClass[y], i)
	}
	if len(perClass[0]) == 0 || len(perClass[1]) == 0 {
		return nil, fmt.Errorf("baseline: %w", ErrSingleClass)
	}
	rng := rand.New(rand.NewSource(seed))
	rows := sampleRows(perClass, BaselineMaxRows, rng)

	cuts := make([][]float64, nf)
	for c := 0; c < nf; c++ {
		cuts[c] = quantileCuts(trainX, rows, c, BaselineBins)
	}
	feats := pickFeatures(trainX, rows, cuts, BaselineMaxFeatures)

	attrs := make([]*base.CategoricalAttribute, len(feats))
	sysvals := make([][][]byte, len(feats)) // [feature][bin+1] (index 0 is NaN)
	for j, c := range feats {
		a := base.NewCategoricalAttribute()
		a.SetName("f" + strconv.Itoa(c))
		// Fixed value order, so train and test share one encoding.
		sysvals[j] = make([][]byte, len(cuts[c])+2)
		sysvals[j][0] = a.GetSysValFromString("nan")
		for b := 0; b <= len(cuts[c]); b++ {
			sysvals[j][b+1] = a.GetSysValFromString(strconv.Itoa(b))
		}
		attrs[j] = a
	}
	class := base.NewCategoricalAttribute()
	class.SetName("label")
	classVals := [2][]byte{class.GetSysValFromString("0"), class.GetSysValFromString("1")}

	build := func(x [][]float64, idx []int, y []int) (*base.DenseInstances, error) {
		inst := base.NewDenseInstances()
		specs := make([]base.AttributeSpec, len(attrs))
		for j, a := range attrs {
			specs[j] = inst.AddAttribute(a)
		}
		cs := inst.AddAttribute(class)
		if err := inst.AddClassAttribute(class); err != nil {
			return nil, err
		}
		if err := inst.Extend(len(idx)); err != nil {
			return nil, err
		}
		for r, i := range idx {
			for j, c := range feats {
				inst.Set(specs[j], r, sysvals[j][binOf(x[i][c], cuts[c])])
			}
			lab := 0
			if y != nil {
				lab = y[i]
			}
			inst.Set(cs, r, classVals[lab])
		}
		return inst, nil
	}
	train, err := build(trainX, rows, trainY)
	if err != nil {
		return nil, fmt.Errorf("baseline: build training instances: %w", err)
	}
	testIdx := make([]int, len(testX))
	for i := range testIdx {
		testIdx[i] = i
	}
	test, err := build(testX, testIdx, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: build test instances: %w", err)
	}

	k := int(math.Ceil(math.Sqrt(float64(len(feats)))))
	bag := &meta.BaggedModel{} // RandomFeatures 0: every tree sees all attributes
	for t := 0; t < BaselineTrees; t++ {
		// Each tree owns its generator: BaggedModel fits trees concurrently.
		rule := &randomAttrRule{k: k, rng: rand.New(rand.NewSource(rng.Int63())),
			nAttrs: len(feats), maxDepth: BaselineMaxDepth, minRows: BaselineMinSplitRows}
		bag.AddModel(trees.NewID3DecisionTreeFromRule(0, rule))
	}
	bag.Fit(train)

	// BaggedModel.Predict only returns the majority class and drops errors,
	// so ask each tree and count the votes to get a graded score.
	defer func() {
		if p := recover(); p != nil {
			scores, err = nil, fmt.Errorf("baseline: golearn panicked while predicting: %v", p)
		}
	}()
	votes := make([]float64, len(testX))
	for t, m := range bag.Models {
		pred, err := m.Predict(test)
		if err != nil {
			return nil, fmt.Errorf("baseline: tree %d predict: %w", t, err)
		}
		for r := range votes {
			if base.GetClass(pred, r) == "1" {
				votes[r]++
			}
		}
	}
	for r := range votes {
		votes[r] /= float64(len(bag.Models))
	}
	return votes, nil
}

// checkMatrix checks both matrices are non-empty and rectangular with the
// same width, and returns that width.
func checkMatrix(trainX, testX [][]float64) (int, error) {
	if len(trainX) == 0 {
		return 0, errors.New("no training rows")
	}
	if len(testX) == 0 {
		return 0, errors.New("no test rows")
	}
	nf := len(trainX[0])
	if nf == 0 {
		return 0, errors.New("rows have no features")
	}
	for name, x := range map[string][][]float64{"training": trainX, "test": testX} {
		for i, r := range x {
			if len(r) != nf {
				return 0, fmt.Errorf("%s row %d has %d features, want %d", name, i, len(r), nf)
			}
		}
	}
	return nf, nil
}

// sampleRows keeps at most limit rows, each label in proportion (at least one
// row of each), and returns them sorted.
func sampleRows(perClass [2][]int, limit int, rng *rand.Rand) []int {
	total := len(perClass[0]) + len(perClass[1])
	if total <= limit {
		out := append(append([]int(nil), perClass[0]...), perClass[1]...)
		sort.Ints(out)
		return out
	}
	var out []int
	for _, idx := range perClass {
		n := int(math.Round(float64(limit) * float64(len(idx)) / float64(total)))
		n = min(max(n, 1), len(idx))
		for _, p := range rng.Perm(len(idx))[:n] {
			out = append(out, idx[p])
		}
	}
	sort.Ints(out)
	return out
}

// quantileCuts returns up to bins-1 distinct cut points at the quantiles of
// column c over rows, ignoring NaN. A value v falls in bin
// (number of cuts <= v).
func quantileCuts(x [][]float64, rows []int, c, bins int) []float64 {
	vals := make([]float64, 0, len(rows))
	for _, r := range rows {
		if v := x[r][c]; !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	sort.Float64s(vals)
	var cuts []float64
	for b := 1; b < bins; b++ {
		v := vals[b*len(vals)/bins]
		// A cut equal to the minimum would leave bin 0 empty.
		if v > vals[0] && (len(cuts) == 0 || v > cuts[len(cuts)-1]) {
			cuts = append(cuts, v)
		}
	}
	return cuts
}

// binOf returns the category index of v: 0 for NaN, else 1 + its bin.
func binOf(v float64, cuts []float64) int {
	if math.IsNaN(v) {
		return 0
	}
	// Count of cuts <= v.
	return 1 + sort.Search(len(cuts), func(i int) bool { return cuts[i] > v })
}

// pickFeatures returns up to n column indices (sorted) whose category index
// has the highest variance over rows. Constant columns are never kept unless
// nothing else is left, because they cannot split.
func pickFeatures(x [][]float64, rows []int, cuts [][]float64, n int) []int {
	type fv struct {
		c int
		v float64
	}
	all := make([]fv, len(cuts))
	for c := range cuts {
		var sum, sq float64
		for _, r := range rows {
			b := float64(binOf(x[r][c], cuts[c]))
			sum += b
			sq += b * b
		}
		mean := sum / float64(len(rows))
		all[c] = fv{c, sq/float64(len(rows)) - mean*mean}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].v > all[b].v })
	var out []int
	for _, f := range all {
		if len(out) == n || (f.v <= 1e-12 && len(out) > 0) {
			break
		}
		out = append(out, f.c)
	}
	sort.Ints(out)
	return out
}

// randomAttrRule is an ID3 rule generator that, at each node, picks the
// attribute with the best information gain among k chosen at random.
// golearn's own RandomTreeRuleGenerator loops forever once fewer than k
// attributes are left deeper in the tree; this one takes min(k, left).
//
// It also bounds the tree, which golearn's ID3 does not: returning nil makes
// InferID3Tree keep the node as a majority-class leaf. Every ID3 split
// consumes one attribute, so the depth is the number of attributes used up.
type randomAttrRule struct {
	k        int
	rng      *rand.Rand
	nAttrs   int // attributes at the root
	maxDepth int
	minRows  int // nodes with fewer rows are not split
}

func (r *randomAttrRule) GenerateSplitRule(f base.FixedDataGrid) *trees.DecisionTreeRule {
	cand := base.AttributeDifferenceReferences(f.AllAttributes(), f.AllClassAttributes())
	if _, rows := f.Size(); len(cand) == 0 || r.nAttrs-len(cand) >= r.maxDepth || rows < r.minRows {
		return nil
	}
	k := min(r.k, len(cand))
	sel := make([]base.Attribute, k)
	for i, p := range r.rng.Perm(len(cand))[:k] {
		sel[i] = cand[p]
	}
	var ig trees.InformationGainRuleGenerator
	return ig.GetSplitRuleFromSelection(sel, f)
}
