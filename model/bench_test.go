package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkScoreBatch scores batches of 1024 rows with a 100-tree, depth-6
// model over 270 features. "direct" passes rows in model order; "gather"
// binds to a shuffled 280-column schema so every row is gathered first.
func BenchmarkScoreBatch(b *testing.B) {
	const nCols, batch = 270, 1024
	m, _, x := trainModel(b, 4000, nCols, 100)
	rng := rand.New(rand.NewPCG(1, 1))
	shuffled := append(slices.Clone(m.Features), "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10")
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name   string
		schema []string
	}{{"direct", m.Features}, {"gather", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := m.Bind(bc.schema, testFeatureSet)
			if err != nil {
				b.Fatal(err)
			}
			rows := make([]float64, batch*len(bc.schema))
			for r := range batch {
				for c, name := range bc.schema {
					if i := slices.Index(m.Features, name); i >= 0 {
						rows[r*len(bc.schema)+c] = x[(r%4000)*nCols+i]
					}
				}
			}
			out := make([]float64, batch)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.ScoreBatch(rows, batch, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkScore scores one row at a time through the gather path, cycling
// over 1024 different rows as ScoreBatch does.
func BenchmarkScore(b *testing.B) {
	const nCols, nRows = 270, 1024
	m, _, x := trainModel(b, 4000, nCols, 100)
	schema := append(slices.Clone(m.Features), "extra")
	slices.Reverse(schema)
	s, err := m.Bind(schema, testFeatureSet)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([][]float64, nRows)
	for r := range rows {
		rows[r] = make([]float64, len(schema))
		for c, name := range schema {
			if i := slices.Index(m.Features, name); i >= 0 {
				rows[r][c] = x[r*nCols+i]
			}
		}
	}
	b.ReportAllocs()
	r := 0
	for b.Loop() {
		s.Score(rows[r])
		r = (r + 1) % nRows
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
