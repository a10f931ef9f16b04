package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flowclass/flowclass/features"
)

// rule marks flows with a label when all its conditions hold, the way the
// CIC datasets label attacks by attacker address and time window.
type rule struct {
	line             int
	label            int
	ip, src, dst     []netip.Prefix
	port, sport, dpt []uint16
	proto            []uint8
	from, to         int64 // ns; 0 = open
	capture          string
}

// readRules parses a labels file: one rule per line,
//
//	malicious src=203.0.113.10 dport=80 proto=tcp from=2017-07-05T09:00:00Z to=2017-07-05T10:00:00Z
//
// Conditions: ip (either endpoint), src, dst (address or CIDR, several
// separated by commas), port (either side), sport, dport, proto (tcp, udp,
// icmp, icmp6 or a number), from/to (RFC 3339; the flow must overlap the
// window), capture (a glob on the capture's file name). The first rule that
// matches a flow decides; '#' starts a comment.
func readRules(path string) ([]rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--labels: %w", err)
	}
	defer f.Close()
	var rules []rule
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		r := rule{line: n}
		switch strings.ToLower(fields[0]) {
		case "benign":
			r.label = benign
		case "malicious":
			r.label = malicious
		default:
			return nil, fmt.Errorf("--labels %s:%d: a rule starts with benign or malicious, not %q", path, n, fields[0])
		}
		if len(fields) == 1 {
			return nil, fmt.Errorf("--labels %s:%d: rule has no condition (it would match every flow)", path, n)
		}
		for _, c := range fields[1:] {
			k, v, ok := strings.Cut(c, "=")
			if !ok || v == "" {
				return nil, fmt.Errorf("--labels %s:%d: condition %q is not key=value", path, n, c)
			}
			var err error
			switch strings.ToLower(k) {
			case "ip", "host":
				r.ip, err = prefixes(v)
			case "src":
				r.src, err = prefixes(v)
			case "dst":
				r.dst, err = prefixes(v)
			case "port":
				r.port, err = ports(v)
			case "sport":
				r.sport, err = ports(v)
			case "dport":
				r.dpt, err = ports(v)
			case "proto":
				r.proto, err = protos(v)
			case "from", "to":
				var t time.Time
				if t, err = time.Parse(time.RFC3339Nano, v); err == nil {
					if k == "from" {
						r.from = t.UnixNano()
					} else {
						r.to = t.UnixNano()
					}
				}
			case "capture":
				_, err = filepath.Match(v, "x")
				r.capture = v
			default:
				err = fmt.Errorf("unknown condition %q (ip, src, dst, port, sport, dport, proto, from, to, capture)", k)
			}
			if err != nil {
				return nil, fmt.Errorf("--labels %s:%d: %s: %w", path, n, c, err)
			}
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--labels %s: %w", path, err)
	}
	return rules, nil
}

func prefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func ports(v string) ([]uint16, error) {
	var out []uint16
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", s, err)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}

func protos(v string) ([]uint8, error) {
	names := map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "icmpv6": 58, "sctp": 132, "gre": 47, "esp": 50}
	var out []uint8
	for _, s := range strings.Split(strings.ToLower(v), ",") {
		if n, ok := names[s]; ok {
			out = append(out, n)
			continue
		}
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("protocol %q", s)
		}
		out = append(out, uint8(n))
	}
	return out, nil
}

func anyPrefix(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func anyPort(ps []uint16, p uint16) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func (r *rule) matches(rec *features.Record, capture string) bool {
	if len(r.ip) > 0 && !anyPrefix(r.ip, rec.Src) && !anyPrefix(r.ip, rec.Dst) {
		return false
	}
	if len(r.src) > 0 && !anyPrefix(r.src, rec.Src) {
		return false
	}
	if len(r.dst) > 0 && !anyPrefix(r.dst, rec.Dst) {
		return false
	}
	if len(r.port) > 0 && !anyPort(r.port, rec.SrcPort) && !anyPort(r.port, rec.DstPort) {
		return false
	}
	if len(r.sport) > 0 && !anyPort(r.sport, rec.SrcPort) {
		return false
	}
	if len(r.dpt) > 0 && !anyPort(r.dpt, rec.DstPort) {
		return false
	}
	if len(r.proto) > 0 {
		ok := false
		for _, p := range r.proto {
			ok = ok || p == rec.Proto
		}
		if !ok {
			return false
		}
	}
	if r.from != 0 && rec.Last < r.from {
		return false
	}
	if r.to != 0 && rec.First > r.to {
		return false
	}
	if r.capture != "" {
		if ok, _ := filepath.Match(r.capture, filepath.Base(capture)); !ok {
			return false
		}
	}
	return true
}

// labelFor applies the rules, falling back to the capture's label.
func labelFor(rules []rule, rec *features.Record, capture string, def int) int {
	for i := range rules {
		if rules[i].matches(rec, capture) {
			return rules[i].label
		}
	}
	return def
}
