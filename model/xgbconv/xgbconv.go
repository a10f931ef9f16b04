package xgbconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Limits keep a corrupt or hostile file from making the converter allocate
// without bound; real models are far below them.
const (
	maxModelBytes = 512 << 20
	maxFeatures   = 1 << 20
)

// ErrUnsupported marks a well-formed XGBoost model that this converter
// cannot express (multi-class, categorical splits, gblinear, ...).
var ErrUnsupported = errors.New("unsupported XGBoost model")

// Info describes the converted model.
type Info struct {
	Trees        int      // trees written (rounds × num_parallel_tree)
	Features     int      // num_feature of the XGBoost model
	FeatureNames []string // names written to the LightGBM model
	Objective    string   // XGBoost objective, e.g. "binary:logistic"
	Booster      string   // "gbtree" or "dart"
	BaseScore    float64  // XGBoost base_score, in probability space
	BaseMargin   float64  // logit(BaseScore), folded into the leaves of tree 0
}

// Convert reads an XGBoost JSON model from r and returns the equivalent
// LightGBM text model. featureNames, when non-nil, overrides the names stored
// in the model (learner.feature_names, else f0..fN-1) and must have one entry
// per feature.
func Convert(r io.Reader, featureNames []string) ([]byte, Info, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxModelBytes+1))
	if err != nil {
		return nil, Info{}, fmt.Errorf("read xgboost model: %w", err)
	}
	if len(data) > maxModelBytes {
		return nil, Info{}, fmt.Errorf("xgboost model larger than %d bytes", maxModelBytes)
	}
	return convert(data, featureNames, splitThreshold)
}

// thresholdFunc maps an XGBoost float32 split condition t ("go left when
// float32(x) < t") to a LightGBM threshold T ("go left when x <= T"). Tests
// swap it for the naive rules to show they mis-route rows.
type thresholdFunc func(t float32) float64

// splitThreshold returns the largest float64 that XGBoost's float32 rounding
// sends strictly below t: the rounding boundary between t and its lower
// float32 neighbour, adjusted for which side a tie rounds to.
func splitThreshold(t float32) float64 {
	below := math.Nextafter32(t, float32(math.Inf(-1)))
	var mid float64
	if math.IsInf(float64(below), -1) {
		// Below -MaxFloat32 inputs overflow to -Inf; the boundary is half
		// an ulp (2^103) past the last finite float32.
		mid = float64(t) - 0x1p103
	} else {
		mid = (float64(below) + float64(t)) / 2 // exact: 25 significant bits
	}
	// Ties go to the float32 with an even significand. Adjacent float32s
	// have adjacent bit patterns, so exactly one of t and below is even.
	if math.Float32bits(t)&1 == 0 {
		return math.Nextafter(mid, math.Inf(-1)) // a tie rounds up to t: right
	}
	return mid // a tie rounds down to below: left
}

// jsonScalar accepts a JSON string or number and keeps its text: XGBoost
// writes parameters as strings ("5E-1") but readers should not depend on it.
type jsonScalar string

func (s *jsonScalar) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = jsonScalar(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = jsonScalar(n)
	return nil
}

func (s jsonScalar) int(name string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(string(s))
	if err != nil {
		return 0, fmt.Errorf("parse %s %q: %w", name, string(s), err)
	}
	return v, nil
}

// jsonFloat32s parses a number array straight to float32, the type XGBoost
// stores: going through float64 first would round twice.
type jsonFloat32s []float32

func (f *jsonFloat32s) UnmarshalJSON(b []byte) error {
	var nums []json.Number
	if err := json.Unmarshal(b, &nums); err != nil {
		return err
	}
	out := make([]float32, len(nums))
	for i, n := range nums {
		v, err := strconv.ParseFloat(string(n), 32)
		if err != nil {
			return fmt.Errorf("float32 array element %d: %w", i, err) // ErrRange: beyond float32
		}
		out[i] = float32(v)
	}
	*f = out
	return nil
}

