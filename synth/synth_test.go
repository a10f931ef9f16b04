package synth

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// attackConfig is a small capture with every attack; low concurrency
// stretches it over a longer time so the slow attacks show their rhythm.
func attackConfig(seed int64, packets int) Config {
	cfg := DefaultConfig(seed, packets)
	cfg.Concurrency = 60
	cfg.Attacks = DefaultAttacks(packets)
	return cfg
}

func needTshark(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install -y tshark); skipping the independent dissector check")
	}
	return p
}

func tshark(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTshark(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

func writeTemp(t *testing.T, cfg Config, name string) (string, Summary) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	sum, err := WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

// Status 0 is "bad", 2 "unverified": with checking on, either is a failure.
const badChecksum = "ip.checksum.status in {0,2} or tcp.checksum.status in {0,2} or udp.checksum.status in {0,2} or icmp.checksum.status in {0,2} or icmpv6.checksum.status in {0,2}"

var checksumPrefs = []string{"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"}

func TestTsharkAcceptsOutput(t *testing.T) {
	needTshark(t)
	for _, c := range []struct {
		format  Format
		packets int
	}{{FormatPCAP, 30000}, {FormatPCAPNG, 12000}} {
		cfg := attackConfig(7, c.packets)
		cfg.Format = c.format
		path, sum := writeTemp(t, cfg, "clean.cap")
		if sum.Packets != c.packets {
			t.Fatalf("summary has %d packets, want %d", sum.Packets, c.packets)
		}
		// One pass: print every frame number, marking the bad ones.
		args := append([]string{"-r", path}, checksumPrefs...)
		out := tshark(t, append(args, "-T", "fields", "-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity",
			"-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "udp.checksum.status", "-e", "icmp.checksum.status", "-e", "icmpv6.checksum.status")...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != sum.Packets {
			t.Errorf("format %d: tshark reads %d packets, summary says %d", c.format, len(lines), sum.Packets)
		}
		bad := 0
		for _, l := range lines {
			f := strings.Split(l, "\t")
			problem := f[1] != "" // malformed
			for _, sev := range strings.Split(f[2], ",") {
				// Expert severities: 0x00800000 is error, above is worse.
				if v, err := strconv.ParseUint(sev, 0, 32); err == nil && v >= 0x00800000 {
					problem = true
				}
			}
			for _, st := range f[3:] {
				// Checksum status 0 is bad, 2 unverified: with checking on,
				// every present checksum must be 1 (good).
				for _, v := range strings.Split(st, ",") {
					if v == "0" || v == "2" {
						problem = true
					}
				}
			}
			if problem {
				bad++
				if bad <= 10 {
					t.Errorf("format %d: tshark flags frame: %q", c.format, l)
				}
			}
		}
		if bad > 0 {
			t.Errorf("format %d: %d of %d frames flagged", c.format, bad, len(lines))
		}
	}
}

// The checksum filter must be able to fail: corrupt one payload byte of a
// TCP segment and tshark has to flag exactly that frame.
func TestTsharkChecksumCheckIsLive(t *testing.T) {
	needTshark(t)
	cfg := DefaultConfig(3, 3000)
	var buf bytes.Buffer
	if _, err := Write(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Find the first TCP segment with payload and flip its last byte.
	off, frame := 24, 0
	for {
		pkt, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("no TCP payload found: %v", err)
		}
		frame++
		p := gopacket.NewPacket(pkt, layers.LayerTypeEthernet, gopacket.Default)
		if tl, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && len(tl.Payload) > 0 {
			data[off+16+ci.CaptureLength-1] ^= 0x5a
			break
		}
		off += 16 + ci.CaptureLength
	}
	path := filepath.Join(t.TempDir(), "bad.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-r", path}, checksumPrefs...)
	out := tshark(t, append(args, "-Y", badChecksum, "-T", "fields", "-e", "frame.number")...)
	if want := strconv.Itoa(frame) + "\n"; out != want {
		t.Fatalf("corrupted frame %d: tshark flagged %q", frame, out)
	}
}

// flowKey is an independent, direction-free flow identity built from
// gopacket's decoding: protocol plus both endpoints with ports (ICMP echo
// identifier in place of ports).
type flowKey struct {
	proto    uint8
	lo, hi   netip.AddrPort
	isICMPv6 bool
}

func mkKey(proto uint8, a, b netip.AddrPort) flowKey {
	if b.Addr().Less(a.Addr()) || (a.Addr() == b.Addr() && b.Port() < a.Port()) {
		a, b = b, a
	}
	return flowKey{proto: proto, lo: a, hi: b}
}

type decoded struct {
	key  flowKey
	ts   time.Time
	v6   bool
	vlan bool
	tcp  *layers.TCP
	pay  []byte
}

// readFlows decodes every packet of a pcap with gopacket.
func readFlows(t *testing.T, path string, fn func(d decoded)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.NoCopy)
		d := decoded{ts: ci.Timestamp, vlan: p.Layer(layers.LayerTypeDot1Q) != nil}
		var src, dst netip.Addr
		switch ip := p.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
			d.v6 = true
		default:
			t.Fatalf("packet without IP at %v", ci.Timestamp)
		}
		switch l := p.TransportLayer().(type) {
		case *layers.TCP:
			d.key = mkKey(6, netip.AddrPortFrom(src, uint16(l.SrcPort)), netip.AddrPortFrom(dst, uint16(l.DstPort)))
			d.tcp, d.pay = l, l.Payload
		case *layers.UDP:
			d.key = mkKey(17, netip.AddrPortFrom(src, uint16(l.SrcPort)), netip.AddrPortFrom(dst, uint16(l.DstPort)))
			d.pay = l.Payload
		default:
			var id uint16
			if ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
				id = ic.Id
			} else if ic, ok := p.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo); ok {
				id = ic.Identifier
			} else {
				t.Fatalf("packet at %v is neither TCP, UDP nor ICMP echo: %v", ci.Timestamp, p)
			}
			d.key = mkKey(1, netip.AddrPortFrom(src, id), netip.AddrPortFrom(dst, id))
		}
		fn(d)
	}
}

