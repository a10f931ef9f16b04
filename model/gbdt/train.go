package gbdt

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// ErrSingleClass is returned when the training labels (with positive
// weight) are all 0 or all 1.
var ErrSingleClass = errors.New("gbdt: training labels hold a single class")

// minGainFloor keeps float noise from passing for a useful split (XGBoost
// uses the same floor, kRtEps).
const minGainFloor = 1e-6

// maxWeight bounds a row's effective weight (float32 gradients).
const maxWeight = 1e30

// leafState is a leaf of the tree being grown.
type leafState struct {
	start, end int // rows idx[start:end]
	sum        nodeSum
	depth      int
	hist       []histEntry // nil once no longer needed
	cnt        []int64     // row counts per bin, only with MinSamplesLeaf > 1
	best       split
	parent     int32 // internal node pointing here, -1 for the root
	isLeft     bool
}

type trainer struct {
	p       Params
	ru      splitRules
	threads int

	n, nf   int
	bm      *binMapper
	bins    []uint8 // column-major: bins[f*n+r]
	off     []int   // histogram offset of each feature
	histLen int

	gh       []gpair
	f        []float64 // raw scores of the training rows
	y, w     []float64 // w includes ScalePosWeight
	idx      []int32
	scratch  []int32
	og       []gpair
	inBag    []bool
	rng      *rand.Rand
	featPerm []int
	active   []int
	pool     [][]histEntry
	cpool    [][]int64
	counts   bool    // build count histograms (MinSamplesLeaf > 1)
	perFeat  []split // scratch for per-feature results, 2 per feature

	lastLeaves  []leafState  // leaves of the tree just grown, for applyTree
	laneScratch [][]laneHist // per worker, histGroup lane histograms
}

// Train fits an ensemble on d. valid, if not nil, is scored after every
// round; with p.EarlyStoppingRounds > 0 training stops once p.EvalMetric has
// not improved for that many rounds and the ensemble is cut back to the best
// round.
func Train(d *Dataset, p Params, valid *Dataset) (*Ensemble, error) {
	e, _, err := train(d, p, valid)
	return e, err
}

