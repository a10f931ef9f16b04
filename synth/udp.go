package synth

import (
	"encoding/binary"
	"time"
)

// UDP and ICMP sessions: DNS, NTP, QUIC-like bursts, ping, and the DNS
// tunnel attack.

// initKind sets up the application state of a new benign session.
func (g *gen) initKind(s *session) {
	switch s.kind {
	case KindHTTP, KindHTTPS:
		g.initTCP(s, optLinuxSYN, optTS)
		s.left = 1 + g.rng.IntN(3)
		if g.rng.Float64() < 0.3 {
			s.left += g.rng.IntN(8)
		}
	case KindDNS:
		s.alive = g.rng.Float64() < 0.5 // A and AAAA in parallel
		s.aux, s.aux2 = g.rng.IntN(65536), g.rng.IntN(65536)
		s.rtt = g.logNormal(6*ms, 1.1, 150*us, 800*ms)
	case KindQUIC:
		s.left = 1 + g.rng.IntN(6)
		s.cid = [2]uint64{g.rng.Uint64(), g.rng.Uint64()}
	case KindPing:
		s.left = 1 + g.rng.IntN(6)
	}
}

// udpBegin lays down headers up to the UDP payload.
func (g *gen) udpBegin(s *session, side int) int {
	off := g.begin(s, side, protoUDP)
	src, dst := s.cport, s.sport
	if side == srv {
		src, dst = dst, src
	}
	be.PutUint16(g.buf[off:], src)
	be.PutUint16(g.buf[off+2:], dst)
	return off + 8
}

func (g *gen) dnsStep(s *session) (bool, error) {
	var err error
	name := hostNames[s.name]
	p := 0
	switch s.step {
	case 0, 1:
		qtype, id := uint16(1), s.aux
		if s.step == 1 || s.v6 && !s.alive {
			qtype, id = 28, s.aux2
		}
		p = g.udpBegin(s, cli)
		end := dnsQuery(g.buf, p, uint16(id), name, qtype)
		err = g.finish(s, end)
		if s.step == 0 {
			s.t0 = g.now
		}
	case 2, 3:
		qtype, id := uint16(1), s.aux
		if s.step == 3 || s.v6 && !s.alive {
			qtype, id = 28, s.aux2
		}
		p = g.udpBegin(s, srv)
		end := g.dnsAnswer(s, p, uint16(id), name, qtype)
		err = g.finish(s, end)
	}
	switch {
	case s.step == 0 && s.alive:
		s.step, s.mainAt = 1, g.now+g.jitter(60*us, 0.5)
	case s.step <= 1:
		s.step, s.mainAt = 2, s.t0+s.rtt
	case s.step == 2 && s.alive:
		s.step, s.mainAt = 3, g.now+g.jitter(300*us, 0.9)
	default:
		return true, err
	}
	return false, err
}

// dnsName appends name in wire format.
func dnsName(b []byte, off int, name string) int {
	start := off
	off++
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			b[start] = byte(off - start - 1)
			start = off
			off++
			continue
		}
		b[off] = name[i]
		off++
	}
	b[start] = byte(off - start - 1)
	b[off] = 0
	return off + 1
}

func dnsQuery(b []byte, off int, id uint16, name string, qtype uint16) int {
	be.PutUint16(b[off:], id)
	be.PutUint16(b[off+2:], 0x0100) // recursion desired
	be.PutUint16(b[off+4:], 1)
	be.PutUint16(b[off+6:], 0)
	be.PutUint16(b[off+8:], 0)
	be.PutUint16(b[off+10:], 0)
	end := dnsName(b, off+12, name)
	be.PutUint16(b[end:], qtype)
	be.PutUint16(b[end+2:], 1)
	return end + 4
}

// dnsAnswer writes the resolver's reply: the question echoed and one to
// four address records, or NXDOMAIN now and then.
func (g *gen) dnsAnswer(s *session, off int, id uint16, name string, qtype uint16) int {
	end := dnsQuery(g.buf, off, id, name, qtype)
	b := g.buf
	if g.rng.Float64() < 0.03 {
		be.PutUint16(b[off+2:], 0x8183)
		return end
	}
	be.PutUint16(b[off+2:], 0x8180)
	n := 1 + g.rng.IntN(4)
	be.PutUint16(b[off+6:], uint16(n))
	ttl := uint32(30 + g.rng.IntN(3600))
	for i := 0; i < n; i++ {
		be.PutUint16(b[end:], 0xc00c) // pointer to the question name
		be.PutUint16(b[end+2:], qtype)
		be.PutUint16(b[end+4:], 1)
		be.PutUint32(b[end+6:], ttl)
		a := g.serverIdx(qtype == 28, g.rng.IntN(2*nSrv))
		if qtype == 28 {
			be.PutUint16(b[end+10:], 16)
			copy(b[end+12:], a[:])
			end += 28
		} else {
			be.PutUint16(b[end+10:], 4)
			copy(b[end+12:], a[12:])
			end += 16
		}
	}
	return end
}

