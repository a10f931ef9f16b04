package features

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// refPacket is one packet as the independent reference sees it.
type refPacket struct {
	ts   int64
	size float64
	pay  float64 // transport payload bytes; -1 when the capture cut the packet
	fwd  bool
}

// naive statistics: two-pass moments and sort-based order statistics,
// written without sharing code with the extractor.
func naiveStats(xs []float64) map[string]float64 {
	out := map[string]float64{}
	for _, n := range statNames {
		out[n] = 0
	}
	n := float64(len(xs))
	if len(xs) == 0 {
		return out
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	mean := sum / n
	var m2, m3, m4 float64
	for _, x := range s {
		d := x - mean
		m2 += d * d
		m3 += d * d * d
		m4 += d * d * d * d
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	out["min"], out["max"], out["mean"] = s[0], s[len(s)-1], mean
	out["variance"] = m2
	out["stddev"] = math.Sqrt(m2)
	if math.Abs(mean) > 1e-9*math.Max(math.Abs(s[0]), math.Abs(s[len(s)-1])) {
		out["cv"] = math.Sqrt(m2) / math.Abs(mean)
	}
	if m2 > 0 && s[0] != s[len(s)-1] {
		out["skewness"] = m3 / math.Pow(m2, 1.5)
		out["kurtosis"] = m4/(m2*m2) - 3
	}
	pct := func(q float64) float64 { // numpy's linear method
		pos := q * (n - 1)
		lo := math.Floor(pos)
		hi := math.Ceil(pos)
		return s[int(lo)] + (pos-lo)*(s[int(hi)]-s[int(lo)])
	}
	out["p10"], out["p25"], out["p50"], out["p75"], out["p90"] = pct(.1), pct(.25), pct(.5), pct(.75), pct(.9)
	out["median"] = out["p50"]
	counts := map[float64]int{}
	for _, x := range s {
		counts[x]++
	}
	best, bestN := 0.0, -1
	for _, x := range s {
		if counts[x] > bestN {
			best, bestN = x, counts[x]
		}
	}
	out["mode"] = best
	return out
}

type refFlow struct {
	key  string
	pkts []refPacket
}

// referenceFlows groups TCP/UDP packets of a capture by 5-tuple with
// gopacket's full (allocating, independent) decoder; the first packet's
// sender is the forward side.
func referenceFlows(t *testing.T, path string) map[string]*refFlow {
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flows := map[string]*refFlow{}
	var rec capture.Record
	for f.Next(&rec) == nil {
		pkt := gopacket.NewPacket(rec.Data, rec.LinkType, gopacket.Default)
		nl := pkt.NetworkLayer()
		tl := pkt.TransportLayer()
		if nl == nil || tl == nil {
			continue
		}
		var proto string
		switch tl.(type) {
		case *layers.TCP:
			proto = "tcp"
		case *layers.UDP:
			proto = "udp"
		default:
			continue
		}
		src, dst := nl.NetworkFlow().Endpoints()
		sp, dp := tl.TransportFlow().Endpoints()
		fwdKey := fmt.Sprintf("%s %s:%s>%s:%s", proto, src, sp, dst, dp)
		bwdKey := fmt.Sprintf("%s %s:%s>%s:%s", proto, dst, dp, src, sp)
		rf, fwd := flows[fwdKey], true
		if rf == nil {
			if rf = flows[bwdKey]; rf != nil {
				fwd = false
			} else {
				rf = &refFlow{key: fwdKey}
				flows[fwdKey] = rf
			}
		}
		pay := float64(len(tl.LayerPayload()))
		if len(rec.Data) < rec.Length {
			pay = -1
		}
		rf.pkts = append(rf.pkts, refPacket{ts: rec.Timestamp.UnixNano(), size: float64(rec.Length), pay: pay, fwd: fwd})
	}
	return flows
}

func seriesOf(pkts []refPacket) (sizes, piats, sizeDeltas, piatDeltas [3][]float64) {
	var last [3]int64
	var lastSize [3]float64
	var lastPIAT [3]float64
	var n [3]int
	for _, p := range pkts {
		d := 1
		if !p.fwd {
			d = 2
		}
		for _, k := range []int{0, d} {
			sizes[k] = append(sizes[k], p.size)
			if n[k] > 0 {
				piat := float64(p.ts - last[k])
				piats[k] = append(piats[k], piat)
				sizeDeltas[k] = append(sizeDeltas[k], p.size-lastSize[k])
				if n[k] > 1 {
					piatDeltas[k] = append(piatDeltas[k], piat-lastPIAT[k])
				}
				lastPIAT[k] = piat
			}
			last[k], lastSize[k] = p.ts, p.size
			n[k]++
		}
	}
	return
}

// close9 is 1e-9 relative agreement, relative to the larger of the value
// and the series' own magnitude (a mean of signed deltas that cancels to
// ~0 is compared at the scale of the deltas, not of its rounding noise).
func close9(got, want, scale float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= 1e-9*math.Max(math.Abs(want), scale)
}

// extractByTuple runs the extractor over a capture and returns the feature
// rows of TCP and UDP flows by 5-tuple, and the tuples seen more than once.
func extractByTuple(t *testing.T, schema *Schema, path string) (map[string][]float64, map[string]bool) {
	got := map[string][]float64{}
	dup := map[string]bool{}
	e := NewExtractor(schema, flow.Config{IdleTimeout: 1e18, ActiveTimeout: 1e18}, func(r *Record) {
		if r.Proto != 6 && r.Proto != 17 {
			return
		}
		proto := map[uint8]string{6: "tcp", 17: "udp"}[r.Proto]
		k := fmt.Sprintf("%s %s:%d>%s:%d", proto, r.Src, r.SrcPort, r.Dst, r.DstPort)
		if _, seen := got[k]; seen {
			dup[k] = true
		}
		got[k] = append([]float64(nil), r.Values...)
	}, 1, 1)
	f, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec capture.Record
	for f.Next(&rec) == nil {
		e.Packet(&rec)
	}
	f.Close()
	e.Flush(flow.EndOfInput)
	return got, dup
}

// orderStatNames are the statistics taken from the kept packets only.
var orderStatNames = map[string]bool{"median": true, "mode": true, "p10": true, "p25": true, "p50": true, "p75": true, "p90": true}

// TestStatisticsMatchNaiveReference checks every distribution feature of
// real flows against a naive two-pass computation over packets grouped by
// an independent decoder: once with every packet kept, and once keeping
// only the first 4 packets of each flow, where the moments must still
// cover all packets (the kept prefix's merged with the online tail's) and
// the order statistics describe the first 4.
func TestStatisticsMatchNaiveReference(t *testing.T) {
	files := []string{"benign/ndpi_443-firefox.pcap", "benign/ndpi_1kxun.pcap", "benign/iotlab_schlage-lock-01.pcap",
		"malicious/slips_ssh-bruteforce.pcap", "benign/ndpi_alexa-app.pcapng"}
	for _, keep := range []int{DefaultMaxSamples, 4} {
		t.Run(fmt.Sprintf("keep%d", keep), func(t *testing.T) { compareWithNaive(t, files, keep) })
	}
}

func compareWithNaive(t *testing.T, files []string, keep int) {
	schema, err := NewSchema(Config{MaxSamples: keep})
	if err != nil {
		t.Fatal(err)
	}
	checked, tails, payChecked := 0, 0, 0
	for _, rel := range files {
		path := testdata.Capture(t, rel)
		ref := referenceFlows(t, path)
		got, dup := extractByTuple(t, schema, path)
		for k, rf := range ref {
			vals, ok := got[k]
			// Flows split by TCP teardown and port reuse, or turned round
			// by the SYN-ACK rule, are not comparable one to one.
			if !ok || dup[k] || float64(len(rf.pkts)) != vals[schema.Index("bidirectional_packets")] || len(rf.pkts) > DefaultMaxSamples {
				continue
			}
			sizes, piats, sd, pd := seriesOf(rf.pkts)
			kept := rf.pkts[:min(keep, len(rf.pkts))]
			if len(kept) < len(rf.pkts) {
				tails++
			}
			ksizes, kpiats, ksd, kpd := seriesOf(kept)
			check := func(prefix string, xs, keptXs []float64, suffix string) {
				want, wantKept := naiveStats(xs), naiveStats(keptXs)
				unit := 1.0
				if suffix == "piat_ms" || suffix == "piat_delta_ms" {
					unit = 1e6 // the reference works in exact ns
				}
				mag := 0.0
				for _, x := range xs {
					mag = math.Max(mag, math.Abs(x))
				}
				for _, st := range statNames {
					name := prefix + "_" + st + "_" + suffix
					i := schema.Index(name)
					if i < 0 {
						t.Fatalf("no feature %s", name)
					}
					w, scale := want[st], mag/unit
					if orderStatNames[st] {
						w = wantKept[st]
					}
					switch st {
					case "variance":
						w, scale = w/(unit*unit), scale*scale
					case "cv", "skewness", "kurtosis":
						scale = 1
					default:
						w /= unit
					}
					if !close9(vals[i], w, scale) {
						t.Errorf("%s %s: %s = %v, naive reference %v", rel, k, name, vals[i], w)
					}
				}
			}
			for d := 0; d < 3; d++ {
				check(dirNames[d], sizes[d], ksizes[d], "ps")
				check(dirNames[d], piats[d], kpiats[d], "piat_ms")
			}
			for d := 1; d < 3; d++ {
				check(dirNames[d], sd[d], ksd[d], "ps_delta")
				check(dirNames[d], pd[d], kpd[d], "piat_delta_ms")
			}
			if checkPayload(t, schema, rel, k, rf.pkts, vals) {
				payChecked++
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d flows compared; expected many more", checked)
	}
	if keep < DefaultMaxSamples && tails < 50 {
		t.Fatalf("only %d flows outgrew %d kept packets; expected many more", tails, keep)
	}
	t.Logf("compared %d flows × %d distribution features (%d past the kept prefix), payload statistics of %d",
		checked, 10*len(statNames), tails, payChecked)
}

// checkPayload compares the payload-length statistics of a flow none of
// whose packets the capture cut.
func checkPayload(t *testing.T, schema *Schema, rel, k string, pkts []refPacket, vals []float64) bool {
	var pays [3][]float64
	for _, p := range pkts {
		if p.pay < 0 {
			return false
		}
		d := 1
		if !p.fwd {
			d = 2
		}
		pays[d] = append(pays[d], p.pay)
	}
	for d := 1; d < 3; d++ {
		want := naiveStats(pays[d])
		for _, st := range []string{"min", "max", "mean", "stddev"} {
			name := dirNames[d] + "_" + st + "_payload_ps"
			if got := vals[schema.Index(name)]; !close9(got, want[st], want["max"]) {
				t.Errorf("%s %s: %s = %v, naive reference %v", rel, k, name, got, want[st])
			}
		}
	}
	return true
}
