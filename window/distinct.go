package window

// DefaultExactLimit is how many distinct values a counter holds exactly
// before it switches to a HyperLogLog sketch.
const DefaultExactLimit = 1 << 16

// hllCost is what a sketch counts as against a grouping's memory budget,
// in exact entries (16 KiB at roughly 40 bytes a map entry).
const hllCost = 400

// smallSet is how many values a counter keeps in a slice before it needs
// a map: most groups in a window have one or two members.
const smallSet = 8

// distinct counts distinct 64-bit hashes: exactly up to limit values,
// then with a HyperLogLog sketch. Values are hashes, so "exact" means up to
// 64-bit hash collisions (probability below 1e-9 at 65,536 values).
type distinct struct {
	small []uint64
	set   map[uint64]struct{}
	hll   *hll
	floor int // exact count when the sketch took over
}

// add counts x and returns the change in exact entries held, for budgets.
func (d *distinct) add(x uint64, limit int) int {
	if d.hll != nil {
		d.hll.add(x)
		return 0
	}
	if d.set == nil {
		for _, v := range d.small {
			if v == x {
				return 0
			}
		}
		if len(d.small) < smallSet {
			d.small = append(d.small, x)
			return 1
		}
		d.set = make(map[uint64]struct{}, 2*smallSet)
		for _, v := range d.small {
			d.set[v] = struct{}{}
		}
		d.small = nil
	}
	if _, ok := d.set[x]; ok {
		return 0
	}
	d.set[x] = struct{}{}
	if len(d.set) <= limit {
		return 1
	}
	d.hll = new(hll)
	for v := range d.set {
		d.hll.add(v)
	}
	d.floor = len(d.set)
	held := len(d.set) - 1
	d.set = nil
	return hllCost - held
}

// count returns the number of distinct values and whether it is exact. A
// sketch's estimate never goes below the exact count it started from.
func (d *distinct) count() (float64, bool) {
	switch {
	case d.hll != nil:
		return max(d.hll.estimate(), float64(d.floor)), false
	case d.set != nil:
		return float64(len(d.set)), true
	}
	return float64(len(d.small)), true
}

// cost is what d holds, in exact entries.
func (d *distinct) cost() int {
	switch {
	case d.hll != nil:
		return hllCost
	case d.set != nil:
		return len(d.set)
	}
	return len(d.small)
}