// NTP timestamps count seconds from 1900.
const ntpEpochOffset = 2208988800

func (g *gen) ntpTime(b []byte, t int64) {
	tt := g.cfg.Start.Add(time.Duration(t))
	be.PutUint32(b, uint32(tt.Unix()+ntpEpochOffset))
	be.PutUint32(b[4:], uint32((uint64(tt.Nanosecond())<<32)/1e9))
}

func (g *gen) ntpStep(s *session) (bool, error) {
	if s.step == 0 {
		p := g.udpBegin(s, cli)
		b := g.buf[p : p+48]
		clear(b)
		b[0] = 0x23 // version 4, client
		g.ntpTime(b[40:], g.now)
		copy(s.text[:8], b[40:48])
		s.step, s.mainAt = 1, g.now+s.rtt
		return false, g.finish(s, p+48)
	}
	p := g.udpBegin(s, srv)
	b := g.buf[p : p+48]
	clear(b)
	b[0], b[1], b[2], b[3] = 0x24, 2, 6, 0xe9 // version 4, server, stratum 2, poll, precision
	be.PutUint32(b[4:], uint32(g.rng.IntN(2000)))
	be.PutUint32(b[8:], uint32(g.rng.IntN(4000)))
	b[12], b[13], b[14], b[15] = 192, 0, 2, 123 // reference clock
	g.ntpTime(b[16:], g.now-int64(g.rng.IntN(900))*int64(time.Second))
	copy(b[24:32], s.text[:8])
	g.ntpTime(b[32:], g.now-s.rtt/2-20*us)
	g.ntpTime(b[40:], g.now-s.rtt/2)
	return true, g.finish(s, p+48)
}

// quicStep models QUIC v1: Initial and Handshake packets with long
// headers, then short-header bursts the client acknowledges every second
// packet, then a close.
func (g *gen) quicStep(s *session) (bool, error) {
	if s.ackAt != 0 && s.ackAt <= s.mainAt {
		s.ackAt = 0
		return false, g.quicShort(s, cli, 30+g.rng.IntN(20))
	}
	var err error
	switch s.step {
	case 0: // client Initial, padded to 1200+ bytes
		err = g.quicLong(s, cli, 0, 1250)
		s.mainAt = g.now + s.rtt
	case 1: // server Initial
		err = g.quicLong(s, srv, 0, 1250)
		s.mainAt = g.now + g.jitter(s.gap, 0.3)
	case 2: // server Handshake
		err = g.quicLong(s, srv, 2, 600+g.rng.IntN(650))
		s.mainAt = g.now + g.jitter(400*us, 0.5)
	case 3: // client Handshake finishing the handshake
		err = g.quicLong(s, cli, 2, 80+g.rng.IntN(40))
		s.mainAt = g.now + g.jitter(100*us, 0.5)
		s.aux = 0
	default:
		switch {
		case s.aux == 0 && s.left == 0:
			return true, g.quicShort(s, cli, 35+g.rng.IntN(20)) // CONNECTION_CLOSE
		case s.aux == 0: // request
			err = g.quicShort(s, cli, 60+g.rng.IntN(300))
			s.aux = 1 + int(g.logNormal(12, 1.2, 1, 2000))
			s.aux2 = 0
			s.mainAt = g.now + s.rtt + g.logNormal(3*ms, 1, 100*us, 300*ms)
		default: // response burst
			err = g.quicShort(s, srv, 1200+g.rng.IntN(52))
			s.aux--
			s.aux2++
			if s.aux2%2 == 0 || s.aux == 0 {
				s.ackAt, s.ackSide = g.now+g.jitter(s.gap/2, 0.6)+5*us, cli
			}
			if s.aux == 0 {
				s.left--
				s.mainAt = g.now + g.logNormal(200*ms, 1.2, 1*ms, 10000*ms)
			} else if s.aux2%32 == 0 {
				s.mainAt = g.now + s.rtt // wait for acknowledgements
			} else {
				s.mainAt = g.now + g.jitter(s.gap, 0.3)
			}
		}
		return false, err
	}
	s.step++
	return false, err
}

// quicLong writes a long-header packet of the given type (0 Initial, 2
// Handshake) and total UDP payload size.
func (g *gen) quicLong(s *session, side int, typ byte, size int) error {
	p := g.udpBegin(s, side)
	b := g.buf[p:]
	b[0] = 0xc0 | typ<<4 | 3 // 4-byte packet number
	be.PutUint32(b[1:], 1)
	dcid, scid := s.cid[srv], s.cid[cli]
	if side == srv {
		dcid, scid = scid, dcid
	}
	b[5] = 8
	binary.BigEndian.PutUint64(b[6:], dcid)
	b[14] = 8
	binary.BigEndian.PutUint64(b[15:], scid)
	o := 23
	if typ == 0 {
		b[o] = 0 // no token
		o++
	}
	rest := size - o - 2
	be.PutUint16(b[o:], 0x4000|uint16(rest))
	g.binFill(b[o+2 : size])
	return g.finish(s, p+size)
}

