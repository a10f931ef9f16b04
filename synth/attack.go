package synth

import "time"

// Attack generators. Each starts all its sessions at once with future start
// times; the queue interleaves them with the benign traffic.

// defaultAttackSize applies when Attack.Size is zero.
func defaultAttackSize(k Kind) int {
	switch k {
	case KindPortScan:
		return 1000
	case KindSYNFlood, KindUDPFlood:
		return 5000
	case KindSlowloris:
		return 150
	case KindSSHBrute:
		return 200
	case KindDNSTunnel:
		return 500
	}
	return 254
}

func (g *gen) startAttack(a Attack) {
	n := a.Size
	if n == 0 {
		n = defaultAttackSize(a.Kind)
	}
	if a.Kind == KindPortScan {
		n = min(n, 65535)
	}
	run := g.atkRuns[a.Kind]
	g.atkRuns[a.Kind]++
	src := a.Kind.Source().Addr().As4()
	dst := a.Kind.Target().Addr().As4()
	at := g.now
	switch a.Kind {
	case KindPortScan:
		// Ports 1..n visited in a scrambled order, from one source port
		// per scan, as nmap -sS does.
		step := n/3 + 1
		for gcd(step, n) != 1 {
			step++
		}
		sport := 40000 + uint16(run*7)%20000
		for i := 0; i < n; i++ {
			at += g.jitter(300*us, 0.6)
			s := g.attackSession(a.Kind, at, src, dst)
			s.cport, s.sport = sport, uint16(1+(i*step+run)%n)
			g.initTCP(s, optMSS, optNone)
			s.synWin = 1024
			s.ttl[cli] = uint8(37 + g.rng.IntN(22))
			s.rtt = g.logNormal(500*us, 0.5, 100*us, 5*ms)
			g.push(s)
		}
	case KindSYNFlood:
		for i := 0; i < n; i++ {
			at += g.jitter(25*us, 0.8)
			// Multiplying by an odd constant permutes the low 23 bits,
			// so spoofed sources never repeat within a capture.
			x := (g.floodNext * 2654435761) & (1<<23 - 1)
			g.floodNext++
			s := g.attackSession(a.Kind, at, [4]byte{10, 128 | byte(x>>16), byte(x >> 8), byte(x)}, dst)
			s.cport, s.sport = uint16(1024+g.rng.IntN(64000)), 80
			g.initTCP(s, optNone, optNone)
			s.synWin = 512
			s.ttl[cli] = uint8(40 + g.rng.IntN(200))
			s.alive = g.rng.Float64() < 0.6 // the victim's backlog answers some
			s.rtt = g.logNormal(60*us, 0.4, 10*us, 1*ms)
			g.push(s)
		}
	case KindUDPFlood:
		const flows = 16
		for i := 0; i < flows; i++ {
			s := g.attackSession(a.Kind, at+g.jitter(20*us, 0.9), src, dst)
			// Ports 33000-33999 have no dissector in tshark, so the junk
			// stays plain UDP instead of tripping a protocol parser.
			s.cport = 33000 + uint16((run*flows+i)%1000)
			s.sport = uint16(33000 + g.rng.IntN(1000))
			s.left = n / flows
			if i < n%flows {
				s.left++
			}
			s.aux = 16 + g.rng.IntN(1385)
			s.gap = g.jitter(flows*30*us, 0.2)
			if s.left > 0 {
				g.push(s)
			}
		}
	case KindSlowloris:
		for i := 0; i < n; i++ {
			at += g.jitter(8*ms, 0.8)
			s := g.attackSession(a.Kind, at, src, dst)
			s.cport, s.sport = g.attackPort(a.Kind), 80
			g.initTCP(s, optLinuxSYN, optTS)
			s.left = 30
			g.push(s)
		}
	case KindSSHBrute:
		// Four parallel workers, like hydra -t 4.
		var next [4]int64
		for i := range next {
			next[i] = at + g.jitter(50*ms, 0.9)
		}
		for i := 0; i < n; i++ {
			w := i % 4
			s := g.attackSession(a.Kind, next[w], src, dst)
			s.cport, s.sport = g.attackPort(a.Kind), 22
			g.initTCP(s, optLinuxSYN, optTS)
			s.rtt = g.logNormal(20*ms, 0.5, 1*ms, 200*ms)
			s.left = 1 + 1 + g.rng.IntN(3)
			// Each attempt costs about two seconds of server delay.
			next[w] += int64(s.left)*2*int64(time.Second) + 20*s.rtt
			g.push(s)
		}
	case KindDNSTunnel:
		s := g.attackSession(a.Kind, at+g.jitter(1*ms, 0.5), src, dst)
		s.cport, s.sport = g.attackPort(a.Kind), 53
		s.left = n
		s.rtt = g.logNormal(15*ms, 0.5, 1*ms, 300*ms)
		g.push(s)
	case KindICMPSweep:
		id := uint16(g.rng.IntN(65536))
		for i := 0; i < min(n, 254); i++ {
			at += g.jitter(2*ms, 0.5)
			d := dst
			d[3] = byte(1 + i)
			s := g.attackSession(a.Kind, at, src, d)
			s.cport = id + uint16(run)
			// Benign servers answer; so does one host in ten elsewhere.
			s.alive = (i+1 >= 10 && i+1 < 10+nSrv) || g.rng.Float64() < 0.1
			s.rtt = g.logNormal(1*ms, 0.6, 100*us, 20*ms)
			g.push(s)
		}
	}
}

