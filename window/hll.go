package window

import (
	"math"
	"math/bits"
)

// hllPrecision 14 gives 16,384 one-byte registers (16 KiB) and a relative
// standard error of 1.04/sqrt(16384) = 0.81%.
const (
	hllPrecision = 14
	hllRegisters = 1 << hllPrecision
	// HLLStdError is the relative standard error of the sketch that takes
	// over from exact counting.
	HLLStdError = 1.04 / 128
)

// hll is a HyperLogLog sketch (Flajolet et al. 2007) over 64-bit hashes,
// with linear counting for small estimates. A 64-bit hash needs no
// large-range correction.
type hll struct {
	reg [hllRegisters]uint8
}

func (h *hll) add(x uint64) {
	i := x >> (64 - hllPrecision)
	// The sentinel bit bounds the rank at 64-p+1 when the rest is zero.
	rho := uint8(bits.LeadingZeros64(x<<hllPrecision|1<<(hllPrecision-1)) + 1)
	if rho > h.reg[i] {
		h.reg[i] = rho
	}
}

func (h *hll) estimate() float64 {
	const m = float64(hllRegisters)
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		return m * math.Log(m/float64(zeros))
	}
	return e
}

// mix is splitmix64's finaliser: it spreads every input bit over the
// output, which HyperLogLog's register choice and rank both rely on.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 hashes a 128-bit value (an address in 16-byte form, or a port
// with a tag).
func hash2(hi, lo uint64) uint64 {
	return mix(lo ^ mix(hi^0x9e3779b97f4a7c15))
}
