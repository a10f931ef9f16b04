package features

import (
	"math"

	"github.com/flowclass/flowclass/appmeta"
	"github.com/flowclass/flowclass/decode"
)

// appState is the application-layer parser state a flow keeps.
type appState struct {
	s appmeta.State
}

func (a *appState) init(p *decode.Packet, fwd bool) {
	client, server := p.SrcPort, p.DstPort
	if !fwd {
		client, server = server, client
	}
	a.s.Init(p.Proto == 6, client, server)
}

func (a *appState) observe(pool *appmeta.Pool, dir int, p *decode.Packet) {
	if len(p.Payload) > 0 && (p.Proto == 6 || p.Proto == 17) {
		a.s.ObserveWith(pool, dir, p.Proto == 6, p.Seq, p.Payload)
	}
}

// metaColumns are the application-layer string columns, in the order of
// appmeta's AppendStrings (its "app" is called "application" here).
var metaColumns = func() []Column {
	defs := map[string]string{
		"app":                "Application guessed from what the first payload showed, else from the server port (rules in package appmeta's documentation).",
		"tls_sni":            "TLS server_name from the ClientHello.",
		"tls_alpn":           "First ALPN protocol the client offered.",
		"tls_alpn_list":      "All ALPN protocols offered, joined by commas.",
		"tls_client_version": "Highest TLS version the client offered (supported_versions included).",
		"tls_server_version": "TLS version the ServerHello chose.",
		"ja3":                "JA3 client fingerprint string (GREASE removed).",
		"ja3_hash":           "MD5 of the JA3 string.",
		"ja3s":               "JA3S server fingerprint string.",
		"ja3s_hash":          "MD5 of the JA3S string.",
		"ja4":                "FoxIO JA4 client fingerprint.",
		"http_method":        "Method of the first HTTP/1.x request.",
		"http_host":          "Host header of the first HTTP/1.x request.",
		"http_user_agent":    "User-Agent of the first HTTP/1.x request.",
		"dns_query":          "First DNS question name (control and non-UTF-8 bytes as \\xNN).",
		"dns_qtype_name":     "Its record type name (A, AAAA, TXT, ...).",
		"dns_rcode_name":     "Response code name of the first DNS response.",
		"ssh_client":         "SSH client version line.",
		"ssh_server":         "SSH server version line.",
	}
	var cols []Column
	for _, n := range appmeta.StringColumns() {
		name := n
		if n == "app" {
			name = "application"
		}
		cols = append(cols, Column{Name: name, Definition: defs[n]})
	}
	return cols
}()

// appNumber reads appmeta numeric column i, with "not seen" (NaN there)
// as the given value.
func appNumber(c *calc, i int, unseen float64) float64 {
	v := c.appNums[i]
	if math.IsNaN(v) {
		return unseen
	}
	return v
}

// appFeatures are the application-layer numeric features.
var appFeatures = func() []Feature {
	idx := map[string]int{}
	for i, n := range appmeta.NumericColumns() {
		idx[n] = i
	}
	num := func(name, unit, def string, unseen float64, peers string) Feature {
		i, ok := idx[name]
		if !ok {
			panic("appmeta has no numeric column " + name) // programming error, caught by every test
		}
		return Feature{Name: name, Family: "application", Unit: unit, Definition: def, Peers: peers,
			value: func(c *calc) float64 { return appNumber(c, i, unseen) }}
	}
	return []Feature{
		num("http_responses", "responses", "HTTP/1.x final (non-1xx) responses seen in cleartext.", 0, ""),
		num("http_success_count", "responses", "HTTP/1.x responses with a 2xx or 3xx status.", 0, "AppFlowMeter HTTP success count"),
		{Name: "http_success_rate", Family: "application", Unit: "ratio", Definition: "http_success_count / http_responses; 0 without responses.", Peers: "AppFlowMeter HTTP success rate",
			value: func(c *calc) float64 {
				return ratio(appNumber(c, idx["http_success_count"], 0), appNumber(c, idx["http_responses"], 0))
			}},
		num("http_uri_path_len", "bytes", "Length of the first HTTP request's path; -1 without a request.", -1, ""),
		num("dns_qtype", "number", "Record type of the first DNS question; -1 without one.", -1, ""),
		num("dns_rcode", "number", "Response code of the first DNS response; -1 without one.", -1, ""),
		num("dns_answers", "records", "Answer count of the first DNS response; -1 without one.", -1, ""),
		num("dns_query_len", "bytes", "Length of the first DNS question name; -1 without one (long names suggest tunnelling).", -1, ""),
		num("dns_query_entropy", "bits/byte", "Shannon entropy of the first DNS question name; -1 without one (high for DGA and tunnels).", -1, ""),
	}
}()
