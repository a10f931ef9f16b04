package flow

import (
	"testing"
	"time"

	"github.com/flowclass/flowclass/decode"
)

type expiry struct {
	id     uint64
	reason Reason
	srcIsA bool
	first  int64
}

func tcpPkt(ts time.Duration, src, dst byte, sport, dport uint16, flags uint8) *decode.Packet {
	p := &decode.Packet{Timestamp: int64(ts), WireLen: 60, Proto: 6, IPVersion: 4, SrcPort: sport, DstPort: dport, TCPFlags: flags}
	p.Src[0], p.Src[3] = 10, src
	p.Dst[0], p.Dst[3] = 10, dst
	return p
}

func newTestTable(cfg Config) (*Table, *[]expiry) {
	var out []expiry
	t := NewTable(cfg, func(slot int32, f *Flow, r Reason, at int64) {
		out = append(out, expiry{f.ID, r, f.SrcIsA, f.First})
	}, 1, 1)
	return t, &out
}

const (
	syn    = decode.FlagSYN
	ack    = decode.FlagACK
	fin    = decode.FlagFIN
	rst    = decode.FlagRST
	synack = decode.FlagSYN | decode.FlagACK
)

func TestDirectionFirstPacketAndSynAck(t *testing.T) {
	tab, _ := newTestTable(Config{})
	// The first packet seen decides forward...
	s, dir, created := tab.Add(tcpPkt(0, 2, 1, 80, 5000, ack))
	if !created || dir != Forward {
		t.Fatalf("first packet: created %v dir %v", created, dir)
	}
	src, sport := tab.Flow(s).Src()
	if src[3] != 2 || sport != 80 {
		t.Fatalf("src = %v:%d, want 10.0.0.2:80", src[:4], sport)
	}
	_, dir, created = tab.Add(tcpPkt(time.Millisecond, 1, 2, 5000, 80, ack))
	if created || dir != Backward {
		t.Fatalf("reply: created %v dir %v", created, dir)
	}
	// ...except that a SYN-ACK first means its receiver is the client.
	s, dir, _ = tab.Add(tcpPkt(0, 3, 4, 443, 6000, synack))
	if dir != Backward {
		t.Fatalf("SYN-ACK first: dir %v, want backward", dir)
	}
	src, sport = tab.Flow(s).Src()
	if src[3] != 4 || sport != 6000 {
		t.Fatalf("SYN-ACK first: src = %v:%d, want the client 10.0.0.4:6000", src[:4], sport)
	}
}

func TestTeardownKeepsLateAckAndNewSynStartsFlow(t *testing.T) {
	tab, out := newTestTable(Config{})
	ms := time.Millisecond
	seq := []*decode.Packet{
		tcpPkt(0, 1, 2, 5000, 80, syn),
		tcpPkt(1*ms, 2, 1, 80, 5000, synack),
		tcpPkt(2*ms, 1, 2, 5000, 80, ack),
		tcpPkt(3*ms, 1, 2, 5000, 80, fin|ack),
		tcpPkt(4*ms, 2, 1, 80, 5000, fin|ack),
		tcpPkt(5*ms, 1, 2, 5000, 80, ack), // last ACK after both FINs: same flow
	}
	for _, p := range seq {
		tab.Add(p)
	}
	if tab.Stats().Created != 1 {
		t.Fatalf("created %d flows, want 1 (the last ACK belongs to the ended flow)", tab.Stats().Created)
	}
	// A new SYN on the same ports right after: the old flow ends, a new one starts.
	tab.Add(tcpPkt(6*ms, 1, 2, 5000, 80, syn))
	if len(*out) != 1 || (*out)[0].reason != TCPFin {
		t.Fatalf("expired %+v, want one tcp_fin", *out)
	}
	if tab.Stats().Created != 2 {
		t.Fatalf("created %d, want 2", tab.Stats().Created)
	}
	// RST ends a flow; it is collected by the sweep after the grace period.
	tab.Add(tcpPkt(7*ms, 2, 1, 80, 5000, rst))
	tab.Add(tcpPkt(3*time.Second, 7, 8, 1, 2, syn)) // unrelated packet moves time on
	if len(*out) != 2 || (*out)[1].reason != TCPRst {
		t.Fatalf("expired %+v, want tcp_rst second", *out)
	}
}

func TestIdleActiveTimeoutsOnPacketTime(t *testing.T) {
	tab, out := newTestTable(Config{IdleTimeout: 10 * time.Second, ActiveTimeout: 30 * time.Second})
	// A flow with a packet every 5 s: never idle, cut by the active timeout.
	for i := 0; i <= 7; i++ {
		tab.Add(tcpPkt(time.Duration(i)*5*time.Second, 1, 2, 5000, 80, ack))
	}
	if len(*out) != 1 || (*out)[0].reason != ActiveTimeout {
		t.Fatalf("expired %+v, want one active_timeout", *out)
	}
	if tab.Stats().Created != 2 {
		t.Fatalf("created %d, want 2 (the packet after the active timeout starts a new flow)", tab.Stats().Created)
	}
	// Silence longer than the idle timeout, seen through another flow's packet.
	tab.Add(tcpPkt(35*time.Second+11*time.Second, 3, 4, 1, 2, ack))
	if len(*out) != 2 || (*out)[1].reason != IdleTimeout {
		t.Fatalf("expired %+v, want idle_timeout second", *out)
	}
	tab.Flush(EndOfInput, tab.Now())
	if len(*out) != 3 || (*out)[2].reason != EndOfInput {
		t.Fatalf("expired %+v, want end_of_input last", *out)
	}
	if tab.Len() != 0 {
		t.Fatalf("%d flows left after flush", tab.Len())
	}
}

