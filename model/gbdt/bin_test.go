package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// binFast must agree with the plain binary search for every number of cut
// points, on the cut points themselves, their neighbours, NaN and ±Inf.
func TestBinFastMatchesBinarySearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 0; k <= 254; k++ {
		up := make([]float64, k)
		v := -5.0
		for i := range up {
			v += rng.Float64() + 1e-3
			up[i] = v
		}
		p := newPaddedCuts(up)
		probe := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1e300, 1e300, 0}
		for _, u := range up {
			probe = append(probe, u, math.Nextafter(u, math.Inf(1)), math.Nextafter(u, math.Inf(-1)))
		}
		for i := 0; i < 50; i++ {
			probe = append(probe, rng.Float64()*300-10)
		}
		for _, x := range probe {
			if a, b := binOf(up, x), p.binFast(x); a != b {
				t.Fatalf("%d cuts, x=%v: binary search %d, binFast %d", k, x, a, b)
			}
		}
	}
}
