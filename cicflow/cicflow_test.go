package cicflow

import (
	"bytes"
	"encoding/csv"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/flowclass/flowclass/meter"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// pkt is one frame of a generated capture.
type pkt struct {
	ms       int    // time from the capture's start
	fwd      bool   // sent by the flow's first sender
	flags    string // TCP flags: S A F P R U; empty for UDP
	win      uint16
	payload  int
	mss      bool // add a 4-byte MSS option (TCP header of 24 bytes)
	udp      bool
	src, dst net.IP
	sp, dp   uint16
}

func frame(t *testing.T, p pkt) []byte {
	t.Helper()
	src, dst, sp, dp := p.src, p.dst, p.sp, p.dp
	if !p.fwd {
		src, dst, sp, dp = dst, src, dp, sp
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	var l4 gopacket.SerializableLayer
	if p.udp {
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		u.SetNetworkLayerForChecksum(ip)
		l4 = u
	} else {
		ip.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Window: p.win, Seq: uint32(1000 + p.ms), Ack: 7}
		for _, f := range p.flags {
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
			case 'U':
				tcp.URG = true
			}
		}
		if p.mss {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 180}}}
		}
		tcp.SetNetworkLayerForChecksum(ip)
		l4 = tcp
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, l4, gopacket.Payload(bytes.Repeat([]byte{0xab}, p.payload))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeCapture writes the frames as a pcap file and returns its path.
func writeCapture(t *testing.T, base time.Time, pkts []pkt) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pcap")
	frames := make([][]byte, len(pkts))
	times := make([]time.Time, len(pkts))
	for i, p := range pkts {
		frames[i], times[i] = frame(t, p), base.Add(time.Duration(p.ms)*time.Millisecond)
	}
	testdata.WritePcap(t, path, frames, times)
	return path
}