// quicShort writes a short-header (1-RTT) packet of the given UDP payload size.
func (g *gen) quicShort(s *session, side int, size int) error {
	p := g.udpBegin(s, side)
	b := g.buf[p:]
	dcid := s.cid[srv]
	if side == srv {
		dcid = s.cid[cli]
	}
	g.binFill(b[:size])
	b[0] = 0x40 | b[0]&0x3f
	binary.BigEndian.PutUint64(b[1:], dcid)
	return g.finish(s, p+size)
}

// pingStep sends echo requests a second apart and their replies; a sweep
// probe is one request, answered only by live hosts.
func (g *gen) pingStep(s *session) (bool, error) {
	req := s.step%2 == 0
	side, typ := cli, byte(8)
	if !req {
		side, typ = srv, 0
	}
	if s.v6 {
		typ = 128
		if !req {
			typ = 129
		}
	}
	p := g.begin(s, side, protoICMP)
	b := g.buf[p:]
	b[0], b[1] = typ, 0
	be.PutUint16(b[4:], s.cport)
	be.PutUint16(b[6:], uint16(s.step/2+1))
	end := p + 8
	if s.kind == KindPing {
		// Linux ping: a timeval of the request, then a byte pattern.
		tt := g.cfg.Start.Add(time.Duration(s.t0))
		if req {
			s.t0 = g.now
			tt = g.cfg.Start.Add(time.Duration(g.now))
		}
		binary.LittleEndian.PutUint64(b[8:], uint64(tt.Unix()))
		binary.LittleEndian.PutUint64(b[16:], uint64(tt.Nanosecond()/1000))
		for i := 0; i < 40; i++ {
			b[24+i] = byte(0x10 + i)
		}
		end += 56
	}
	err := g.finish(s, end)
	s.step++
	switch {
	case req && (s.kind == KindPing || s.alive):
		s.mainAt = g.now + s.rtt
	case req:
		return true, err
	case s.kind == KindPing && s.step/2 < s.left:
		s.mainAt = s.t0 + g.jitter(int64(time.Second), 0.002)
	default:
		return true, err
	}
	return false, err
}

// tunnelStep alternates long TXT queries carrying encoded data and TXT
// answers carrying the reply, like iodine or dnscat.
func (g *gen) tunnelStep(s *session) (bool, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	const domain = "\x03tun\x07example\x03org\x00"
	if s.step%2 == 0 {
		p := g.udpBegin(s, cli)
		b := g.buf[p:]
		s.aux = g.rng.IntN(65536)
		be.PutUint16(b[0:], uint16(s.aux))
		be.PutUint16(b[2:], 0x0100)
		be.PutUint16(b[4:], 1)
		be.PutUint32(b[6:], 0)
		be.PutUint16(b[10:], 0)
		o := 12
		labels := 2 + g.rng.IntN(2)
		for l := 0; l < labels; l++ {
			n := 40 + g.rng.IntN(24)
			b[o] = byte(n)
			for i := 1; i <= n; i++ {
				b[o+i] = alphabet[g.rng.IntN(len(alphabet))]
			}
			o += n + 1
		}
		o += copy(b[o:], domain)
		s.textLen = o - 12 // question name length, for the answer
		copy(s.text[:], b[12:o])
		be.PutUint16(b[o:], 16) // TXT
		be.PutUint16(b[o+2:], 1)
		s.step++
		s.mainAt = g.now + s.rtt
		return false, g.finish(s, p+o+4)
	}
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	p := g.udpBegin(s, srv)
	b := g.buf[p:]
	be.PutUint16(b[0:], uint16(s.aux))
	be.PutUint16(b[2:], 0x8180)
	be.PutUint16(b[4:], 1)
	be.PutUint16(b[6:], 1)
	be.PutUint32(b[8:], 0)
	o := 12 + copy(b[12:], s.text[:s.textLen])
	be.PutUint16(b[o:], 16)
	be.PutUint16(b[o+2:], 1)
	o += 4
	be.PutUint16(b[o:], 0xc00c)
	be.PutUint16(b[o+2:], 16)
	be.PutUint16(b[o+4:], 1)
	be.PutUint32(b[o+6:], 0)
	n := 60 + g.rng.IntN(190)
	be.PutUint16(b[o+10:], uint16(n+1))
	b[o+12] = byte(n)
	for i := 0; i < n; i++ {
		b[o+13+i] = b64[g.rng.IntN(64)]
	}
	o += 13 + n
	s.step++
	if s.step/2 >= s.left {
		return true, g.finish(s, p+o)
	}
	s.mainAt = g.now + g.logNormal(80*ms, 0.8, 5*ms, 2000*ms)
	return false, g.finish(s, p+o)
}