func TestFlowCountsMatchSummary(t *testing.T) {
	cfg := attackConfig(11, 40000)
	path, sum := writeTemp(t, cfg, "flows.pcap")

	flows := map[flowKey]bool{}
	malicious := 0
	byAttack := map[Kind]int{}
	packets := 0
	var first, last time.Time
	readFlows(t, path, func(d decoded) {
		packets++
		if packets == 1 {
			first = d.ts
		}
		if d.ts.Before(last) {
			t.Fatalf("timestamps go back: %v after %v", d.ts, last)
		}
		if d.ts.Before(cfg.Start) {
			t.Fatalf("timestamp %v before the configured start %v", d.ts, cfg.Start)
		}
		last = d.ts
		if flows[d.key] {
			return
		}
		flows[d.key] = true
		k, m := AttackBySource(d.key.lo.Addr())
		if !m {
			k, m = AttackBySource(d.key.hi.Addr())
		}
		if m {
			malicious++
			byAttack[k]++
		}
	})
	if packets != sum.Packets {
		t.Errorf("read %d packets, summary says %d", packets, sum.Packets)
	}
	// The file holds microseconds; the summary keeps nanoseconds.
	if !first.Equal(sum.First.Truncate(time.Microsecond)) || !last.Equal(sum.Last.Truncate(time.Microsecond)) {
		t.Errorf("file spans %v..%v, summary %v..%v", first, last, sum.First, sum.Last)
	}
	if sum.First.Sub(cfg.Start) > time.Second {
		t.Errorf("first packet %v long after the start %v", sum.First, cfg.Start)
	}
	if len(flows) != sum.TotalFlows() {
		t.Errorf("counted %d distinct flows, summary says %d (%v)", len(flows), sum.TotalFlows(), sum.Flows)
	}
	if malicious != sum.MaliciousFlows() {
		t.Errorf("%d flows touch an attack source, summary says %d malicious", malicious, sum.MaliciousFlows())
	}
	for _, a := range cfg.Attacks {
		if sum.Flows[a.Kind] == 0 || byAttack[a.Kind] != sum.Flows[a.Kind] {
			t.Errorf("attack %v: %d flows from its source in the file, summary says %d", a.Kind, byAttack[a.Kind], sum.Flows[a.Kind])
		}
	}

	// tshark's own stream tracking must agree for TCP and UDP.
	if _, err := exec.LookPath("tshark"); err == nil {
		for _, c := range []struct {
			field string
			proto uint8
		}{{"tcp.stream", 6}, {"udp.stream", 17}} {
			out := tshark(t, "-r", path, "-T", "fields", "-e", c.field)
			ids := map[string]bool{}
			for _, l := range strings.Split(out, "\n") {
				if l != "" {
					ids[l] = true
				}
			}
			if len(ids) != sum.FlowsByProto(c.proto) {
				t.Errorf("tshark sees %d distinct %s, summary has %d flows over protocol %d",
					len(ids), c.field, sum.FlowsByProto(c.proto), c.proto)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range []Format{FormatPCAP, FormatPCAPNano, FormatPCAPNG} {
		gen := func(seed int64) []byte {
			cfg := attackConfig(seed, 20000)
			cfg.Format = f
			var b bytes.Buffer
			if _, err := Write(&b, cfg); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		a, b, c := gen(5), gen(5), gen(6)
		if !bytes.Equal(a, b) {
			t.Errorf("format %d: same seed gave different output (%d vs %d bytes)", f, len(a), len(b))
		}
		if bytes.Equal(a, c) {
			t.Errorf("format %d: seeds 5 and 6 gave identical output", f)
		}
	}
}

// Shares of IPv6 and VLAN sessions, and the application content the mix
// promises, checked on gopacket's decoding.
func TestMixShape(t *testing.T) {
	cfg := DefaultConfig(21, 80000)
	path, sum := writeTemp(t, cfg, "mix.pcap")
	v6, vlan := map[flowKey]bool{}, map[flowKey]bool{}
	all := map[flowKey]bool{}
	first, last := map[flowKey]time.Time{}, map[flowKey]time.Time{}
	var fins, rsts, syns, httpReq int
	readFlows(t, path, func(d decoded) {
		all[d.key] = true
		if _, ok := first[d.key]; !ok {
			first[d.key] = d.ts
		}
		last[d.key] = d.ts
		if d.v6 {
			v6[d.key] = true
		}
		if d.vlan {
			vlan[d.key] = true
		}
		if d.tcp != nil {
			switch {
			case d.tcp.SYN && !d.tcp.ACK:
				syns++
			case d.tcp.FIN:
				fins++
			case d.tcp.RST:
				rsts++
			}
			if bytes.HasPrefix(d.pay, []byte("GET ")) || bytes.HasPrefix(d.pay, []byte("POST ")) {
				httpReq++
			}
		}
	})
	share := func(m map[flowKey]bool) float64 { return float64(len(m)) / float64(len(all)) }
	if s := share(v6); s < 0.07 || s > 0.13 {
		t.Errorf("IPv6 flow share %.3f, want about %.2f", s, cfg.IPv6Share)
	}
	if s := share(vlan); s < 0.03 || s > 0.07 {
		t.Errorf("VLAN flow share %.3f, want about %.2f", s, cfg.VLANShare)
	}
	if syns < sum.FlowsByProto(6)*9/10 || fins == 0 || rsts == 0 || rsts > fins {
		t.Errorf("TCP teardown shape off: %d SYNs for %d TCP flows, %d FINs, %d RSTs", syns, sum.FlowsByProto(6), fins, rsts)
	}
	if httpReq < sum.Flows[KindHTTP] {
		t.Errorf("%d HTTP requests for %d HTTP flows", httpReq, sum.Flows[KindHTTP])
	}
	// Flows must interleave: count how many are open at the middle of
	// the capture (first packet before it, last after it).
	var mid time.Time
	for _, ts := range last {
		if ts.After(mid) {
			mid = ts
		}
	}
	mid = cfg.Start.Add(mid.Sub(cfg.Start) / 2)
	open := 0
	for k, f := range first {
		if !f.After(mid) && !last[k].Before(mid) {
			open++
		}
	}
	if len(all) < 2000 || open < cfg.Concurrency/3 {
		t.Errorf("%d flows in %d packets, %d open at once; want thousands of interleaved flows", len(all), sum.Packets, open)
	}
}

// tshark must read the application layers: SNI from our names, HTTP
// requests with hosts, well-formed DNS, SSH banners from the brute forcer.
func TestTsharkReadsApplications(t *testing.T) {
	needTshark(t)
	cfg := attackConfig(9, 40000)
	path, sum := writeTemp(t, cfg, "apps.pcap")
	known := map[string]bool{}
	for _, n := range hostNames {
		known[n] = true
	}
	sni := strings.Fields(tshark(t, "-r", path, "-Y", "tls.handshake.type==1", "-T", "fields", "-e", "tls.handshake.extensions_server_name"))
	if len(sni) == 0 || len(sni) > sum.Flows[KindHTTPS] {
		t.Errorf("%d ClientHellos with SNI for %d HTTPS flows", len(sni), sum.Flows[KindHTTPS])
	}
	for _, n := range sni {
		if !known[n] {
			t.Errorf("unexpected SNI %q", n)
		}
	}
	hosts := strings.Fields(tshark(t, "-r", path, "-Y", "http.request", "-T", "fields", "-e", "http.host"))
	if len(hosts) == 0 {
		t.Error("tshark found no HTTP requests")
	}
	dns := tshark(t, "-r", path, "-Y", "dns.flags.response==1 and udp.srcport==53 and ip.src==192.0.2.53", "-T", "fields", "-e", "dns.qry.name")
	if !strings.Contains(dns, ".tun.example.org") {
		t.Error("tshark does not see the tunnel's TXT answers")
	}
	banners := tshark(t, "-r", path, "-Y", "ssh.protocol and ip.src==203.0.113.40", "-T", "fields", "-e", "ssh.protocol")
	if !strings.Contains(banners, "SSH-2.0-libssh") {
		t.Errorf("no SSH client banner from the brute forcer: %q", firstLines(banners, 3))
	}
}

// Slowloris connections trickle one header line about every 10 s.
func TestSlowlorisRhythm(t *testing.T) {
	cfg := DefaultConfig(4, 30000)
	cfg.Concurrency = 10
	cfg.Attacks = []Attack{{Kind: KindSlowloris, AtPacket: 100, Size: 20}}
	path, _ := writeTemp(t, cfg, "slow.pcap")
	src := KindSlowloris.Source()
	lastLine := map[flowKey]time.Time{}
	gaps := 0
	readFlows(t, path, func(d decoded) {
		if d.tcp == nil || !bytes.HasPrefix(d.pay, []byte("X-a: ")) || !src.Contains(d.key.lo.Addr()) && !src.Contains(d.key.hi.Addr()) {
			return
		}
		if prev, ok := lastLine[d.key]; ok {
			if g := d.ts.Sub(prev); g < 8*time.Second || g > 12*time.Second {
				t.Errorf("slowloris header gap %v, want about 10s", g)
			}
			gaps++
		}
		lastLine[d.key] = d.ts
	})
	if gaps < 20 {
		t.Errorf("only %d slowloris gaps observed", gaps)
	}
}

func TestAttackBySource(t *testing.T) {
	for _, c := range []struct {
		addr string
		want Kind
	}{
		{"203.0.113.10", KindPortScan}, {"10.128.0.1", KindSYNFlood}, {"10.255.255.254", KindSYNFlood},
		{"203.0.113.20", KindUDPFlood}, {"203.0.113.30", KindSlowloris}, {"203.0.113.40", KindSSHBrute},
		{"10.66.0.66", KindDNSTunnel}, {"203.0.113.70", KindICMPSweep}, {"::ffff:203.0.113.70", KindICMPSweep},
		{"10.1.0.1", 0}, {"10.127.255.255", 0}, {"203.0.113.11", 0}, {"192.0.2.80", 0}, {"2001:db8:1::1", 0},
	} {
		got, ok := AttackBySource(netip.MustParseAddr(c.addr))
		if got != c.want || ok != (c.want != 0) {
			t.Errorf("AttackBySource(%s) = %v, %v; want %v", c.addr, got, ok, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	bad := []Config{
		{Packets: -1},
		{Packets: 1, IPv6Share: 1.5},
		{Packets: 1, Attacks: []Attack{{Kind: KindHTTP}}},
		{Packets: 1, Mix: Mix{HTTP: -1}},
	}
	for _, c := range bad {
		if _, err := Write(io.Discard, c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

// Steady-state generation must not allocate per packet: four times the
// packets may not cost meaningfully more allocations.
func TestNoPerPacketAllocations(t *testing.T) {
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(1, func() {
			if _, err := Write(io.Discard, DefaultConfig(1, n)); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(50000), allocs(200000)
	if large-small > 200 {
		t.Errorf("allocations grow with packets: %v for 50k, %v for 200k", small, large)
	}
}

func BenchmarkWrite(b *testing.B) {
	b.ReportAllocs()
	const n = 100000
	var sum Summary
	for i := 0; i < b.N; i++ {
		var err error
		if sum, err = Write(io.Discard, DefaultConfig(int64(i), n)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(sum.Bytes)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
