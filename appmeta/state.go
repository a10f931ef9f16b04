package appmeta

// kind is the parser a direction runs.
type kind uint8

const (
	kindNone kind = iota
	kindTLS
	kindHTTPReq
	kindHTTPResp
	kindSSH
	kindDNSTCP
)

// State flags.
const (
	flagPorts = 1 << iota
	flagTCP
	flagUDP
	flagDone0 // direction 0 has nothing more to give
	flagDone1
)

// maxSegments bounds how many segments a direction buffers while waiting
// for a hole to fill; maxTentative how many an unrecognised direction on a
// port of interest waits for an earlier segment that starts the protocol.
const (
	maxSegments  = 48
	maxTentative = 4
	maxDNSMsgs   = 8 // UDP DNS messages parsed before giving up on a missing query or response
)

// State extracts application metadata from one flow. The zero value is
// ready; it allocates only once a flow carries payload of interest.
// A State is not safe for concurrent use: the flow table serialises a flow's
// packets anyway.
type State struct {
	cport, sport uint16
	flags        uint8
	d            *detail
}

type dirState struct {
	kind      kind
	tentative bool // kind guessed from the port, content not yet seen to match
	buffering bool
	segs      uint8
	r         reasm
}

// detail is allocated for flows of interest only. The flags and 16-bit
// fields sit together so that padding does not push it past 632 bytes,
// which with the allocator's 8-byte header is the 640-byte size class
// (TestStateSize).
type detail struct {
	dir  [2]dirState
	resp respCounter

	hasCH, hasSH  bool
	hasReq        bool
	hasQ, hasR    bool
	rMatched      bool   // the kept response answers the kept query
	cver, sver    uint16 // TLS versions
	qid, rid      uint16 // DNS ids
	qtype, rqtype uint16 // rq*: the first response's question

	sni, alpn, alpnList string
	ja3, ja3Hash        string
	ja3s, ja3sHash      string
	ja4                 string

	req httpRequest

	qname, rqname string
	qlen, rqlen   int
	qent, rqent   float64
	rcode, ansN   int
	dnsMsgs       int

	ssh [2]string
}

func doneFlag(dir int) uint8 { return flagDone0 << uint(dir) }

// Init tells the State the flow's transport and ports (client is the side
// that sent the first packet). Without it DNS is not recognised and no
// port-based guess is made.
func (s *State) Init(isTCP bool, clientPort, serverPort uint16) {
	s.cport, s.sport = clientPort, serverPort
	s.flags |= flagPorts
	if isTCP {
		s.flags |= flagTCP
	} else {
		s.flags |= flagUDP
	}
}

// Observe feeds one packet's transport payload. dir is 0 for client to
// server, 1 for server to client; seq is the TCP sequence number of the
// first payload byte (ignored for UDP). payload is not retained: what must
// outlive the call is copied.
func (s *State) Observe(dir int, isTCP bool, seq uint32, payload []byte) {
	s.ObserveWith(nil, dir, isTCP, seq, payload)
}

// ObserveWith is Observe taking the flow's detail, when it first needs
// one, from pool (nil: allocate it).
func (s *State) ObserveWith(pool *Pool, dir int, isTCP bool, seq uint32, payload []byte) {
	if dir&^1 != 0 || s.flags&doneFlag(dir) != 0 {
		return
	}
	if s.flags&(flagTCP|flagUDP) == 0 {
		if isTCP {
			s.flags |= flagTCP
		} else {
			s.flags |= flagUDP
		}
	}
	if len(payload) == 0 {
		return
	}
	if !isTCP {
		s.observeUDP(pool, payload)
		return
	}
	var ds *dirState
	if s.d != nil {
		ds = &s.d.dir[dir]
	}
	if ds == nil || ds.kind == kindNone {
		k, tentative := s.classify(dir, payload)
		if k == kindNone {
			s.flags |= doneFlag(dir)
			return
		}
		if s.d == nil {
			s.d = pool.get()
		}
		ds = &s.d.dir[dir]
		ds.kind, ds.tentative = k, tentative
		if o := &s.d.dir[1-dir]; o.kind == kindNone && s.flags&doneFlag(1-dir) == 0 {
			// The other side answers in the same protocol, whatever its
			// first bytes look like (an alert before a ServerHello, a
			// response that arrived out of order).
			switch k {
			case kindHTTPReq:
				o.kind = kindHTTPResp
			case kindTLS:
				o.kind = kindTLS
			}
		}
	}
	if ds.kind == kindHTTPResp {
		s.d.resp.segment(true, seq, payload)
		return
	}
	if !ds.buffering {
		if !ds.tentative {
			// Common case: the whole message is in the first segment and
			// is parsed in place.
			switch s.parse(dir, payload, false) {
			case parsed:
				s.finish(dir)
				return
			case failed:
				// A later segment that arrived first can look like a
				// record start; on a port of interest wait for the real
				// start, otherwise give up.
				pk := s.portKind(dir)
				if pk == kindNone {
					s.finish(dir)
					return
				}
				ds.kind, ds.tentative = pk, true
			}
		}
		ds.buffering = true
		ds.r.init(seq, payload)
		if ds.tentative && s.parse(dir, ds.r.prefix(), false) == parsed {
			s.finish(dir)
		}
		return
	}
	ds.segs++
	before := len(ds.r.prefix())
	if !ds.r.add(seq, payload) || ds.segs > maxSegments {
		s.finish(dir)
		return
	}
	pre := ds.r.prefix()
	if len(pre) == before && !(ds.tentative && len(pre) > 0) {
		return // retransmission or a segment beyond a hole
	}
	st := s.parse(dir, pre, ds.r.full())
	switch {
	case st == parsed:
		s.finish(dir)
	case st == failed && (!ds.tentative || ds.segs >= maxTentative):
		s.finish(dir)
	}
}

