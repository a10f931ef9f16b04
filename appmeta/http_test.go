package appmeta

import (
	"fmt"
	"strings"
	"testing"
)

func TestHTTPRequest(t *testing.T) {
	req := "GET /a/b/c.html?x=1#f HTTP/1.1\r\nhost: example.org:8080\r\nUser-Agent:  curl/8.1 \r\nAccept: */*\r\n\r\n"
	var s State
	s.Init(true, 40000, 80)
	s.Observe(0, true, 1, []byte(req[:20])) // headers split across segments
	s.Observe(0, true, 21, []byte(req[20:]))
	m := s.Result()
	if m.HTTPMethod != "GET" || m.HTTPHost != "example.org:8080" || m.HTTPUserAgent != "curl/8.1" {
		t.Errorf("got %q %q %q", m.HTTPMethod, m.HTTPHost, m.HTTPUserAgent)
	}
	if m.HTTPURIPathLen != len("/a/b/c.html") {
		t.Errorf("path len %d", m.HTTPURIPathLen)
	}
	if m.Application != "http" {
		t.Errorf("app %q", m.Application)
	}
}

func TestURIPathLen(t *testing.T) {
	for in, want := range map[string]int{
		"/":                           1,
		"/index.html?q=1":             11,
		"http://example.com/a/b?c":    4,
		"http://example.com":          0,
		"http://example.com?x=/y":     0,
		"example.com:443":             15, // CONNECT authority form
		"*":                           1,
		"/path/with://inside?q=1":     19,
		"/x#frag":                     2,
		"HTTPS://Host.Example/abc/de": 7,
	} {
		if got := uriPathLen([]byte(in)); got != want {
			t.Errorf("uriPathLen(%q) = %d, want %d", in, got, want)
		}
	}
}

// naiveCount is the reference for response counting: it parses a whole,
// well-formed response stream message by message.
func naiveCount(stream string) (resp, succ int) {
	for len(stream) > 0 {
		end := strings.Index(stream, "\r\n\r\n")
		head := stream[:end]
		stream = stream[end+4:]
		var code int
		fmt.Sscanf(head[9:12], "%d", &code)
		cl := 0
		for _, l := range strings.Split(head, "\r\n")[1:] {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
				fmt.Sscanf(strings.TrimSpace(v), "%d", &cl)
			}
		}
		if code >= 200 {
			resp++
			if code < 400 {
				succ++
			}
		}
		stream = stream[cl:]
	}
	return resp, succ
}

func response(code int, body string) string {
	return fmt.Sprintf("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", code, len(body), body)
}

func TestHTTPKeepAliveCounts(t *testing.T) {
	stream := response(100, "") + response(200, "hello") + response(301, "") +
		response(404, strings.Repeat("n", 3000)) + response(204, "") + response(500, "e") +
		response(200, "HTTP/1.1 200 OK inside a body")
	wantR, wantS := naiveCount(stream)
	if wantR != 6 || wantS != 4 {
		t.Fatalf("reference count %d/%d", wantR, wantS)
	}
	for _, mss := range []int{1, 7, 100, 536, 1460, len(stream)} {
		var s State
		s.Init(true, 40000, 80)
		s.Observe(0, true, 1, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
		seq := uint32(0xfffffff0) // wraps
		for off := 0; off < len(stream); off += mss {
			end := min(off+mss, len(stream))
			s.Observe(1, true, seq+uint32(off), []byte(stream[off:end]))
			if off%3 == 0 { // retransmit some segments
				s.Observe(1, true, seq+uint32(off), []byte(stream[off:end]))
			}
		}
		m := s.Result()
		if m.HTTPResponses != wantR || m.HTTPSuccess != wantS {
			t.Errorf("mss %d: got %d/%d, want %d/%d", mss, m.HTTPResponses, m.HTTPSuccess, wantR, wantS)
		}
	}
}

// TestHTTPChunkedFallback: chunked bodies end framing; the next response
// is still found at the start of its segment.
func TestHTTPChunkedFallback(t *testing.T) {
	r1 := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	r2 := response(302, "")
	var s State
	s.Init(true, 40000, 8080)
	s.Observe(0, true, 1, []byte("GET / HTTP/1.1\r\n\r\n"))
	s.Observe(1, true, 1, []byte(r1))
	s.Observe(1, true, 1+uint32(len(r1)), []byte(r2))
	if m := s.Result(); m.HTTPResponses != 2 || m.HTTPSuccess != 2 {
		t.Errorf("got %d/%d, want 2/2", m.HTTPResponses, m.HTTPSuccess)
	}
}

func TestHTTPNotHTTP(t *testing.T) {
	for _, p := range []string{"GETX / HTTP/1.1\r\n", "get / HTTP/1.1\r\n", "FOO /x SIP/2.0\r\n", "HTTP/2 200\r\n"} {
		var s State
		s.Init(true, 40000, 9000)
		s.Observe(0, true, 1, []byte(p))
		if m := s.Result(); m.HTTPMethod != "" || m.Application != "" {
			t.Errorf("%q parsed as HTTP: %+v", p, m)
		}
	}
}