func (g *gen) attackSession(kind Kind, at int64, src, dst [4]byte) *session {
	s := g.newSession(kind, at)
	s.cip = v4addr(src[0], src[1], src[2], src[3])
	s.sip = v4addr(dst[0], dst[1], dst[2], dst[3])
	s.cmac = [6]byte{0x02, 0xad, src[0], src[1], src[2], src[3]}
	s.ttl[srv] = 64 - uint8(3+g.rng.IntN(6))
	return s
}

// attackPort hands out source ports per attack kind without repeats.
func (g *gen) attackPort(k Kind) uint16 {
	p := g.atkPort[k]
	g.atkPort[k]++
	if g.atkPort[k] > 60999 {
		g.atkPort[k] = 32768
	}
	return p
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// scanStep: SYN; closed ports answer RST-ACK, open ones SYN-ACK, which the
// scanner's kernel resets.
func (g *gen) scanStep(s *session) (bool, error) {
	switch s.st {
	case 0:
		s.st = 1
		s.mainAt = g.now + s.rtt
		return false, g.tcpSend(s, cli, tcpSYN, 0)
	case 1:
		open := s.sport == 22 || s.sport == 80 || s.sport == 443
		if !open {
			s.snd[srv] = 0
			return true, g.tcpSend(s, srv, tcpRST|tcpACK, 0)
		}
		s.opts, s.synOpt = optNone, optLinuxSYN
		s.synWin = 64240
		s.st = 2
		s.mainAt = g.now + g.jitter(40*us, 0.5)
		return false, g.tcpSend(s, srv, tcpSYN|tcpACK, 0)
	}
	return true, g.tcpSend(s, cli, tcpRST, 0)
}

// synFloodStep: spoofed SYN; the victim answers some and retries its
// SYN-ACK after one and three seconds, as nobody completes the handshake.
func (g *gen) synFloodStep(s *session) (bool, error) {
	if s.st == 0 {
		s.st = 1
		s.mainAt = g.now + s.rtt
		err := g.tcpSend(s, cli, tcpSYN, 0)
		return !s.alive, err
	}
	s.synOpt = optLinuxSYN
	s.synWin = 64240
	if s.st > 1 {
		s.snd[srv]-- // a retransmission reuses the initial sequence number
	}
	err := g.tcpSend(s, srv, tcpSYN|tcpACK, 0)
	s.st++
	s.mainAt = g.now + int64(s.st-1)*int64(time.Second)
	return s.st > 3, err
}

func (g *gen) udpFloodStep(s *session) (bool, error) {
	p := g.udpBegin(s, cli)
	// hping3-style filler: a constant byte no RTP/RTCP heuristic accepts.
	b := g.buf[p : p+s.aux]
	for i := range b {
		b[i] = 'X'
	}
	err := g.finish(s, p+s.aux)
	s.left--
	s.mainAt = g.now + g.jitter(s.gap, 0.3)
	return s.left <= 0, err
}
