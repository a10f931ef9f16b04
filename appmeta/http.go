package appmeta

import "bytes"

// httpMethods are the request methods recognised before a request line is
// complete; a complete line with any upper-case token and an HTTP/1.x
// version is accepted too.
func knownMethod(m []byte) bool {
	return knownMethodName(m) != ""
}

// knownMethodName returns m as a constant string when it is a known
// method, so the common request costs no copy; "" otherwise.
func knownMethodName(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "HEAD":
		return "HEAD"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	case "CONNECT":
		return "CONNECT"
	case "TRACE":
		return "TRACE"
	case "PATCH":
		return "PATCH"
	case "PROPFIND":
		return "PROPFIND"
	case "PROPPATCH":
		return "PROPPATCH"
	case "MKCOL":
		return "MKCOL"
	case "COPY":
		return "COPY"
	case "MOVE":
		return "MOVE"
	case "LOCK":
		return "LOCK"
	case "UNLOCK":
		return "UNLOCK"
	case "REPORT":
		return "REPORT"
	case "SEARCH":
		return "SEARCH"
	}
	return ""
}

// methodToken returns the leading upper-case token of p when a space
// follows it.
func methodToken(p []byte) []byte {
	for i := 0; i < len(p) && i <= 16; i++ {
		c := p[i]
		if c == ' ' {
			if i == 0 {
				return nil
			}
			return p[:i]
		}
		if c < 'A' || c > 'Z' {
			return nil
		}
	}
	return nil
}

// looksHTTPRequest reports whether p starts like an HTTP/1.x request.
func looksHTTPRequest(p []byte) bool {
	m := methodToken(p)
	if m == nil {
		return false
	}
	line, complete := firstLine(p)
	if !complete {
		return knownMethod(m)
	}
	return isHTTPVersion(lastField(line))
}

// looksHTTPResponse reports whether p starts with "HTTP/1.x ".
func looksHTTPResponse(p []byte) bool {
	return len(p) >= 9 && isHTTPVersion(p[:8]) && p[8] == ' '
}

func isHTTPVersion(v []byte) bool {
	return len(v) == 8 && string(v[:7]) == "HTTP/1." && v[7] >= '0' && v[7] <= '9'
}

// firstLine returns the bytes up to the first line end (without CR LF).
func firstLine(p []byte) ([]byte, bool) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return p, false
	}
	return bytes.TrimSuffix(p[:i], []byte{'\r'}), true
}

func lastField(line []byte) []byte {
	i := bytes.LastIndexByte(line, ' ')
	return line[i+1:]
}

// headerEnd returns the offset just past the blank line ending the header
// block, or -1.
func headerEnd(p []byte) int {
	for i := 0; i < len(p); {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			return -1
		}
		line := p[i : i+j]
		i += j + 1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return i
		}
	}
	return -1
}

// httpRequest is the first request of a flow.
type httpRequest struct {
	method, host, ua string
	pathLen          int
}

// parseHTTPRequest reads the request line and headers in p. With capped
// set, a header block that never ends is parsed as far as it goes.
func parseHTTPRequest(p []byte, capped bool) (httpRequest, status) {
	var req httpRequest
	if !looksHTTPRequest(p) {
		return req, failed
	}
	end := headerEnd(p)
	if end < 0 {
		if !capped {
			return req, needMore
		}
		end = len(p)
	}
	line, _ := firstLine(p)
	sp1 := bytes.IndexByte(line, ' ')
	if req.method = knownMethodName(line[:sp1]); req.method == "" {
		req.method = string(line[:sp1])
	}
	target := line[sp1+1:]
	if i := bytes.LastIndexByte(target, ' '); i >= 0 && isHTTPVersion(target[i+1:]) {
		target = target[:i]
	}
	req.pathLen = uriPathLen(target)
	hdrs := p[:end]
	if i := bytes.IndexByte(hdrs, '\n'); i >= 0 {
		hdrs = hdrs[i+1:]
	} else {
		hdrs = nil
	}
	// The first non-empty Host and User-Agent values, rendered together
	// and copied out once.
	var host, ua []byte
	for len(hdrs) > 0 {
		var l []byte
		if i := bytes.IndexByte(hdrs, '\n'); i >= 0 {
			l, hdrs = hdrs[:i], hdrs[i+1:]
		} else {
			l, hdrs = hdrs, nil
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		name, val, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case len(host) == 0 && asciiEqualFold(name, "host"):
			host = val
		case len(ua) == 0 && asciiEqualFold(name, "user-agent"):
			ua = val
		}
	}
	var buf [512]byte
	b := appendPrintable(buf[:0], host)
	n := len(b)
	s := string(appendPrintable(b, ua))
	req.host, req.ua = s[:n], s[n:]
	return req, parsed
}

// uriPathLen is the length of the path part of a request target: the query
// and fragment are cut, and an absolute URI's scheme and authority dropped.
func uriPathLen(t []byte) int {
	if i := bytes.Index(t, []byte("://")); i >= 0 && bytes.IndexByte(t[:i], '/') < 0 {
		rest := t[i+3:]
		j := bytes.IndexAny(rest, "/?#")
		if j < 0 || rest[j] != '/' {
			return 0
		}
		t = rest[j:]
	}
	if i := bytes.IndexAny(t, "?#"); i >= 0 {
		t = t[:i]
	}
	return len(t)
}

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// respHead is what the response counter needs from a status line and the
// headers that follow it within the same segment.
type respHead struct {
	code    int
	hdrLen  int   // bytes up to the body, -1 when the headers continue
	bodyLen int64 // Content-Length, -1 when unknown or chunked
}

