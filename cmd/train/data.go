package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/meter"
	"github.com/flowclass/flowclass/window"
)

// table is the training data: model-input features of every flow with its
// label and the capture it came from.
type table struct {
	names  []string
	x      []float64 // row-major, len(names) per row
	y      []int
	groups []string
	// nonFinite counts NaN/Inf cells read from a third-party CSV; they are
	// treated as missing values.
	nonFinite int
	// featureSet is what the model records; empty for ours.
	featureSet string
	// attack is each row's attack type from a CIC Label, "" for benign or
	// untyped rows; nil when the data carries no types.
	attack []string
}

func (t *table) rows() int { return len(t.y) }

func (t *table) row(i int) []float64 { n := len(t.names); return t.x[i*n : (i+1)*n] }

// captureResult is what extracting one capture gave.
type captureResult struct {
	cap      labelled
	csv      []byte // rows for --csv, without header
	x        []float64
	y        []int
	flows    [2]int
	packets  uint64
	counts   features.Counters
	err      error
	fileErrs []meter.FileResult
}

// extractAll meters every capture, using all cores, each capture on its
// own (its flows end with it). Rows come back in capture order so the
// output does not depend on scheduling.
func extractAll(caps []labelled, schema *features.Schema, fc flow.Config, bpf string, rules []rule, csvCols string, progress *progressLine) ([]captureResult, error) {
	inputs := schema.ModelInputs()
	idx := make([]int, len(inputs))
	for i, n := range inputs {
		idx[i] = schema.Index(n)
	}
	results := make([]captureResult, len(caps))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var done, packets, flows atomic.Uint64
	workers := min(runtime.NumCPU(), len(caps))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = extractOne(caps[i], schema, fc, bpf, rules, idx, csvCols)
				done.Add(1)
				packets.Add(results[i].packets)
				flows.Add(uint64(results[i].flows[0] + results[i].flows[1]))
				progress.show(fmt.Sprintf("captures %d/%d, packets %d, flows %d, %.0f packets/s", done.Load(), len(caps), packets.Load(), flows.Load(), progress.rate(packets.Load())))
			}
		}()
	}
	for i := range caps {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	progress.done()
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
	}
	return results, nil
}

// csvCols is the --csv column set, empty for no CSV.
func extractOne(c labelled, schema *features.Schema, fc flow.Config, bpf string, rules []rule, idx []int, csvCols string) captureResult {
	res := captureResult{cap: c}
	var buf bytes.Buffer
	var w rowWriter
	if csvCols != "" {
		var err error
		if w, err = newRowWriter(csvCols, &buf, schema); err != nil {
			res.err = err
			return res
		}
		if err := w.Flush(); err != nil {
			res.err = err
			return res
		}
		buf.Reset() // the header is written once, by the caller
	}
	// Each capture is its own recording: its flows' context comes from
	// its own traffic, in the order its flows expire, as classify sees it.
	flowCtx, err := window.NewContext(schema, int64(fc.IdleTimeout), 0)
	if err != nil {
		res.err = err
		return res
	}
	// In classify's order (see meter.ExpiryOrder), so both give a flow the
	// same context.
	order := meter.NewExpiryOrder(func(r *features.Record) {
		flowCtx.Attach(r)
		label := labelFor(rules, r, c.Path, c.Label)
		res.flows[label]++
		res.y = append(res.y, label)
		for _, i := range idx {
			res.x = append(res.x, r.Values[i])
		}
		if w != nil {
			w.row(r, labelNames[label], c.Path)
		}
	})
	e := features.NewExtractor(schema, fc, order.Emit, 1, 1)
	var m meter.Matcher
	if bpf != "" {
		b, err := meter.NewBPF(bpf)
		if err != nil {
			res.err = err
			return res
		}
		m = b
	}
	res.fileErrs = meter.ReadFiles([]string{c.Path}, e, m)
	order.Flush()
	for _, fr := range res.fileErrs {
		res.packets += fr.Packets
		if fr.Err != nil && !fr.Truncated() && fr.Packets == 0 {
			res.err = fmt.Errorf("%w", fr.Err)
		}
	}
	res.counts = e.Counters()
	if w != nil {
		if err := w.Flush(); err != nil {
			res.err = err
		}
	}
	res.csv = buf.Bytes()
	return res
}

// progressLine rewrites one status line on stderr when it is a terminal.
type progressLine struct {
	mu    sync.Mutex
	tty   bool
	start time.Time
	last  time.Time
}

func newProgress() *progressLine {
	st, err := os.Stderr.Stat()
	return &progressLine{tty: err == nil && st.Mode()&os.ModeCharDevice != 0, start: time.Now()}
}

func (p *progressLine) show(s string) {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(os.Stderr, "\r\033[K%s (%.1fs)", s, time.Since(p.start).Seconds())
}

// rate is n per second since the line was created.
func (p *progressLine) rate(n uint64) float64 {
	if p == nil {
		return 0
	}
	return float64(n) / max(time.Since(p.start).Seconds(), 1e-3)
}

func (p *progressLine) done() {
	if p != nil && p.tty {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}

// exclude drops the columns whose names match any of the globs
// (path.Match syntax); a glob that matches nothing is an error, since it
// is most likely a typo.
func (t *table) exclude(globs []string) error {
	drop := make([]bool, len(t.names))
	for _, g := range globs {
		hit := false
		for i, n := range t.names {
			ok, err := path.Match(g, n)
			if err != nil {
				return fmt.Errorf("--exclude %q: %w", g, err)
			}
			if ok {
				drop[i], hit = true, true
			}
		}
		if !hit {
			return fmt.Errorf("--exclude %q matches no feature", g)
		}
	}
	var names []string
	for i, n := range t.names {
		if !drop[i] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("--exclude leaves no feature")
	}
	nf := len(t.names)
	x := t.x[:0]
	for r := 0; r*nf < len(t.x); r++ {
		for i, v := range t.x[r*nf : (r+1)*nf] {
			if !drop[i] {
				x = append(x, v)
			}
		}
	}
	t.names, t.x = names, x
	return nil
}
