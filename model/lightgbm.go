package model

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds our own reader of LightGBM's text format. leaves scores the
// model, but it keeps the trees private and does no bounds checking (a bad
// child index panics), so every text is first parsed and checked here; the
// trees kept here drive the explanations.

// LightGBM's decision_type bits.
const (
	dtCategorical = 1 << 0
	dtDefaultLeft = 1 << 1
	// bits 2-3: missing type
	missingNone = 0
	missingZero = 1
	missingNaN  = 2
)

// zeroThreshold is LightGBM's kZeroThreshold: |x| below it counts as zero
// for missing_type=Zero (leaves uses the same bounds).
const zeroThreshold = 1e-35

// Limits against absurd headers; real models are far below them.
const (
	maxFeatures  = 1 << 20
	maxTreeNodes = 1 << 20 // also bounds the recursion depth of meanOf
)

// lgbModel is a parsed binary-logistic LightGBM text model.
type lgbModel struct {
	version      string
	featureNames []string
	trees        []lgbTree
}

// lgbTree is one tree in LightGBM's layout: internal nodes 0..n-2 with
// children >= 0 for nodes and ^leaf for leaves.
type lgbTree struct {
	feature     []int32
	threshold   []float64
	defaultLeft []bool
	missing     []uint8
	left, right []int32
	leafValue   []float64
	// nodeValue is the expected output of each internal node, used by the
	// path attribution.
	nodeValue []float64
}

// parseLightGBM parses and checks a LightGBM text model. It accepts what
// leaves can score for a binary classifier: numerical splits only, one
// output group, the "binary sigmoid:1" objective.
func parseLightGBM(text []byte) (*lgbModel, error) {
	// LightGBM writes ASCII. Bytes that are not UTF-8 would not survive
	// our JSON envelope, so the model classify saved would differ from the
	// one it checked.
	if !utf8.Valid(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, fmt.Errorf("LightGBM model text holds a byte that is not UTF-8 text at offset %d", i)
	}
	lines := splitLines(text)
	i := 0
	for i < len(lines) && lines[i] == "" {
		i++
	}
	if i == len(lines) || lines[i] != "tree" {
		return nil, errors.New(`LightGBM text does not start with a "tree" line`)
	}
	header, i := readBlock(lines, i+1)
	m := &lgbModel{}
	m.version = header["version"]
	switch m.version {
	case "v2", "v3", "v4":
	case "":
		return nil, errors.New("LightGBM header has no version")
	default:
		return nil, fmt.Errorf("LightGBM version %q not supported (want v2, v3 or v4)", m.version)
	}
	for _, key := range []string{"num_class", "num_tree_per_iteration"} {
		if v := header[key]; v != "1" {
			return nil, fmt.Errorf("LightGBM %s=%q: only binary models with one tree per iteration are supported", key, v)
		}
	}
	if _, ok := header["average_output"]; ok {
		return nil, errors.New("LightGBM random-forest models (average_output) are not supported")
	}
	if obj := header["objective"]; obj != "binary sigmoid:1" {
		return nil, fmt.Errorf("LightGBM objective %q not supported (want \"binary sigmoid:1\")", obj)
	}
	maxIdx, err := strconv.Atoi(header["max_feature_idx"])
	if err != nil || maxIdx < 0 || maxIdx >= maxFeatures {
		return nil, fmt.Errorf("LightGBM max_feature_idx %q is not a feature index", header["max_feature_idx"])
	}
	nf := maxIdx + 1
	names, ok := header["feature_names"]
	if !ok {
		return nil, errors.New("LightGBM header has no feature_names")
	}
	m.featureNames = strings.Split(names, " ")
	if len(m.featureNames) != nf {
		return nil, fmt.Errorf("LightGBM feature_names lists %d names but max_feature_idx=%d", len(m.featureNames), maxIdx)
	}
	if err := checkNames(m.featureNames); err != nil {
		return nil, fmt.Errorf("LightGBM feature_names: %w", err)
	}
	sizes, ok := header["tree_sizes"]
	if !ok || sizes == "" {
		return nil, errors.New("LightGBM header has no tree_sizes")
	}
	nTrees := len(strings.Split(sizes, " "))

	for {
		for i < len(lines) && lines[i] == "" {
			i++
		}
		if i == len(lines) || lines[i] == "end of trees" {
			break
		}
		name, num, ok := strings.Cut(lines[i], "=")
		if !ok || name != "Tree" {
			return nil, fmt.Errorf("LightGBM text: unexpected line %q where a tree should start", clip(lines[i]))
		}
		if num != strconv.Itoa(len(m.trees)) {
			return nil, fmt.Errorf("LightGBM text: %q but %d trees read so far", clip(lines[i]), len(m.trees))
		}
		var block map[string]string
		block, i = readBlock(lines, i+1)
		t, err := parseTree(block, nf)
		if err != nil {
			return nil, fmt.Errorf("LightGBM tree %d: %w", len(m.trees), err)
		}
		m.trees = append(m.trees, t)
	}
	if len(m.trees) != nTrees {
		return nil, fmt.Errorf("LightGBM tree_sizes announces %d trees but the text holds %d (truncated?)", nTrees, len(m.trees))
	}
	return m, nil
}

