package features

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// CSVWriter streams records as CSV rows under a header row: identity
// columns, metadata, features, then the caller's extra columns (train adds
// label and source; classify adds score and predicted).
type CSVWriter struct {
	RowWriter
	schema *Schema
	cols   []int // feature indexes written after the metadata
	extra  int
	buf    []byte
}

// RowWriter writes whole rows through a buffer; the first error sticks, so
// a failed disk stops the output at a row boundary as far as this writer
// goes. The CSV writers of this and other packages share it.
type RowWriter struct {
	w   *bufio.Writer
	err error
}

// NewRowWriter buffers w.
func NewRowWriter(w io.Writer) RowWriter { return RowWriter{w: bufio.NewWriterSize(w, 1<<16)} }

// WriteRow writes one complete row.
func (r *RowWriter) WriteRow(b []byte) error {
	if r.err != nil {
		return r.err
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = fmt.Errorf("write csv: %w", err)
	}
	return r.err
}

// Err is the first write error, if any.
func (r *RowWriter) Err() error { return r.err }

// Flush writes buffered rows out.
func (r *RowWriter) Flush() error {
	if r.err != nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil {
		r.err = fmt.Errorf("write csv: %w", err)
	}
	return r.err
}

// NewCSVWriter writes the header at once so that even an empty run leaves
// a loadable file.
func NewCSVWriter(w io.Writer, s *Schema, extra ...string) (*CSVWriter, error) {
	c := &CSVWriter{RowWriter: NewRowWriter(w), schema: s, extra: len(extra)}
	for i, f := range s.Features {
		if !inIdentity(f.Name) {
			c.cols = append(c.cols, i)
		}
	}
	c.buf = c.buf[:0]
	for i, h := range append(s.Header(), extra...) {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = AppendField(c.buf, h)
	}
	c.buf = append(c.buf, '\n')
	if err := c.WriteRow(c.buf); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	return c, nil
}

// Write appends one row. A row is written whole or not at all as far as
// this writer's buffer goes; the first error sticks.
func (c *CSVWriter) Write(r *Record, extra ...string) error {
	if err := c.Err(); err != nil {
		return err
	}
	if len(extra) != c.extra {
		return fmt.Errorf("csv: %d extra values for %d extra columns", len(extra), c.extra)
	}
	b := AppendIdentity(c.buf[:0], r)
	for _, m := range r.Meta {
		b = append(b, ',')
		b = AppendField(b, m)
	}
	for _, i := range c.cols {
		// Most values are counts and flags below 10: spare them the call.
		// Whatever uint8 makes of NaN or a big v, the round trip fails;
		// -0 comes out as 0, as from AppendNumber.
		if v := r.Values[i]; uint8(v) < 10 && float64(uint8(v)) == v {
			b = append(b, ',', '0'+uint8(v))
			continue
		}
		b = append(b, ',')
		b = AppendNumber(b, r.Values[i])
	}
	for _, x := range extra {
		b = append(b, ',')
		b = AppendField(b, x)
	}
	b = append(b, '\n')
	c.buf = b
	return c.WriteRow(b)
}

// TimeLayout is RFC 3339 in UTC with microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// AppendIdentity appends the identity columns of r, comma-separated.
func AppendIdentity(b []byte, r *Record) []byte {
	b = strconv.AppendUint(b, r.FlowID, 10)
	b = append(b, ',')
	b = r.Src.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.SrcPort), 10)
	b = append(b, ',')
	b = r.Dst.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.DstPort), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.Proto), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.IPVersion), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.VLAN), 10)
	b = append(b, ',')
	b = time.Unix(0, r.First).UTC().AppendFormat(b, TimeLayout)
	b = append(b, ',')
	b = time.Unix(0, r.Last).UTC().AppendFormat(b, TimeLayout)
	b = append(b, ',')
	b = append(b, r.Expiration.String()...)
	return b
}

