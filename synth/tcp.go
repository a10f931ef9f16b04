package synth

// TCP engine: handshake, application messages segmented at the MSS in
// growing flights, delayed ACKs, FIN or RST teardown. The capture point is
// taken to be near the client, so client packets carry send times and
// server packets their arrival times.

// TCP session states.
const (
	tSyn = iota
	tSynAck
	tAck
	tData
	tFin1
	tFin2
	tLast
)

// Body fillers that follow a message's text.
const (
	bodyBinary = iota
	bodyText
	bodyTLS // every segment's tail is one TLS application-data record
)

// initTCP sets up sequence numbers and options for a new TCP session.
func (g *gen) initTCP(s *session, synOpt, opts uint8) {
	s.snd = [2]uint32{g.rng.Uint32(), g.rng.Uint32()}
	s.synOpt, s.opts = synOpt, opts
	s.synWin = 64240
	if s.v6 {
		s.synWin = 64800
	}
	if opts == optNone {
		s.mss += 12 // no timestamp option on data segments
	}
}

func (g *gen) tcpStep(s *session) (bool, error) {
	if s.ackAt != 0 && s.ackAt <= s.mainAt {
		s.ackAt = 0
		return false, g.tcpSend(s, s.ackSide, tcpACK, 0)
	}
	switch s.st {
	case tSyn:
		err := g.tcpSend(s, cli, tcpSYN, 0)
		s.st = tSynAck
		s.mainAt = g.now + s.rtt
		return false, err
	case tSynAck:
		err := g.tcpSend(s, srv, tcpSYN|tcpACK, 0)
		s.st = tAck
		s.mainAt = g.now + g.jitter(60*us, 0.5)
		return false, err
	case tAck:
		err := g.tcpSend(s, cli, tcpACK, 0)
		g.nextMsg(s)
		return false, err
	case tData:
		n := min(s.mss, s.msgLen-s.msgOff)
		last := s.msgOff+n == s.msgLen
		flags := uint8(tcpACK)
		if last {
			flags |= tcpPSH
		}
		err := g.tcpSend(s, s.msgSide, flags, n)
		s.msgOff += n
		s.segs++
		s.flight--
		if s.msgSide == srv {
			// The client acknowledges every second segment at once.
			if s.segs%2 == 0 || last {
				s.ackAt = g.now + g.jitter(s.gap/2, 0.6) + 5*us
				s.ackSide = cli
			}
		} else if last || s.flight == 0 {
			d := 200 * us
			if s.segs == 1 {
				d = 40 * ms // delayed ACK, usually overtaken by the response
			}
			s.ackAt = g.now + s.rtt + d
			s.ackSide = srv
		}
		switch {
		case last:
			g.nextMsg(s)
		case s.flight == 0:
			s.cwnd = min(2*s.cwnd, 64)
			s.flight = s.cwnd
			s.mainAt = g.now + s.rtt
			if s.msgSide == cli {
				s.mainAt = s.ackAt + g.jitter(30*us, 0.5)
			}
		default:
			s.mainAt = g.now + g.jitter(s.gap, 0.3)
		}
		return false, err
	case tFin1:
		if s.rst {
			return true, g.tcpSend(s, s.closer, tcpRST|tcpACK, 0)
		}
		err := g.tcpSend(s, s.closer, tcpFIN|tcpACK, 0)
		s.snd[s.closer]++
		s.st = tFin2
		if s.closer == cli {
			s.mainAt = g.now + s.rtt
		} else {
			s.mainAt = g.now + g.logNormal(200*us, 0.8, 20*us, 20*ms)
		}
		return false, err
	case tFin2:
		err := g.tcpSend(s, 1-s.closer, tcpFIN|tcpACK, 0)
		s.snd[1-s.closer]++
		s.st = tLast
		if s.closer == cli {
			s.mainAt = g.now + g.jitter(50*us, 0.5)
		} else {
			s.mainAt = g.now + s.rtt
		}
		return false, err
	case tLast:
		return true, g.tcpSend(s, s.closer, tcpACK, 0)
	}
	return true, nil
}

