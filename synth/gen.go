package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const (
	snapLen  = 65535
	blockLen = 1 << 16 // size of the random and text filler blocks

	ms = int64(time.Millisecond)
	us = int64(time.Microsecond)
)

// session is one flow in progress. Sessions are recycled through a free
// list so the steady state allocates nothing.
type session struct {
	kind   Kind
	benign bool
	v6     bool
	vlan   uint16
	cip    [16]byte // IPv4 addresses live in the last four bytes
	sip    [16]byte
	cmac   [6]byte
	smac   [6]byte
	cport  uint16
	sport  uint16
	ipid   [2]uint16
	ttl    [2]uint8
	win    [2]uint16
	synWin uint16
	tsBase [2]uint32

	flowLabel uint32
	counted   bool

	// Scheduling: the next main step and an optional pending pure ACK.
	mainAt, ackAt int64
	ackSide       int
	hseq          uint64

	// TCP engine.
	st     uint8
	snd    [2]uint32 // next sequence number per side
	opts   uint8     // option block on established segments
	synOpt uint8
	rtt    int64
	gap    int64 // spacing of back-to-back segments
	mss    int
	closer int
	rst    bool

	// Current application message.
	msgSide int
	msgLen  int
	msgOff  int
	textLen int
	segs    int
	cwnd    int
	flight  int
	body    uint8     // filler after the text: bodyBinary, bodyText or bodyTLS
	step    int       // application progress
	left    int       // application counter
	aux     int       // per-kind scratch: HTTP path, DNS ids, QUIC burst left, ...
	aux2    int       // per-kind scratch
	name    int       // index into hostNames
	alive   bool      // DNS: A and AAAA together; sweep, flood: the target answers
	t0      int64     // time of the exchange's first packet (DNS query, echo request)
	cid     [2]uint64 // QUIC connection ids chosen by each side
	text    [1536]byte
}

// gen holds all state of one Write call.
type gen struct {
	cfg    Config
	rng    *rand.Rand
	out    packetWriter
	buf    []byte
	f      frame
	now    int64 // capture time of the packet being built, ns after cfg.Start
	last   int64
	sum    Summary
	heap   []*session
	hseq   uint64
	free   []*session
	cumMix [kindCount]float64

	bin  []byte // random filler, seeded
	txt  []byte // text filler
	ci   gopacket.CaptureInfo
	nowT time.Time

	cliPorts  []uint16 // next ephemeral port per benign client
	cliPings  []uint16
	atkPort   [kindCount]uint16
	floodNext uint32 // index of the next spoofed SYN-flood source
	atkRuns   [kindCount]int
}

type packetWriter interface {
	WritePacket(ci gopacket.CaptureInfo, data []byte) error
}

// Pools of benign hosts.
const (
	nCli4   = 1000
	nCli6   = 200
	nSrv    = 40
	nNames  = 24
	gwMACLo = 0x01
)

// WriteFile writes a capture of cfg to path.
func WriteFile(path string, cfg Config) (Summary, error) {
	f, err := os.Create(path)
	if err != nil {
		return Summary{}, fmt.Errorf("create %s: %w", path, err)
	}
	sum, err := Write(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	if err != nil {
		return sum, fmt.Errorf("write %s: %w", path, err)
	}
	return sum, nil
}

// Write generates the capture described by cfg into w.
func Write(w io.Writer, cfg Config) (Summary, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return Summary{}, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGen(cfg)
	var flush func() error
	switch cfg.Format {
	case FormatPCAP, FormatPCAPNano:
		pw := pcapgo.NewWriter(bw)
		if cfg.Format == FormatPCAPNano {
			pw = pcapgo.NewWriterNanos(bw)
		}
		if err := pw.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
			return Summary{}, fmt.Errorf("write pcap header: %w", err)
		}
		g.out = pw
	case FormatPCAPNG:
		// Fixed section options: the defaults name the build machine,
		// which would make files differ between hosts.
		ng, err := pcapgo.NewNgWriterInterface(bw, pcapgo.NgInterface{
			Name: "synth0", LinkType: layers.LinkTypeEthernet, SnapLength: snapLen, TimestampResolution: 9,
		}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "flowclass synth"}})
		if err != nil {
			return Summary{}, fmt.Errorf("write pcapng header: %w", err)
		}
		g.out = ng
		flush = ng.Flush
	}
	if err := g.run(); err != nil {
		return g.sum, err
	}
	if flush != nil {
		if err := flush(); err != nil {
			return g.sum, fmt.Errorf("flush pcapng: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return g.sum, fmt.Errorf("flush: %w", err)
	}
	return g.sum, nil
}

func newGen(cfg Config) *gen {
	g := &gen{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_f10c_1a55)),
		buf:      make([]byte, snapLen+64),
		sum:      Summary{Flows: make(map[Kind]int)},
		cliPorts: make([]uint16, nCli4+nCli6),
		cliPings: make([]uint16, nCli4+nCli6),
		bin:      make([]byte, blockLen+2048),
		txt:      fillerText(blockLen + 2048),
	}
	for i := range g.bin {
		g.bin[i] = byte(g.rng.Uint32())
	}
	for i := range g.cliPorts {
		g.cliPorts[i] = uint16(32768 + g.rng.IntN(28000))
		g.cliPings[i] = uint16(g.rng.IntN(65536))
	}
	for i := range g.atkPort {
		g.atkPort[i] = uint16(33000 + g.rng.IntN(20000))
	}
	w, acc := cfg.Mix.weights(), 0.0
	for k := range w {
		acc += w[k]
		g.cumMix[k] = acc
	}
	return g
}