// AppendNumber writes integers without a decimal point and everything else
// in the shortest form that reads back to the same float64: byte for byte
// what strconv.AppendInt (integers below 1e15) or else
// strconv.AppendFloat(b, v, 'g', -1, 64) writes, in about two thirds of
// their time on real rows. Integers are written by words; values with few
// decimals (ms from µs or ns stamps, ratios of small integers) are found
// and checked with one float64 division (appendShortDecimal); the other
// doubles between 2^-36 and 2^53 are worked out with 128-bit integers
// (appendExact); strconv writes what is left (huge, tiny, NaN, Inf, ties).
func AppendNumber(b []byte, v float64) []byte {
	// |v| < 1e15 converts exactly, so the round trip tells integers;
	// -0 prints as 0 and NaN fails the comparison.
	if a := math.Abs(v); a < 1e15 {
		if n := int64(a); float64(n) == a {
			if n < 10 && v >= 0 { // most counts and flags; -0 >= 0 too
				return append(b, byte('0'+n))
			}
			return appendInteger(b, v < 0, uint64(n))
		}
	}
	if out, ok := appendShortDecimal(b, v); ok {
		return out
	}
	if out, ok := appendExact(b, v); ok {
		return out
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendInteger writes n < 10^16 in decimal after a '-' if neg, as
// strconv.AppendInt does, by whole words into spare capacity.
func appendInteger(b []byte, neg bool, n uint64) []byte {
	if cap(b)-len(b) < 24 {
		b = slices.Grow(b, 24)
	}
	out := b[len(b) : len(b)+24]
	o := 0
	if neg {
		out[0] = '-'
		o = 1
	}
	const zeros = 0x3030303030303030 // "00000000"
	le := binary.LittleEndian
	if n < 1e8 {
		w := eightDigits(uint32(n))
		// Leading '0' digits are the low zero bytes; keep at least one.
		z := min(bits.TrailingZeros64(w^zeros)>>3, 7)
		le.PutUint64(out[o:], w>>(8*z))
		return b[:len(b)+o+8-z]
	}
	hi := n / 1e8
	w := eightDigits(uint32(hi)) // hi < 10^8, not zero
	z := bits.TrailingZeros64(w^zeros) >> 3
	le.PutUint64(out[o:], w>>(8*z))
	o += 8 - z
	le.PutUint64(out[o:], eightDigits(uint32(n-hi*1e8)))
	return b[:len(b)+o+8]
}

// exactPow10 holds the powers of ten a float64 represents exactly.
var exactPow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// decimalsFor is J(e), the most decimals appendShortDecimal may try for a
// value in [2^e, 2^(e+1)): the largest J <= 22 with 10^J <= 2^(50-e), so
// that 10^-J >= 4 ulp. Zero means no decimal grid is coarse enough (e > 46).
// floor(n·log10 2) = n·78913>>18 holds for 0 <= n <= 1650; the test checks
// the result against exact big-integer powers for every exponent.
func decimalsFor(e int) int {
	n := 50 - e
	if n < 4 {
		return 0
	}
	return min(n*78913>>18, 22)
}

// appendShortDecimal writes v, which is not an integer below 1e15, when its
// shortest round-trip form has at most J = decimalsFor(e) decimals, and
// reports false otherwise.
//
// Why the output is strconv's shortest form. Let a = |v| in [2^e, 2^(e+1)),
// u = 2^(e-52) its ulp, R the reals that round to a (width <= u, each side
// <= u/2; ends included iff the mantissa is even), and G the multiples of
// 10^-J. J is chosen so that 10^-J >= 4u > width of R:
//  1. R holds at most one point of G. If it holds P = K·10^-J, then K is
//     fl(a·10^J) rounded to an integer: |a·10^J - K| <= u·10^J/2 and the
//     product's rounding error is below ulp(a·10^J)/2 < u·10^J, so
//     fl(a·10^J) is within 3/8 of K. Also a·10^J < 2^53·u·10^J <= 2^51, so
//     adding 2^52 rounds it to an integer and every K is exact in a float64.
//  2. K and 10^J (J <= 22) are exact, so K/10^J is rounded once, correctly,
//     as ParseFloat rounds a decimal string: fl(K/10^J) == a iff P is in R.
//     Otherwise no decimal with <= J decimals reads back as a: the caller
//     goes on to appendExact.
//  3. Every decimal with fewer decimals (integers included) lies on G, so
//     P is the only one in R. strconv's digits are a decimal in R with the
//     fewest significant digits, and that is P without its trailing zeros:
//     a decimal q in R with more decimals than P has more digits unless R
//     straddles a power of ten 10^m; then 10^m is in R, within a relative
//     2^-52 of P >= 10^-J, so m >= -J, 10^m is on G and 10^m = P (1 digit).
//     Being the only one, P is also the closest to a (strconv's tie-break).
//
// J >= 1 needs e <= 46; a non-integer below 2^52 has no integer in R, so P
// has a non-zero decimal.
func appendShortDecimal(b []byte, v float64) ([]byte, bool) {
	biased := int(math.Float64bits(v)>>52) & 0x7ff
	if biased == 0 || biased == 0x7ff { // subnormal, Inf, NaN: rare, strconv
		return b, false
	}
	j := decimalsFor(biased - 1023)
	if j == 0 {
		return b, false
	}
	a := math.Abs(v)
	p := exactPow10[j]
	// float64() forces the rounding of each step (no fused operations).
	k := float64(float64(float64(a*p)+0x1p52) - 0x1p52)
	if float64(k/p) != a {
		return b, false
	}
	// The 16 digits of K (< 2^51 < 10^16) in buf[8:24] after 8 zeros, so
	// that K·10^-J reads buf[:mid] "." buf[mid:end] with at least one
	// integer digit. The words are little-endian, first digit in the low
	// byte: trailing zero bits count leading '0' digits and vice versa.
	const zeros = 0x3030303030303030 // "00000000"
	le := binary.LittleEndian
	var buf digitBuf
	n := uint64(k)
	hi := n / 1e8
	hw := eightDigits(uint32(hi))
	lw := eightDigits(uint32(n - hi*1e8))
	le.PutUint64(buf[0:], zeros)
	le.PutUint64(buf[8:], hw)
	le.PutUint64(buf[16:], lw)
	first := 8 + bits.TrailingZeros64(hw^zeros)>>3
	if first == 16 {
		first += bits.TrailingZeros64(lw^zeros) >> 3
	}
	end := 24 - bits.LeadingZeros64(lw^zeros)>>3
	if end == 16 {
		end -= bits.LeadingZeros64(hw^zeros) >> 3
	}
	mid := 24 - j
	if end <= mid { // an integer: unreachable by point 3; stay safe
		return b, false
	}
	return appendDigits(b, v < 0, &buf, first, end, mid-first-1), true
}

// digitBuf holds the digits appendDigits reads: '0's in the 8 bytes
// before the first digit and room to read 24 bytes past it by words.
type digitBuf [64]byte

// appendDigits writes -0.d1d2...·10^(x+1), the significant digits
// buf[first:end] (none of them trailing zeros) with the first at 10^x, in
// the layout of strconv's 'g' for shortest output: %e when x < -4 or
// x >= 6 (not 21, that is fmt's %v), with at least two exponent digits;
// %f otherwise. Whole words go into spare capacity and the bytes past the
// number are cut off again.
func appendDigits(b []byte, neg bool, buf *digitBuf, first, end, x int) []byte {
	if cap(b)-len(b) < 64 {
		b = slices.Grow(b, 64)
	}
	out := b[len(b) : len(b)+64]
	o := 0
	if neg {
		out[0] = '-'
		o = 1
	}
	le := binary.LittleEndian
	if x >= -4 && x < 6 {
		dp := first + x + 1 // the point goes before buf[dp]
		if dp >= end {      // an integer: digits and zeros
			le.PutUint64(out[o:], le.Uint64(buf[first:]))
			le.PutUint64(out[o+8:], le.Uint64(buf[first+8:]))
			le.PutUint64(out[o+16:], le.Uint64(buf[first+16:]))
			o += end - first
			for ; dp > end; dp-- {
				out[o] = '0'
				o++
			}
			return b[:len(b)+o]
		}
		start := min(first, dp-1) // "0" when the point comes first
		le.PutUint64(out[o:], le.Uint64(buf[start:]))
		o += dp - start
		out[o] = '.'
		o++
		le.PutUint64(out[o:], le.Uint64(buf[dp:]))
		le.PutUint64(out[o+8:], le.Uint64(buf[dp+8:]))
		le.PutUint64(out[o+16:], le.Uint64(buf[dp+16:]))
		return b[:len(b)+o+end-dp]
	}
	out[o] = buf[first]
	o++
	if end-first > 1 {
		out[o] = '.'
		o++
		le.PutUint64(out[o:], le.Uint64(buf[first+1:]))
		le.PutUint64(out[o+8:], le.Uint64(buf[first+9:]))
		le.PutUint64(out[o+16:], le.Uint64(buf[first+17:]))
		o += end - first - 1
	}
	out[o] = 'e'
	out[o+1] = '+'
	if x < 0 {
		out[o+1] = '-'
		x = -x
	}
	o += 2
	if x >= 100 { // past this package's paths; kept for form
		out[o] = byte('0' + x/100)
		o++
		x %= 100
	}
	out[o] = byte('0' + x/10)
	out[o+1] = byte('0' + x%10)
	return b[:len(b)+o+2]
}

// pow5 holds 5^0..5^27, the powers of five below 2^63.
var pow5 = [...]uint64{1, 5, 25, 125, 625, 3125, 15625, 78125, 390625,
	1953125, 9765625, 48828125, 244140625, 1220703125, 6103515625,
	30517578125, 152587890625, 762939453125, 3814697265625, 19073486328125,
	95367431640625, 476837158203125, 2384185791015625, 11920928955078125,
	59604644775390625, 298023223876953125, 1490116119384765625,
	7450580596923828125}

// pow10 holds 10^0..10^18.
var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// appendExact writes v in strconv's shortest 'g' form for normal |v| in
// [2^-36, 2^53), computing with exact integers, and reports false outside
// that range or on a tie it leaves to strconv.
//
// With a = m·2^(e-52) (m the 53-bit significand) and J the least j with
// 10^j >= 2^(53-e) (so 10^-J <= u/2, u = 2^(e-52) the ulp), every decimal
// in R (the reals that round to a) with the fewest significant digits is
// a multiple of 10^-J: R is wider than 10^-J, so it holds such a multiple,
// and a decimal of about the same size with more decimals has more digits.
// Scaled by 10^J·2^T, T = 54-J-e, the centre and ends of R are the
// integers 4m·5^J and 4m·5^J ± 2·5^J (the lower one ± 5^J when a is a
// power of two, whose lower neighbour is half as far); J <= 27 keeps 5^J
// below 2^63, and T is then 1..63. The integers K with K·2^T in R form
// [kmin, kmax] (ends included iff m is even, as for round-half-even);
// dividing both by 10 while a multiple of 10 remains finds the fewest
// digits, d·10^t. When several d remain (they have as many digits: a
// power of ten among them would allow t+1), strconv picks the one nearest
// the centre; an exact tie is left to strconv. kmax < 10^18 (a·10^J <
// 20·2^53) and d fits the 18 digits written.
func appendExact(b []byte, v float64) ([]byte, bool) {
	fb := math.Float64bits(v)
	biased := int(fb>>52) & 0x7ff
	e := biased - 1023
	if biased == 0 || e >= 53 { // subnormal, Inf, NaN, integers past 2^53
		return b, false
	}
	j := (53-e)*78913>>18 + 1 // ceil((53-e)·log10 2): 2^n is no power of 10
	if j > 27 {
		return b, false
	}
	frac := fb & (1<<52 - 1)
	m := frac | 1<<52
	t5 := pow5[j]
	sh := uint(54 - j - e)
	if sh < 1 || sh > 63 { // cannot happen for e in [-36, 52]; stay safe
		return b, false
	}
	// Centre c = 4m·5^J (< 2^118) and the ends, as 128-bit hi:lo.
	chi, clo := bits.Mul64(m, t5)
	chi, clo = chi<<2|clo>>62, clo<<2
	w := 2 * t5
	ulo, carry := bits.Add64(clo, w, 0)
	uhi := chi + carry
	wl := w
	if frac == 0 && biased > 1 {
		wl = t5
	}
	llo, borrow := bits.Sub64(clo, wl, 0)
	lhi := chi - borrow
	inclusive := m&1 == 0
	mask := uint64(1)<<sh - 1
	kmax := uhi<<(64-sh) | ulo>>sh
	if ulo&mask == 0 && !inclusive {
		kmax--
	}
	kmin := lhi<<(64-sh) | llo>>sh
	if llo&mask != 0 || !inclusive {
		kmin++
	}
	if kmin > kmax { // R is wider than 1 in these units; stay safe
		return b, false
	}
	// Whether [kmin, kmax] holds a multiple of 10^s only gets harder as s
	// grows, and ceil(ceil(k/10^s)/10^r) = ceil(k/10^(s+r)) (floor alike),
	// so trying s = 16, 8, 4, 2, 1 in turn finds the largest t (<= 18
	// since kmax < 10^18) with constant divisors. Most doubles that get
	// here need 17 digits (t = 0): one division by 10 settles those.
	t := 0
	if nmin, nmax := (kmin+9)/10, kmax/10; nmin <= nmax {
		if nmin, nmax := (kmin+1e16-1)/1e16, kmax/1e16; nmin <= nmax {
			kmin, kmax, t = nmin, nmax, t+16
		}
		if nmin, nmax := (kmin+1e8-1)/1e8, kmax/1e8; nmin <= nmax {
			kmin, kmax, t = nmin, nmax, t+8
		}
		if nmin, nmax := (kmin+1e4-1)/1e4, kmax/1e4; nmin <= nmax {
			kmin, kmax, t = nmin, nmax, t+4
		}
		if nmin, nmax := (kmin+99)/100, kmax/100; nmin <= nmax {
			kmin, kmax, t = nmin, nmax, t+2
		}
		if nmin, nmax := (kmin+9)/10, kmax/10; nmin <= nmax {
			kmin, kmax, t = nmin, nmax, t+1
		}
	}
	d := kmin
	if kmin < kmax {
		// The nearest to the centre c/(2^T·10^t) = q + (r + crem/2^T)/10^t.
		c := chi<<(64-sh) | clo>>sh
		crem := clo & mask
		q := c
		var up bool
		if t == 0 {
			half := uint64(1) << (sh - 1)
			if crem == half {
				return b, false
			}
			up = crem > half
		} else {
			var r uint64
			q, r = c/pow10[t], c%pow10[t]
			half := pow10[t] / 2
			if r == half && crem == 0 {
				return b, false
			}
			up = r >= half // equal with crem > 0: just past half
		}
		if up {
			q++
		}
		d = min(max(q, kmin), kmax)
	}
	// The digits of d (< 2^58 < 10^18) in buf[8:32] after 8 zeros; d
	// ends in a non-zero digit, or t was not the largest.
	const zeros = 0x3030303030303030 // "00000000"
	le := binary.LittleEndian
	var buf digitBuf
	top, rest := d/1e16, d%1e16
	mid := rest / 1e8
	w0 := eightDigits(uint32(top))
	w1 := eightDigits(uint32(mid))
	w2 := eightDigits(uint32(rest - mid*1e8))
	le.PutUint64(buf[0:], zeros)
	le.PutUint64(buf[8:], w0)
	le.PutUint64(buf[16:], w1)
	le.PutUint64(buf[24:], w2)
	first := 8 + bits.TrailingZeros64(w0^zeros)>>3
	if first == 16 {
		first += bits.TrailingZeros64(w1^zeros) >> 3
		if first == 24 {
			first += bits.TrailingZeros64(w2^zeros) >> 3
		}
	}
	end := 32
	return appendDigits(b, v < 0, &buf, first, end, end-first-1+t-j), true
}

// eightDigits returns the 8 decimal digits of n < 10^8 in ASCII, the first
// digit in the low byte, by splitting all lanes of a word at once: 4+4
// digits in 32-bit lanes, 2+2 in 16-bit lanes, 1+1 in bytes. Each lane's
// quotient is a multiply and shift exact for the lane's range (v*10486>>20
// = v/100 for v < 10^4; v*103>>10 = v/10 for v < 100), and no product
// spills into the next lane.
func eightDigits(n uint32) uint64 {
	x := uint64(n/10000) | uint64(n%10000)<<32
	q := (x * 10486 >> 20) & 0x0000007f0000007f
	x = q | (x-q*100)<<16
	q = (x * 103 >> 10) & 0x000f000f000f000f
	x = q | (x-q*10)<<8
	return x | 0x3030303030303030
}

// AppendField appends s as one CSV field, quoted when it holds a comma,
// quote or line break, or starts with white space.
func AppendField(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