// finish marks a direction decided and drops its buffer.
func (s *State) finish(dir int) {
	s.flags |= doneFlag(dir)
	if s.d != nil {
		s.d.dir[dir].r = reasm{}
		s.d.dir[dir].buffering = false
	}
}

// classify picks the parser for a direction from its first payload, then
// from the server port for a first segment that may have arrived early.
func (s *State) classify(dir int, p []byte) (kind, bool) {
	switch {
	case looksTLS(p):
		return kindTLS, false
	case looksHTTPRequest(p):
		return kindHTTPReq, false
	case looksHTTPResponse(p):
		return kindHTTPResp, false
	case len(p) >= 4 && string(p[:4]) == "SSH-":
		return kindSSH, false
	}
	if s.flags&flagPorts != 0 && (s.cport == 53 || s.sport == 53) {
		return kindDNSTCP, false
	}
	if k := s.portKind(dir); k != kindNone {
		return k, true
	}
	return kindNone, false
}

// portKind is the parser the server port suggests for a direction whose
// first bytes did not identify it.
func (s *State) portKind(dir int) kind {
	if s.flags&flagPorts == 0 {
		return kindNone
	}
	switch {
	case tlsPort(s.sport):
		return kindTLS
	case s.sport == 22:
		return kindSSH
	case dir == 0 && (s.sport == 80 || s.sport == 8080):
		return kindHTTPReq
	}
	return kindNone
}

// parse runs a direction's parser over the bytes known from its start.
// capped says no more bytes will come.
func (s *State) parse(dir int, p []byte, capped bool) status {
	d := s.d
	ds := &d.dir[dir]
	var st status
	switch ds.kind {
	case kindTLS:
		st = s.parseTLS(p)
	case kindHTTPReq:
		var req httpRequest
		req, st = parseHTTPRequest(p, capped)
		if st == parsed && !d.hasReq {
			d.hasReq, d.req = true, req
		}
	case kindSSH:
		var banner string
		banner, st = parseSSHBanner(p, dir == 1 || ds.tentative, capped)
		if st == parsed && d.ssh[dir] == "" {
			d.ssh[dir] = banner
		}
	case kindDNSTCP:
		// Only the header and question are needed, so a long message
		// (a zone transfer, a big signed answer) need not be complete.
		st = needMore
		if len(p) >= 2 {
			n := int(p[0])<<8 | int(p[1])
			msg := p[2:]
			if len(msg) > n {
				msg = msg[:n]
			}
			switch {
			case s.recordDNS(msg):
				st = parsed
			case len(msg) == n:
				st = failed
			}
		}
	default:
		st = failed
	}
	if st == needMore && capped {
		st = failed
	}
	return st
}

func (s *State) parseTLS(p []byte) status {
	// A server may send a warning alert (or a stray change_cipher_spec)
	// before its ServerHello: skip a few such records.
	for i := 0; i < 4 && len(p) >= 5 && (p[0] == 20 || p[0] == 21) && p[1] == 3; i++ {
		n := 5 + (int(p[3])<<8 | int(p[4]))
		if len(p) < n {
			return needMore
		}
		p = p[n:]
	}
	if len(p) < 6 {
		if len(p) >= 3 && !looksTLS(p) {
			return failed
		}
		return needMore
	}
	want := p[5]
	if want != hsClientHello && want != hsServerHello {
		return failed
	}
	msg, st := handshakeMsg(p, want)
	if st != parsed {
		return st
	}
	d := s.d
	if want == hsClientHello {
		var ch clientHello
		if !ch.parse(msg) {
			return failed
		}
		if !d.hasCH {
			d.hasCH = true
			cm := ch.meta()
			d.sni, d.alpn, d.alpnList = cm.sni, cm.alpn, cm.alpnList
			d.cver = cm.version
			d.ja3, d.ja3Hash, d.ja4 = cm.ja3, cm.ja3Hash, cm.ja4
		}
		return parsed
	}
	var sh serverHello
	if !sh.parse(msg) {
		return failed
	}
	if !d.hasSH {
		d.hasSH = true
		d.sver = sh.negotiated()
		d.ja3s, d.ja3sHash = sh.ja3s()
	}
	return parsed
}

