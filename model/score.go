package model

import (
	"fmt"
	"math"

	"github.com/dmitryikh/leaves"
)

// Scorer scores rows laid out in the extractor's schema order. It reuses
// its buffers, so it is not safe for concurrent use: give every worker its
// own Clone.
type Scorer struct {
	features  []string // model features, model order
	cols      []int    // schema column of each model feature
	schemaLen int
	// direct is set when model feature i is schema column i for every i:
	// rows then go to leaves as they are, with the schema's stride.
	direct bool
	trees  *lgbModel
	ens    *leaves.Ensemble // raw margins

	row     []float64 // one gathered row
	batch   []float64 // gathered rows for ScoreBatch
	out     [1]float64
	contrib []float64
}

// Bind checks the model's features against the extractor's schema (its
// feature names in column order) and returns a Scorer that takes rows in
// schema order. A model feature the schema lacks is an error naming it; so
// is a model FeatureSet that differs from the extractor's.
func (m *Model) Bind(schemaFeatures []string, featureSet string) (*Scorer, error) {
	if m.FeatureSet != "" && m.FeatureSet != featureSet {
		return nil, fmt.Errorf("model was trained on feature set %q, the extractor produces %q", m.FeatureSet, featureSet)
	}
	c, err := m.compile()
	if err != nil {
		return nil, err
	}
	col := make(map[string]int, len(schemaFeatures))
	for i, f := range schemaFeatures {
		if j, dup := col[f]; dup {
			return nil, fmt.Errorf("extractor schema lists feature %q twice (columns %d and %d)", f, j, i)
		}
		col[f] = i
	}
	s := &Scorer{
		features:  append([]string(nil), m.Features...),
		cols:      make([]int, len(m.Features)),
		schemaLen: len(schemaFeatures),
		direct:    true,
		trees:     c.trees,
		ens:       c.ens,
	}
	for i, f := range m.Features {
		j, ok := col[f]
		if !ok {
			return nil, fmt.Errorf("model feature %q is not produced by this extractor (feature set %q)", f, featureSet)
		}
		s.cols[i] = j
		s.direct = s.direct && i == j
	}
	s.row = make([]float64, len(s.features))
	s.contrib = make([]float64, len(s.features))
	return s, nil
}

// Clone returns a Scorer for another goroutine; the trees are shared (they
// are read-only), the buffers are not.
func (s *Scorer) Clone() *Scorer {
	c := *s
	c.row = make([]float64, len(s.row))
	c.contrib = make([]float64, len(s.contrib))
	c.batch = nil
	return &c
}

// Features returns the model's features in model order (the order of
// Contributions); the slice must not be modified.
func (s *Scorer) Features() []string { return s.features }

// gather returns the model's inputs for one schema row.
func (s *Scorer) gather(row []float64) []float64 {
	if s.direct {
		return row
	}
	for i, c := range s.cols {
		s.row[i] = row[c]
	}
	return s.row
}

// Margin returns the raw score (log-odds) of one row in schema order, or
// NaN when the row is shorter than the schema.
func (s *Scorer) Margin(row []float64) float64 {
	if len(row) < s.schemaLen {
		return math.NaN()
	}
	if err := s.ens.Predict(s.gather(row), 0, s.out[:]); err != nil {
		return math.NaN()
	}
	return s.out[0]
}

// Score returns the probability of the positive class for one row in schema
// order, or NaN when the row is shorter than the schema.
func (s *Scorer) Score(row []float64) float64 {
	return sigmoid(s.Margin(row))
}

// ScoreBatch scores nrows rows stored row-major in schema order and writes
// one probability per row to out. It runs on the calling goroutine: callers
// parallelise with one Clone per worker.
func (s *Scorer) ScoreBatch(rows []float64, nrows int, out []float64) error {
	if nrows < 0 || len(rows) < nrows*s.schemaLen {
		return fmt.Errorf("score batch: %d values for %d rows of %d features", len(rows), nrows, s.schemaLen)
	}
	if len(out) < nrows {
		return fmt.Errorf("score batch: room for %d scores, %d rows", len(out), nrows)
	}
	if nrows == 0 {
		return nil
	}
	x, ncols := rows, s.schemaLen
	if !s.direct {
		ncols = len(s.cols)
		if cap(s.batch) < nrows*ncols {
			s.batch = make([]float64, nrows*ncols)
		}
		x = s.batch[:nrows*ncols]
		for r := range nrows {
			src := rows[r*s.schemaLen : (r+1)*s.schemaLen]
			dst := x[r*ncols : (r+1)*ncols]
			for i, c := range s.cols {
				dst[i] = src[c]
			}
		}
	}
	if err := s.ens.PredictDense(x, nrows, ncols, out, 0, 1); err != nil {
		return fmt.Errorf("score batch: %w", err)
	}
	for r := range out[:nrows] {
		out[r] = sigmoid(out[r])
	}
	return nil
}
