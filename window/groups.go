package window

import (
	"math"
	"slices"
)

// DefaultGroupBudget bounds the exact entries (group members, plus one per
// group) a grouping holds in one window before it samples groups.
const DefaultGroupBudget = 1 << 16

// GroupStats summarises the sizes of the groups of one grouping in a
// window: max, mean and percentiles (numpy's linear interpolation).
type GroupStats struct {
	Max, Mean, P25, P50, P75, P90 float64
	// SampleRate is the share of groups the figures are computed over: 1
	// when every group was kept, 2^-k once the memory budget made the
	// grouping keep only groups whose key hash starts with k zero bits.
	// Below 1, the mean and percentiles are computed over the sample and
	// estimate those over all groups; Max is the largest group kept (the
	// sample plus the largest groups when sampling began), a lower bound.
	SampleRate float64
	// Exact is set when every sampled group was counted exactly.
	Exact bool
}

type group struct {
	d distinct
	n uint64
}

// protectedGroups is how many of the largest groups a grouping keeps when
// it samples, so a flood's victim or a scanner is not sampled away.
const protectedGroups = 8

// grouping tracks group sizes: distinct members per group, or flows per
// group when counting. Groups are sampled by key hash (the same groups
// stay in the sample as it shrinks, so a kept group's size is complete).
type grouping struct {
	counting bool
	groups   map[uint64]*group
	level    uint
	cost     int
	budget   int
	// limit is the exact members a group holds; below the budget, so one
	// huge group turns into a sketch before it could fill the budget.
	limit int
}

func newGrouping(counting bool, budget, limit int) grouping {
	return grouping{counting: counting, groups: make(map[uint64]*group), budget: budget, limit: min(limit, max(budget/4, 1))}
}

// sampled says whether a group key is in the hash sample.
func (g *grouping) sampled(key uint64) bool { return g.level == 0 || key>>(64-g.level) == 0 }

// size is a group's size, a sketch's counted by the exact count it
// started from (cheap, for ranking).
func (g *grouping) size(grp *group) int {
	switch {
	case g.counting:
		return int(min(grp.n, 1<<62))
	case grp.d.hll != nil:
		return grp.d.floor
	}
	return grp.d.cost()
}

func (g *grouping) add(key, member uint64) {
	grp := g.groups[key]
	if grp == nil {
		if !g.sampled(key) {
			return
		}
		grp = &group{}
		g.groups[key] = grp
		g.cost++
	}
	if g.counting {
		grp.n++
	} else {
		g.cost += grp.d.add(member, g.limit)
	}
	if g.cost > g.budget {
		g.shrink()
	}
}

// shrink halves the sample until the grouping fits its budget, keeping
// the largest groups whatever their hash.
func (g *grouping) shrink() {
	var top [protectedGroups]uint64
	var topSize [protectedGroups]int
	n := 0
	for k, grp := range g.groups {
		sz := g.size(grp)
		if n < protectedGroups {
			top[n], topSize[n] = k, sz
			n++
			continue
		}
		least := 0
		for i := 1; i < n; i++ {
			if topSize[i] < topSize[least] {
				least = i
			}
		}
		if sz > topSize[least] {
			top[least], topSize[least] = k, sz
		}
	}
	keep := top[:n]
	for g.cost > g.budget && g.level < 63 {
		g.level++
		for k, grp := range g.groups {
			if !g.sampled(k) && !slices.Contains(keep, k) {
				g.cost -= grp.d.cost() + 1
				delete(g.groups, k)
			}
		}
	}
}

// stats computes the figures: max over every group kept, the rest over
// the hash sample alone so they stay unbiased.
func (g *grouping) stats(scratch []float64) (GroupStats, []float64) {
	s := GroupStats{SampleRate: math.Ldexp(1, -int(g.level)), Exact: true}
	sizes := scratch[:0]
	for k, grp := range g.groups {
		n := float64(grp.n)
		if !g.counting {
			var exact bool
			n, exact = grp.d.count()
			n = math.Round(n)
			s.Exact = s.Exact && exact
		}
		s.Max = max(s.Max, n)
		if g.sampled(k) {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return s, sizes
	}
	slices.Sort(sizes)
	sum := 0.0
	for _, v := range sizes {
		sum += v
	}
	s.Mean = sum / float64(len(sizes))
	s.P25 = Percentile(sizes, 0.25)
	s.P50 = Percentile(sizes, 0.50)
	s.P75 = Percentile(sizes, 0.75)
	s.P90 = Percentile(sizes, 0.90)
	return s, sizes
}

// Percentile returns the q-quantile (0..1) of sorted values with linear
// interpolation between the closest ranks, as numpy.percentile does by
// default; 0 for no values.
func Percentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, n-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}