// splitLines splits on '\n' and drops a trailing '\r' and surrounding
// spaces, as leaves' reader does.
func splitLines(text []byte) []string {
	raw := bytes.Split(text, []byte{'\n'})
	lines := make([]string, len(raw))
	for i, l := range raw {
		lines[i] = string(bytes.TrimSpace(l))
	}
	return lines
}

// readBlock reads key=value lines from lines[i] up to the next blank line
// and returns the index after the block. A later duplicate key wins, as in
// leaves.
func readBlock(lines []string, i int) (map[string]string, int) {
	kv := make(map[string]string)
	for ; i < len(lines) && lines[i] != ""; i++ {
		k, v, _ := strings.Cut(lines[i], "=")
		kv[k] = v
	}
	return kv, i
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func parseTree(kv map[string]string, nFeatures int) (lgbTree, error) {
	var t lgbTree
	nLeaves, err := strconv.Atoi(kv["num_leaves"])
	if err != nil || nLeaves < 1 || nLeaves > maxTreeNodes {
		return t, fmt.Errorf("num_leaves %q is not a positive count", kv["num_leaves"])
	}
	if nc := kv["num_cat"]; nc != "0" {
		return t, fmt.Errorf("num_cat=%q: categorical splits are not supported", nc)
	}
	// leaves ignores the coefficients of linear trees and would score
	// their constant part only.
	if lin, ok := kv["is_linear"]; ok && lin != "0" {
		return t, fmt.Errorf("is_linear=%q: linear trees are not supported", lin)
	}
	if t.leafValue, err = floatList(kv, "leaf_value", nLeaves); err != nil {
		return t, err
	}
	for j, v := range t.leafValue {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return t, fmt.Errorf("leaf_value %d is %v", j, v)
		}
	}
	n := nLeaves - 1
	if n == 0 {
		return t, nil
	}
	feat, err := intList(kv, "split_feature", n)
	if err != nil {
		return t, err
	}
	if t.threshold, err = floatList(kv, "threshold", n); err != nil {
		return t, err
	}
	dt, err := intList(kv, "decision_type", n)
	if err != nil {
		return t, err
	}
	if t.left, err = intList(kv, "left_child", n); err != nil {
		return t, err
	}
	if t.right, err = intList(kv, "right_child", n); err != nil {
		return t, err
	}
	t.feature = feat
	t.defaultLeft = make([]bool, n)
	t.missing = make([]uint8, n)
	for j := range n {
		if feat[j] < 0 || int(feat[j]) >= nFeatures {
			return t, fmt.Errorf("node %d splits on feature %d, the model has %d", j, feat[j], nFeatures)
		}
		if dt[j] < 0 || dt[j] > 0xff {
			return t, fmt.Errorf("node %d: decision_type %d", j, dt[j])
		}
		if dt[j]&dtCategorical != 0 {
			return t, fmt.Errorf("node %d: categorical splits are not supported", j)
		}
		t.defaultLeft[j] = dt[j]&dtDefaultLeft != 0
		t.missing[j] = uint8(dt[j]>>2) & 3
		if t.missing[j] > missingNaN {
			return t, fmt.Errorf("node %d: unknown missing type %d", j, t.missing[j])
		}
	}
	if err := t.checkShape(); err != nil {
		return t, err
	}
	if err := t.setNodeValues(kv); err != nil {
		return t, err
	}
	return t, nil
}

// checkShape makes sure the child links form one tree rooted at node 0 that
// reaches every node and leaf exactly once, so a walk always ends in a leaf.
func (t *lgbTree) checkShape() error {
	n := len(t.left)
	seenNode := make([]bool, n)
	seenLeaf := make([]bool, len(t.leafValue))
	seenNode[0] = true
	stack := []int32{0}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range [2]int32{t.left[j], t.right[j]} {
			if c >= 0 {
				if int(c) >= n || seenNode[c] {
					return fmt.Errorf("node %d: child node %d is out of range or shared", j, c)
				}
				seenNode[c] = true
				stack = append(stack, c)
				continue
			}
			l := ^c
			if int(l) >= len(seenLeaf) || seenLeaf[l] {
				return fmt.Errorf("node %d: child leaf %d is out of range or shared", j, l)
			}
			seenLeaf[l] = true
		}
	}
	for j, ok := range seenNode {
		if !ok {
			return fmt.Errorf("node %d is unreachable", j)
		}
	}
	// n internal nodes with 2n distinct child slots, n-1 taken by nodes,
	// leave exactly n+1 = num_leaves leaves: all are reached.
	return nil
}