// train also returns the final raw training scores, which tests compare
// with the scores the written model gives.
func train(d *Dataset, p Params, valid *Dataset) (*Ensemble, []float64, error) {
	if err := p.validate(); err != nil {
		return nil, nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, nil, fmt.Errorf("training set: %w", err)
	}
	if valid != nil {
		if err := valid.Validate(); err != nil {
			return nil, nil, fmt.Errorf("validation set: %w", err)
		}
		if valid.NCols != d.NCols {
			return nil, nil, fmt.Errorf("gbdt: validation set has %d columns, training set %d", valid.NCols, d.NCols)
		}
	}
	t := &trainer{p: p, threads: p.threads(), n: d.NRows, nf: d.NCols}
	t.ru = splitRules{
		lambda:         p.Lambda,
		minGain:        max(p.MinSplitGain, minGainFloor),
		minChildWeight: p.MinChildWeight,
		minSamples:     int64(p.MinSamplesLeaf),
	}
	// Effective weights and the initial score: log-odds of the weighted
	// positive rate, which is where the loss is minimal with no trees.
	t.y = d.Y
	t.w = make([]float64, t.n)
	var wPos, wNeg float64
	for r := range t.w {
		w := d.weight(r)
		if d.Y[r] == 1 {
			w *= p.ScalePosWeight
			wPos += w
		} else {
			wNeg += w
		}
		t.w[r] = w
	}
	if maxW := slices.Max(t.w); maxW > maxWeight {
		// Gradient pairs are float32: keep g and h far from overflow.
		return nil, nil, fmt.Errorf("gbdt: effective row weight %v (weight times ScalePosWeight) exceeds %g", maxW, maxWeight)
	}
	if !(wPos > 0) || !(wNeg > 0) {
		return nil, nil, ErrSingleClass
	}
	if math.IsInf(wPos, 0) || math.IsInf(wNeg, 0) {
		return nil, nil, fmt.Errorf("gbdt: class weights overflow (ScalePosWeight=%v)", p.ScalePosWeight)
	}
	base := math.Log(wPos / wNeg)
	if valid != nil && p.EvalMetric == AUC {
		var pos, neg bool
		for _, v := range valid.Y {
			pos = pos || v == 1
			neg = neg || v == 0
		}
		if !pos || !neg {
			return nil, nil, fmt.Errorf("gbdt: validation labels hold a single class, AUC is undefined")
		}
	}

	t.bm = newBinMapper(d, &p, t.threads)
	t.bins = t.bm.binMatrix(d, t.threads)
	t.off = make([]int, t.nf+1)
	for f := 0; f < t.nf; f++ {
		t.off[f+1] = t.off[f] + t.bm.nbins[f] + 1
	}
	t.histLen = t.off[t.nf] + 256 // room to view any feature's counts as [256]int64
	t.counts = p.MinSamplesLeaf > 1

	t.gh = make([]gpair, t.n)
	t.f = make([]float64, t.n)
	for r := range t.f {
		t.f[r] = base
	}
	t.idx = make([]int32, t.n)
	t.scratch = make([]int32, t.n)
	t.og = make([]gpair, t.n)
	t.inBag = make([]bool, t.n)
	t.rng = rand.New(rand.NewPCG(p.Seed, 0x74726565))
	t.featPerm = make([]int, t.nf)
	for i := range t.featPerm {
		t.featPerm[i] = i
	}
	t.perFeat = make([]split, 2*t.nf)
	t.laneScratch = make([][]laneHist, t.threads)
	for w := range t.laneScratch {
		t.laneScratch[w] = make([]laneHist, histGroup)
	}

	ens := &Ensemble{
		nFeatures:  t.nf,
		featureMin: t.bm.minVal,
		featureMax: t.bm.maxVal,
		params:     p,
		baseScore:  base,
	}
	var validF []float64
	if valid != nil {
		validF = make([]float64, valid.NRows)
	}
	bestScore := math.Inf(1)
	bestRound := -1
	for round := 0; round < p.NumRounds; round++ {
		t.gradients()
		tr := t.growTree()
		t.applyTree(tr)
		if round == 0 {
			// Fold the initial score into the first tree like LightGBM;
			// base+v is the same addition applyTree made, so the training
			// scores stay equal to what the model predicts.
			for i := range tr.leafValue {
				tr.leafValue[i] = base + tr.leafValue[i]
			}
			for i := range tr.internalValue {
				tr.internalValue[i] = base + tr.internalValue[i]
			}
		}
		ens.trees = append(ens.trees, tr)
		if valid == nil {
			continue
		}
		parallelFor((valid.NRows+1023)/1024, t.threads, func(b int) {
			for r := b * 1024; r < min((b+1)*1024, valid.NRows); r++ {
				validF[r] += tr.predict(valid.row(r))
			}
		})
		score := evalMetric(p.EvalMetric, validF, valid)
		ens.EvalHistory = append(ens.EvalHistory, score)
		if p.EvalMetric == AUC {
			score = -score
		}
		if score < bestScore {
			bestScore, bestRound = score, round
		}
		if p.EarlyStoppingRounds > 0 && round-bestRound >= p.EarlyStoppingRounds {
			break
		}
	}
	ens.BestIteration = len(ens.trees) - 1
	if valid != nil && p.EarlyStoppingRounds > 0 && bestRound >= 0 {
		ens.BestIteration = bestRound
		if len(ens.trees) > bestRound+1 {
			// The dropped trees are already in t.f; recompute the scores
			// tests compare against.
			ens.trees = ens.trees[:bestRound+1]
			t.f = nil
		}
	}
	return ens, t.f, nil
}

func evalMetric(m Metric, raw []float64, d *Dataset) float64 {
	if m == AUC {
		return aucScores(raw, d.Y)
	}
	return logLossRaw(raw, d)
}