// observeUDP handles DNS, the only UDP protocol parsed: each datagram is one
// message, so no buffering.
func (s *State) observeUDP(pool *Pool, p []byte) {
	if s.flags&flagPorts == 0 || !isDNSPort(s.cport) && !isDNSPort(s.sport) {
		s.flags |= flagDone0 | flagDone1
		return
	}
	if s.d == nil {
		s.d = pool.get()
	}
	d := s.d
	s.recordDNS(p)
	d.dnsMsgs++
	if d.hasQ && d.rMatched || d.dnsMsgs >= maxDNSMsgs {
		s.flags |= flagDone0 | flagDone1
	}
}

// recordDNS keeps the first query's question and the header of the
// response to it (by ID), or of the first response when none matches. A
// response's question stands in when no query is seen at all.
func (s *State) recordDNS(msg []byte) bool {
	var nb [256]byte
	m, ok := parseDNS(msg, nb[:])
	if !ok {
		return false
	}
	d := s.d
	if !m.response {
		if !d.hasQ && m.qdcount > 0 {
			d.hasQ, d.qid = true, m.id
			d.qname, d.qlen, d.qent, d.qtype = printable(m.name), len(m.name), entropy(m.name), m.qtype
			d.rMatched = d.hasR && d.rid == m.id
		}
		return true
	}
	matches := d.hasQ && m.id == d.qid
	if !d.hasR || matches && !d.rMatched {
		d.hasR, d.rid, d.rcode, d.ansN, d.rMatched = true, m.id, m.rcode, m.answers, matches
		if !d.hasQ && m.qdcount > 0 && d.rqtype == 0 {
			d.rqname, d.rqlen, d.rqent, d.rqtype = printable(m.name), len(m.name), entropy(m.name), m.qtype
		}
	}
	return true
}

// Result renders what the flow revealed. It may be called more than once.
func (s *State) Result() Meta {
	m := Meta{HTTPURIPathLen: -1, DNSRcode: -1, DNSAnswers: -1}
	if d := s.d; d != nil {
		m.TLSSNI, m.TLSALPN, m.TLSALPNList = d.sni, d.alpn, d.alpnList
		m.TLSClientVersion, m.TLSServerVersion = d.cver, d.sver
		m.JA3, m.JA3Hash = d.ja3, d.ja3Hash
		m.JA3S, m.JA3SHash = d.ja3s, d.ja3sHash
		m.JA4 = d.ja4
		if d.hasReq {
			m.HTTPMethod, m.HTTPHost, m.HTTPUserAgent = d.req.method, d.req.host, d.req.ua
			m.HTTPURIPathLen = d.req.pathLen
		}
		m.HTTPResponses, m.HTTPSuccess = d.resp.responses, d.resp.success
		switch {
		case d.hasQ:
			m.DNSQuery, m.DNSQType, m.DNSQTypeName = d.qname, d.qtype, QTypeName(d.qtype)
			m.DNSQueryLen, m.DNSEntropy = d.qlen, d.qent
		case d.rqtype != 0:
			m.DNSQuery, m.DNSQType, m.DNSQTypeName = d.rqname, d.rqtype, QTypeName(d.rqtype)
			m.DNSQueryLen, m.DNSEntropy = d.rqlen, d.rqent
		}
		if d.hasR {
			m.DNSRcode, m.DNSAnswers = d.rcode, d.ansN
		}
		m.SSHClient, m.SSHServer = d.ssh[0], d.ssh[1]
	}
	m.Application = s.application(&m)
	return m
}

func (s *State) application(m *Meta) string {
	d := s.d
	switch {
	case d == nil:
	case d.hasCH || d.hasSH:
		return "tls"
	case d.hasReq || d.resp.heads > 0:
		return "http"
	case d.hasQ || d.hasR || d.rqtype != 0:
		switch {
		case s.cport == 5353 || s.sport == 5353:
			return "mdns"
		case s.cport == 5355 || s.sport == 5355:
			return "llmnr"
		}
		return "dns"
	case m.SSHClient != "" || m.SSHServer != "":
		return "ssh"
	}
	if s.flags&flagPorts == 0 {
		return ""
	}
	tcp := s.flags&flagTCP != 0
	if s.flags&(flagTCP|flagUDP) == 0 {
		return ""
	}
	if a := portService(tcp, s.sport); a != "" {
		return a
	}
	return portService(tcp, s.cport)
}
