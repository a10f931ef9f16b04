package main

import (
	"fmt"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/model"
)

// cicScorer scores a model trained on CIC columns (train --from-csv on
// CIC-IDS2017/2018 files): the pipeline hands over schema-ordered rows,
// which it turns into CIC vectors before scoring. One per worker.
type cicScorer struct {
	vec *cicflow.Vector
	sc  *model.Scorer
	buf []float64
}

func newCICScorer(vec *cicflow.Vector, sc *model.Scorer) *cicScorer {
	return &cicScorer{vec: vec, sc: sc}
}

// ScoreBatch implements meter.Scorer. The vector buffer grows to the
// largest batch once and is reused.
func (c *cicScorer) ScoreBatch(rows []float64, n int, out []float64) error {
	w := c.vec.Width()
	if n < 0 || len(rows) < n*w {
		return fmt.Errorf("score batch: %d values for %d rows of %d features", len(rows), n, w)
	}
	c.buf = c.buf[:0]
	for i := 0; i < n; i++ {
		c.buf = c.vec.Append(c.buf, rows[i*w:(i+1)*w])
	}
	return c.sc.ScoreBatch(c.buf, n, out)
}