// extractCIC meters the capture and returns the CIC CSV it gives.
func extractCIC(t *testing.T, path string) []byte {
	t.Helper()
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := NewCSVWriter(&out, schema)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		if err := w.Write(r, "benign"); err != nil && werr == nil {
			werr = err
		}
	}, 1, 1)
	for _, fr := range meter.ReadFiles([]string{path}, e, nil) {
		if fr.Err != nil {
			t.Fatal(fr.Err)
		}
	}
	if werr != nil {
		t.Fatal(werr)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var wantHeader = "Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Total Fwd Packet,Total Bwd packets," +
	"Total Length of Fwd Packet,Total Length of Bwd Packet,Fwd Packet Length Max,Fwd Packet Length Min,Fwd Packet Length Mean," +
	"Fwd Packet Length Std,Bwd Packet Length Max,Bwd Packet Length Min,Bwd Packet Length Mean,Bwd Packet Length Std," +
	"Flow Bytes/s,Flow Packets/s,Flow IAT Mean,Flow IAT Std,Flow IAT Max,Flow IAT Min,Fwd IAT Total,Fwd IAT Mean,Fwd IAT Std," +
	"Fwd IAT Max,Fwd IAT Min,Bwd IAT Total,Bwd IAT Mean,Bwd IAT Std,Bwd IAT Max,Bwd IAT Min,Fwd PSH Flags,Bwd PSH Flags," +
	"Fwd URG Flags,Bwd URG Flags,Fwd Header Length,Bwd Header Length,Fwd Packets/s,Bwd Packets/s,Packet Length Min," +
	"Packet Length Max,Packet Length Mean,Packet Length Std,Packet Length Variance,FIN Flag Count,SYN Flag Count," +
	"RST Flag Count,PSH Flag Count,ACK Flag Count,URG Flag Count,CWR Flag Count,ECE Flag Count,Down/Up Ratio," +
	"Average Packet Size,Fwd Segment Size Avg,Bwd Segment Size Avg,Fwd Bytes/Bulk Avg,Fwd Packet/Bulk Avg," +
	"Fwd Bulk Rate Avg,Bwd Bytes/Bulk Avg,Bwd Packet/Bulk Avg,Bwd Bulk Rate Avg,Subflow Fwd Packets,Subflow Fwd Bytes," +
	"Subflow Bwd Packets,Subflow Bwd Bytes,FWD Init Win Bytes,Bwd Init Win Bytes,Fwd Act Data Pkts,Fwd Seg Size Min," +
	"Active Mean,Active Std,Active Max,Active Min,Idle Mean,Idle Std,Idle Max,Idle Min,Label"

func TestHeader(t *testing.T) {
	h := Header()
	if len(h) != 84 || NumColumns != 84 {
		t.Fatalf("%d columns, want 84", len(h))
	}
	if got := strings.Join(h, ","); got != wantHeader {
		t.Errorf("header\n got %s\nwant %s", got, wantHeader)
	}
	n := 0
	for _, c := range h {
		if c == "Fwd Header Length" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Fwd Header Length appears %d times", n)
	}
}

var (
	client = net.IP{10, 0, 0, 1}
	server = net.IP{10, 0, 0, 2}
)

// Each case lists every column's expected value, worked out by hand in
// the comments. Payload-length statistics are over transport payloads;
// standard deviations are sample (n-1) ones except Active/Idle Std.
var cases = []struct {
	name string
	base time.Time
	pkts []pkt
	want map[string]string
}{
	{
		// Handshake, 100 bytes up, 300 down, FIN both ways, last ACK.
		name: "tcp_session",
		base: time.Date(2026, 1, 2, 15, 4, 5, 123456000, time.UTC),
		pkts: []pkt{
			{ms: 0, fwd: true, flags: "S", win: 64240, mss: true},    // L4 hdr 24
			{ms: 10, fwd: false, flags: "SA", win: 65160, mss: true}, // 24
			{ms: 20, fwd: true, flags: "A", win: 502},
			{ms: 30, fwd: true, flags: "PA", win: 502, payload: 100},
			{ms: 40, fwd: false, flags: "A", win: 509},
			{ms: 60, fwd: false, flags: "PA", win: 509, payload: 300},
			{ms: 70, fwd: true, flags: "A", win: 502},
			{ms: 80, fwd: true, flags: "FA", win: 502},
			{ms: 90, fwd: false, flags: "FA", win: 509},
			{ms: 100, fwd: true, flags: "A", win: 502},
		},
		want: map[string]string{
			"Flow ID": "10.0.0.1-10.0.0.2-40000-80-6", "Src IP": "10.0.0.1", "Src Port": "40000",
			"Dst IP": "10.0.0.2", "Dst Port": "80", "Protocol": "6",
			"Timestamp":     "02/01/2026 03:04:05 PM", // 15:04 in 12-hour form
			"Flow Duration": "100000",                 // 100 ms in µs
			// fwd packets 1,3,4,7,8,10; bwd 2,5,6,9.
			"Total Fwd Packet": "6", "Total Bwd packets": "4",
			"Total Length of Fwd Packet": "100", "Total Length of Bwd Packet": "300",
			// fwd payloads 100,0,0,0,0,0: mean 50/3, SS = 8333.3 → s² = 1666.67
			"Fwd Packet Length Max": "100", "Fwd Packet Length Min": "0",
			"Fwd Packet Length Mean": f(100.0 / 6), "Fwd Packet Length Std": f(math.Sqrt(25000.0 / 3 / 5)),
			// bwd payloads 0,0,300,0: mean 75, SS = 3·75² + 225² = 67500 → s² = 22500
			"Bwd Packet Length Max": "300", "Bwd Packet Length Min": "0",
			"Bwd Packet Length Mean": "75", "Bwd Packet Length Std": "150",
			"Flow Bytes/s": "4000", "Flow Packets/s": "100", // 400 B and 10 packets in 0.1 s
			// gaps 10,10,10,10,20,10,10,10,10 ms: mean 100/9, SS = 800/9 → s² = 100/9, s = 10/3 ms
			"Flow IAT Mean": f(1e5 / 9), "Flow IAT Std": f(1e4 / 3), "Flow IAT Max": "20000", "Flow IAT Min": "10000",
			// fwd at 0,20,30,70,80,100: gaps 20,10,40,10,20; SS = 600 → s² = 150 ms²
			"Fwd IAT Total": "100000", "Fwd IAT Mean": "20000", "Fwd IAT Std": f(1000 * math.Sqrt(150)),
			"Fwd IAT Max": "40000", "Fwd IAT Min": "10000",
			// bwd at 10,40,60,90: gaps 30,20,30; SS = 200/3 → s² = 100/3 ms²
			"Bwd IAT Total": "80000", "Bwd IAT Mean": f(8e4 / 3), "Bwd IAT Std": f(1000 * math.Sqrt(100.0/3)),
			"Bwd IAT Max": "30000", "Bwd IAT Min": "20000",
			"Fwd PSH Flags": "1", "Bwd PSH Flags": "1", "Fwd URG Flags": "0", "Bwd URG Flags": "0",
			"Fwd Header Length": "124", "Bwd Header Length": "84", // 24+5·20; 24+3·20
			"Fwd Packets/s": "60", "Bwd Packets/s": "40",
			// all payloads 100,300 and eight 0: mean 40, SS = 60²+260²+8·40² = 84000 → s² = 84000/9
			"Packet Length Min": "0", "Packet Length Max": "300", "Packet Length Mean": "40",
			"Packet Length Std": f(math.Sqrt(84000.0 / 9)), "Packet Length Variance": f(84000.0 / 9),
			"FIN Flag Count": "2", "SYN Flag Count": "2", "RST Flag Count": "0", "PSH Flag Count": "2",
			"ACK Flag Count": "9", "URG Flag Count": "0", "CWR Flag Count": "0", "ECE Flag Count": "0",
			"Down/Up Ratio": f(4.0 / 6), "Average Packet Size": "40",
			"Fwd Segment Size Avg": f(100.0 / 6), "Bwd Segment Size Avg": "75",
			"Fwd Bytes/Bulk Avg": "0", "Fwd Packet/Bulk Avg": "0", "Fwd Bulk Rate Avg": "0",
			"Bwd Bytes/Bulk Avg": "0", "Bwd Packet/Bulk Avg": "0", "Bwd Bulk Rate Avg": "0",
			"Subflow Fwd Packets": "6", "Subflow Fwd Bytes": "100", "Subflow Bwd Packets": "4", "Subflow Bwd Bytes": "300",
			"FWD Init Win Bytes": "64240", "Bwd Init Win Bytes": "65160", // first bwd packet's, not the last
			"Fwd Act Data Pkts": "1", "Fwd Seg Size Min": "20",
			// one active period 0-100 ms, no idle gap over 5 s
			"Active Mean": "100000", "Active Std": "0", "Active Max": "100000", "Active Min": "100000",
			"Idle Mean": "0", "Idle Std": "0", "Idle Max": "0", "Idle Min": "0",
			"Label": "benign",
		},
	},
	{
		// One UDP datagram with 40 payload bytes, just after midnight.
		// 192 as a Java signed byte is -64 < 10: CIC keeps this order.
		name: "udp_single",
		base: time.Date(2026, 3, 4, 0, 30, 0, 999999000, time.UTC),
		pkts: []pkt{{ms: 0, fwd: true, udp: true, payload: 40}},
		want: map[string]string{
			"Flow ID": "192.168.1.200-10.0.0.53-5353-53-17", "Src IP": "192.168.1.200", "Src Port": "5353",
			"Dst IP": "10.0.0.53", "Dst Port": "53", "Protocol": "17",
			"Timestamp":     "04/03/2026 12:30:00 AM", // midnight hour is 12 AM; ms truncated
			"Flow Duration": "0", "Total Fwd Packet": "1", "Total Bwd packets": "0",
			"Total Length of Fwd Packet": "40", "Total Length of Bwd Packet": "0",
			"Fwd Packet Length Max": "40", "Fwd Packet Length Min": "40", "Fwd Packet Length Mean": "40", "Fwd Packet Length Std": "0",
			"Bwd Packet Length Max": "0", "Bwd Packet Length Min": "0", "Bwd Packet Length Mean": "0", "Bwd Packet Length Std": "0",
			"Flow Bytes/s": "0", "Flow Packets/s": "0", // CIC: Infinity and NaN
			"Flow IAT Mean": "0", "Flow IAT Std": "0", "Flow IAT Max": "0", "Flow IAT Min": "0",
			"Fwd IAT Total": "0", "Fwd IAT Mean": "0", "Fwd IAT Std": "0", "Fwd IAT Max": "0", "Fwd IAT Min": "0",
			"Bwd IAT Total": "0", "Bwd IAT Mean": "0", "Bwd IAT Std": "0", "Bwd IAT Max": "0", "Bwd IAT Min": "0",
			"Fwd PSH Flags": "0", "Bwd PSH Flags": "0", "Fwd URG Flags": "0", "Bwd URG Flags": "0",
			"Fwd Header Length": "8", "Bwd Header Length": "0", "Fwd Packets/s": "0", "Bwd Packets/s": "0",
			"Packet Length Min": "40", "Packet Length Max": "40", "Packet Length Mean": "40",
			"Packet Length Std": "0", "Packet Length Variance": "0",
			"FIN Flag Count": "0", "SYN Flag Count": "0", "RST Flag Count": "0", "PSH Flag Count": "0",
			"ACK Flag Count": "0", "URG Flag Count": "0", "CWR Flag Count": "0", "ECE Flag Count": "0",
			"Down/Up Ratio": "0", "Average Packet Size": "40", "Fwd Segment Size Avg": "40", "Bwd Segment Size Avg": "0",
			"Fwd Bytes/Bulk Avg": "0", "Fwd Packet/Bulk Avg": "0", "Fwd Bulk Rate Avg": "0",
			"Bwd Bytes/Bulk Avg": "0", "Bwd Packet/Bulk Avg": "0", "Bwd Bulk Rate Avg": "0",
			"Subflow Fwd Packets": "1", "Subflow Fwd Bytes": "40", "Subflow Bwd Packets": "0", "Subflow Bwd Bytes": "0",
			"FWD Init Win Bytes": "-1", "Bwd Init Win Bytes": "-1", "Fwd Act Data Pkts": "1", "Fwd Seg Size Min": "8",
			"Active Mean": "0", "Active Std": "0", "Active Max": "0", "Active Min": "0",
			"Idle Mean": "0", "Idle Std": "0", "Idle Max": "0", "Idle Min": "0",
			"Label": "benign",
		},
	},
	{
		// UDP with two silences over 5 s: fwd 10 B at 0, bwd 20 B at 1 s,
		// fwd 10 B at 7 s, bwd 20 B at 7.5 s, fwd 30 B at 14 s.
		// 10.0.0.9 > 10.0.0.3 at the last byte: CIC's id puts .3 first.
		name: "udp_idle",
		base: time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC),
		pkts: []pkt{
			{ms: 0, fwd: true, udp: true, payload: 10},
			{ms: 1000, fwd: false, udp: true, payload: 20},
			{ms: 7000, fwd: true, udp: true, payload: 10},
			{ms: 7500, fwd: false, udp: true, payload: 20},
			{ms: 14000, fwd: true, udp: true, payload: 30},
		},
		want: map[string]string{
			"Flow ID": "10.0.0.3-10.0.0.9-2000-1000-17", "Src IP": "10.0.0.9", "Src Port": "1000",
			"Dst IP": "10.0.0.3", "Dst Port": "2000", "Protocol": "17",
			"Timestamp":        "06/05/2026 12:00:00 PM", // noon is 12 PM
			"Flow Duration":    "14000000",
			"Total Fwd Packet": "3", "Total Bwd packets": "2",
			"Total Length of Fwd Packet": "50", "Total Length of Bwd Packet": "40",
			// fwd 10,10,30: mean 50/3, SS = 800/3 → s² = 400/3
			"Fwd Packet Length Max": "30", "Fwd Packet Length Min": "10", "Fwd Packet Length Mean": f(50.0 / 3),
			"Fwd Packet Length Std": f(math.Sqrt(400.0 / 3)),
			"Bwd Packet Length Max": "20", "Bwd Packet Length Min": "20", "Bwd Packet Length Mean": "20", "Bwd Packet Length Std": "0",
			"Flow Bytes/s": f(90.0 / 14), "Flow Packets/s": f(5.0 / 14),
			// gaps 1000,6000,500,6500 ms: mean 3500, SS = 30.5e6 → s² = 30.5e6/3
			"Flow IAT Mean": "3500000", "Flow IAT Std": f(1000 * math.Sqrt(30.5e6/3)),
			"Flow IAT Max": "6500000", "Flow IAT Min": "500000",
			"Fwd IAT Total": "14000000", "Fwd IAT Mean": "7000000", "Fwd IAT Std": "0", "Fwd IAT Max": "7000000", "Fwd IAT Min": "7000000",
			"Bwd IAT Total": "6500000", "Bwd IAT Mean": "6500000", "Bwd IAT Std": "0", "Bwd IAT Max": "6500000", "Bwd IAT Min": "6500000",
			"Fwd PSH Flags": "0", "Bwd PSH Flags": "0", "Fwd URG Flags": "0", "Bwd URG Flags": "0",
			"Fwd Header Length": "24", "Bwd Header Length": "16",
			"Fwd Packets/s": f(3.0 / 14), "Bwd Packets/s": f(2.0 / 14),
			// 10,20,10,20,30: mean 18, SS = 280 → s² = 70
			"Packet Length Min": "10", "Packet Length Max": "30", "Packet Length Mean": "18",
			"Packet Length Std": f(math.Sqrt(70)), "Packet Length Variance": "70",
			"FIN Flag Count": "0", "SYN Flag Count": "0", "RST Flag Count": "0", "PSH Flag Count": "0",
			"ACK Flag Count": "0", "URG Flag Count": "0", "CWR Flag Count": "0", "ECE Flag Count": "0",
			"Down/Up Ratio": f(2.0 / 3), "Average Packet Size": "18", "Fwd Segment Size Avg": f(50.0 / 3), "Bwd Segment Size Avg": "20",
			"Fwd Bytes/Bulk Avg": "0", "Fwd Packet/Bulk Avg": "0", "Fwd Bulk Rate Avg": "0",
			"Bwd Bytes/Bulk Avg": "0", "Bwd Packet/Bulk Avg": "0", "Bwd Bulk Rate Avg": "0",
			// gaps over 1 s: 6000 and 6500 (1000 is not over) → 3 subflows
			"Subflow Fwd Packets": "1", "Subflow Fwd Bytes": f(50.0 / 3), "Subflow Bwd Packets": f(2.0 / 3), "Subflow Bwd Bytes": f(40.0 / 3),
			"FWD Init Win Bytes": "-1", "Bwd Init Win Bytes": "-1", "Fwd Act Data Pkts": "3", "Fwd Seg Size Min": "8",
			// active 0-1000 and 7000-7500 ms (14000 alone has no length);
			// idle 6000 and 6500 ms; population std 250 ms
			"Active Mean": "750000", "Active Std": "250000", "Active Max": "1000000", "Active Min": "500000",
			"Idle Mean": "6250000", "Idle Std": "250000", "Idle Max": "6500000", "Idle Min": "6000000",
			"Label": "benign",
		},
	},
	{
		// Bulk upload: five payload packets 100 ms apart, an ACK back,
		// then the client's RST.
		name: "tcp_bulk",
		base: time.Date(2026, 7, 8, 9, 10, 11, 0, time.UTC),
		pkts: []pkt{
			{ms: 0, fwd: true, flags: "A", win: 1000, payload: 1000},
			{ms: 100, fwd: true, flags: "A", win: 1000, payload: 1000},
			{ms: 200, fwd: true, flags: "A", win: 1000, payload: 1000},
			{ms: 300, fwd: true, flags: "PA", win: 1000, payload: 1000},
			{ms: 400, fwd: true, flags: "A", win: 1000, payload: 500},
			{ms: 500, fwd: false, flags: "A", win: 2000},
			{ms: 600, fwd: true, flags: "R", win: 0},
		},
		want: map[string]string{
			"Flow ID": "10.0.0.1-10.0.0.2-40000-80-6", "Src IP": "10.0.0.1", "Src Port": "40000",
			"Dst IP": "10.0.0.2", "Dst Port": "80", "Protocol": "6",
			"Timestamp": "08/07/2026 09:10:11 AM", "Flow Duration": "600000",
			"Total Fwd Packet": "6", "Total Bwd packets": "1",
			"Total Length of Fwd Packet": "4500", "Total Length of Bwd Packet": "0",
			// fwd 1000×4,500,0: mean 750, SS = 4·250²+250²+750² = 875000 → s² = 175000
			"Fwd Packet Length Max": "1000", "Fwd Packet Length Min": "0", "Fwd Packet Length Mean": "750",
			"Fwd Packet Length Std": f(math.Sqrt(175000)),
			"Bwd Packet Length Max": "0", "Bwd Packet Length Min": "0", "Bwd Packet Length Mean": "0", "Bwd Packet Length Std": "0",
			"Flow Bytes/s": "7500", "Flow Packets/s": f(7 / 0.6),
			"Flow IAT Mean": "100000", "Flow IAT Std": "0", "Flow IAT Max": "100000", "Flow IAT Min": "100000",
			// fwd gaps 100,100,100,100,200: mean 120, SS = 8000 → s² = 2000 ms²
			"Fwd IAT Total": "600000", "Fwd IAT Mean": "120000", "Fwd IAT Std": f(1000 * math.Sqrt(2000)),
			"Fwd IAT Max": "200000", "Fwd IAT Min": "100000",
			"Bwd IAT Total": "0", "Bwd IAT Mean": "0", "Bwd IAT Std": "0", "Bwd IAT Max": "0", "Bwd IAT Min": "0",
			"Fwd PSH Flags": "1", "Bwd PSH Flags": "0", "Fwd URG Flags": "0", "Bwd URG Flags": "0",
			"Fwd Header Length": "120", "Bwd Header Length": "20",
			"Fwd Packets/s": "10", "Bwd Packets/s": f(1 / 0.6),
			// 1000×4,500,0,0: mean 4500/7, SS = 4.25e6 − 4500²/7 → s² = SS/6
			"Packet Length Min": "0", "Packet Length Max": "1000", "Packet Length Mean": f(4500.0 / 7),
			"Packet Length Std": f(math.Sqrt((4.25e6 - 4500.0*4500/7) / 6)), "Packet Length Variance": f((4.25e6 - 4500.0*4500/7) / 6),
			"FIN Flag Count": "0", "SYN Flag Count": "0", "RST Flag Count": "1", "PSH Flag Count": "1",
			"ACK Flag Count": "6", "URG Flag Count": "0", "CWR Flag Count": "0", "ECE Flag Count": "0",
			"Down/Up Ratio": f(1.0 / 6), "Average Packet Size": f(4500.0 / 7), "Fwd Segment Size Avg": "750", "Bwd Segment Size Avg": "0",
			// one bulk: all five payload packets, 4500 B over 0-400 ms
			"Fwd Bytes/Bulk Avg": "4500", "Fwd Packet/Bulk Avg": "5", "Fwd Bulk Rate Avg": "11250",
			"Bwd Bytes/Bulk Avg": "0", "Bwd Packet/Bulk Avg": "0", "Bwd Bulk Rate Avg": "0",
			"Subflow Fwd Packets": "6", "Subflow Fwd Bytes": "4500", "Subflow Bwd Packets": "1", "Subflow Bwd Bytes": "0",
			"FWD Init Win Bytes": "1000", "Bwd Init Win Bytes": "2000", "Fwd Act Data Pkts": "5", "Fwd Seg Size Min": "20",
			"Active Mean": "600000", "Active Std": "0", "Active Max": "600000", "Active Min": "600000",
			"Idle Mean": "0", "Idle Std": "0", "Idle Max": "0", "Idle Min": "0",
			"Label": "benign",
		},
	},
}

