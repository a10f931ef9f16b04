package synth

import (
	"strconv"
	"time"
)

// Read-only tables for application content.
var (
	hostNames = [nNames]string{
		"www.example.com", "api.example.com", "static.example.net", "cdn.example.org",
		"img.example.com", "mail.example.net", "login.example.org", "news.example.com",
		"shop.example.net", "video.example.org", "updates.example.com", "telemetry.example.net",
		"docs.example.org", "blog.example.com", "search.example.net", "maps.example.org",
		"files.example.com", "chat.example.net", "music.example.org", "wiki.example.com",
		"status.example.net", "assets.example.org", "auth.example.com", "time.example.net",
	}
	userAgents = [...]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"curl/8.5.0",
		"Debian APT-HTTP/1.3 (2.6.1)",
		"python-requests/2.31.0",
	}
	// Paths with the body each is served with.
	httpPaths = [...]struct {
		path, ctype string
		body        uint8
	}{
		{"/", "text/html; charset=utf-8", bodyText},
		{"/index.html", "text/html; charset=utf-8", bodyText},
		{"/news/article-", "text/html; charset=utf-8", bodyText},
		{"/css/site.css?v=", "text/css", bodyText},
		{"/robots.txt", "text/plain", bodyText},
		{"/static/app.bundle.", "application/octet-stream", bodyBinary},
		{"/downloads/package-", "application/octet-stream", bodyBinary},
		{"/api/v1/items?page=", "text/plain; charset=utf-8", bodyText},
		{"/media/clip-", "application/octet-stream", bodyBinary},
	}
)

// planHTTP alternates requests and responses on a keep-alive connection.
func (g *gen) planHTTP(s *session) (int64, bool) {
	if s.step%2 == 0 {
		if s.left == 0 {
			return g.closeAfterIdle(s), false
		}
		delay := g.jitter(80*us, 0.5)
		if s.step > 0 {
			delay = g.logNormal(300*ms, 1.2, 2*ms, 20000*ms)
		}
		g.httpRequest(s)
		s.step++
		return delay, true
	}
	s.left--
	s.step++
	g.httpResponse(s)
	return s.rtt + g.logNormal(6*ms, 1.0, 150*us, 2000*ms), true
}

func (g *gen) httpRequest(s *session) {
	s.aux = g.rng.IntN(len(httpPaths))
	s.aux2 = g.rng.IntN(100000)
	p := httpPaths[s.aux]
	post := g.rng.Float64() < 0.08
	b := s.text[:0]
	if post {
		b = append(b, "POST "...)
	} else {
		b = append(b, "GET "...)
	}
	b = append(b, p.path...)
	if p.path[len(p.path)-1] == '-' || p.path[len(p.path)-1] == '=' || p.path[len(p.path)-1] == '.' {
		b = strconv.AppendInt(b, int64(s.aux2), 10)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, hostNames[s.name]...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, userAgents[(s.name+int(s.cport))%len(userAgents)]...)
	b = append(b, "\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: identity\r\n"...)
	if s.step > 0 && g.rng.Float64() < 0.3 {
		b = append(b, "Cookie: session="...)
		b = strconv.AppendUint(b, g.rng.Uint64(), 36)
		b = append(b, "\r\n"...)
	}
	body := 0
	if post {
		body = int(g.logNormal(600, 1.2, 20, 60000))
		b = append(b, "Content-Type: application/octet-stream\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(body), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Connection: keep-alive\r\n\r\n"...)
	s.textLen = len(b)
	s.msgLen = len(b) + body
	s.msgSide = cli
	s.body = bodyBinary
}

func (g *gen) httpResponse(s *session) {
	p := httpPaths[s.aux]
	status, reason := 200, "OK"
	switch x := g.rng.Float64(); {
	case x < 0.07:
		status, reason = 304, "Not Modified"
	case x < 0.10:
		status, reason = 404, "Not Found"
	case x < 0.12:
		status, reason = 301, "Moved Permanently"
	}
	body := 0
	switch status {
	case 200:
		body = int(g.logNormal(3500, 1.5, 40, 4<<20))
	case 404, 301:
		body = 150 + g.rng.IntN(300)
	}
	b := s.text[:0]
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, reason...)
	b = append(b, "\r\nDate: "...)
	b = g.cfg.Start.Add(time.Duration(g.now+s.rtt)).UTC().AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT")
	b = append(b, "\r\nServer: "...)
	b = append(b, [...]string{"nginx/1.24.0", "Apache/2.4.58 (Debian)", "cloudflare", "envoy"}[s.name%4]...)
	if status == 301 {
		b = append(b, "\r\nLocation: https://"...)
		b = append(b, hostNames[s.name]...)
		b = append(b, '/')
	}
	ctype, kind := p.ctype, p.body
	if status != 200 {
		ctype, kind = "text/html; charset=utf-8", bodyText
	}
	if status != 304 {
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, ctype...)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(body), 10)
	}
	b = append(b, "\r\nCache-Control: max-age=3600\r\nConnection: keep-alive\r\n\r\n"...)
	s.textLen = len(b)
	s.msgLen = len(b) + body
	s.msgSide = srv
	s.body = kind
}

