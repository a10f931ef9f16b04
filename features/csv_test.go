package features

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/synth"
)

// refAppendNumber is AppendNumber before its fast path, kept as the
// reference the output must match byte for byte.
func refAppendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// numberChecker compares AppendNumber with the reference and counts how
// many values took the fast path, so that a test can show it was exercised.
type numberChecker struct {
	t             testing.TB
	got, want, g  []byte
	n, fast, exct int
	mismatches    int
}

func (c *numberChecker) check(v float64) {
	c.n++
	c.got = AppendNumber(c.got[:0], v)
	c.want = refAppendNumber(c.want[:0], v)
	if !bytes.Equal(c.got, c.want) {
		c.mismatches++
		if c.mismatches <= 10 {
			c.t.Errorf("AppendNumber(%v) [bits %#016x] = %q, strconv %q", v, math.Float64bits(v), c.got, c.want)
		}
	}
	// Each path on its own, against strconv's 'g' (what both promise).
	short, okShort := appendShortDecimal(c.got[:0], v)
	if okShort {
		c.fast++
		c.same("appendShortDecimal", v, short)
	}
	if exact, ok := appendExact(c.got[:0], v); ok {
		c.exct++
		c.same("appendExact", v, exact)
	}
}

func (c *numberChecker) same(name string, v float64, out []byte) {
	want := c.want // the reference is strconv's 'g' except for integers below 1e15
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		want = strconv.AppendFloat(c.g[:0], v, 'g', -1, 64)
	}
	if !bytes.Equal(out, want) {
		c.mismatches++
		if c.mismatches <= 10 {
			c.t.Errorf("%s(%v) [bits %#016x] = %q, strconv %q", name, v, math.Float64bits(v), out, want)
		}
	}
}

// checkAround checks v, -v and their two neighbours on each side: a value
// one ulp off a short decimal is the case the fast path must turn down.
func (c *numberChecker) checkAround(v float64) {
	for _, s := range []float64{v, -v} {
		c.check(s)
		lo, hi := s, s
		for i := 0; i < 2; i++ {
			lo = math.Nextafter(lo, math.Inf(-1))
			hi = math.Nextafter(hi, math.Inf(1))
			c.check(lo)
			c.check(hi)
		}
	}
}

func (c *numberChecker) report(name string) {
	c.t.Logf("%s: %d values, %d taken by appendShortDecimal, %d by appendExact", name, c.n, c.fast, c.exct)
}

// randDigits is a random integer of 1 to maxDigits decimal digits, the
// digit count uniform so small and large mantissas are equally likely.
func randDigits(r *rand.Rand, maxDigits int) uint64 {
	d := 1 + r.IntN(maxDigits)
	lo := uint64(1)
	for i := 1; i < d; i++ {
		lo *= 10
	}
	if d == 1 {
		return r.Uint64N(10)
	}
	return lo + r.Uint64N(9*lo)
}

func TestDecimalsFor(t *testing.T) {
	ten := big.NewInt(10)
	for e := -1022; e <= 1023; e++ {
		j := decimalsFor(e)
		n := 50 - e
		if j == 0 {
			if n >= 4 {
				t.Errorf("decimalsFor(%d) = 0, want >= 1 (2^%d >= 10)", e, n)
			}
			continue
		}
		if j < 1 || j > 22 {
			t.Fatalf("decimalsFor(%d) = %d, outside 1..22", e, j)
		}
		// 10^j <= 2^n, and 10^(j+1) > 2^n unless capped at 22.
		two := new(big.Int).Lsh(big.NewInt(1), uint(n))
		pj := new(big.Int).Exp(ten, big.NewInt(int64(j)), nil)
		if pj.Cmp(two) > 0 {
			t.Errorf("decimalsFor(%d) = %d: 10^%d > 2^%d", e, j, j, n)
		}
		if j < 22 && new(big.Int).Mul(pj, ten).Cmp(two) <= 0 {
			t.Errorf("decimalsFor(%d) = %d: 10^%d <= 2^%d too", e, j, j+1, n)
		}
	}
	// appendExact's J: the least j with 10^j >= 2^(53-e).
	for e := -36; e <= 52; e++ {
		j := (53-e)*78913>>18 + 1
		two := new(big.Int).Lsh(big.NewInt(1), uint(53-e))
		pj := new(big.Int).Exp(ten, big.NewInt(int64(j)), nil)
		pless := new(big.Int).Exp(ten, big.NewInt(int64(j-1)), nil)
		if pj.Cmp(two) < 0 || pless.Cmp(two) >= 0 {
			t.Errorf("e=%d: j=%d is not the least j with 10^j >= 2^%d", e, j, 53-e)
		}
		if sh := 54 - j - e; sh < 1 || sh > 63 || j > 27 {
			t.Errorf("e=%d: j=%d, shift %d out of range", e, j, sh)
		}
	}
	for i, p := range pow5 {
		if new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(i)), nil).Cmp(new(big.Int).SetUint64(p)) != 0 {
			t.Errorf("pow5[%d] = %d", i, p)
		}
	}
	for i, p := range pow10 {
		if new(big.Int).Exp(ten, big.NewInt(int64(i)), nil).Cmp(new(big.Int).SetUint64(p)) != 0 {
			t.Errorf("pow10[%d] = %d", i, p)
		}
	}
	for j, p := range exactPow10 {
		if s := strconv.FormatFloat(p, 'f', -1, 64); s != "1"+string(bytes.Repeat([]byte{'0'}, j)) {
			t.Errorf("exactPow10[%d] = %s", j, s)
		}
	}
}

