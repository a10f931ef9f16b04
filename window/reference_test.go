package window

import (
	"io"
	"math"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/meter"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// refFlow is a flow assembled by the reference from gopacket's decoding.
type refFlow struct {
	src, dst         netip.Addr
	sport, dport     uint16
	proto            uint8
	first, last      int64
	packets          uint64
	up, down         uint64
	synF, synB, ackF bool // handshake progress
	synAckAfterSyn   bool
	handshake        bool
	syns             [2]int
	fins, rsts       [2]int
	closedAt         int64
	closed           bool
}

type refKey struct {
	a, b   netip.Addr
	pa, pb uint16
	proto  uint8
}

// referenceFlows splits the packets of a pcap into flows by the README's
// rules (5-tuple, idle and active timeouts, teardown with a one-second
// grace and a new SYN starting a new flow), decoding with gopacket.
func referenceFlows(t *testing.T, path string) []*refFlow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	const idle, active, grace = int64(120e9), int64(1800e9), int64(1e9)
	open := map[refKey]*refFlow{}
	var done []*refFlow
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		var src, dst netip.Addr
		var proto uint8
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
			proto = uint8(ip.Protocol)
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
			proto = uint8(ip.NextHeader)
		default:
			continue
		}
		var sp, dp uint16
		var tcp *layers.TCP
		switch l := pkt.TransportLayer().(type) {
		case *layers.TCP:
			sp, dp, tcp = uint16(l.SrcPort), uint16(l.DstPort), l
		case *layers.UDP:
			sp, dp = uint16(l.SrcPort), uint16(l.DstPort)
		default:
			if proto == 6 || proto == 17 {
				continue // truncated transport header
			}
		}
		ts := ci.Timestamp.UnixNano()
		k := refKey{src, dst, sp, dp, proto}
		if dst.Less(src) || (dst == src && dp < sp) {
			k = refKey{dst, src, dp, sp, proto}
		}
		fl := open[k]
		if fl != nil {
			pureSYN := tcp != nil && tcp.SYN && !tcp.ACK
			if (fl.closed && (ts-fl.closedAt >= grace || pureSYN)) || ts-fl.last >= idle || ts-fl.first >= active {
				done = append(done, fl)
				fl = nil
			}
		}
		if fl == nil {
			fl = &refFlow{src: src, dst: dst, sport: sp, dport: dp, proto: proto, first: ts, last: ts}
			if tcp != nil && tcp.SYN && tcp.ACK {
				fl.src, fl.dst, fl.sport, fl.dport = dst, src, dp, sp
			}
			open[k] = fl
		}
		fl.last = max(fl.last, ts)
		fl.packets++
		d := 1
		if src == fl.src && sp == fl.sport {
			d = 0
			fl.up += uint64(ci.Length)
		} else {
			fl.down += uint64(ci.Length)
		}
		if tcp != nil {
			if tcp.SYN {
				fl.syns[d]++
			}
			if tcp.FIN {
				fl.fins[d]++
			}
			if tcp.RST {
				fl.rsts[d]++
			}
			// Handshake: SYN from the client, then SYN-ACK, then the
			// client's ACK.
			switch {
			case d == 0 && tcp.SYN && !tcp.ACK:
				fl.synF = true
			case d == 1 && tcp.SYN && tcp.ACK && fl.synF:
				fl.synAckAfterSyn = true
			case d == 0 && tcp.ACK && !tcp.SYN && fl.synAckAfterSyn:
				fl.handshake = true
			}
			if !fl.closed {
				if tcp.RST || (fl.fins[0] > 0 && fl.fins[1] > 0) {
					fl.closed, fl.closedAt = true, ts
				}
			}
		}
	}
	for _, fl := range open {
		done = append(done, fl)
	}
	return done
}

func refState(f *refFlow) State {
	switch {
	case f.rsts[0]+f.rsts[1] > 0:
		return StateReset
	case f.fins[0] > 0 && f.fins[1] > 0:
		return StateClosed
	case f.fins[0]+f.fins[1] > 0:
		return StateClosing
	case f.handshake:
		return StateEstablished
	case f.syns[0] > 0 && f.syns[1] > 0:
		return StateConnecting
	case f.syns[0] > 0:
		return StateNew
	}
	return StateOther
}

