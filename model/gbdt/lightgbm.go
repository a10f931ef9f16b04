package gbdt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// LightGBM's decision_type bits for a numerical split.
const (
	lgDefaultLeft = 1 << 1
	lgMissingNaN  = 2 << 2
)

// WriteLightGBM writes the model in LightGBM's text format (version v3).
// featureNames may be nil (names become Column_0, Column_1, ...); otherwise
// it needs one name per feature, without whitespace or any of =:,[]{}".
func (e *Ensemble) WriteLightGBM(w io.Writer, featureNames []string) error {
	if len(e.trees) == 0 {
		return fmt.Errorf("gbdt: ensemble has no trees")
	}
	names, err := e.checkNames(featureNames)
	if err != nil {
		return err
	}
	trees := make([][]byte, len(e.trees))
	sizes := make([]string, len(e.trees))
	for i, t := range e.trees {
		var b bytes.Buffer
		writeTree(&b, i, t)
		trees[i] = b.Bytes()
		sizes[i] = strconv.Itoa(b.Len())
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n")
	fmt.Fprintf(bw, "max_feature_idx=%d\nobjective=binary sigmoid:1\n", e.nFeatures-1)
	fmt.Fprintf(bw, "feature_names=%s\n", strings.Join(names, " "))
	infos := make([]string, e.nFeatures)
	for f := range infos {
		lo, hi := e.featureMin[f], e.featureMax[f]
		if math.IsNaN(lo) || lo == hi {
			infos[f] = "none" // LightGBM's mark for a feature it cannot split
		} else {
			infos[f] = "[" + ftoa(lo) + ":" + ftoa(hi) + "]"
		}
	}
	fmt.Fprintf(bw, "feature_infos=%s\n", strings.Join(infos, " "))
	fmt.Fprintf(bw, "tree_sizes=%s\n\n", strings.Join(sizes, " "))
	for _, t := range trees {
		bw.Write(t)
	}
	bw.WriteString("end of trees\n\nfeature_importances:\n")
	splits, _ := e.FeatureImportance(ImportanceSplit)
	order := make([]int, 0, len(splits))
	for f, v := range splits {
		if v > 0 {
			order = append(order, f)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case splits[a] > splits[b]:
			return -1
		case splits[a] < splits[b]:
			return 1
		}
		return 0
	})
	for _, f := range order {
		fmt.Fprintf(bw, "%s=%d\n", names[f], int(splits[f]))
	}
	p := &e.params
	// LightGBM spells "no limit" as max_depth=-1 and needs num_leaves >= 2.
	numLeaves, maxDepth := p.MaxLeaves, p.MaxDepth
	if numLeaves == 0 {
		numLeaves = 1 << min(p.MaxDepth, 17)
	}
	if maxDepth == 0 {
		maxDepth = -1
	}
	fmt.Fprintf(bw, "\nparameters:\n[boosting: gbdt]\n[objective: binary]\n")
	fmt.Fprintf(bw, "[num_iterations: %d]\n[learning_rate: %s]\n[num_leaves: %d]\n[max_depth: %d]\n",
		len(e.trees), ftoa(p.LearningRate), numLeaves, maxDepth)
	fmt.Fprintf(bw, "[lambda_l2: %s]\n[min_gain_to_split: %s]\n[min_sum_hessian_in_leaf: %s]\n[min_data_in_leaf: %d]\n",
		ftoa(p.Lambda), ftoa(p.MinSplitGain), ftoa(p.MinChildWeight), p.MinSamplesLeaf)
	fmt.Fprintf(bw, "[bagging_fraction: %s]\n[feature_fraction: %s]\n[max_bin: %d]\n[scale_pos_weight: %s]\n[seed: %d]\n",
		ftoa(p.Subsample), ftoa(p.ColSampleByTree), p.MaxBin, ftoa(p.ScalePosWeight), p.Seed)
	fmt.Fprintf(bw, "[sigmoid: 1]\n[boost_from_average: 1]\n\nend of parameters\n\npandas_categorical:null\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gbdt: write LightGBM model: %w", err)
	}
	return nil
}

func (e *Ensemble) checkNames(names []string) ([]string, error) {
	if names == nil {
		names = make([]string, e.nFeatures)
		for i := range names {
			names[i] = "Column_" + strconv.Itoa(i)
		}
		return names, nil
	}
	if len(names) != e.nFeatures {
		return nil, fmt.Errorf("gbdt: %d feature names for %d features", len(names), e.nFeatures)
	}
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\r\n=:,[]{}\"") {
			return nil, fmt.Errorf("gbdt: feature name %d %q is empty or holds whitespace or one of =:,[]{}\"", i, n)
		}
	}
	return names, nil
}

// ftoa prints the shortest text that parses back to exactly v, so leaves
// reads the same thresholds and leaf values the trainer used.
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func writeTree(b *bytes.Buffer, i int, t *tree) {
	fmt.Fprintf(b, "Tree=%d\nnum_leaves=%d\nnum_cat=0\n", i, t.numLeaves())
	decision := make([]int32, len(t.feature))
	for k := range decision {
		decision[k] = lgMissingNaN
		if t.defaultLeft[k] {
			decision[k] |= lgDefaultLeft
		}
	}
	writeInts(b, "split_feature", t.feature)
	writeFloats(b, "split_gain", t.gain)
	writeFloats(b, "threshold", t.threshold)
	writeInts(b, "decision_type", decision)
	writeInts(b, "left_child", t.left)
	writeInts(b, "right_child", t.right)
	writeFloats(b, "leaf_value", t.leafValue)
	writeFloats(b, "leaf_weight", t.leafHess)
	writeInts(b, "leaf_count", t.leafCount)
	writeFloats(b, "internal_value", t.internalValue)
	writeFloats(b, "internal_weight", t.internalHess)
	writeInts(b, "internal_count", t.internalCount)
	// LightGBM ends a tree with two empty lines; tree_sizes counts them.
	fmt.Fprintf(b, "is_linear=0\nshrinkage=%s\n\n\n", ftoa(t.shrinkage))
}

func writeFloats(b *bytes.Buffer, key string, v []float64) {
	b.WriteString(key)
	b.WriteByte('=')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ftoa(x))
	}
	b.WriteByte('\n')
}

func writeInts[T int32 | int64](b *bytes.Buffer, key string, v []T) {
	b.WriteString(key)
	b.WriteByte('=')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(int64(x), 10))
	}
	b.WriteByte('\n')
}