func (g *gen) run() error {
	// Open the first sessions over the first second so the capture does
	// not begin with a thousand simultaneous SYNs.
	for i := 0; i < g.cfg.Concurrency; i++ {
		g.spawnBenign(int64(g.rng.Float64() * float64(time.Second)))
	}
	nextAttack := 0
	for g.sum.Packets < g.cfg.Packets {
		for nextAttack < len(g.cfg.Attacks) && g.cfg.Attacks[nextAttack].AtPacket <= g.sum.Packets {
			g.startAttack(g.cfg.Attacks[nextAttack])
			nextAttack++
		}
		if len(g.heap) == 0 {
			break
		}
		s := g.pop()
		g.now = s.mainAt
		if s.ackAt != 0 && s.ackAt < g.now {
			g.now = s.ackAt
		}
		if g.now < g.last {
			g.now = g.last // never step back in time
		}
		done, err := g.step(s)
		if err != nil {
			return err
		}
		if done {
			if s.benign {
				g.spawnBenign(g.now + int64(g.rng.ExpFloat64()*float64(2*ms)))
			}
			g.free = append(g.free, s)
			continue
		}
		g.push(s)
	}
	return nil
}

// step advances s by one packet; done means the session is over.
func (g *gen) step(s *session) (bool, error) {
	switch s.kind {
	case KindHTTP, KindHTTPS, KindSlowloris, KindSSHBrute:
		return g.tcpStep(s)
	case KindDNS:
		return g.dnsStep(s)
	case KindNTP:
		return g.ntpStep(s)
	case KindQUIC:
		return g.quicStep(s)
	case KindPing, KindICMPSweep:
		return g.pingStep(s)
	case KindPortScan:
		return g.scanStep(s)
	case KindSYNFlood:
		return g.synFloodStep(s)
	case KindUDPFlood:
		return g.udpFloodStep(s)
	case KindDNSTunnel:
		return g.tunnelStep(s)
	}
	return true, fmt.Errorf("session of unknown kind %d", s.kind)
}

// emit writes one finished frame.
func (g *gen) emit(s *session, data []byte) error {
	if !s.counted {
		s.counted = true
		g.sum.Flows[s.kind]++
	}
	t := g.cfg.Start.Add(time.Duration(g.now))
	if g.sum.Packets == 0 {
		g.sum.First = t
	}
	g.sum.Last = t
	g.sum.Packets++
	g.sum.Bytes += int64(len(data))
	g.last = g.now
	g.ci.Timestamp = t
	g.ci.CaptureLength = len(data)
	g.ci.Length = len(data)
	if err := g.out.WritePacket(g.ci, data); err != nil {
		return fmt.Errorf("write packet %d: %w", g.sum.Packets, err)
	}
	return nil
}

// Priority queue of sessions on (next time, insertion order); the order
// key makes ties deterministic.
func (s *session) at() int64 {
	if s.ackAt != 0 && s.ackAt < s.mainAt {
		return s.ackAt
	}
	return s.mainAt
}

func less(a, b *session) bool {
	ta, tb := a.at(), b.at()
	if ta != tb {
		return ta < tb
	}
	return a.hseq < b.hseq
}

func (g *gen) push(s *session) {
	g.hseq++
	s.hseq = g.hseq
	h := append(g.heap, s)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	g.heap = h
}

func (g *gen) pop() *session {
	h := g.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = nil
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	g.heap = h
	return top
}

