package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dmitryikh/leaves"
	"github.com/flowclass/flowclass/model/gbdt"
)

const testFeatureSet = "test-features/1"

func featureNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "feat_" + strconv.Itoa(i)
	}
	return names
}

// synthRows builds flow-like rows: integer counts (many rows sit exactly on
// split thresholds), NaNs, zeros and continuous values; the label depends on
// a few columns.
func synthRows(seed uint64, nRows, nCols int) (x, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = make([]float64, nRows*nCols)
	y = make([]float64, nRows)
	for r := range nRows {
		row := x[r*nCols : (r+1)*nCols]
		for c := range row {
			switch c % 4 {
			case 0:
				row[c] = float64(rng.IntN(8))
			case 1:
				row[c] = rng.NormFloat64()
			case 2:
				if rng.IntN(5) == 0 {
					row[c] = math.NaN()
				} else {
					row[c] = rng.ExpFloat64() * 100
				}
			default:
				if rng.IntN(3) == 0 {
					row[c] = 0
				} else {
					row[c] = rng.Float64()
				}
			}
		}
		z := 0.6*(row[0]-3.5) + row[1%nCols]
		if nCols > 2 && math.IsNaN(row[2]) {
			z += 1.5
		}
		if nCols > 3 && row[3] == 0 {
			z -= 1
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[r] = 1
		}
	}
	return x, y
}

// trainModel trains a small gbdt model on synthetic rows and wraps it in a
// Model; it also returns the trained ensemble and the rows (model order).
func trainModel(t testing.TB, nRows, nCols, rounds int) (*Model, *gbdt.Ensemble, []float64) {
	t.Helper()
	x, y := synthRows(uint64(nCols), nRows, nCols)
	d, err := gbdt.NewDataset(x, nRows, nCols, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := gbdt.DefaultParams()
	p.NumRounds = rounds
	p.MaxDepth = 5
	p.EarlyStoppingRounds = 0
	p.NumThreads = 1
	e, err := gbdt.Train(d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := featureNames(nCols)
	var text bytes.Buffer
	if err := e.WriteLightGBM(&text, names); err != nil {
		t.Fatal(err)
	}
	training, _ := json.Marshal(map[string]any{"rows": nRows, "rounds": rounds})
	m := &Model{
		Format:        FormatV1,
		FeatureSet:    testFeatureSet,
		Features:      names,
		Threshold:     0.4,
		PositiveClass: "malicious",
		Training:      training,
		LightGBM:      text.Bytes(),
	}
	return m, e, x
}

// leavesModel loads the text independently with leaves, as the brief of
// this package prescribes (probabilities).
func leavesModel(t testing.TB, text []byte) *leaves.Ensemble {
	t.Helper()
	e, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(text)), true)
	if err != nil {
		t.Fatalf("leaves: %v", err)
	}
	return e
}

// randomLightGBM writes a LightGBM text model with random tree shapes,
// thresholds, missing types (None, Zero, NaN) and default directions, and
// with internal_value, leaf_count or neither, to exercise every branch of
// the decision rule and of the node values against leaves.
func randomLightGBM(rng *rand.Rand, nFeatures, nTrees int, version string) []byte {
	var blocks []string
	for ti := range nTrees {
		nLeaves := 1 + rng.IntN(12)
		// Grow like LightGBM: splitting leaf l makes a node whose left
		// child keeps leaf l and whose right child is a new leaf.
		type slot struct {
			node int32
			left bool
		}
		parent := []slot{{-1, false}} // of each leaf
		var left, right []int32
		for len(parent) < nLeaves {
			l := int32(rng.IntN(len(parent)))
			n := int32(len(left))
			nl := int32(len(parent))
			left = append(left, ^l)
			right = append(right, ^nl)
			if p := parent[l]; p.node >= 0 {
				if p.left {
					left[p.node] = n
				} else {
					right[p.node] = n
				}
			}
			parent[l] = slot{n, true}
			parent = append(parent, slot{n, false})
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Tree=%d\nnum_leaves=%d\nnum_cat=0\n", ti, nLeaves)
		nNodes := nLeaves - 1
		if nNodes > 0 {
			ints := func(key string, f func(int) int64) {
				b.WriteString(key + "=")
				for j := range nNodes {
					if j > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(strconv.FormatInt(f(j), 10))
				}
				b.WriteByte('\n')
			}
			ints("split_feature", func(int) int64 { return int64(rng.IntN(nFeatures)) })
			b.WriteString("threshold=")
			for j := range nNodes {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strconv.FormatFloat(testThresholds[rng.IntN(len(testThresholds))], 'g', -1, 64))
			}
			b.WriteByte('\n')
			ints("decision_type", func(int) int64 { return int64(rng.IntN(3)<<2 | rng.IntN(2)<<1) })
			ints("left_child", func(j int) int64 { return int64(left[j]) })
			ints("right_child", func(j int) int64 { return int64(right[j]) })
		}
		b.WriteString("leaf_value=")
		for j := range nLeaves {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 64))
		}
		b.WriteByte('\n')
		switch rng.IntN(3) {
		case 0:
			if nNodes > 0 {
				b.WriteString("internal_value=")
				for j := range nNodes {
					if j > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 64))
				}
				b.WriteByte('\n')
			}
		case 1:
			b.WriteString("leaf_count=")
			for j := range nLeaves {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strconv.Itoa(rng.IntN(4))) // zeros included
			}
			b.WriteByte('\n')
		}
		b.WriteString("shrinkage=1\n\n\n")
		blocks = append(blocks, b.String())
	}
	var out strings.Builder
	fmt.Fprintf(&out, "tree\nversion=%s\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=%d\nobjective=binary sigmoid:1\n",
		version, nFeatures-1)
	out.WriteString("feature_names=" + strings.Join(featureNames(nFeatures), " ") + "\ntree_sizes=")
	for i, blk := range blocks {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.Itoa(len(blk)))
	}
	out.WriteString("\n\n")
	for _, blk := range blocks {
		out.WriteString(blk)
	}
	out.WriteString("end of trees\n")
	return []byte(out.String())
}

// testThresholds sit on the values testValues draws, so that rows land
// exactly on thresholds and on LightGBM's zero band.
var testThresholds = []float64{-1, 0, 1e-36, -1e-36, 0.5, 1, 2.5, 1e-300}

var testValues = []float64{math.NaN(), 0, math.Copysign(0, -1), 1e-36, -1e-36, 1e-35, -1e-35, 0.5, 1, 2.5, -1, 3, 1e-300, math.Inf(1), math.Inf(-1)}

func randomRow(rng *rand.Rand, n int) []float64 {
	row := make([]float64, n)
	for i := range row {
		if rng.IntN(4) == 0 {
			row[i] = rng.NormFloat64() * 2
		} else {
			row[i] = testValues[rng.IntN(len(testValues))]
		}
	}
	return row
}
