package gbdt

import (
	"errors"
	"fmt"
	"math"
)

// ErrEmpty is returned for a dataset without rows or columns.
var ErrEmpty = errors.New("gbdt: empty dataset")

// Dataset is a dense binary-classification data set.
//
// X is row-major: the value of feature c in row r is X[r*NCols+c]. NaN means
// missing. Y holds labels 0 or 1. W holds optional per-row weights (nil means
// all ones); weights must be finite and non-negative.
type Dataset struct {
	X     []float64
	NRows int
	NCols int
	Y     []float64
	W     []float64
}

// NewDataset checks and wraps the given slices without copying them.
func NewDataset(x []float64, nRows, nCols int, y, w []float64) (*Dataset, error) {
	d := &Dataset{X: x, NRows: nRows, NCols: nCols, Y: y, W: w}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Validate reports the first problem that makes d unusable.
func (d *Dataset) Validate() error {
	if d == nil || d.NRows <= 0 || d.NCols <= 0 {
		return ErrEmpty
	}
	if d.NRows > math.MaxInt32 {
		return fmt.Errorf("gbdt: %d rows exceed the supported %d", d.NRows, math.MaxInt32)
	}
	if len(d.X) != d.NRows*d.NCols {
		return fmt.Errorf("gbdt: len(X)=%d, want NRows*NCols=%d*%d=%d", len(d.X), d.NRows, d.NCols, d.NRows*d.NCols)
	}
	if len(d.Y) != d.NRows {
		return fmt.Errorf("gbdt: len(Y)=%d, want NRows=%d", len(d.Y), d.NRows)
	}
	for i, v := range d.Y {
		if v != 0 && v != 1 {
			return fmt.Errorf("gbdt: label %v in row %d, want 0 or 1", v, i)
		}
	}
	if d.W != nil {
		if len(d.W) != d.NRows {
			return fmt.Errorf("gbdt: len(W)=%d, want NRows=%d", len(d.W), d.NRows)
		}
		sum := 0.0
		for i, v := range d.W {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("gbdt: weight %v in row %d, want finite and >= 0", v, i)
			}
			sum += v
		}
		if !(sum > 0) || math.IsInf(sum, 0) {
			return fmt.Errorf("gbdt: weights sum to %v, want a finite positive total", sum)
		}
	}
	return nil
}

func (d *Dataset) weight(r int) float64 {
	if d.W == nil {
		return 1
	}
	return d.W[r]
}

func (d *Dataset) row(r int) []float64 {
	return d.X[r*d.NCols : (r+1)*d.NCols]
}