// nextMsg asks the application for its next message, or the teardown.
func (g *gen) nextMsg(s *session) {
	var delay int64
	var ok bool
	switch s.kind {
	case KindHTTP:
		delay, ok = g.planHTTP(s)
	case KindHTTPS:
		delay, ok = g.planHTTPS(s)
	case KindSSHBrute:
		delay, ok = g.planSSH(s)
	case KindSlowloris:
		delay, ok = g.planSlowloris(s)
	}
	s.mainAt = g.now + delay
	if !ok {
		s.st = tFin1
		return
	}
	s.st = tData
	s.msgOff, s.segs = 0, 0
	s.cwnd, s.flight = 10, 10
}

// closeAfterIdle plans an ordinary teardown: the client closes soon after
// its last exchange, or the server closes an idle keep-alive connection;
// a few sessions are reset instead.
func (g *gen) closeAfterIdle(s *session) int64 {
	s.rst = g.rng.Float64() < 0.06
	if g.rng.Float64() < 0.6 {
		s.closer = cli
		return g.logNormal(40*ms, 1.0, 100*us, 5000*ms)
	}
	s.closer = srv
	return g.logNormal(2000*ms, 0.7, 200*ms, 20000*ms)
}

// tcpSend builds and writes one TCP segment with n payload bytes from the
// current message.
func (g *gen) tcpSend(s *session, side int, flags uint8, n int) error {
	off := g.begin(s, side, protoTCP)
	opt := s.opts
	if flags&tcpSYN != 0 {
		opt = s.synOpt
	} else if flags&tcpRST != 0 && s.opts == optNone {
		opt = optNone
	}
	var ack uint32
	if flags&tcpACK != 0 {
		ack = s.snd[1-side]
	}
	p := g.tcpHeader(s, side, off, flags, s.snd[side], ack, opt)
	if flags&tcpSYN != 0 {
		s.snd[side]++
	}
	if n > 0 {
		g.fill(s, g.buf[p:p+n])
		s.snd[side] += uint32(n)
	}
	if flags&tcpACK != 0 && s.ackAt != 0 && s.ackSide == side {
		s.ackAt = 0 // this segment carries the pending acknowledgement
	}
	return g.finish(s, p+n)
}

// fill writes the payload of the next segment of the current message: the
// message's text first, then filler.
func (g *gen) fill(s *session, dst []byte) {
	n := 0
	if s.msgOff < s.textLen {
		n = copy(dst, s.text[s.msgOff:s.textLen])
	}
	rest := dst[n:]
	if len(rest) == 0 {
		return
	}
	switch s.body {
	case bodyTLS:
		rest[0], rest[1], rest[2] = 0x17, 0x03, 0x03
		be.PutUint16(rest[3:], uint16(len(rest)-5))
		g.binFill(rest[5:])
	case bodyText:
		g.txtFill(rest)
	default:
		g.binFill(rest)
	}
}

// binFill copies random bytes from the seeded block at a random offset:
// as good as fresh randomness for a traffic model, at memcpy speed.
func (g *gen) binFill(dst []byte) {
	for len(dst) > 0 {
		o := g.rng.IntN(blockLen)
		n := copy(dst, g.bin[o:o+min(len(dst), 2048)])
		dst = dst[n:]
	}
}

func (g *gen) txtFill(dst []byte) {
	for len(dst) > 0 {
		o := g.rng.IntN(blockLen)
		n := copy(dst, g.txt[o:o+min(len(dst), 2048)])
		dst = dst[n:]
	}
}

// tlsLen adjusts a TLS message length so every segment's record has a
// header and at least one byte (see bodyTLS).
func tlsLen(text, total, mss int) int {
	if total < text {
		total = text
	}
	if total > text && total-text < 6 {
		total = text + 6
	}
	if total > mss {
		if r := total % mss; r != 0 && r < 6 {
			total += 6
		}
	}
	return total
}
