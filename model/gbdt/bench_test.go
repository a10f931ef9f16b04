package gbdt

import "testing"

// BenchmarkTrain100kx50 trains 20 depth-6 rounds on 100k rows × 50 features.
func BenchmarkTrain100kx50(b *testing.B) {
	d := xorData(100000, 50, 0.1, 0.01, 99)
	p := DefaultParams()
	p.NumRounds = 20
	p.EarlyStoppingRounds = 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(d, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}