// refWindows computes every window's statistics naively with sets.
func refWindows(flows []*refFlow, width int64) map[int64]*Stats {
	type conv struct{ a, b netip.Addr }
	type win struct {
		st                    Stats
		src, dst              map[netip.Addr]bool
		sp, dp                map[uint16]bool
		flowsPer              map[conv]int
		portsPerConv          map[conv]map[uint16]bool
		portsPerSrc, dstPer   map[netip.Addr]map[uint16]bool
		dstsPerSrc, srcPerDst map[netip.Addr]map[netip.Addr]bool
		srcPerPort            map[uint16]map[netip.Addr]bool
	}
	wins := map[int64]*win{}
	add := func(m map[netip.Addr]map[netip.Addr]bool, k, v netip.Addr) {
		if m[k] == nil {
			m[k] = map[netip.Addr]bool{}
		}
		m[k][v] = true
	}
	for _, f := range flows {
		k := floorDiv(f.last, width)
		w := wins[k]
		if w == nil {
			w = &win{src: map[netip.Addr]bool{}, dst: map[netip.Addr]bool{}, sp: map[uint16]bool{}, dp: map[uint16]bool{},
				flowsPer: map[conv]int{}, portsPerConv: map[conv]map[uint16]bool{}, portsPerSrc: map[netip.Addr]map[uint16]bool{},
				dstsPerSrc: map[netip.Addr]map[netip.Addr]bool{}, srcPerDst: map[netip.Addr]map[netip.Addr]bool{},
				srcPerPort: map[uint16]map[netip.Addr]bool{}}
			wins[k] = w
		}
		w.st.Flows++
		w.st.Packets += f.packets
		w.st.BytesUp += f.up
		w.st.BytesDown += f.down
		w.src[f.src], w.dst[f.dst] = true, true
		c := conv{f.src, f.dst}
		w.flowsPer[c]++
		add(w.dstsPerSrc, f.src, f.dst)
		add(w.srcPerDst, f.dst, f.src)
		if f.proto == 6 || f.proto == 17 {
			w.sp[f.sport], w.dp[f.dport] = true, true
			if w.portsPerConv[c] == nil {
				w.portsPerConv[c] = map[uint16]bool{}
			}
			w.portsPerConv[c][f.dport] = true
			if w.portsPerSrc[f.src] == nil {
				w.portsPerSrc[f.src] = map[uint16]bool{}
			}
			w.portsPerSrc[f.src][f.dport] = true
			if w.srcPerPort[f.dport] == nil {
				w.srcPerPort[f.dport] = map[netip.Addr]bool{}
			}
			w.srcPerPort[f.dport][f.src] = true
		}
		if f.proto == 6 {
			w.st.TCP[refState(f)]++
		}
	}
	summarise := func(sizes []float64) GroupStats {
		g := GroupStats{SampleRate: 1, Exact: true}
		if len(sizes) == 0 {
			return g
		}
		slices.Sort(sizes)
		sum := 0.0
		for _, s := range sizes {
			sum += s
		}
		// numpy.percentile, method "linear": h = (n-1)q.
		pct := func(q float64) float64 {
			h := float64(len(sizes)-1) * q
			lo := math.Floor(h)
			if int(lo)+1 >= len(sizes) {
				return sizes[int(lo)]
			}
			return sizes[int(lo)] + (h-lo)*(sizes[int(lo)+1]-sizes[int(lo)])
		}
		g.Max, g.Mean = sizes[len(sizes)-1], sum/float64(len(sizes))
		g.P25, g.P50, g.P75, g.P90 = pct(0.25), pct(0.5), pct(0.75), pct(0.9)
		return g
	}
	out := map[int64]*Stats{}
	for k, w := range wins {
		s := w.st
		s.Start, s.End = time.Unix(0, k*width).UTC(), time.Unix(0, (k+1)*width).UTC()
		s.SrcIPs, s.DstIPs, s.SrcPorts, s.DstPorts = uint64(len(w.src)), uint64(len(w.dst)), uint64(len(w.sp)), uint64(len(w.dp))
		s.Conversations = uint64(len(w.flowsPer))
		s.Exact = true
		var sz []float64
		for _, n := range w.flowsPer {
			sz = append(sz, float64(n))
		}
		s.Groups[FlowsPerConv] = summarise(sz)
		sz = nil
		for _, m := range w.portsPerConv {
			sz = append(sz, float64(len(m)))
		}
		s.Groups[DstPortsPerConv] = summarise(sz)
		sz = nil
		for _, m := range w.portsPerSrc {
			sz = append(sz, float64(len(m)))
		}
		s.Groups[DstPortsPerSrc] = summarise(sz)
		sz = nil
		for _, m := range w.dstsPerSrc {
			sz = append(sz, float64(len(m)))
		}
		s.Groups[DstIPsPerSrc] = summarise(sz)
		sz = nil
		for _, m := range w.srcPerDst {
			sz = append(sz, float64(len(m)))
		}
		s.Groups[SrcIPsPerDst] = summarise(sz)
		sz = nil
		for _, m := range w.srcPerPort {
			sz = append(sz, float64(len(m)))
		}
		s.Groups[SrcIPsPerDport] = summarise(sz)
		out[k] = &s
	}
	return out
}

