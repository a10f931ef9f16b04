package features

import (
	"math"
	"net"
	"testing"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpFrame builds an Ethernet/IPv4/TCP frame without options: 54 bytes plus
// the payload, padded to Ethernet's 60-byte minimum (the padding is on the
// wire, so it counts in frame sizes and header bytes).
func tcpFrame(t testing.TB, fromClient bool, flags string, win uint16, payload int) []byte {
	t.Helper()
	c, s := net.IP{192, 0, 2, 1}, net.IP{198, 51, 100, 2}
	cp, sp := layers.TCPPort(40000), layers.TCPPort(80)
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c, DstIP: s}
	tcp := &layers.TCP{SrcPort: cp, DstPort: sp, Window: win, Seq: 1}
	if !fromClient {
		ip.SrcIP, ip.DstIP = s, c
		tcp.SrcPort, tcp.DstPort = sp, cp
	}
	for _, f := range flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'F':
			tcp.FIN = true
		case 'P':
			tcp.PSH = true
		case 'R':
			tcp.RST = true
		}
	}
	tcp.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(make([]byte, payload)))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type step struct {
	ms         int
	fromClient bool
	flags      string
	win        uint16
	payload    int
}

func runSteps(t testing.TB, schema *Schema, steps []step) []Record {
	var out []Record
	e := NewExtractor(schema, flow.Config{}, func(r *Record) {
		c := *r
		c.Values = append([]float64(nil), r.Values...)
		out = append(out, c)
	}, 1, 1)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range steps {
		data := tcpFrame(t, s.fromClient, s.flags, s.win, s.payload)
		rec := capture.Record{Data: data, Length: len(data), Timestamp: base.Add(time.Duration(s.ms) * time.Millisecond), LinkType: layers.LinkTypeEthernet}
		e.Packet(&rec)
	}
	e.Flush(flow.EndOfInput)
	return out
}