// planSlowloris opens with a partial request, then trickles one header
// line every ~10 s and never finishes; the server eventually gives up.
func (g *gen) planSlowloris(s *session) (int64, bool) {
	b := s.text[:0]
	var delay int64
	switch {
	case s.step == 0:
		b = append(b, "GET /?"...)
		b = strconv.AppendInt(b, int64(g.rng.IntN(2000)), 10)
		b = append(b, " HTTP/1.1\r\nHost: 192.0.2.80\r\nUser-Agent: "...)
		b = append(b, userAgents[int(s.cport)%3]...)
		b = append(b, "\r\nAccept-language: en-US,en,q=0.5\r\n"...)
		delay = g.jitter(100*us, 0.5)
	case s.left > 0:
		s.left--
		b = append(b, "X-a: "...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(5000)), 10)
		b = append(b, "\r\n"...)
		delay = g.jitter(10*int64(time.Second), 0.1)
	default:
		// The server's header timeout fires.
		s.closer, s.rst = srv, false
		return g.jitter(10*int64(time.Second), 0.1), false
	}
	s.step++
	s.textLen, s.msgLen, s.msgSide, s.body = len(b), len(b), cli, bodyBinary
	return delay, true
}

// planHTTPS runs a TLS 1.3 handshake, then encrypted request/response
// exchanges, one record per segment.
func (g *gen) planHTTPS(s *session) (int64, bool) {
	var delay int64
	switch {
	case s.step == 0:
		s.textLen = g.clientHello(s)
		s.msgLen, s.msgSide, s.body = s.textLen, cli, bodyTLS
		delay = g.jitter(150*us, 0.5)
	case s.step == 1:
		s.textLen = g.serverHello(s)
		s.msgLen = tlsLen(s.textLen, s.textLen+int(g.logNormal(3200, 0.35, 1200, 9000)), s.mss)
		s.msgSide, s.body = srv, bodyTLS
		delay = s.rtt + g.logNormal(1500*us, 0.8, 100*us, 100*ms)
	case s.step%2 == 0:
		if s.left == 0 {
			return g.closeAfterIdle(s), false
		}
		s.textLen = 0
		if s.step == 2 {
			// ChangeCipherSpec and the encrypted Finished precede the
			// first request.
			b := append(s.text[:0], 0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x35)
			b = b[:len(b)+0x35]
			g.binFill(b[len(b)-0x35:])
			s.textLen = len(b)
			delay = g.jitter(200*us, 0.5)
		} else {
			delay = g.logNormal(300*ms, 1.2, 2*ms, 20000*ms)
		}
		want := s.textLen + int(g.logNormal(450, 0.6, 60, 1400))
		if g.rng.Float64() < 0.05 {
			want += int(g.logNormal(20000, 1.2, 1000, 2<<20)) // upload
		}
		s.msgLen = tlsLen(s.textLen, want, s.mss)
		s.msgSide, s.body = cli, bodyTLS
	default:
		s.left--
		s.textLen = 0
		s.msgLen = tlsLen(0, int(g.logNormal(3000, 1.6, 40, 6<<20)), s.mss)
		s.msgSide, s.body = srv, bodyTLS
		delay = s.rtt + g.logNormal(8*ms, 1.0, 150*us, 2000*ms)
	}
	s.step++
	return delay, true
}

// fillerText makes an HTML-like text block for text bodies.
func fillerText(n int) []byte {
	words := [...]string{"the", "network", "flow", "packet", "report", "quarterly", "update", "service",
		"latency", "customer", "release", "notes", "weather", "market", "analysis", "open", "source",
		"project", "community", "meeting", "summary", "details", "download", "archive"}
	b := make([]byte, 0, n+64)
	b = append(b, "<!DOCTYPE html>\n<html><head><title>Example</title></head><body>\n"...)
	x := uint32(2463534242)
	for len(b) < n {
		b = append(b, "<p>"...)
		for i := 0; i < 12; i++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b = append(b, words[x%uint32(len(words))]...)
			b = append(b, ' ')
		}
		b = append(b, "</p>\n"...)
	}
	return b[:n]
}
