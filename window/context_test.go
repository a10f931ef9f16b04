package window

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/meter"
	synthgen "github.com/flowclass/flowclass/synth"
)

// ctxFlow is what the naive reference keeps of an expired flow.
type ctxFlow struct {
	src, dst netip.Addr
	proto    uint8
	dport    uint16
	last     int64
	answered bool
	got      map[string]float64
}

var ctxNames = []string{"ctx_src_flows", "ctx_src_dst_ips", "ctx_src_dst_ports", "ctx_src_dport_flows",
	"ctx_src_dport_answered", "ctx_dst_flows", "ctx_dst_other_srcs"}

// contextFlows meters a capture and attaches context in expiry order,
// returning every flow with the columns it got.
func contextFlows(t *testing.T, path string, width int64, maxKeys int) ([]ctxFlow, *Context) {
	t.Helper()
	schema, err := features.NewSchema(features.Config{ContextWindowNS: width})
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := NewContext(schema, int64(flow.DefaultIdleTimeout), maxKeys)
	if err != nil {
		t.Fatal(err)
	}
	var flows []ctxFlow
	answered := schema.Index("dst2src_packets")
	peeked := make([]float64, len(ctxNames))
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		// Peek, for a flow still active, must give what Attach gives
		// once it ends with the same record.
		ctx.Peek(r)
		for i, n := range ctxNames {
			peeked[i] = r.Values[schema.Index(n)]
		}
		ctx.Attach(r)
		for i, n := range ctxNames {
			if got := r.Values[schema.Index(n)]; got != peeked[i] && ctx.Saturated() == 0 {
				t.Errorf("%s: Peek gives %s = %v, Attach %v", path, n, peeked[i], got)
			}
		}
		f := ctxFlow{src: r.Src, dst: r.Dst, proto: r.Proto, dport: r.DstPort, last: r.Last,
			answered: r.Values[answered] > 0, got: map[string]float64{}}
		for _, n := range ctxNames {
			f.got[n] = r.Values[schema.Index(n)]
		}
		flows = append(flows, f)
	}, 1, 1)
	for _, fr := range meter.ReadFiles([]string{path}, e, nil) {
		if fr.Err != nil && !fr.Truncated() {
			t.Fatalf("read %s: %v", path, fr.Err)
		}
	}
	return flows, ctx
}

// naiveContext recomputes flow i's columns from the flows before it (and
// itself) by scanning them all: no windows kept, no hashes, no unions.
func naiveContext(flows []ctxFlow, i int, width int64) map[string]float64 {
	f := flows[i]
	k := floorDiv(f.last, width)
	ips, ports, srcs := map[netip.Addr]bool{}, map[[2]uint16]bool{}, map[netip.Addr]bool{}
	out := map[string]float64{}
	for _, g := range flows[:i+1] {
		if gk := floorDiv(g.last, width); gk != k && gk != k-1 {
			continue
		}
		if g.src == f.src {
			out["ctx_src_flows"]++
			ips[g.dst] = true
			if g.proto == 6 || g.proto == 17 {
				ports[[2]uint16{uint16(g.proto), g.dport}] = true
			}
			samePort := g.proto == f.proto && (g.dport == f.dport || !(f.proto == 6 || f.proto == 17))
			if samePort {
				out["ctx_src_dport_flows"]++
				if g.answered {
					out["ctx_src_dport_answered"]++
				}
			}
		}
		if g.dst == f.dst {
			out["ctx_dst_flows"]++
			if g.src != f.src {
				srcs[g.src] = true
			}
		}
	}
	out["ctx_src_dst_ips"] = float64(len(ips))
	out["ctx_src_dst_ports"] = float64(len(ports))
	out["ctx_dst_other_srcs"] = float64(len(srcs))
	return out
}