// TestHandWorkedTCPSession checks a TCP session's features against values
// worked out by hand (see the comments for the arithmetic).
func TestHandWorkedTCPSession(t *testing.T) {
	schema, err := NewSchema(Config{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []step{
		{0, true, "S", 64240, 0},
		{10, false, "SA", 65160, 0},
		{20, true, "A", 502, 0},
		{30, true, "PA", 502, 100},
		{50, false, "A", 509, 0},
		{60, false, "PA", 509, 1000}, // a bulk of five 1000-byte segments, 10 ms apart
		{70, false, "A", 509, 1000},
		{80, false, "A", 509, 1000},
		{90, false, "A", 509, 1000},
		{100, false, "A", 509, 1000},
		{6060, true, "A", 502, 0}, // 5.96 s of silence: idle period, new subflow
		{6070, true, "FA", 502, 0},
		{6080, false, "FA", 509, 0},
		{6090, true, "A", 502, 0},
	}
	recs := runSteps(t, schema, steps)
	if len(recs) != 1 {
		t.Fatalf("%d flows, want 1", len(recs))
	}
	r := recs[0]
	if r.Expiration != flow.TCPFin {
		t.Errorf("expiration %v, want tcp_fin", r.Expiration)
	}
	if r.Src.String() != "192.0.2.1" || r.SrcPort != 40000 || r.DstPort != 80 {
		t.Errorf("identity %v:%d -> %v:%d", r.Src, r.SrcPort, r.Dst, r.DstPort)
	}
	want := map[string]float64{
		"bidirectional_packets": 14, "src2dst_packets": 6, "dst2src_packets": 8,
		// fwd: five 60-byte frames and one of 154; bwd: three of 60, five of 1054.
		"src2dst_bytes": 454, "dst2src_bytes": 5450, "bidirectional_bytes": 5904,
		"src2dst_payload_bytes": 100, "dst2src_payload_bytes": 5000,
		"src2dst_header_bytes": 354, "dst2src_header_bytes": 450,
		"src2dst_payload_packets": 1, "dst2src_payload_packets": 5,
		"bidirectional_duration_ms": 6090, "src2dst_duration_ms": 6090, "dst2src_duration_ms": 6070,
		"bidirectional_packets_per_s": 14 / 6.09, "dst2src_bytes_per_s": 5450 / 6.07,
		"down_up_packets_ratio": 8.0 / 6, "down_up_payload_ratio": 50,
		"tcp_handshake_seen": 1, "tcp_syn_synack_ms": 10, "tcp_synack_ack_ms": 10, "tcp_handshake_rtt_ms": 20,
		"src2dst_init_win_bytes": 64240, "dst2src_init_win_bytes": 65160,
		"src2dst_syn_packets": 1, "dst2src_syn_packets": 1, "bidirectional_syn_packets": 2,
		"src2dst_ack_packets": 5, "dst2src_ack_packets": 8, "bidirectional_fin_packets": 2,
		"src2dst_psh_packets": 1, "dst2src_psh_packets": 1, "bidirectional_rst_packets": 0,
		// Active 0-100 ms, idle 5960 ms, active 6060-6090 ms.
		"active_min_ms": 30, "active_max_ms": 100, "active_mean_ms": 65, "active_stddev_ms": 35,
		"idle_min_ms": 5960, "idle_max_ms": 5960, "idle_mean_ms": 5960, "idle_stddev_ms": 0,
		// Bulk: bwd packets at 60..100 ms; it becomes a bulk at the 4th (90 ms).
		"dst2src_bulk_bytes_avg": 5000, "dst2src_bulk_packets_avg": 5, "dst2src_bulk_rate": 5000 / 0.040,
		"src2dst_bulk_bytes_avg": 0,
		"subflow_count":          2, "src2dst_subflow_packets": 3, "dst2src_subflow_bytes": 2725,
		// Sizes.
		"src2dst_min_ps": 60, "src2dst_max_ps": 154, "src2dst_mean_ps": 454.0 / 6, "src2dst_median_ps": 60,
		"src2dst_mode_ps": 60, "src2dst_p90_ps": 107, // sorted 60×5,154: h = 0.9*5 = 4.5 → 60 + 0.5*(154-60)
		"dst2src_median_ps": 1054, "dst2src_p25_ps": 60, "dst2src_p10_ps": 60, // sorted 60×3,1054×5; h = 1.75
		"bidirectional_p75_ps": 1054, "bidirectional_p50_ps": 60, // sorted 60×8,154,1054×5: h = 9.75 → 1054; h = 6.5 → 60
		"bidirectional_mode_ps": 60,
		// Inter-arrival times: both directions 13 gaps summing to 6090 ms.
		"bidirectional_mean_piat_ms": 6090.0 / 13, "bidirectional_median_piat_ms": 10, "bidirectional_max_piat_ms": 5960,
		"src2dst_mean_piat_ms": 6090.0 / 5, "src2dst_min_piat_ms": 10, // fwd gaps 20,10,6030,10,20
		"src2dst_median_piat_ms": 20,
		// Deltas: fwd sizes 60,60,60,154,60,60 → 0,0,94,-94,0.
		"src2dst_mean_ps_delta": 0, "src2dst_max_ps_delta": 94, "src2dst_min_ps_delta": -94, "src2dst_mode_ps_delta": 0,
		// fwd gap deltas: 20→10→6030→10→20: -10, 6020, -6020, 10.
		"src2dst_mean_piat_delta_ms": 0, "src2dst_max_piat_delta_ms": 6020,
		"splt_direction_1": 0, "splt_direction_2": 1, "splt_direction_5": 1, "splt_ps_4": 154, "splt_ps_6": 1054,
		"splt_piat_ms_1": 0, "splt_piat_ms_5": 20, "splt_piat_ms_10": 10,
		"protocol": 6, "dst_port": 80, "icmp_type": -1,
	}
	for name, w := range want {
		i := schema.Index(name)
		if i < 0 {
			t.Errorf("no feature %s", name)
			continue
		}
		if g := r.Values[i]; math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
}

// TestEdgeCasesHaveNoNaN: one-packet flows, zero durations and empty
// directions give defined values, never NaN or Inf.
func TestEdgeCasesHaveNoNaN(t *testing.T) {
	schema, err := NewSchema(Config{SPLT: 3})
	if err != nil {
		t.Fatal(err)
	}
	recs := runSteps(t, schema, []step{{0, true, "S", 1024, 0}})
	if len(recs) != 1 {
		t.Fatalf("%d flows", len(recs))
	}
	r := recs[0]
	for i, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v", schema.Features[i].Name, v)
		}
	}
	for name, w := range map[string]float64{
		"bidirectional_packets": 1, "dst2src_packets": 0, "bidirectional_duration_ms": 0,
		"bidirectional_packets_per_s": 0, "dst2src_mean_ps": 0, "bidirectional_mean_piat_ms": 0,
		"bidirectional_mean_ps": 60, "bidirectional_stddev_ps": 0, "bidirectional_skewness_ps": 0,
		"dst2src_init_win_bytes": -1, "splt_ps_2": -1, "splt_direction_3": -1, "down_up_packets_ratio": 0,
		"subflow_count": 1, "active_mean_ms": 0, "tcp_handshake_seen": 0,
	} {
		if g := r.Values[schema.Index(name)]; g != w {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
}