// TestAppendNumberDecimals covers the values the fast path is for: k/10^j
// for k of every length and j = 1..25, built both by float division (the
// way the extractor makes milliseconds and means) and by parsing the
// decimal, each with its neighbours and its negation.
func TestAppendNumberDecimals(t *testing.T) {
	c := &numberChecker{t: t}
	r := rand.New(rand.NewPCG(1, 2))
	for j := 1; j <= 25; j++ {
		for i := 0; i < 5000; i++ {
			k := randDigits(r, 17)
			if j <= 22 && k < 1<<53 {
				c.checkAround(float64(k) / exactPow10[j])
			}
			v, err := strconv.ParseFloat(strconv.FormatUint(k, 10)+"e-"+strconv.Itoa(j), 64)
			if err != nil {
				t.Fatal(err)
			}
			c.checkAround(v)
		}
	}
	// Times in milliseconds from microsecond and nanosecond counts, the
	// way durations and inter-arrival times are computed.
	for i := 0; i < 200000; i++ {
		us := int64(randDigits(r, 13))
		ns := int64(randDigits(r, 16))
		c.check(float64(us) / 1e3)
		c.check(float64(ns) / 1e6)
		c.check(float64(ns) / 1e9)
		c.check(float64(ns) * 1e-6)
		c.check(float64(us) * 0.001)
	}
	// Means and ratios of integers: repeating decimals for strconv, short
	// ones for the fast path.
	for i := 0; i < 200000; i++ {
		a := float64(randDigits(r, 9))
		n := float64(1 + r.IntN(2000))
		c.check(a / n)
		c.check(n / a)
	}
	c.report("decimals")
	if c.fast < c.n/4 {
		t.Errorf("only %d of %d decimal values took the fast path", c.fast, c.n)
	}
}

// TestAppendNumberBoundaries covers where the layout or the proof's
// conditions change: powers of ten (digit count, %e/%f switch at 1e-4 and
// 1e6, the 1e15 integer limit), powers of two (uneven rounding interval,
// the exponents where J changes), halves, and 2^47 to 2^53.
func TestAppendNumberBoundaries(t *testing.T) {
	c := &numberChecker{t: t}
	for m := -30; m <= 25; m++ {
		for _, s := range []string{"1", "9", "5", "1.5", "9.5", "9.99999", "1.00001", "2.5"} {
			v, err := strconv.ParseFloat(s+"e"+strconv.Itoa(m), 64)
			if err != nil {
				t.Fatal(err)
			}
			c.checkAround(v)
		}
		// 9.9...9 and 1.0...01 with 2 to 17 digits.
		for d := 2; d <= 17; d++ {
			nines := string(bytes.Repeat([]byte{'9'}, d))
			one := "1" + string(bytes.Repeat([]byte{'0'}, d-2)) + "1"
			for _, s := range []string{nines, one} {
				v, err := strconv.ParseFloat(s+"e"+strconv.Itoa(m-d+1), 64)
				if err != nil {
					t.Fatal(err)
				}
				c.checkAround(v)
			}
		}
	}
	for e := -1074; e <= 1023; e++ {
		p := math.Ldexp(1, e)
		c.checkAround(p)
		c.checkAround(p * 1.5)
		c.checkAround(math.Nextafter(p*2, 0)) // largest of the binade
	}
	for _, base := range []float64{0, 1, 1e3, 1e6, 1e9, 1 << 30, 1 << 46, 1 << 47, 1 << 48, 1 << 51, 1 << 52, 1 << 53, 1e15, 1e16} {
		for i := -300.0; i <= 300; i++ {
			for _, f := range []float64{0, 0.5, 0.25, 0.125, 0.1, 0.75} {
				c.checkAround(base + i + f)
			}
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0xfff0000000000001),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		0x1p-1022, math.Nextafter(0x1p-1022, 0), math.MaxInt64, math.MinInt64, 1 << 63, 999999.5, 0.0001, 0.00009999999999999999} {
		c.check(v)
	}
	c.report("boundaries")
}

