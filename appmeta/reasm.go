package appmeta

// MaxBuffer is the most payload bytes kept per direction while a message is
// incomplete; a direction whose message needs more gives up.
const MaxBuffer = 16 << 10

// maxHoles bounds the disjoint byte ranges a buffer tracks; a direction
// with more out-of-order fragments than that gives up rather than grow.
const maxHoles = 8

type span struct{ lo, hi int32 }

// reasm places the first bytes of one TCP direction by sequence number.
// Offsets are relative to base, the lowest sequence number seen; overlapping
// bytes keep their first copy, as most end hosts do.
type reasm struct {
	base uint32
	buf  []byte
	rs   [maxHoles]span // sorted, disjoint, non-adjacent
	n    int
}

// seqDiff is a-b in sequence space, valid while the two are within 2 GiB.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// init starts the buffer with its first segment, copying at most MaxBuffer
// bytes.
func (r *reasm) init(seq uint32, p []byte) {
	r.base = seq
	r.n = 0
	r.buf = r.buf[:0]
	r.add(seq, p)
}

// add places p at seq. It reports false when the segment cannot be kept
// (too many holes, or it starts too far before base): the caller gives up.
func (r *reasm) add(seq uint32, p []byte) bool {
	if len(p) == 0 {
		return true
	}
	off := seqDiff(seq, r.base)
	if off < 0 {
		// Data before everything seen so far: the first segment arrived
		// late. Shift the buffer to make room if it fits.
		shift := -off
		if int(shift) >= MaxBuffer {
			return true // far in the past: an old retransmission, not ours
		}
		if !r.shift(shift) {
			return false
		}
		off = 0
		r.base = seq
	}
	if int(off) >= MaxBuffer {
		return true // beyond what could matter
	}
	end := off + int32(len(p))
	if end > MaxBuffer {
		end = MaxBuffer
		p = p[:end-off]
	}
	if int(end) > len(r.buf) {
		if int(end) > cap(r.buf) {
			c := 2 * cap(r.buf)
			if c < 2048 {
				c = 2048
			}
			for c < int(end) {
				c *= 2
			}
			if c > MaxBuffer {
				c = MaxBuffer
			}
			nb := make([]byte, len(r.buf), c)
			copy(nb, r.buf)
			r.buf = nb
		}
		r.buf = r.buf[:end]
	}
	// Copy only into the gaps so earlier bytes win.
	lo := off
	for i := 0; i < r.n && lo < end; i++ {
		s := r.rs[i]
		if s.hi <= lo {
			continue
		}
		if s.lo >= end {
			break
		}
		if s.lo > lo {
			copy(r.buf[lo:s.lo], p[lo-off:s.lo-off])
		}
		lo = s.hi
	}
	if lo < end {
		copy(r.buf[lo:end], p[lo-off:])
	}
	return r.insert(span{off, end})
}

// insert merges s into the sorted range list.
func (r *reasm) insert(s span) bool {
	var out [maxHoles + 1]span
	k := 0
	placed := false
	for i := 0; i < r.n; i++ {
		c := r.rs[i]
		switch {
		case c.hi < s.lo:
			out[k] = c
			k++
		case c.lo > s.hi:
			if !placed {
				out[k] = s
				k++
				placed = true
			}
			out[k] = c
			k++
		default: // overlapping or adjacent: merge into s
			if c.lo < s.lo {
				s.lo = c.lo
			}
			if c.hi > s.hi {
				s.hi = c.hi
			}
		}
		if k > maxHoles {
			return false
		}
	}
	if !placed {
		if k >= maxHoles+1 {
			return false
		}
		out[k] = s
		k++
	}
	if k > maxHoles {
		return false
	}
	copy(r.rs[:], out[:k])
	r.n = k
	return true
}

// shift moves everything d bytes later, dropping nothing: it fails when the
// result would not fit in MaxBuffer.
func (r *reasm) shift(d int32) bool {
	if int(d)+len(r.buf) > MaxBuffer {
		return false
	}
	old := len(r.buf)
	need := old + int(d)
	if need > cap(r.buf) {
		c := 2048
		for c < need {
			c *= 2
		}
		if c > MaxBuffer {
			c = MaxBuffer
		}
		nb := make([]byte, need, c)
		copy(nb[d:], r.buf)
		r.buf = nb
	} else {
		r.buf = r.buf[:need]
		copy(r.buf[d:], r.buf[:old])
	}
	for i := 0; i < r.n; i++ {
		r.rs[i].lo += d
		r.rs[i].hi += d
	}
	return true
}

// prefix returns the bytes contiguous from base.
func (r *reasm) prefix() []byte {
	if r.n == 0 || r.rs[0].lo != 0 {
		return nil
	}
	return r.buf[:r.rs[0].hi]
}

// full reports whether the contiguous prefix has reached the cap, so no
// more bytes can ever complete a message.
func (r *reasm) full() bool {
	return r.n > 0 && r.rs[0].lo == 0 && int(r.rs[0].hi) >= MaxBuffer
}