// setNodeValues fills nodeValue: LightGBM's internal_value when present,
// else the mean of the node's leaves weighted by leaf_count (unweighted
// when the counts are missing or zero).
func (t *lgbTree) setNodeValues(kv map[string]string) error {
	n := len(t.left)
	if _, ok := kv["internal_value"]; ok {
		v, err := floatList(kv, "internal_value", n)
		if err != nil {
			return err
		}
		for j, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("internal_value %d is %v", j, x)
			}
		}
		t.nodeValue = v
		return nil
	}
	weight := make([]float64, len(t.leafValue))
	for j := range weight {
		weight[j] = 1
	}
	if _, ok := kv["leaf_count"]; ok {
		c, err := intList(kv, "leaf_count", len(t.leafValue))
		if err != nil {
			return err
		}
		for j := range weight {
			if c[j] < 0 {
				return fmt.Errorf("leaf_count %d is negative", j)
			}
			weight[j] = float64(c[j])
		}
	}
	t.nodeValue = make([]float64, n)
	t.meanOf(0, weight)
	return nil
}

// meanOf returns the weighted sum of leaf values below child c and their
// total weight, storing node means on the way.
func (t *lgbTree) meanOf(c int32, weight []float64) (sum, w float64) {
	if c < 0 {
		l := ^c
		return t.leafValue[l] * weight[l], weight[l]
	}
	ls, lw := t.meanOf(t.left[c], weight)
	rs, rw := t.meanOf(t.right[c], weight)
	sum, w = ls+rs, lw+rw
	if w > 0 {
		t.nodeValue[c] = sum / w
	} else {
		// Leaves that saw no rows: fall back to their plain mean.
		t.nodeValue[c] = t.plainMean(c)
	}
	return sum, w
}

func (t *lgbTree) plainMean(c int32) float64 {
	var s float64
	var n int
	stack := []int32{c}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if j < 0 {
			s += t.leafValue[^j]
			n++
			continue
		}
		stack = append(stack, t.left[j], t.right[j])
	}
	return s / float64(n)
}

// goesLeft is LightGBM's numerical decision (and leaves'): NaN counts as
// zero unless missing values are NaN; missing values follow the default
// direction; otherwise x <= threshold goes left.
func (t *lgbTree) goesLeft(j int32, x float64) bool {
	mt := t.missing[j]
	if mt != missingNaN && math.IsNaN(x) {
		x = 0
	}
	if (mt == missingZero && x > -zeroThreshold && x <= zeroThreshold) || (mt == missingNaN && math.IsNaN(x)) {
		return t.defaultLeft[j]
	}
	return x <= t.threshold[j]
}

// leaf returns the index of the leaf row (in model feature order) reaches.
func (t *lgbTree) leaf(row []float64) int32 {
	if len(t.left) == 0 {
		return 0
	}
	j := int32(0)
	for {
		c := t.right[j]
		if t.goesLeft(j, row[t.feature[j]]) {
			c = t.left[j]
		}
		if c < 0 {
			return ^c
		}
		j = c
	}
}

func fieldList(kv map[string]string, key string, n int) ([]string, error) {
	s, ok := kv[key]
	if !ok {
		return nil, fmt.Errorf("no %s", key)
	}
	f := strings.Split(s, " ")
	if len(f) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
	}
	return f, nil
}

func floatList(kv map[string]string, key string, n int) ([]float64, error) {
	f, err := fieldList(kv, key, n)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for j, s := range f {
		if out[j], err = strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("%s value %d: %w", key, j, err)
		}
	}
	return out, nil
}

func intList(kv map[string]string, key string, n int) ([]int32, error) {
	f, err := fieldList(kv, key, n)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for j, s := range f {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s value %d: %w", key, j, err)
		}
		out[j] = int32(v)
	}
	return out, nil
}

// checkNames rejects names that cannot identify a column: empty,
// duplicated, or with characters LightGBM's format cannot carry.
func checkNames(names []string) error {
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\r\n=") {
			return fmt.Errorf("feature name %d %q is empty or has whitespace or '='", i, n)
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("feature name %q appears twice (%d and %d)", n, j, i)
		}
		seen[n] = i
	}
	return nil
}
