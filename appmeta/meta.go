package appmeta

import (
	"math"
	"strconv"
)

// Meta is what a flow's first payload revealed. Strings are identity
// columns (not model inputs); numbers may feed flow features. Zero values
// mean "not seen", except where a field says otherwise.
type Meta struct {
	Application string // guess, see the package documentation

	TLSSNI           string // server_name of the ClientHello
	TLSALPN          string // first ALPN protocol offered
	TLSALPNList      string // all offered ALPN protocols joined by ','
	TLSClientVersion uint16 // highest offered: handshake version or supported_versions
	TLSServerVersion uint16 // negotiated: ServerHello supported_versions, else its version
	JA3              string // JA3 string: version,ciphers,extensions,groups,point formats
	JA3Hash          string // MD5 of JA3, lower-case hex
	JA3S             string // JA3S string: version,cipher,extensions
	JA3SHash         string // MD5 of JA3S, lower-case hex
	JA4              string // FoxIO JA4 client fingerprint

	HTTPMethod    string
	HTTPHost      string
	HTTPUserAgent string
	// HTTPURIPathLen is the length of the request target's path (without
	// query string or, for absolute URIs, scheme and authority); -1 when no
	// request was seen.
	HTTPURIPathLen int
	// HTTPResponses counts final (non-1xx) HTTP/1.x responses; HTTPSuccess
	// counts those with a 2xx or 3xx status.
	HTTPResponses int
	HTTPSuccess   int

	DNSQuery     string  // first question name; control and non-UTF-8 bytes escaped as \xNN
	DNSQType     uint16  // 0 when no question was seen
	DNSQTypeName string  // "A", "AAAA", ..., or "TYPE<n>"
	DNSRcode     int     // response code of the first response, -1 when none
	DNSAnswers   int     // answer count of the first response, -1 when none
	DNSQueryLen  int     // length in bytes of the question name (dotted, no final dot)
	DNSEntropy   float64 // Shannon entropy of the question name, bits per byte

	SSHClient string // client version line, e.g. "SSH-2.0-OpenSSH_8.9"
	SSHServer string
}

// NumStringColumns and NumNumericColumns are the lengths of StringColumns
// and NumericColumns.
const (
	NumStringColumns  = 19
	NumNumericColumns = 8
)

// StringColumns returns the names of the string columns, in the order
// AppendStrings renders them. The slice is new on every call.
func StringColumns() []string {
	return []string{
		"app",
		"tls_sni", "tls_alpn", "tls_alpn_list",
		"tls_client_version", "tls_server_version",
		"ja3", "ja3_hash", "ja3s", "ja3s_hash", "ja4",
		"http_method", "http_host", "http_user_agent",
		"dns_query", "dns_qtype_name", "dns_rcode_name",
		"ssh_client", "ssh_server",
	}
}

// NumericColumns returns the names of the numeric columns, in the order
// AppendNumbers renders them. The slice is new on every call.
func NumericColumns() []string {
	return []string{
		"http_uri_path_len", "http_responses", "http_success_count",
		"dns_qtype", "dns_rcode", "dns_answers",
		"dns_query_len", "dns_query_entropy",
	}
}

// AppendStrings appends the string columns to dst in StringColumns order;
// absent values are "".
func (m *Meta) AppendStrings(dst []string) []string {
	return append(dst,
		m.Application,
		m.TLSSNI, m.TLSALPN, m.TLSALPNList,
		VersionName(m.TLSClientVersion), VersionName(m.TLSServerVersion),
		m.JA3, m.JA3Hash, m.JA3S, m.JA3SHash, m.JA4,
		m.HTTPMethod, m.HTTPHost, m.HTTPUserAgent,
		m.DNSQuery, m.DNSQTypeName, rcodeName(m.DNSRcode),
		m.SSHClient, m.SSHServer,
	)
}

// AppendNumbers appends the numeric columns to dst in NumericColumns order.
// A value that was not observed is NaN, so that "absent" and "zero" differ.
func (m *Meta) AppendNumbers(dst []float64) []float64 {
	nan := math.NaN()
	opt := func(v int, ok bool) float64 {
		if !ok {
			return nan
		}
		return float64(v)
	}
	hasReq := m.HTTPURIPathLen >= 0
	hasHTTP := hasReq || m.HTTPResponses > 0
	hasQ := m.DNSQType != 0
	hasR := m.DNSRcode >= 0
	ent := nan
	if hasQ {
		ent = m.DNSEntropy
	}
	return append(dst,
		opt(m.HTTPURIPathLen, hasReq),
		opt(m.HTTPResponses, hasHTTP),
		opt(m.HTTPSuccess, hasHTTP),
		opt(int(m.DNSQType), hasQ),
		opt(m.DNSRcode, hasR),
		opt(m.DNSAnswers, hasR),
		opt(m.DNSQueryLen, hasQ),
		ent,
	)
}

// VersionName renders a TLS/SSL protocol version code as Wireshark names it
// ("TLSv1.2"); 0 renders as "" and unknown codes as 0x-hex.
func VersionName(v uint16) string {
	switch v {
	case 0:
		return ""
	case 0x0002:
		return "SSLv2"
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLSv1.0"
	case 0x0302:
		return "TLSv1.1"
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	}
	const hexd = "0123456789abcdef"
	return string([]byte{'0', 'x', hexd[v>>12], hexd[v>>8&15], hexd[v>>4&15], hexd[v&15]})
}

func rcodeName(rc int) string {
	switch rc {
	case -1:
		return ""
	case 0:
		return "NOERROR"
	case 1:
		return "FORMERR"
	case 2:
		return "SERVFAIL"
	case 3:
		return "NXDOMAIN"
	case 4:
		return "NOTIMP"
	case 5:
		return "REFUSED"
	case 6:
		return "YXDOMAIN"
	case 7:
		return "YXRRSET"
	case 8:
		return "NXRRSET"
	case 9:
		return "NOTAUTH"
	case 10:
		return "NOTZONE"
	}
	return "RCODE" + strconv.Itoa(rc)
}