func f(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func TestHandWorked(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.pkts {
				p := &tc.pkts[i]
				switch {
				case tc.name == "udp_single":
					p.src, p.dst, p.sp, p.dp = net.IP{192, 168, 1, 200}, net.IP{10, 0, 0, 53}, 5353, 53
				case tc.name == "udp_idle":
					p.src, p.dst, p.sp, p.dp = net.IP{10, 0, 0, 9}, net.IP{10, 0, 0, 3}, 1000, 2000
				default:
					p.src, p.dst, p.sp, p.dp = client, server, 40000, 80
				}
			}
			out := extractCIC(t, writeCapture(t, tc.base, tc.pkts))
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("read csv: %v\n%s", err, out)
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows, want header and one flow:\n%s", len(rows), out)
			}
			if strings.Join(rows[0], ",") != wantHeader {
				t.Fatalf("header %v", rows[0])
			}
			if len(tc.want) != NumColumns {
				t.Errorf("case lists %d columns, want all %d", len(tc.want), NumColumns)
			}
			for i, col := range rows[0] {
				got := rows[1][i]
				if strings.Contains(strings.ToLower(got), "nan") || strings.Contains(strings.ToLower(got), "inf") {
					t.Errorf("%s = %s", col, got)
				}
				want, ok := tc.want[col]
				if !ok {
					t.Errorf("no expected value for %s (got %s)", col, got)
					continue
				}
				if !same(col, got, want) {
					t.Errorf("%s = %s, want %s", col, got, want)
				}
			}
		})
	}
}

