package window

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
)

type synth struct {
	t      *testing.T
	schema *features.Schema
	rec    features.Record
}

func newSynth(t *testing.T) *synth {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := &synth{t: t, schema: schema}
	s.rec.Values = make([]float64, len(schema.Features))
	return s
}

// flow fills the reused record as a SYN-only TCP probe.
func (s *synth) flow(src, dst netip.Addr, sport, dport uint16, last int64) *features.Record {
	r := &s.rec
	clear(r.Values)
	r.Src, r.Dst, r.SrcPort, r.DstPort, r.Proto = src, dst, sport, dport, 6
	r.First, r.Last = last, last
	r.Values[s.schema.Index("bidirectional_packets")] = 1
	r.Values[s.schema.Index("src2dst_bytes")] = 60
	r.Values[s.schema.Index("src2dst_syn_packets")] = 1
	return r
}

func v4(i uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
}

// A spoofed-source flood of a million addresses in one window: counts stay
// within the sketch's error and memory stays bounded.
func TestMillionSourcesBoundedMemory(t *testing.T) {
	s := newSynth(t)
	var rows []Stats
	agg, err := New(10*time.Second, s.schema, Options{}, func(st *Stats) { rows = append(rows, *st) })
	if err != nil {
		t.Fatal(err)
	}
	const n = 1_000_000
	victim := v4(0xc0a80001)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := uint32(0); i < n; i++ {
		agg.Add(s.flow(v4(0x0b000000+i), victim, uint16(1024+i%60000), 80, int64(i)*1000))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	agg.Flush()
	if len(rows) != 1 {
		t.Fatalf("%d windows, want 1", len(rows))
	}
	r := rows[0]
	t.Logf("1e6 sources: heap grew %.1f MB; src_ips %d, src_ips_per_dst max %.0f, dst_ips_per_src sample rate %g, exact %v",
		float64(grew)/1e6, r.SrcIPs, r.Groups[SrcIPsPerDst].Max, r.Groups[DstIPsPerSrc].SampleRate, r.Exact)
	if grew > 200<<20 {
		t.Errorf("heap grew %d MB for one window", grew>>20)
	}
	within := func(name string, got float64, want float64) {
		if math.Abs(got-want)/want > 3*HLLStdError {
			t.Errorf("%s = %.0f, want %.0f within 3 standard errors", name, got, want)
		}
	}
	within("src_ips", float64(r.SrcIPs), n)
	within("conversations", float64(r.Conversations), n)
	within("src_ips_per_dst max", r.Groups[SrcIPsPerDst].Max, n)
	within("src_ips_per_dport max", r.Groups[SrcIPsPerDport].Max, n)
	if r.Flows != n || r.Packets != n || r.BytesUp != 60*n || r.DstIPs != 1 || r.DstPorts != 1 || r.SrcPorts != 60000 || r.TCP[StateNew] != n {
		t.Errorf("exact figures wrong: %+v", r)
	}
	g := r.Groups[DstIPsPerSrc]
	if g.SampleRate >= 1 || g.Max != 1 || g.Mean != 1 || g.P90 != 1 {
		t.Errorf("dst_ips_per_src over a million one-flow sources: %+v (want a sample of groups of size 1)", g)
	}
	if r.Exact {
		t.Error("row marked exact though sketches and samples were used")
	}
}

// Past the budget, group statistics come from a hash sample of groups;
// their percentiles must still describe all groups.
func TestGroupSampleEstimates(t *testing.T) {
	s := newSynth(t)
	var rows []Stats
	agg, err := New(time.Minute, s.schema, Options{GroupBudget: 20000}, func(st *Stats) { rows = append(rows, *st) })
	if err != nil {
		t.Fatal(err)
	}
	const sources = 100_000
	var sizes []float64
	for i := uint32(0); i < sources; i++ {
		k := int(i%10) + 1 // source i probes k ports
		for p := 0; p < k; p++ {
			agg.Add(s.flow(v4(0x0a000000+i), v4(0x0a800001), 40000, uint16(1+p), 5e9))
		}
		sizes = append(sizes, float64(k))
	}
	agg.Flush()
	var full grouping
	full = newGrouping(true, math.MaxInt, DefaultExactLimit)
	for i, k := range sizes {
		for j := 0; j < int(k); j++ {
			full.add(uint64(i), 0)
		}
	}
	want, _ := full.stats(nil)
	got := rows[0].Groups[DstPortsPerSrc]
	t.Logf("sampled (rate %g): %+v; all groups: %+v", got.SampleRate, got, want)
	if got.SampleRate >= 1 || got.SampleRate < 1.0/64 {
		t.Errorf("sample rate %g, want sampling at a modest rate", got.SampleRate)
	}
	if got.Max != 10 || math.Abs(got.Mean-want.Mean) > 0.2 || math.Abs(got.P25-want.P25) > 1 ||
		math.Abs(got.P50-want.P50) > 1 || math.Abs(got.P75-want.P75) > 1 || math.Abs(got.P90-want.P90) > 1 {
		t.Errorf("sampled statistics %+v too far from %+v", got, want)
	}
}

func TestWindowOrderHoldAndLate(t *testing.T) {
	s := newSynth(t)
	a, b := v4(1), v4(2)
	for _, c := range []struct {
		hold     time.Duration
		wantRows []uint64 // flows per row
		wantLate uint64
	}{
		{0, []uint64{1, 2, 1}, 1},
		{20 * time.Second, []uint64{2, 2, 1}, 0},
	} {
		var rows []Stats
		agg, err := New(10*time.Second, s.schema, Options{Hold: c.hold}, func(st *Stats) { rows = append(rows, *st) })
		if err != nil {
			t.Fatal(err)
		}
		for _, last := range []float64{1, 12, 5, 15, 31} {
			agg.Add(s.flow(a, b, 1, 2, int64(last*1e9)))
		}
		agg.Flush()
		var late uint64
		var flows []uint64
		for i, r := range rows {
			late += r.LateFlows
			flows = append(flows, r.Flows)
			if i > 0 && !rows[i-1].End.After(rows[i-1].Start) || r.End.Sub(r.Start) != 10*time.Second {
				t.Errorf("hold %v: bad window %v..%v", c.hold, r.Start, r.End)
			}
		}
		if late != c.wantLate || len(flows) != len(c.wantRows) {
			t.Fatalf("hold %v: rows %v late %d, want %v late %d", c.hold, flows, late, c.wantRows, c.wantLate)
		}
		for i := range flows {
			if flows[i] != c.wantRows[i] {
				t.Errorf("hold %v: rows %v, want %v", c.hold, flows, c.wantRows)
			}
		}
	}
	var nilAgg *Aggregator
	nilAgg.Add(s.flow(a, b, 1, 2, 0)) // windows off: no effect, no panic
	nilAgg.Flush()
	if _, err := New(0, s.schema, Options{}, nil); err == nil {
		t.Error("New accepted a zero width")
	}
}

func TestCSVWriter(t *testing.T) {
	s := newSynth(t)
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, "source")
	agg, err := New(10*time.Second, s.schema, Options{}, func(st *Stats) {
		if err := w.Write(st, "a,b.pcap"); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	agg.Add(s.flow(v4(1), v4(2), 1, 80, 1_500_000_000_000_000_000))
	agg.Add(s.flow(v4(1), v4(2), 1, 81, 1_500_000_000_000_000_000))
	agg.Flush()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	if len(recs) != 2 || len(recs[0]) != len(Header())+1 || len(recs[1]) != len(recs[0]) {
		t.Fatalf("got %d rows of %d columns", len(recs), len(recs[0]))
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	want := map[string]string{"window_start": "2017-07-14T02:40:00Z", "window_end": "2017-07-14T02:40:10Z", "flows": "2",
		"dst_ports": "2", "conversations": "1", "tcp_new": "2", "flows_per_conv_max": "2", "dst_ports_per_conv_mean": "2",
		"exact": "1", "source": "a,b.pcap"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	// No rows: the header alone.
	buf.Reset()
	w = NewCSVWriter(&buf)
	if err := w.Flush(); err != nil || strings.TrimSpace(buf.String()) != strings.Join(Header(), ",") {
		t.Errorf("empty output %q, %v", buf.String(), err)
	}
}