// jsonFlags accepts default_left as 0/1 numbers, as XGBoost 1.7 writes it,
// or as booleans, which older releases and other writers may use.
type jsonFlags []bool

func (f *jsonFlags) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]bool, len(raw))
	for i, v := range raw {
		switch string(v) {
		case "true", "1":
			out[i] = true
		case "false", "0":
		default:
			return fmt.Errorf("default_left[%d]: unexpected value %s", i, v)
		}
	}
	*f = out
	return nil
}

type xgbModel struct {
	Learner *xgbLearner `json:"learner"`
}

type xgbLearner struct {
	FeatureNames    []string        `json:"feature_names"`
	FeatureTypes    []string        `json:"feature_types"`
	GradientBooster json.RawMessage `json:"gradient_booster"`
	ModelParam      struct {
		BaseScore  jsonScalar `json:"base_score"`
		NumClass   jsonScalar `json:"num_class"`
		NumFeature jsonScalar `json:"num_feature"`
		NumTarget  jsonScalar `json:"num_target"`
	} `json:"learner_model_param"`
	Objective struct {
		Name string `json:"name"`
	} `json:"objective"`
}

type xgbBooster struct {
	Name   string        `json:"name"`
	Model  *xgbTreeModel `json:"model"` // gbtree
	GBTree *struct {     // dart wraps a gbtree
		Model *xgbTreeModel `json:"model"`
	} `json:"gbtree"`
	WeightDrop jsonFloat32s `json:"weight_drop"`
}

type xgbTreeModel struct {
	Param struct {
		NumTrees       jsonScalar `json:"num_trees"`
		NumParallel    jsonScalar `json:"num_parallel_tree"`
		SizeLeafVector jsonScalar `json:"size_leaf_vector"`
	} `json:"gbtree_model_param"`
	TreeInfo []int     `json:"tree_info"`
	Trees    []xgbTree `json:"trees"`
}

type xgbTree struct {
	Param struct {
		NumNodes       jsonScalar `json:"num_nodes"`
		SizeLeafVector jsonScalar `json:"size_leaf_vector"`
	} `json:"tree_param"`
	Left            []int32      `json:"left_children"`
	Right           []int32      `json:"right_children"`
	SplitIndices    []int64      `json:"split_indices"`
	SplitConditions jsonFloat32s `json:"split_conditions"`
	DefaultLeft     jsonFlags    `json:"default_left"`
	SplitType       []int        `json:"split_type"`
	CategoriesNodes []int        `json:"categories_nodes"`
}

// lgTree is one tree in LightGBM's layout: internal nodes 0..n-1 with node 0
// the root, children >= 0 internal and < 0 the complement of a leaf index.
type lgTree struct {
	feature   []int
	threshold []float64
	decision  []int
	left      []int
	right     []int
	leaf      []float64
}