// same compares numbers to 1e-9 relative (the pooled variance leaves the
// last digits free), times (µs) to the half nanosecond they are rounded
// to, and other cells exactly.
func same(col, got, want string) bool {
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 != nil || err2 != nil {
		return got == want
	}
	tol := 1e-9 * math.Max(1, math.Abs(w))
	if strings.Contains(col, "IAT") || strings.HasPrefix(col, "Active") || strings.HasPrefix(col, "Idle") || col == "Flow Duration" {
		tol = max(tol, 5e-4)
	}
	return math.Abs(g-w) <= tol
}

func TestNewRejectsOldSchema(t *testing.T) {
	if _, err := New(&features.Schema{}); err == nil || !strings.Contains(err.Error(), "src2dst_packets") {
		t.Errorf("New on an empty schema: %v", err)
	}
}

// TestExtraColumns: classify's Score follows Label, and a label with a
// comma is quoted.
func TestExtraColumns(t *testing.T) {
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := NewCSVWriter(&out, schema, "Score")
	if err != nil {
		t.Fatal(err)
	}
	r := features.Record{Values: make([]float64, len(schema.Features))}
	if err := w.Write(&r, "a,b", "0.5"); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&r, "x"); err == nil {
		t.Error("a row without its Score was accepted")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][84] != "Score" || rows[1][83] != "a,b" || rows[1][84] != "0.5" {
		t.Errorf("rows %q", rows)
	}
}