// TestAppendNumberBits covers arbitrary doubles: random bit patterns, and
// random mantissas in every binade.
func TestAppendNumberBits(t *testing.T) {
	c := &numberChecker{t: t}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000000; i++ {
		c.check(math.Float64frombits(r.Uint64()))
	}
	for e := uint64(0); e < 2048; e++ {
		for i := 0; i < 150; i++ {
			m := r.Uint64() & (1<<52 - 1)
			if i < 3 {
				m >>= uint(r.IntN(52)) // few mantissa bits: dyadic values
			}
			if i >= 3 && i < 6 {
				m = m &^ (1<<uint(r.IntN(52)) - 1) // trailing zero bits
			}
			c.check(math.Float64frombits(e<<52 | m))
			c.check(math.Float64frombits(1<<63 | e<<52 | m))
		}
	}
	c.report("bits")
}

// TestAppendNumberExactRange covers appendExact's whole range, 2^-37 to
// 2^54, densely with random significands, the binade ends and the values
// around them, and counts the exact ties it leaves to strconv.
func TestAppendNumberExactRange(t *testing.T) {
	c := &numberChecker{t: t}
	r := rand.New(rand.NewPCG(5, 6))
	ties := 0
	for e := -37; e <= 54; e++ {
		for i := 0; i < 12000; i++ {
			m := r.Uint64() & (1<<52 - 1)
			switch i % 8 {
			case 0:
				m >>= uint(r.IntN(53))
			case 1:
				m = m &^ (1<<uint(r.IntN(53)) - 1)
			}
			v := math.Ldexp(float64(1<<52|m), e-52)
			c.check(v)
			c.check(-v)
			if e >= -36 && e <= 52 {
				if _, ok := appendExact(nil, v); !ok {
					ties++
				}
			}
		}
		for _, m := range []uint64{0, 1, 2, 3, 1<<52 - 1, 1<<52 - 2, 1 << 51} {
			c.checkAround(math.Ldexp(float64(1<<52|m), e-52))
		}
	}
	c.report("exact range")
	t.Logf("%d ties left to strconv", ties)
	if c.exct < c.n/2 {
		t.Errorf("only %d of %d values taken by appendExact", c.exct, c.n)
	}
}

// TestAppendNumberRealRows checks every value of the rows the extractor
// makes from generated captures at microsecond and nanosecond resolution.
func TestAppendNumberRealRows(t *testing.T) {
	c := &numberChecker{t: t}
	seen := make(map[uint64]bool)
	for _, v := range realValues(t, 8000) {
		if !seen[math.Float64bits(v)] {
			seen[math.Float64bits(v)] = true
			c.checkAround(v)
		}
	}
	c.report("real rows")
	if c.n == 0 {
		t.Fatal("no values")
	}
}