func TestEvictionTakesLongestIdle(t *testing.T) {
	tab, out := newTestTable(Config{MaxFlows: 3})
	ms := time.Millisecond
	tab.Add(tcpPkt(0, 1, 2, 1, 80, ack))    // flow 1
	tab.Add(tcpPkt(1*ms, 1, 2, 2, 80, ack)) // flow 2
	tab.Add(tcpPkt(2*ms, 1, 2, 3, 80, ack)) // flow 3
	tab.Add(tcpPkt(3*ms, 1, 2, 1, 80, ack)) // flow 1 again: now flow 2 is the longest idle
	tab.Add(tcpPkt(4*ms, 1, 2, 4, 80, ack)) // flow 4 evicts flow 2
	if len(*out) != 1 || (*out)[0].reason != Evicted || (*out)[0].id != 2 {
		t.Fatalf("expired %+v, want flow 2 evicted", *out)
	}
	if tab.Len() != 3 {
		t.Fatalf("len %d, want 3", tab.Len())
	}
}

func TestICMPEchoRequestAndReplyShareAFlow(t *testing.T) {
	tab, _ := newTestTable(Config{})
	req := &decode.Packet{Proto: 1, IPVersion: 4, ICMPType: 8, ICMPID: 77}
	req.Src[3], req.Dst[3] = 1, 2
	rep := &decode.Packet{Timestamp: 1, Proto: 1, IPVersion: 4, ICMPType: 0, ICMPID: 77}
	rep.Src[3], rep.Dst[3] = 2, 1
	other := &decode.Packet{Timestamp: 2, Proto: 1, IPVersion: 4, ICMPType: 8, ICMPID: 78}
	other.Src[3], other.Dst[3] = 1, 2
	tab.Add(req)
	_, dir, created := tab.Add(rep)
	if created || dir != Backward {
		t.Fatalf("reply: created %v dir %v", created, dir)
	}
	if _, _, created = tab.Add(other); !created {
		t.Fatal("another echo identifier must be another flow")
	}
}

func TestKeyIsSymmetric(t *testing.T) {
	a := tcpPkt(0, 1, 2, 1234, 80, 0)
	b := tcpPkt(0, 2, 1, 80, 1234, 0)
	ka, ra := KeyOf(a)
	kb, rb := KeyOf(b)
	if ka != kb || ra == rb {
		t.Fatalf("keys %v/%v reversed %v/%v", ka, kb, ra, rb)
	}
}

func BenchmarkTableAdd(b *testing.B) {
	tab := NewTable(Config{}, nil, 1, 1)
	pkts := make([]*decode.Packet, 4096)
	for i := range pkts {
		pkts[i] = tcpPkt(0, byte(i), byte(i>>8), uint16(i), 80, ack)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pkts[i&4095]
		p.Timestamp = int64(i)
		tab.Add(p)
	}
}

// BenchmarkTableAddFlood is a spoofed flood: every packet a new flow from a
// random source, the table full at MaxFlows, so each Add misses, evicts the
// longest idle flow and inserts.
func BenchmarkTableAddFlood(b *testing.B) {
	tab := NewTable(Config{MaxFlows: 1 << 16}, nil, 1, 1)
	p := tcpPkt(0, 0, 1, 0, 80, syn)
	x := uint32(0x9e3779b9)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p.Src[0], p.Src[1], p.Src[2], p.Src[3] = 11+byte(x>>24)%200, byte(x>>16), byte(x>>8), byte(x)
		p.SrcPort = uint16(x >> 7)
		p.Timestamp = int64(i)
		tab.Add(p)
	}
}

// BenchmarkTableAddLarge hits a million active flows in random order: the
// index no longer fits in cache, as on a busy link.
func BenchmarkTableAddLarge(b *testing.B) {
	const n = 1 << 20
	tab := NewTable(Config{MaxFlows: n}, nil, 1, 1)
	pkts := make([]decode.Packet, n)
	for i := range pkts {
		pkts[i] = *tcpPkt(0, byte(i), byte(i>>8), uint16(i>>16), 80, ack)
		pkts[i].Src[1] = byte(i >> 16)
		tab.Add(&pkts[i])
	}
	order := make([]int32, n)
	x := uint32(12345)
	for i := range order {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		order[i] = int32(x % n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &pkts[order[i&(n-1)]]
		p.Timestamp = int64(i)
		tab.Add(p)
	}
}