// gradients computes the logistic-loss gradient pairs from the current scores.
func (t *trainer) gradients() {
	parallelFor((t.n+4095)/4096, t.threads, func(b int) {
		for r := b * 4096; r < min((b+1)*4096, t.n); r++ {
			pr := sigmoid(t.f[r])
			w := t.w[r]
			t.gh[r] = gpair{float32((pr - t.y[r]) * w), float32(max(pr*(1-pr), 1e-16) * w)}
		}
	})
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func (t *trainer) getHist() []histEntry {
	if k := len(t.pool); k > 0 {
		h := t.pool[k-1]
		t.pool = t.pool[:k-1]
		return h
	}
	return make([]histEntry, t.histLen)
}

func (t *trainer) putHist(h []histEntry) {
	if h != nil {
		t.pool = append(t.pool, h)
	}
}

func (t *trainer) getCnt() []int64 {
	if !t.counts {
		return nil
	}
	if k := len(t.cpool); k > 0 {
		c := t.cpool[k-1]
		t.cpool = t.cpool[:k-1]
		return c
	}
	return make([]int64, t.histLen)
}

func (t *trainer) putCnt(c []int64) {
	if c != nil {
		t.cpool = append(t.cpool, c)
	}
}

func (t *trainer) release(l *leafState) {
	t.putHist(l.hist)
	t.putCnt(l.cnt)
	l.hist, l.cnt = nil, nil
}

func (t *trainer) featCnt(c []int64, f int) *[256]int64 {
	return (*[256]int64)(c[t.off[f] : t.off[f]+256])
}

// cntOf returns feature f's count histogram, nil when counts are off.
func (t *trainer) cntOf(c []int64, f int) []int64 {
	if c == nil {
		return nil
	}
	return c[t.off[f] : t.off[f]+t.bm.nbins[f]+1]
}

func (t *trainer) canSplit(l *leafState) bool {
	p := &t.p
	return (p.MaxDepth == 0 || l.depth < p.MaxDepth) &&
		l.sum.n >= 2*t.ru.minSamples && l.sum.h >= 2*t.ru.minChildWeight
}

// sampleTree draws this tree's rows (Bernoulli, like XGBoost's subsample)
// and features. It returns the number of in-bag rows, which fill idx[:k].
func (t *trainer) sampleTree() int {
	k := 0
	if t.p.Subsample < 1 {
		for r := 0; r < t.n; r++ {
			in := t.rng.Float64() < t.p.Subsample
			t.inBag[r] = in
			if in {
				t.idx[k] = int32(r)
				k++
			}
		}
	}
	if k == 0 {
		for r := 0; r < t.n; r++ {
			t.idx[r] = int32(r)
			t.inBag[r] = true
		}
		k = t.n
	}
	nf := t.nf
	if t.p.ColSampleByTree < 1 {
		nf = max(1, int(math.Round(float64(t.nf)*t.p.ColSampleByTree)))
		for i := 0; i < nf; i++ {
			j := i + t.rng.IntN(t.nf-i)
			t.featPerm[i], t.featPerm[j] = t.featPerm[j], t.featPerm[i]
		}
	}
	t.active = append(t.active[:0], t.featPerm[:nf]...)
	slices.Sort(t.active)
	return k
}

func (t *trainer) leafValue(s nodeSum) float64 {
	if s.h+t.p.Lambda <= 0 {
		return 0
	}
	return -s.g / (s.h + t.p.Lambda) * t.p.LearningRate
}

func (t *trainer) growTree() *tree {
	k := t.sampleTree()
	full := k == t.n
	var sum nodeSum
	for _, r := range t.idx[:k] {
		sum.g += float64(t.gh[r].g)
		sum.h += float64(t.gh[r].h)
	}
	sum.n = int64(k)
	root := leafState{start: 0, end: k, sum: sum, parent: -1, best: noSplit}
	leaves := []leafState{root}
	if t.canSplit(&leaves[0]) {
		h, c := t.getHist(), t.getCnt()
		if !full {
			t.gather(0, k)
		}
		var idx []int32
		var og []gpair
		if !full {
			idx, og = t.idx[:k], t.og[:k]
		}
		t.buildHists(h, c, idx, og, func(i, f int) {
			o, nb := t.off[f], t.bm.nbins[f]
			t.perFeat[2*i] = bestSplit(f, h[o:o+nb+1], t.cntOf(c, f), nb, sum, &t.ru)
		})
		leaves[0].hist, leaves[0].cnt = h, c
		leaves[0].best = t.reduceBest(0)
	}

	tr := &tree{shrinkage: t.p.LearningRate}
	for t.p.MaxLeaves == 0 || len(leaves) < t.p.MaxLeaves {
		li := -1
		for i := range leaves {
			if leaves[i].best.feature >= 0 && (li < 0 || leaves[i].best.gain > leaves[li].best.gain) {
				li = i
			}
		}
		if li < 0 {
			break
		}
		leaves = t.splitLeaf(tr, leaves, li)
	}
	for i := range leaves {
		l := &leaves[i]
		t.release(l)
		tr.leafValue = append(tr.leafValue, t.leafValue(l.sum))
		tr.leafHess = append(tr.leafHess, l.sum.h)
		tr.leafCount = append(tr.leafCount, l.sum.n)
		tr.leafDepth = append(tr.leafDepth, int32(l.depth))
	}
	t.lastLeaves = leaves
	return tr
}

// gather copies the gradient pairs of rows idx[start:end] into og[start:end]
// so histogram building reads them sequentially.
func (t *trainer) gather(start, end int) {
	og := t.og[start:end]
	for i, r := range t.idx[start:end] {
		og[i] = t.gh[r]
	}
}

// reduceBest picks the best per-feature result in feature order; the
// strict comparison makes ties go to the lowest feature.
func (t *trainer) reduceBest(slot int) split {
	best := noSplit
	for i := range t.active {
		s := t.perFeat[2*i+slot]
		if s.feature >= 0 && (best.feature < 0 || s.gain > best.gain) {
			best = s
		}
	}
	return best
}

// partition reorders idx[start:end] stably so rows going left come first
// and returns the boundary.
func (t *trainer) partition(start, end, f, bin int, defaultLeft bool) int {
	var goLeft [256]bool
	goLeft[0] = defaultLeft
	for b := 1; b <= bin; b++ {
		goLeft[b] = true
	}
	col := t.bins[f*t.n : (f+1)*t.n]
	seg := t.idx[start:end]
	nl, nr := 0, 0
	for _, r := range seg {
		if goLeft[col[r]] {
			seg[nl] = r
			nl++
		} else {
			t.scratch[nr] = r
			nr++
		}
	}
	copy(seg[nl:], t.scratch[:nr])
	return start + nl
}

// splitLeaf applies leaves[li].best: records the node, partitions the rows
// and prepares histograms and best splits of the two children.
func (t *trainer) splitLeaf(tr *tree, leaves []leafState, li int) []leafState {
	l := leaves[li]
	s := l.best
	f := s.feature
	node := int32(len(tr.feature))
	tr.feature = append(tr.feature, int32(f))
	tr.threshold = append(tr.threshold, t.bm.uppers[f][s.bin-1])
	tr.thresholdBin = append(tr.thresholdBin, uint8(s.bin))
	tr.defaultLeft = append(tr.defaultLeft, s.defaultLeft)
	tr.left = append(tr.left, ^int32(li))
	tr.right = append(tr.right, ^int32(len(leaves)))
	tr.gain = append(tr.gain, s.gain)
	tr.internalValue = append(tr.internalValue, t.leafValue(l.sum))
	tr.internalHess = append(tr.internalHess, l.sum.h)
	tr.internalCount = append(tr.internalCount, l.sum.n)
	if l.parent >= 0 {
		if l.isLeft {
			tr.left[l.parent] = node
		} else {
			tr.right[l.parent] = node
		}
	}
	mid := t.partition(l.start, l.end, f, s.bin, s.defaultLeft)
	left := leafState{start: l.start, end: mid, sum: s.left, depth: l.depth + 1, parent: node, isLeft: true, best: noSplit}
	right := leafState{start: mid, end: l.end, sum: s.right, depth: l.depth + 1, parent: node, best: noSplit}
	// Exact row counts come from the partition (the histograms may not
	// count rows at all).
	left.sum.n, right.sum.n = int64(mid-l.start), int64(l.end-mid)
	needL, needR := t.canSplit(&left), t.canSplit(&right)
	if needL || needR {
		small, large := &left, &right
		needSmall, needLarge := needL, needR
		if right.end-right.start < left.end-left.start {
			small, large = large, small
			needSmall, needLarge = needLarge, needSmall
		}
		sh, lh := t.getHist(), l.hist
		sc, lc := t.getCnt(), l.cnt
		t.gather(small.start, small.end)
		idx, og := t.idx[small.start:small.end], t.og[small.start:small.end]
		t.buildHists(sh, sc, idx, og, func(i, f int) {
			o, nb := t.off[f], t.bm.nbins[f]
			if needSmall {
				t.perFeat[2*i] = bestSplit(f, sh[o:o+nb+1], t.cntOf(sc, f), nb, small.sum, &t.ru)
			}
			if needLarge {
				ls, ss := lh[o:o+nb+1], sh[o:o+nb+1]
				for b := range ls {
					ls[b].g -= ss[b].g
					ls[b].h -= ss[b].h
				}
				if lc != nil {
					lcs, scs := lc[o:o+nb+1], sc[o:o+nb+1]
					for b := range lcs {
						lcs[b] -= scs[b]
					}
				}
				t.perFeat[2*i+1] = bestSplit(f, ls, t.cntOf(lc, f), nb, large.sum, &t.ru)
			}
		})
		small.hist, small.cnt = sh, sc
		large.hist, large.cnt = lh, lc
		if needSmall {
			small.best = t.reduceBest(0)
		} else {
			t.release(small)
		}
		if needLarge {
			large.best = t.reduceBest(1)
		} else {
			t.release(large)
		}
	} else {
		t.release(&l)
	}
	leaves[li] = left
	return append(leaves, right)
}

// applyTree adds the new tree's output to the training scores: in-bag rows
// via the leaf partitions, out-of-bag rows by walking the binned tree.
func (t *trainer) applyTree(tr *tree) {
	leaves := t.lastLeaves
	parallelFor(len(leaves), t.threads, func(i int) {
		v := tr.leafValue[i]
		for _, r := range t.idx[leaves[i].start:leaves[i].end] {
			t.f[r] += v
		}
	})
	if t.p.Subsample < 1 {
		parallelFor((t.n+4095)/4096, t.threads, func(b int) {
			for r := b * 4096; r < min((b+1)*4096, t.n); r++ {
				if !t.inBag[r] {
					t.f[r] += tr.leafValue[tr.leafOfBinned(t.bins, t.n, r)]
				}
			}
		})
	}
}

// histBlock rows are run through all features of a group before moving
// on, so the block's gradients are read from memory once per group rather
// than once per feature. It is a multiple of lanes.
const histBlock = 2048

// histGroup is the most features one task builds together.
const histGroup = 16

// buildHists builds the histograms (and count histograms when c != nil) of
// the active features over rows idx with gradients og, or over every row
// when idx is nil, then calls after(i, f) for each active feature i. Work is
// split by feature only and each feature's bins are summed in an order fixed
// by the rows, so the result does not depend on the number of threads.
func (t *trainer) buildHists(h []histEntry, c []int64, idx []int32, og []gpair, after func(i, f int)) {
	act := t.active
	group := max(1, min(histGroup, (len(act)+2*t.threads-1)/(2*t.threads)))
	nGroups := (len(act) + group - 1) / group
	rows := len(idx)
	if idx == nil {
		rows = t.n
	}
	parallelWorkers(nGroups, t.threads, func(w, g int) {
		i0, i1 := g*group, min((g+1)*group, len(act))
		scratch := t.laneScratch[w][:i1-i0]
		for j, f := range act[i0:i1] {
			nb := t.bm.nbins[f]
			for l := 0; l < lanes; l++ {
				clear(scratch[j][l*256 : l*256+nb+1])
			}
			if c != nil {
				o := t.off[f]
				clear(c[o : o+nb+1])
			}
		}
		for r0 := 0; r0 < rows; r0 += histBlock {
			r1 := min(r0+histBlock, rows)
			for j, f := range act[i0:i1] {
				col := t.bins[f*t.n : (f+1)*t.n]
				if idx == nil {
					buildFeatureAll(&scratch[j], col[r0:r1], t.gh[r0:r1])
					if c != nil {
						countFeatureAll(t.featCnt(c, f), col[r0:r1])
					}
				} else {
					buildFeature(&scratch[j], col, idx[r0:r1], og[r0:r1])
					if c != nil {
						countFeature(t.featCnt(c, f), col, idx[r0:r1])
					}
				}
			}
		}
		for j, f := range act[i0:i1] {
			o, nb := t.off[f], t.bm.nbins[f]
			mergeLanes(h[o:o+nb+1], &scratch[j])
			after(i0+j, f)
		}
	})
}