// TestCSVWriteRows compares whole rows of real records with rows built
// from the reference number formatting, byte for byte.
func TestCSVWriteRows(t *testing.T) {
	recs, schema := realRecords(t, 4000)
	var got bytes.Buffer
	w, err := NewCSVWriter(&got, schema, "score")
	if err != nil {
		t.Fatal(err)
	}
	// The same rows again with values the shortcut in Write must tell
	// apart: -0, small negatives, just below and above the digits, NaN.
	odd := []float64{math.Copysign(0, -1), -1, 9.000000000000002, 10, 0.5, -0.5, math.NaN(), math.Inf(1), 255, 256, 265, 1e300, -1e300}
	var rows []*Record
	for i, r := range recs {
		rows = append(rows, r)
		cp := *r
		cp.Values = append([]float64(nil), r.Values...)
		for k := range cp.Values {
			cp.Values[k] = odd[(i+k)%len(odd)]
		}
		rows = append(rows, &cp)
	}
	var want []byte
	for i, h := range append(schema.Header(), "score") {
		if i > 0 {
			want = append(want, ',')
		}
		want = AppendField(want, h)
	}
	want = append(want, '\n')
	for _, r := range rows {
		if err := w.Write(r, "0.5"); err != nil {
			t.Fatal(err)
		}
		want = AppendIdentity(want, r)
		for _, m := range r.Meta {
			want = AppendField(append(want, ','), m)
		}
		for _, i := range w.cols {
			want = refAppendNumber(append(want, ','), r.Values[i])
		}
		want = append(want, ",0.5\n"...)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		g, x := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(g), len(x)) {
			if !bytes.Equal(g[i], x[i]) {
				t.Fatalf("row %d differs:\n got %s\nwant %s", i, g[i], x[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(g), len(x))
	}
	t.Logf("%d rows, %d bytes identical", len(rows), len(want))
}

func FuzzAppendNumber(f *testing.F) {
	f.Add(math.Float64bits(0.1), int64(12345), uint8(3))
	f.Add(math.Float64bits(1234567.5), int64(-1), uint8(1))
	f.Add(math.Float64bits(9.5e-05), int64(1<<53-1), uint8(22))
	f.Fuzz(func(t *testing.T, b uint64, k int64, j uint8) {
		c := &numberChecker{t: t}
		c.checkAround(math.Float64frombits(b))
		// The same significand with an exponent in appendExact's range.
		e := uint64(1023 - 37 + int(j)%92)
		c.checkAround(math.Float64frombits(b&(1<<63|1<<52-1) | e<<52))
		c.checkAround(float64(k) / exactPow10[int(j)%len(exactPow10)])
		v, err := strconv.ParseFloat(strconv.FormatInt(k, 10)+"e-"+strconv.Itoa(int(j)%30), 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			c.checkAround(v)
		}
	})
}

// realRecords runs the extractor over two generated captures of the given
// number of packets, one with microsecond and one with nanosecond
// timestamps, and returns copies of the flows' records.
func realRecords(tb testing.TB, packets int) ([]*Record, *Schema) {
	tb.Helper()
	schema, err := NewSchema(Config{})
	if err != nil {
		tb.Fatal(err)
	}
	var recs []*Record
	for i, format := range []synth.Format{synth.FormatPCAP, synth.FormatPCAPNano} {
		cfg := synth.DefaultConfig(int64(7+i), packets)
		cfg.Format = format
		cfg.Attacks = synth.DefaultAttacks(cfg.Packets)
		path := filepath.Join(tb.TempDir(), "synth.pcap")
		if _, err := synth.WriteFile(path, cfg); err != nil {
			tb.Fatal(err)
		}
		src, err := capture.OpenFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		e := NewExtractor(schema, flow.Config{}, func(r *Record) {
			cp := *r
			cp.Values = append([]float64(nil), r.Values...)
			cp.Meta = append([]string(nil), r.Meta...)
			recs = append(recs, &cp)
		}, 1, 1)
		var rec capture.Record
		for {
			err := src.Next(&rec)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			e.Packet(&rec)
		}
		e.Flush(flow.EndOfInput)
		src.Close()
	}
	return recs, schema
}

func realValues(tb testing.TB, packets int) []float64 {
	recs, _ := realRecords(tb, packets)
	var vs []float64
	for _, r := range recs {
		vs = append(vs, r.Values...)
	}
	return vs
}

// BenchmarkAppendNumber formats the feature values of real rows: "rows"
// all of them in row order, "fractions" only the non-integers; each
// against the reference (strconv) on the same values. ns/op is per number.
func BenchmarkAppendNumber(b *testing.B) {
	all := realValues(b, 20000)
	var fractions []float64
	for _, v := range all {
		if v != math.Trunc(v) {
			fractions = append(fractions, v)
		}
	}
	b.Logf("%d values, %d non-integral", len(all), len(fractions))
	for _, set := range []struct {
		name string
		vs   []float64
	}{{"rows", all}, {"fractions", fractions}} {
		for _, fn := range []struct {
			name string
			fn   func([]byte, float64) []byte
		}{{"AppendNumber", AppendNumber}, {"reference", refAppendNumber}} {
			b.Run(set.name+"/"+fn.name, func(b *testing.B) {
				vs := set.vs
				buf := make([]byte, 0, 64)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					buf = fn.fn(buf[:0], vs[i])
					if i++; i == len(vs) {
						i = 0
					}
				}
			})
		}
	}
}

// BenchmarkCSVWrite writes whole rows of real records; ns/op is per row.
func BenchmarkCSVWrite(b *testing.B) {
	recs, schema := realRecords(b, 20000)
	w, err := NewCSVWriter(io.Discard, schema, "score", "predicted")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := w.Write(recs[i], "0.25", "benign"); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(recs) {
			i = 0
		}
	}
}