// parseStatusHead parses "HTTP/1.x NNN ..." at the start of p.
func parseStatusHead(p []byte) (respHead, bool) {
	h := respHead{hdrLen: -1, bodyLen: -1}
	if len(p) < 12 || !looksHTTPResponse(p) {
		return h, false
	}
	for _, c := range p[9:12] {
		if c < '0' || c > '9' {
			return h, false
		}
		h.code = h.code*10 + int(c-'0')
	}
	if len(p) > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n' {
		return h, false
	}
	end := headerEnd(p)
	if end < 0 {
		return h, true
	}
	h.hdrLen = end
	hdrs := p[:end]
	chunked := false
	for len(hdrs) > 0 {
		i := bytes.IndexByte(hdrs, '\n')
		if i < 0 {
			break
		}
		l := bytes.TrimSuffix(hdrs[:i], []byte{'\r'})
		hdrs = hdrs[i+1:]
		name, val, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseUint(val)
			if ok {
				h.bodyLen = n
			}
		case asciiEqualFold(name, "transfer-encoding"):
			if !asciiEqualFold(val, "identity") {
				chunked = true
			}
		}
	}
	if chunked {
		h.bodyLen = -1
	}
	if h.code < 200 || h.code == 204 || h.code == 304 {
		h.bodyLen = 0
	}
	return h, true
}

func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// maxRespHead bounds a response head carried over to the next segment.
const maxRespHead = 4096

// respCounter follows the server direction of an HTTP/1.x connection and
// counts responses. It looks for a response head at the start of each
// segment and, where Content-Length framing is known, right after the
// previous body. A head cut by a segment end is carried in a small buffer,
// reused for the whole flow, so a steady stream allocates nothing.
type respCounter struct {
	nextSeq   uint32
	seqValid  bool
	bodyLeft  int64  // bytes of body still to skip; -1 when framing is unknown
	head      []byte // partial response head from the previous segment
	counted   bool   // the carried head's status was already counted
	heads     int    // status lines seen, interim ones included
	responses int
	success   int
}

func (c *respCounter) count(code int) {
	c.heads++
	if code >= 200 {
		c.responses++
		if code < 400 {
			c.success++
		}
	}
}

// couldBeStatusPrefix reports whether p may be the start of a status line
// cut short.
func couldBeStatusPrefix(p []byte) bool {
	const v = "HTTP/1."
	n := min(len(p), len(v))
	return len(p) < 13 && string(p[:n]) == v[:n]
}

func (c *respCounter) segment(isTCP bool, seq uint32, p []byte) {
	if isTCP {
		end := seq + uint32(len(p))
		if c.seqValid {
			if seqDiff(end, c.nextSeq) <= 0 {
				return // retransmission or late segment: already accounted
			}
			if d := seqDiff(c.nextSeq, seq); d > 0 {
				p = p[d:] // keep only the new tail
			} else if d < 0 {
				c.bodyLeft = -1 // bytes lost: framing unknown
				c.head = c.head[:0]
			}
		}
		c.nextSeq = end
		c.seqValid = true
	}
	atStart := true
	if len(c.head) > 0 {
		old := len(c.head)
		take := min(len(p), maxRespHead-old)
		c.head = append(c.head, p[:take]...)
		h, ok := parseStatusHead(c.head)
		switch {
		case !ok && couldBeStatusPrefix(c.head) && take == len(p):
			return // still too short to tell
		case !ok:
			c.head, c.bodyLeft = c.head[:0], -1
			return
		}
		if !c.counted {
			c.count(h.code)
			c.counted = true
		}
		if h.hdrLen < 0 {
			if take < len(p) || len(c.head) >= maxRespHead {
				c.head, c.bodyLeft = c.head[:0], -1
			}
			return
		}
		c.head = c.head[:0]
		p = p[h.hdrLen-old:]
		c.bodyLeft = h.bodyLen
		if h.bodyLen < 0 {
			return
		}
		atStart = false
	}
	for len(p) > 0 {
		if c.bodyLeft > 0 {
			// A status line at a segment start while we think we are in a
			// body means the framing guess was wrong (HEAD, bad length).
			if !(atStart && looksHTTPResponse(p)) {
				n := int64(len(p))
				if n > c.bodyLeft {
					n = c.bodyLeft
				}
				p = p[n:]
				c.bodyLeft -= n
				atStart = false
				continue
			}
		}
		h, ok := parseStatusHead(p)
		if !ok {
			if c.bodyLeft == 0 && couldBeStatusPrefix(p) {
				c.head, c.counted = append(c.head[:0], p...), false
				return
			}
			c.bodyLeft = -1
			return
		}
		c.count(h.code)
		if h.hdrLen < 0 {
			if len(p) < maxRespHead {
				c.head, c.counted = append(c.head[:0], p...), true
				return
			}
			c.bodyLeft = -1
			return
		}
		if h.bodyLen < 0 {
			c.bodyLeft = -1
			return
		}
		p = p[h.hdrLen:]
		c.bodyLeft = h.bodyLen
		atStart = false
	}
}
