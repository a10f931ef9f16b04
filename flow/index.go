package flow

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// index maps a flow key to its slot in the table's slab. It replaces a Go
// map[Key]int32 on the per-packet path: open addressing with linear
// probing over a power-of-two array of 8-byte buckets, holding a 32-bit
// hash tag and the slot, never the key. The key is compared, in the slab,
// only when the tags match, and the packet touches that flow record next
// anyway. Deletion shifts the following entries back, so there are no
// tombstones and probe lengths do not creep up as flows come and go.
type index struct {
	buckets []bucket
	shift   uint8 // 32 - log2(len(buckets)): the tag's top bits are the home bucket
	n       int   // entries
	limit   int   // grow past this many entries (half the buckets)
	seed    [8]uint64
}

// bucket is empty when slot1 is 0.
type bucket struct {
	tag   uint32 // high half of the key's hash
	slot1 int32  // slot + 1
}

// minBuckets keeps shift below 32 and the probe arithmetic simple.
const minBuckets = 16

// newIndex returns an index sized for hint entries without growing. Its
// hash seed is random, so a flood crafted against one process does not
// collide in another.
func newIndex(hint int) index {
	x := index{}
	for i := range x.seed {
		x.seed[i] = rand.Uint64() | 1
	}
	x.alloc(bucketsFor(hint))
	return x
}

// bucketsFor is the power of two that keeps n entries at most half full.
func bucketsFor(n int) int {
	b := minBuckets
	for b/2 < n && b < 1<<30 {
		b <<= 1
	}
	return b
}

func (x *index) alloc(nb int) {
	x.buckets = make([]bucket, nb)
	x.shift = uint8(32 - bits.TrailingZeros(uint(nb)))
	x.limit = nb / 2
}

// mix is the folded 128-bit product (the multiply-xor of wyhash and
// mum-hash): every input bit reaches the high half of the result.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// tag hashes k's 44 bytes as six words, seeded, and keeps the high 32 bits.
// Each address is one multiply of its two halves, so a source flood (one
// address varies) and a port scan (only the ports word varies) both change
// a full-width product; the final multiply spreads that over the top bits,
// which pick the home bucket.
func (x *index) tag(k *Key) uint32 {
	s := &x.seed
	w := portsWord(k)
	h := mix(binary.LittleEndian.Uint64(k.A[:8])^s[0], binary.LittleEndian.Uint64(k.A[8:])^s[1])
	h ^= mix(binary.LittleEndian.Uint64(k.B[:8])^s[2], binary.LittleEndian.Uint64(k.B[8:])^s[3])
	h ^= mix(w^s[4], uint64(k.ICMP)^s[5])
	return uint32(mix(h^s[6], s[7]) >> 32)
}

// sameKey is k == o without the runtime.memequal call the compiler emits
// for a 44-byte struct: five word compares, no branch until the end.
func sameKey(k, o *Key) bool {
	le := binary.LittleEndian
	d := le.Uint64(k.A[:8]) ^ le.Uint64(o.A[:8]) | le.Uint64(k.A[8:]) ^ le.Uint64(o.A[8:]) |
		le.Uint64(k.B[:8]) ^ le.Uint64(o.B[:8]) | le.Uint64(k.B[8:]) ^ le.Uint64(o.B[8:]) |
		portsWord(k) ^ portsWord(o) | uint64(k.ICMP^o.ICMP)
	return d == 0
}

// portsWord packs the key's fields after the addresses into one word.
func portsWord(k *Key) uint64 {
	return uint64(k.PortA) | uint64(k.PortB)<<16 | uint64(k.Proto)<<32 | uint64(k.IPVersion)<<40 | uint64(k.VLAN)<<48
}

// find returns the slot of the flow with key k and tag h, or -1.
func (x *index) find(flows []Flow, k *Key, h uint32) int32 {
	b := x.buckets
	mask := uint32(len(b) - 1)
	for i := h >> x.shift; ; i = (i + 1) & mask {
		e := b[i]
		if e.slot1 == 0 {
			return -1
		}
		if e.tag == h && sameKey(&flows[e.slot1-1].Key, k) {
			return e.slot1 - 1
		}
	}
}

// insert adds slot under tag h; the key must not be present.
func (x *index) insert(h uint32, slot int32) {
	if x.n >= x.limit {
		x.grow()
	}
	x.place(bucket{h, slot + 1})
	x.n++
}

func (x *index) place(e bucket) {
	b := x.buckets
	mask := uint32(len(b) - 1)
	i := e.tag >> x.shift
	for b[i].slot1 != 0 {
		i = (i + 1) & mask
	}
	b[i] = e
}

// grow doubles the buckets. The tags carry the home bucket at any size,
// so no key is read or rehashed.
func (x *index) grow() {
	old := x.buckets
	x.alloc(2 * len(old))
	for _, e := range old {
		if e.slot1 != 0 {
			x.place(e)
		}
	}
}

// remove deletes slot, stored under tag h, and shifts back the entries
// after it that may move closer to their home bucket.
func (x *index) remove(h uint32, slot int32) {
	b := x.buckets
	mask := uint32(len(b) - 1)
	hole := h >> x.shift
	for b[hole].slot1 != slot+1 {
		if b[hole].slot1 == 0 {
			return // not present: nothing to do, and no endless loop
		}
		hole = (hole + 1) & mask
	}
	for j := (hole + 1) & mask; b[j].slot1 != 0; j = (j + 1) & mask {
		// The entry at j may fill the hole unless its home lies after the
		// hole, in (hole, j].
		if (j-b[j].tag>>x.shift)&mask >= (j-hole)&mask {
			b[hole] = b[j]
			hole = j
		}
	}
	b[hole] = bucket{}
	x.n--
}

// probes returns the longest and the mean number of buckets a lookup of a
// present key reads, and the longest run of occupied buckets (what a
// lookup of an absent key may read).
func (x *index) probes() (longest int, mean float64, run int) {
	b := x.buckets
	mask := uint32(len(b) - 1)
	total, cur := 0, 0
	for i, e := range b {
		if e.slot1 == 0 {
			cur = 0
			continue
		}
		cur++
		run = max(run, cur)
		d := int((uint32(i)-e.tag>>x.shift)&mask) + 1
		longest = max(longest, d)
		total += d
	}
	// A run that wraps past the end continues at the start.
	if cur > 0 {
		for _, e := range b {
			if e.slot1 == 0 {
				break
			}
			cur++
		}
		run = max(run, min(cur, len(b)))
	}
	if x.n > 0 {
		mean = float64(total) / float64(x.n)
	}
	return longest, mean, run
}