func convert(data []byte, featureNames []string, threshold thresholdFunc) ([]byte, Info, error) {
	var info Info
	if b := bytes.TrimLeft(data, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, info, errors.New("xgboost model is not a JSON object (UBJSON and binary models are not supported; save with a .json name)")
	}
	var m xgbModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, info, fmt.Errorf("decode xgboost JSON: %w", err)
	}
	l := m.Learner
	if l == nil {
		return nil, info, errors.New("xgboost JSON has no learner object")
	}

	info.Objective = l.Objective.Name
	switch info.Objective {
	case "binary:logistic", "reg:logistic":
	case "":
		return nil, info, errors.New("xgboost JSON has no objective")
	default:
		return nil, info, fmt.Errorf("objective %q: %w (only binary:logistic)", info.Objective, ErrUnsupported)
	}
	numClass, err := l.ModelParam.NumClass.int("num_class", 0)
	if err != nil {
		return nil, info, err
	}
	numTarget, err := l.ModelParam.NumTarget.int("num_target", 1)
	if err != nil {
		return nil, info, err
	}
	if numClass > 1 || numTarget > 1 {
		return nil, info, fmt.Errorf("num_class %d, num_target %d: %w (multi-output)", numClass, numTarget, ErrUnsupported)
	}
	nf, err := l.ModelParam.NumFeature.int("num_feature", 0)
	if err != nil {
		return nil, info, err
	}
	if nf < 1 || nf > maxFeatures {
		return nil, info, fmt.Errorf("num_feature %d out of range [1, %d]", nf, maxFeatures)
	}
	info.Features = nf
	for i, ft := range l.FeatureTypes {
		if ft == "c" {
			return nil, info, fmt.Errorf("feature %d is categorical: %w", i, ErrUnsupported)
		}
	}
	if info.FeatureNames, err = pickNames(featureNames, l.FeatureNames, nf); err != nil {
		return nil, info, err
	}

	info.BaseScore, err = parseBaseScore(l.ModelParam.BaseScore)
	if err != nil {
		return nil, info, err
	}
	info.BaseMargin = math.Log(info.BaseScore / (1 - info.BaseScore))

	var b xgbBooster
	if len(l.GradientBooster) == 0 {
		return nil, info, errors.New("xgboost JSON has no gradient_booster")
	}
	if err := json.Unmarshal(l.GradientBooster, &b); err != nil {
		return nil, info, fmt.Errorf("decode gradient_booster: %w", err)
	}
	info.Booster = b.Name
	var tm *xgbTreeModel
	switch b.Name {
	case "gbtree":
		tm = b.Model
	case "dart":
		if b.GBTree != nil {
			tm = b.GBTree.Model
		}
	default:
		return nil, info, fmt.Errorf("booster %q: %w (only gbtree and dart)", b.Name, ErrUnsupported)
	}
	if tm == nil {
		return nil, info, fmt.Errorf("%s booster has no tree model", b.Name)
	}
	if err := checkTreeModel(tm, &b); err != nil {
		return nil, info, err
	}
	info.Trees = len(tm.Trees)

	trees := make([]lgTree, len(tm.Trees))
	for i := range tm.Trees {
		weight := 1.0
		if b.Name == "dart" {
			weight = float64(b.WeightDrop[i])
		}
		offset := 0.0
		if i == 0 {
			offset = info.BaseMargin
		}
		if err := convertTree(&tm.Trees[i], nf, weight, offset, threshold, &trees[i]); err != nil {
			return nil, info, fmt.Errorf("tree %d: %w", i, err)
		}
	}
	return writeLightGBM(trees, info.FeatureNames), info, nil
}

func pickNames(given, stored []string, nf int) ([]string, error) {
	names := given
	source := "given"
	if names == nil && len(stored) > 0 {
		names, source = stored, "stored"
	}
	if names == nil {
		names = make([]string, nf)
		for i := range names {
			names[i] = "f" + strconv.Itoa(i)
		}
		return names, nil
	}
	if len(names) != nf {
		return nil, fmt.Errorf("%d %s feature names for %d features", len(names), source, nf)
	}
	for i, n := range names {
		// LightGBM's format separates names by spaces and lines by '=':
		// such names would corrupt the header.
		if n == "" || strings.ContainsAny(n, " \t\r\n=") {
			return nil, fmt.Errorf("%s feature name %d %q is empty or has whitespace or '='", source, i, n)
		}
	}
	return append([]string(nil), names...), nil
}

func parseBaseScore(s jsonScalar) (float64, error) {
	if s == "" {
		return 0, errors.New("xgboost JSON has no base_score")
	}
	// XGBoost 3.1+ writes a vector, "[5E-1]", one entry per target.
	text := strings.TrimSuffix(strings.TrimPrefix(string(s), "["), "]")
	if strings.Contains(text, ",") {
		return 0, fmt.Errorf("base_score %q: %w (several targets)", string(s), ErrUnsupported)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(text), 32) // XGBoost holds it as float32
	if err != nil {
		return 0, fmt.Errorf("parse base_score %q: %w", string(s), err)
	}
	if !(v > 0 && v < 1) {
		return 0, fmt.Errorf("base_score %g outside (0, 1) for a logistic objective", v)
	}
	return v, nil
}

