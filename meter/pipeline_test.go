package meter

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/synth"
	"github.com/flowclass/flowclass/window"
)

func rowString(r *features.Record) string {
	b := features.AppendIdentity(nil, r)
	for _, m := range r.Meta {
		b = append(b, ',')
		b = append(b, m...)
	}
	for _, v := range r.Values {
		b = append(b, ',')
		b = features.AppendNumber(b, v)
	}
	return string(b)
}

func runRows(t *testing.T, paths []string, workers int, scorer func() (Scorer, error)) ([]string, Summary) {
	t.Helper()
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	var inputs []Input
	for _, p := range paths {
		inputs = append(inputs, Input{Path: p, Name: p})
	}
	ctx, err := window.NewContext(schema, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), inputs, Options{Schema: schema, Workers: workers, NewScorer: scorer, Threshold: 0.5, Context: ctx}, func(ev *Event) {
		if ev.Kind == FlowEnd {
			s := rowString(&ev.Record)
			if ev.Scored {
				s += fmt.Sprintf(",%g,%v", ev.Score, ev.Alert || ev.AlertedBefore)
			}
			rows = append(rows, s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, sum
}

// TestShardedOutputEqualsSingle: two workers give the same rows in the same
// order as one, and the same flows as the plain single-threaded extractor
// (train's path), context columns included.
func TestShardedOutputEqualsSingle(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen.pcap")
	cfg := synth.DefaultConfig(7, 60000)
	cfg.Attacks = []synth.Attack{{Kind: synth.KindPortScan}, {Kind: synth.KindSYNFlood}}
	if _, err := synth.WriteFile(gen, cfg); err != nil {
		t.Fatal(err)
	}
	sets := [][]string{{gen}}
	if d := testdata.DatasetsDir(t); d != "" {
		sets = append(sets,
			[]string{filepath.Join(d, "benign/ndpi_1kxun.pcap")},
			[]string{filepath.Join(d, "mixed/elcab_rig-ek-infection-mixed.pcap"), filepath.Join(d, "benign/ndpi_443-firefox.pcap")},
			// A fuzzed record claims 4,093,509,168 bytes on the wire: the
			// reader once handed that length to the workers as an int32.
			[]string{filepath.Join(d, "odd/ndpi_fuzz-2021-06-07-c6c72a0a56.pcap")})
	}
	for _, paths := range sets {
		one, s1 := runRows(t, paths, 1, nil)
		two, s2 := runRows(t, paths, 2, nil)
		if len(one) == 0 {
			t.Fatalf("%v: no flows", paths)
		}
		if len(one) != len(two) {
			t.Fatalf("%v: %d flows with one worker, %d with two", paths, len(one), len(two))
		}
		for i := range one {
			if one[i] != two[i] {
				t.Fatalf("%v: row %d differs:\n1: %.300s\n2: %.300s", paths, i, one[i], two[i])
			}
		}
		if s1.Counters != s2.Counters {
			t.Errorf("counters differ: %+v vs %+v", s1.Counters, s2.Counters)
		}
		// The plain extractor finds the same flows.
		schema, _ := features.NewSchema(features.Config{})
		var plain []string
		ctx, _ := window.NewContext(schema, 0, 0)
		order := NewExpiryOrder(func(r *features.Record) {
			ctx.Attach(r)
			plain = append(plain, rowString(r))
		})
		e := features.NewExtractor(schema, flow.Config{}, order.Emit, 1, 1)
		ReadFiles(paths, e, nil)
		order.Flush()
		a, b := append([]string(nil), one...), plain
		sort.Strings(a)
		sort.Strings(b)
		if len(a) != len(b) {
			t.Fatalf("%v: pipeline %d flows, plain extractor %d", paths, len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%v: pipeline and plain extractor differ:\n%.300s\n%.300s", paths, a[i], b[i])
			}
		}
		t.Logf("%s: %d flows, identical with 1 and 2 workers", filepath.Base(paths[0]), len(one))
	}
}

// TestFlushIsStreamed: a table full of flows at the end of input reaches
// the output in pieces, so the merge never holds more than a few pieces of
// events, not every flow (which doubled peak memory under floods).
func TestFlushIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the flood takes long under the race detector; TestShardedOutputEqualsSingle flushes in pieces too")
	}
	gen := filepath.Join(t.TempDir(), "flood.pcap")
	cfg := synth.DefaultConfig(3, 100000)
	cfg.Attacks = []synth.Attack{{Kind: synth.KindSYNFlood, AtPacket: 1, Size: 100000}}
	if _, err := synth.WriteFile(gen, cfg); err != nil {
		t.Fatal(err)
	}
	rows, sum := runRows(t, []string{gen}, 2, nil)
	held := sum.Counters.Flows.Expired[flow.EndOfInput]
	t.Logf("%d flows, %d of them flushed at the end of input; the merge held at most %d events", len(rows), held, sum.PeakHeld)
	if held < 20*flushPiece {
		t.Fatalf("only %d flows left for the final flush; the test needs many more", held)
	}
	if limit := 8 * flushPiece; sum.PeakHeld > limit {
		t.Errorf("the merge held %d events at once, want at most %d", sum.PeakHeld, limit)
	}
}

// alwaysScorer scores every row 1, so every snapshot becomes an alert.
type alwaysScorer struct{}

func (alwaysScorer) ScoreBatch(_ []float64, n int, out []float64) error {
	for i := range out[:n] {
		out[i] = 1
	}
	return nil
}

// TestTickSnapshotsAreStreamed: a re-scoring tick that finds a flood's
// flows all due hands their snapshots over in pieces, so the merge holds a
// few pieces, not a copy of every flow's features; and they still come out
// in merge order.
func TestTickSnapshotsAreStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the flood takes long under the race detector; TestFlushIsStreamed streams pieces the same way")
	}
	gen := filepath.Join(t.TempDir(), "flood.pcap")
	cfg := synth.DefaultConfig(5, 80000)
	cfg.Concurrency = 1
	cfg.Attacks = []synth.Attack{{Kind: synth.KindSYNFlood, AtPacket: 1, Size: 80000}}
	if _, err := synth.WriteFile(gen, cfg); err != nil {
		t.Fatal(err)
	}
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		time, first int64
		id          uint64
	}
	var alerts []key
	ticks := map[int64]int{}
	opt := Options{Schema: schema, Workers: 2, Threshold: 0.5, RescoreInterval: 500 * time.Millisecond,
		NewScorer: func() (Scorer, error) { return alwaysScorer{}, nil }}
	sum, err := Run(context.Background(), []Input{{Path: gen, Name: gen}}, opt, func(ev *Event) {
		if ev.Kind == ActiveAlert {
			alerts = append(alerts, key{ev.Time, ev.Record.First, ev.Record.FlowID})
			ticks[ev.Time]++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, n := range ticks {
		most = max(most, n)
	}
	t.Logf("%d flows; %d active alerts over %d ticks, at most %d at one tick; the merge held at most %d events",
		sum.Flows, len(alerts), len(ticks), most, sum.PeakHeld)
	if most < 10*flushPiece {
		t.Fatalf("at most %d snapshots at one tick; the test needs many more", most)
	}
	if limit := 8 * flushPiece; sum.PeakHeld > limit {
		t.Errorf("the merge held %d events at once, want at most %d", sum.PeakHeld, limit)
	}
	for i := 1; i < len(alerts); i++ {
		a, b := alerts[i-1], alerts[i]
		if cmp.Or(cmp.Compare(a.time, b.time), cmp.Compare(a.first, b.first), cmp.Compare(a.id, b.id)) > 0 {
			t.Fatalf("alert %d out of merge order: %+v after %+v", i, b, a)
		}
	}
}