// TestContextMatchesNaiveRecomputation checks every context column of every
// flow of real captures (a SYN scan, a brute force, benign mixes) against a
// quadratic recomputation from the list of expired flows.
func TestContextMatchesNaiveRecomputation(t *testing.T) {
	// A generated capture with a port scan and a SYN flood always; real
	// captures when the shared datasets are there.
	gen := filepath.Join(t.TempDir(), "gen.pcap")
	cfg := synthgen.DefaultConfig(5, 15000)
	cfg.Attacks = []synthgen.Attack{{Kind: synthgen.KindPortScan}, {Kind: synthgen.KindSYNFlood}}
	if _, err := synthgen.WriteFile(gen, cfg); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{"generated scan and flood": gen}
	if d := testdata.DatasetsDir(t); d != "" {
		for _, rel := range []string{"malicious/ndpi_synscan.pcap", "malicious/slips_ssh-bruteforce.pcap",
			"benign/ndpi_1kxun.pcap", "benign/ndpi_443-firefox.pcap", "benign/iotlab_schlage-lock-01.pcap",
			"malicious/slips_cc-capture-1.pcap", "mixed/elcab_cerber-infection-mixed.pcap"} {
			paths[rel] = filepath.Join(d, rel)
		}
	}
	for rel, path := range paths {
		for _, width := range []int64{10e9, 1e9} {
			flows, ctx := contextFlows(t, path, width, 0)
			if ctx.Late() != 0 || ctx.Saturated() != 0 {
				t.Fatalf("%s: %d late, %d saturated flows; the reference assumes none", rel, ctx.Late(), ctx.Saturated())
			}
			bad := 0
			for i, f := range flows {
				want := naiveContext(flows, i, width)
				for _, n := range ctxNames {
					if f.got[n] != want[n] {
						if bad < 10 {
							t.Errorf("%s width %ds flow %d (%s > %s %d/%d): %s = %v, naive %v",
								rel, width/1e9, i, f.src, f.dst, f.proto, f.dport, n, f.got[n], want[n])
						}
						bad++
					}
				}
			}
			// Only the windows flows may still end in are kept.
			if keep := int((int64(flow.DefaultIdleTimeout)/width)+4) + 1; len(ctx.wins) > keep {
				t.Errorf("%s: %d windows kept at the end, want at most %d", rel, len(ctx.wins), keep)
			}
			t.Logf("%s, %ds windows: %d flows, %d columns differ, %d windows kept", rel, width/1e9, len(flows), bad, len(ctx.wins))
		}
	}
}

// TestContextBoundedWhenFull checks that a window past its key budget keeps
// counting what it holds, never over-counts, and says how many flows it
// counted partly.
func TestContextBoundedWhenFull(t *testing.T) {
	path := testdata.Capture(t, "malicious/ndpi_synscan.pcap")
	const width = 10e9
	full, _ := contextFlows(t, path, width, 0)
	capped, ctx := contextFlows(t, path, width, 200)
	if ctx.Saturated() == 0 {
		t.Fatal("a 200-key budget was never reached on a SYN scan")
	}
	if len(full) != len(capped) {
		t.Fatalf("%d flows with a budget, %d without", len(capped), len(full))
	}
	lower := 0
	for i := range full {
		for _, n := range ctxNames {
			if capped[i].got[n] > full[i].got[n] {
				t.Fatalf("flow %d: %s = %v with a budget, above the exact %v", i, n, capped[i].got[n], full[i].got[n])
			}
			if capped[i].got[n] < full[i].got[n] {
				lower++
			}
		}
	}
	t.Logf("%d of %d flows counted partly; %d columns below the exact value", ctx.Saturated(), len(full), lower)
}

// TestContextScanAndFloodStandApart compares the context columns of scan
// and flood flows with those of every flow of the benign captures.
func TestContextScanAndFloodStandApart(t *testing.T) {
	dir := testdata.Datasets(t)
	const width = 10e9
	benign := map[string][]float64{}
	entries, err := os.ReadDir(filepath.Join(dir, "benign"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || info.Size() > 5<<20 || !(strings.HasSuffix(e.Name(), ".pcap") || strings.HasSuffix(e.Name(), ".pcapng")) {
			continue
		}
		flows, _ := contextFlows(t, filepath.Join(dir, "benign", e.Name()), width, 0)
		for _, f := range flows {
			for _, n := range ctxNames {
				benign[n] = append(benign[n], f.got[n])
			}
		}
	}
	if len(benign[ctxNames[0]]) == 0 {
		t.Skip("no benign captures under 5 MB")
	}
	for _, n := range ctxNames {
		slices.Sort(benign[n])
	}
	t.Logf("benign: %d flows", len(benign[ctxNames[0]]))
	for _, c := range []struct {
		rel, column string
	}{
		{"malicious/ndpi_synscan.pcap", "ctx_src_dst_ports"},
		{"malicious/ddos_pkt.tcp.synflood.spoofed.pcap", "ctx_dst_other_srcs"},
		{"malicious/doup_udp-flood.pcap", "ctx_src_dport_flows"},
	} {
		path := filepath.Join(dir, c.rel)
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s absent; skipped", c.rel)
			continue
		}
		flows, _ := contextFlows(t, path, width, 0)
		var vals []float64
		for _, f := range flows {
			vals = append(vals, f.got[c.column])
		}
		slices.Sort(vals)
		b := benign[c.column]
		med, p99 := Percentile(vals, 0.5), Percentile(b, 0.99)
		t.Logf("%s: %d flows; %s median %.0f, p10 %.0f; benign median %.0f, p99 %.0f, max %.0f",
			c.rel, len(flows), c.column, med, Percentile(vals, 0.1), Percentile(b, 0.5), p99, b[len(b)-1])
		// Half the attack flows lie above every benign flow.
		if med <= b[len(b)-1] {
			t.Errorf("%s: median %s %.0f does not stand apart from benign flows (max %.0f)", c.rel, c.column, med, b[len(b)-1])
		}
	}
}