func checkTreeModel(tm *xgbTreeModel, b *xgbBooster) error {
	n := len(tm.Trees)
	if n == 0 {
		return errors.New("model has no trees")
	}
	if want, err := tm.Param.NumTrees.int("num_trees", n); err != nil {
		return err
	} else if want != n {
		return fmt.Errorf("num_trees %d but %d trees", want, n)
	}
	if p, err := tm.Param.NumParallel.int("num_parallel_tree", 1); err != nil {
		return err
	} else if p < 1 {
		return fmt.Errorf("num_parallel_tree %d", p)
	}
	if v, err := tm.Param.SizeLeafVector.int("size_leaf_vector", 0); err != nil {
		return err
	} else if v > 1 {
		return fmt.Errorf("size_leaf_vector %d: %w (vector leaves)", v, ErrUnsupported)
	}
	if tm.TreeInfo != nil && len(tm.TreeInfo) != n {
		return fmt.Errorf("tree_info has %d entries for %d trees", len(tm.TreeInfo), n)
	}
	for i, g := range tm.TreeInfo {
		if g != 0 {
			return fmt.Errorf("tree %d belongs to output group %d: %w (multi-class)", i, g, ErrUnsupported)
		}
	}
	if b.Name == "dart" {
		if len(b.WeightDrop) != n {
			return fmt.Errorf("dart weight_drop has %d entries for %d trees", len(b.WeightDrop), n)
		}
	}
	return nil
}

// convertTree walks the XGBoost tree from its root, breadth first, numbering
// internal nodes and leaves in visiting order. Each node may be reached once:
// that rejects cycles and shared children, and unreachable (deleted) nodes are
// simply dropped.
func convertTree(t *xgbTree, nf int, weight, offset float64, threshold thresholdFunc, out *lgTree) error {
	n := len(t.Left)
	if want, err := t.Param.NumNodes.int("num_nodes", n); err != nil {
		return err
	} else if want != n {
		return fmt.Errorf("num_nodes %d but %d left_children", want, n)
	}
	if n == 0 {
		return errors.New("tree has no nodes")
	}
	if v, err := t.Param.SizeLeafVector.int("size_leaf_vector", 0); err != nil {
		return err
	} else if v > 1 {
		return fmt.Errorf("size_leaf_vector %d: %w (vector leaves)", v, ErrUnsupported)
	}
	if len(t.Right) != n || len(t.SplitIndices) != n || len(t.SplitConditions) != n || len(t.DefaultLeft) != n {
		return fmt.Errorf("node arrays disagree in length: left %d, right %d, split_indices %d, split_conditions %d, default_left %d",
			n, len(t.Right), len(t.SplitIndices), len(t.SplitConditions), len(t.DefaultLeft))
	}
	if t.SplitType != nil && len(t.SplitType) != n {
		return fmt.Errorf("split_type has %d entries for %d nodes", len(t.SplitType), n)
	}
	if len(t.CategoriesNodes) > 0 {
		return fmt.Errorf("categorical splits: %w", ErrUnsupported)
	}

	seen := make([]bool, n)
	seen[0] = true
	// child returns the LightGBM reference for XGBoost node c, creating the
	// leaf or queueing the internal node.
	queue := []int32{0}
	child := func(c int32) (int, error) {
		if c < 0 || int(c) >= n {
			return 0, fmt.Errorf("child index %d out of range [0, %d)", c, n)
		}
		if seen[c] {
			return 0, fmt.Errorf("node %d reached twice (cycle or shared child)", c)
		}
		seen[c] = true
		if t.Left[c] == -1 {
			if t.Right[c] != -1 {
				return 0, fmt.Errorf("node %d has right child %d but no left child", c, t.Right[c])
			}
			out.leaf = append(out.leaf, float64(t.SplitConditions[c])*weight+offset)
			return ^(len(out.leaf) - 1), nil
		}
		queue = append(queue, c)
		return len(queue) - 1, nil
	}

	if t.Left[0] == -1 {
		if t.Right[0] != -1 {
			return fmt.Errorf("root has right child %d but no left child", t.Right[0])
		}
		out.leaf = []float64{float64(t.SplitConditions[0])*weight + offset}
		return nil
	}
	for i := 0; i < len(queue); i++ {
		id := queue[i]
		if t.SplitType != nil && t.SplitType[id] != 0 {
			return fmt.Errorf("node %d split_type %d: %w (categorical split)", id, t.SplitType[id], ErrUnsupported)
		}
		f := t.SplitIndices[id]
		if f < 0 || f >= int64(nf) {
			return fmt.Errorf("node %d splits on feature %d, model has %d", id, f, nf)
		}
		cond := t.SplitConditions[id]
		left, err := child(t.Left[id])
		if err != nil {
			return err
		}
		right, err := child(t.Right[id])
		if err != nil {
			return err
		}
		dt := 2 << 2 // missing type NaN
		if t.DefaultLeft[id] {
			dt |= 1 << 1
		}
		out.feature = append(out.feature, int(f))
		out.threshold = append(out.threshold, threshold(cond))
		out.decision = append(out.decision, dt)
		out.left = append(out.left, left)
		out.right = append(out.right, right)
	}
	return nil
}

