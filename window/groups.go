package window

import (
	"math"
	"slices"
)

// DefaultGroupBudget bounds the exact entries (group members, plus one per
// group) a grouping holds in one window before it samples groups.
const DefaultGroupBudget = 1 << 18

// GroupStats summarises the sizes of the groups of one grouping in a
// window: max, mean and percentiles (numpy's linear interpolation).
type GroupStats struct {
	Max, Mean, P25, P50, P75, P90 float64
	// SampleRate is the share of groups the figures are computed over: 1
	// when every group was kept, 2^-k once the memory budget made the
	// grouping keep only groups whose key hash starts with k zero bits.
	// Below 1, Max is the largest sampled group (a lower bound) and the
	// others estimate the figures over all groups.
	SampleRate float64
	// Exact is set when every sampled group was counted exactly.
	Exact bool
}

type group struct {
	d distinct
	n uint64
}

// grouping tracks group sizes: distinct members per group, or flows per
// group when counting. Groups are sampled by key hash (the same groups
// stay in the sample as it shrinks, so a kept group's size is complete).
type grouping struct {
	counting bool
	groups   map[uint64]*group
	level    uint
	cost     int
	budget   int
	limit    int
}

func newGrouping(counting bool, budget, limit int) grouping {
	return grouping{counting: counting, groups: make(map[uint64]*group), budget: budget, limit: limit}
}

func (g *grouping) add(key, member uint64) {
	if g.level > 0 && key>>(64-g.level) != 0 {
		return
	}
	grp := g.groups[key]
	if grp == nil {
		grp = &group{}
		g.groups[key] = grp
		g.cost++
	}
	if g.counting {
		grp.n++
	} else {
		g.cost += grp.d.add(member, g.limit)
	}
	for g.cost > g.budget && g.level < 63 {
		g.level++
		for k, grp := range g.groups {
			if k>>(64-g.level) != 0 {
				g.cost -= grp.d.cost() + 1
				delete(g.groups, k)
			}
		}
	}
}

func (g *grouping) stats(scratch []float64) (GroupStats, []float64) {
	s := GroupStats{SampleRate: math.Ldexp(1, -int(g.level)), Exact: true}
	sizes := scratch[:0]
	for _, grp := range g.groups {
		if g.counting {
			sizes = append(sizes, float64(grp.n))
			continue
		}
		n, exact := grp.d.count()
		sizes = append(sizes, math.Round(n))
		s.Exact = s.Exact && exact
	}
	if len(sizes) == 0 {
		return s, sizes
	}
	slices.Sort(sizes)
	sum := 0.0
	for _, v := range sizes {
		sum += v
	}
	s.Max = sizes[len(sizes)-1]
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