// newSession takes a zeroed session from the free list.
func (g *gen) newSession(kind Kind, at int64) *session {
	var s *session
	if n := len(g.free); n > 0 {
		s = g.free[n-1]
		g.free = g.free[:n-1]
		*s = session{}
	} else {
		s = new(session)
	}
	s.kind = kind
	s.mainAt = at
	s.ttl = [2]uint8{64, 64}
	s.ipid = [2]uint16{uint16(g.rng.Uint32()), uint16(g.rng.Uint32())}
	s.tsBase = [2]uint32{g.rng.Uint32(), g.rng.Uint32()}
	s.win = [2]uint16{502, 509}
	s.smac = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, gwMACLo}
	s.rtt = g.logNormal(25*ms, 0.9, 300*us, 400*ms)
	s.gap = g.logNormal(40*us, 0.7, 8*us, 400*us)
	s.mss = 1448
	return s
}

// spawnBenign starts a benign session of a kind drawn from the mix.
func (g *gen) spawnBenign(at int64) {
	x := g.rng.Float64() * g.cumMix[kindCount-1]
	kind := KindHTTP
	for k := KindHTTP; k <= KindPing; k++ {
		if x < g.cumMix[k] {
			kind = k
			break
		}
	}
	s := g.newSession(kind, at)
	s.benign = true
	s.v6 = g.rng.Float64() < g.cfg.IPv6Share
	if g.rng.Float64() < g.cfg.VLANShare {
		s.vlan = [4]uint16{10, 20, 30, 100}[g.rng.IntN(4)]
	}
	var ci int
	if s.v6 {
		ci = nCli4 + g.rng.IntN(nCli6)
		s.cip = v6addr(0x0001, uint16(ci-nCli4+1))
		s.flowLabel = g.rng.Uint32() & 0xfffff
		s.mss = 1428
	} else {
		ci = g.rng.IntN(nCli4)
		s.cip = v4addr(10, 1, byte(ci/250), byte(ci%250+1))
	}
	s.cmac = [6]byte{0x02, 0x10, byte(ci >> 16), byte(ci >> 8), byte(ci), 0x01}
	// Servers sit a few hops away behind stacks with various initial TTLs.
	s.ttl[srv] = [3]uint8{64, 128, 255}[g.rng.IntN(3)] - uint8(4+g.rng.IntN(14))
	s.name = g.rng.IntN(nNames)
	srvIdx := g.rng.IntN(2*nSrv + 1)
	switch kind {
	case KindDNS:
		s.sip = g.serverAddr(s.v6, 53)
		s.sport = 53
	case KindNTP:
		s.sip = g.serverAddr(s.v6, 123)
		s.sport = 123
	default:
		s.sip = g.serverIdx(s.v6, srvIdx)
		s.sport = 80
		if kind == KindHTTPS || kind == KindQUIC {
			s.sport = 443
		}
	}
	if kind == KindPing {
		s.cport = g.cliPings[ci] // echo identifier
		g.cliPings[ci]++
	} else {
		s.cport = g.cliPorts[ci]
		g.cliPorts[ci]++
		if g.cliPorts[ci] > 60999 {
			g.cliPorts[ci] = 32768
		}
	}
	g.initKind(s)
	g.push(s)
}

// serverIdx maps an index to a benign server address: 0..nSrv-1 in
// 192.0.2.0/24, the next nSrv in 198.51.100.0/24, the last one the host
// that attacks also target.
func (g *gen) serverIdx(v6 bool, i int) [16]byte {
	if v6 {
		return v6addr(0x00ff, uint16(0x1000+i))
	}
	switch {
	case i < nSrv:
		return v4addr(192, 0, 2, byte(10+i))
	case i < 2*nSrv:
		return v4addr(198, 51, 100, byte(10+i-nSrv))
	}
	return v4addr(192, 0, 2, 80)
}

func (g *gen) serverAddr(v6 bool, port int) [16]byte {
	if v6 {
		if port == 53 {
			return v6addr(0x00ff, 0x53)
		}
		return v6addr(0x00ff, 0x123)
	}
	if port == 53 {
		return v4addr(192, 0, 2, 53)
	}
	return v4addr(198, 51, 100, 123)
}

func v4addr(a, b, c, d byte) [16]byte {
	return [16]byte{10: 0xff, 11: 0xff, 12: a, 13: b, 14: c, 15: d}
}

// v6addr returns 2001:db8:<net>::<host>.
func v6addr(net, host uint16) [16]byte {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	be.PutUint16(a[4:], net)
	be.PutUint16(a[14:], host)
	return a
}

// logNormal draws a duration with the given median and log-space spread,
// clamped to [lo, hi]: latencies and think times are heavy-tailed.
func (g *gen) logNormal(median int64, sigma float64, lo, hi int64) int64 {
	v := int64(float64(median) * math.Exp(sigma*g.rng.NormFloat64()))
	return min(max(v, lo), hi)
}

// jitter returns d scaled by a uniform factor in [1-f, 1+f].
func (g *gen) jitter(d int64, f float64) int64 {
	return int64(float64(d) * (1 - f + 2*f*g.rng.Float64()))
}