func writeLightGBM(trees []lgTree, names []string) []byte {
	blocks := make([][]byte, len(trees))
	for i := range trees {
		blocks[i] = trees[i].appendText(nil, i)
	}
	var b []byte
	b = append(b, "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"...)
	b = append(b, "max_feature_idx="...)
	b = strconv.AppendInt(b, int64(len(names)-1), 10)
	b = append(b, "\nobjective=binary sigmoid:1\nfeature_names="...)
	b = append(b, strings.Join(names, " ")...)
	// LightGBM wants feature_infos; "none" claims no range, which only
	// matters to LightGBM tools, never to scoring.
	b = append(b, "\nfeature_infos="...)
	for i := range names {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, "none"...)
	}
	b = append(b, "\ntree_sizes="...)
	for i, blk := range blocks {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(len(blk)), 10)
	}
	b = append(b, "\n\n"...)
	for _, blk := range blocks {
		b = append(b, blk...)
	}
	b = append(b, "end of trees\n"...)
	return b
}

// appendText writes one tree block as LightGBM does: "Tree=i", its fields,
// then two blank lines; tree_sizes counts the whole block.
func (t *lgTree) appendText(b []byte, idx int) []byte {
	b = append(b, "Tree="...)
	b = strconv.AppendInt(b, int64(idx), 10)
	b = append(b, "\nnum_leaves="...)
	b = strconv.AppendInt(b, int64(len(t.leaf)), 10)
	b = append(b, "\nnum_cat=0\n"...)
	if len(t.leaf) > 1 {
		b = appendInts(b, "split_feature", t.feature)
		b = appendFloats(b, "threshold", t.threshold)
		b = appendInts(b, "decision_type", t.decision)
		b = appendInts(b, "left_child", t.left)
		b = appendInts(b, "right_child", t.right)
	}
	b = appendFloats(b, "leaf_value", t.leaf)
	b = append(b, "shrinkage=1\n\n\n"...)
	return b
}

func appendInts(b []byte, key string, vs []int) []byte {
	b = append(b, key...)
	b = append(b, '=')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, '\n')
}

// appendFloats writes the shortest text that parses back to the same
// float64, so thresholds survive the round trip bit for bit.
func appendFloats(b []byte, key string, vs []float64) []byte {
	b = append(b, key...)
	b = append(b, '=')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, '\n')
}