// meterWindows runs the project's pipeline on path and aggregates its
// records into windows.
func meterWindows(t *testing.T, path string, width time.Duration, opt Options) ([]Stats, *Aggregator) {
	return meterWindowsOpt(t, path, width, opt, false)
}

func meterWindowsOpt(t *testing.T, path string, width time.Duration, opt Options, lenient bool) ([]Stats, *Aggregator) {
	t.Helper()
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []Stats
	if opt.Hold == 0 {
		opt.Hold = flow.DefaultIdleTimeout + width
	}
	agg, err := New(width, schema, opt, func(s *Stats) { rows = append(rows, *s) })
	if err != nil {
		t.Fatal(err)
	}
	e := features.NewExtractor(schema, flow.Config{}, agg.Add, 1, 1)
	for _, fr := range meter.ReadFiles([]string{path}, e, nil) {
		if fr.Err != nil && !(lenient && fr.Truncated()) {
			t.Fatalf("read %s: %v", path, fr.Err)
		}
	}
	agg.Flush()
	return rows, agg
}

// meterWindowsLenient is meterWindows with default options that accepts
// truncated captures (read up to the cut).
func meterWindowsLenient(t *testing.T, path string, width time.Duration) ([]Stats, *Aggregator) {
	return meterWindowsOpt(t, path, width, Options{}, true)
}

func TestWindowsMatchNaiveRecomputation(t *testing.T) {
	for _, rel := range []string{"malicious/ndpi_synscan.pcap", "benign/ndpi_1kxun.pcap"} {
		for _, width := range []time.Duration{10 * time.Second, time.Second} {
			t.Run(rel+"/"+width.String(), func(t *testing.T) {
				path := testdata.Capture(t, rel)
				rows, _ := meterWindows(t, path, width, Options{})
				want := refWindows(referenceFlows(t, path), int64(width))
				if len(rows) != len(want) {
					t.Errorf("%d windows, reference has %d", len(rows), len(want))
				}
				var flows uint64
				for i, got := range rows {
					if i > 0 && !rows[i-1].Start.Before(got.Start) {
						t.Errorf("window %v written after %v", got.Start, rows[i-1].Start)
					}
					if got.LateFlows != 0 {
						t.Errorf("window %v: %d late flows", got.Start, got.LateFlows)
					}
					flows += got.Flows
					w := want[floorDiv(got.Start.UnixNano(), int64(width))]
					if w == nil {
						t.Errorf("window %v not in the reference", got.Start)
						continue
					}
					if got != *w {
						t.Errorf("window %v:\n got  %+v\n want %+v", got.Start, got, *w)
					}
				}
				t.Logf("%s: %d windows of %v, %d flows", rel, len(rows), width, flows)
			})
		}
	}
}
