package features

import (
	"fmt"
	"math"
)

// Feature is one numeric column of the catalogue.
type Feature struct {
	Name       string
	Family     string
	Unit       string
	Definition string
	// Peers names the closest column of CICFlowMeter, NFStream or
	// AppFlowMeter, for users coming from those tools.
	Peers string
	// ModelInput is false for columns that identify a capture rather than
	// describe behaviour; train leaves them out of models.
	ModelInput bool
	value      func(c *calc) float64
	// block, on the first feature of a run computed together (a series'
	// 15 statistics), fills the whole run at once: per flow that is one
	// call where there would be 15.
	block    func(c *calc, out []float64)
	blockLen int
}

// Column is a string-valued identity or metadata column.
type Column struct {
	Name       string
	Definition string
}

// Version names the feature set. Models record it; bump it whenever a
// definition changes so old models are refused rather than fed garbage.
const Version = "flowclass-features/3"

// Config chooses the configurable parts of the feature set.
type Config struct {
	// SPLT is how many early packets get direction/size/inter-arrival
	// columns (default 10, at most 255; negative disables).
	SPLT int
	// ActivityTimeout splits a flow into active and idle periods
	// (CICFlowMeter's 5 s by default).
	ActivityTimeoutNS int64
	// MaxSamples bounds the packets kept per flow for exact medians,
	// modes and percentiles (default 20,000).
	MaxSamples int
	// ContextWindowNS is the width of the windows the context columns
	// count over (default 10 s; negative turns them off: they are 0).
	ContextWindowNS int64
}

// Defaults for Config.
const (
	DefaultSPLT            = 10
	MaxSPLT                = 255
	DefaultActivityTimeout = int64(5e9)
	DefaultMaxSamples      = 20000
	DefaultContextWindow   = int64(10e9)
)

func (c Config) withDefaults() Config {
	if c.SPLT == 0 {
		c.SPLT = DefaultSPLT
	}
	if c.SPLT < 0 {
		c.SPLT = 0
	}
	if c.ActivityTimeoutNS == 0 {
		c.ActivityTimeoutNS = DefaultActivityTimeout
	}
	if c.MaxSamples == 0 {
		c.MaxSamples = DefaultMaxSamples
	}
	if c.ContextWindowNS == 0 {
		c.ContextWindowNS = DefaultContextWindow
	}
	return c
}

// Validate reports settings out of range.
func (c Config) Validate() error {
	if c.SPLT > MaxSPLT {
		return fmt.Errorf("splt %d is more than %d", c.SPLT, MaxSPLT)
	}
	if c.ActivityTimeoutNS < 0 {
		return fmt.Errorf("activity timeout is negative")
	}
	if c.MaxSamples < 0 {
		return fmt.Errorf("max samples %d is negative", c.MaxSamples)
	}
	return nil
}

// Schema is the ordered column set of one configuration.
type Schema struct {
	Config   Config
	Identity []Column
	Meta     []Column
	Features []Feature
	byName   map[string]int
}

// Index returns the position of a numeric feature, or -1.
func (s *Schema) Index(name string) int {
	if i, ok := s.byName[name]; ok {
		return i
	}
	return -1
}

// ModelInputs returns the names of the features a model may use, in
// catalogue order.
func (s *Schema) ModelInputs() []string {
	var out []string
	for _, f := range s.Features {
		if f.ModelInput {
			out = append(out, f.Name)
		}
	}
	return out
}

// Header is the CSV header: identity, metadata, then numeric features;
// features that repeat an identity column (protocol, dst_port) appear once.
func (s *Schema) Header() []string {
	var h []string
	for _, c := range s.Identity {
		h = append(h, c.Name)
	}
	for _, c := range s.Meta {
		h = append(h, c.Name)
	}
	for _, f := range s.Features {
		if !inIdentity(f.Name) {
			h = append(h, f.Name)
		}
	}
	return h
}

func inIdentity(name string) bool {
	return name == "protocol" || name == "dst_port" || name == "ip_version"
}

var identityColumns = []Column{
	{"flow_id", "Flow number, unique within one run."},
	{"src_ip", "Address of the side that sent the first packet (the client for TCP when the first packet seen is a SYN-ACK)."},
	{"src_port", "Transport source port of the forward direction (0 for protocols without ports, ICMP included)."},
	{"dst_ip", "Address of the other side."},
	{"dst_port", "Transport destination port of the forward direction."},
	{"protocol", "IANA protocol number of the transport (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)."},
	{"ip_version", "4 or 6."},
	{"vlan_id", "Outermost 802.1Q VLAN id, 0 when untagged."},
	{"first_seen", "Packet time of the first packet, RFC 3339 UTC with microseconds."},
	{"last_seen", "Packet time of the last packet, RFC 3339 UTC with microseconds."},
	{"expiration", "Why the flow ended: idle_timeout, active_timeout, tcp_fin, tcp_rst, end_of_input, evicted, shutdown."},
}

// dirNames are the NFStream direction prefixes; index 0 is both directions.
var dirNames = [3]string{"bidirectional", "src2dst", "dst2src"}

var dirWords = [3]string{"both directions", "the forward (src→dst) direction", "the backward (dst→src) direction"}

var statDefs = map[string]string{
	"min": "minimum", "max": "maximum", "mean": "mean", "median": "median (50th percentile)",
	"mode": "most frequent value (smallest on ties)", "stddev": "population standard deviation",
	"variance": "population variance", "cv": "coefficient of variation (stddev / |mean|, 0 when the mean is 0)",
	"skewness": "biased Fisher-Pearson skewness (scipy.stats.skew)", "kurtosis": "biased excess kurtosis (scipy.stats.kurtosis)",
	"p10": "10th percentile", "p25": "25th percentile", "p50": "50th percentile", "p75": "75th percentile", "p90": "90th percentile",
}

// NewSchema builds the catalogue for cfg.
func NewSchema(cfg Config) (*Schema, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Schema{Config: cfg, Identity: identityColumns, Meta: metaColumns}
	add := func(f Feature) { s.Features = append(s.Features, f) }
	in := func(f Feature) { f.ModelInput = true; add(f) }

	// Identity values that describe behaviour.
	in(Feature{Name: "protocol", Family: "identity", Unit: "number", Definition: "IANA protocol number.", Peers: "CIC Protocol; NFStream protocol",
		value: func(c *calc) float64 { return float64(c.rec.Proto) }})
	in(Feature{Name: "dst_port", Family: "identity", Unit: "number", Definition: "Destination port (the service contacted; 0 without ports).", Peers: "CIC Dst Port; NFStream dst_port",
		value: func(c *calc) float64 { return float64(c.rec.DstPort) }})
	in(Feature{Name: "ip_version", Family: "identity", Unit: "number", Definition: "IP version, 4 or 6.", Peers: "NFStream ip_version",
		value: func(c *calc) float64 { return float64(c.rec.IPVersion) }})

	// Volume.
	for d := 0; d < 3; d++ {
		d := d
		p := dirNames[d]
		w := dirWords[d]
		in(Feature{Name: p + "_packets", Family: "volume", Unit: "packets", Definition: "Packets in " + w + ".", Peers: peer(d, "Total Fwd Packet", "Total Bwd packets", "packets"),
			value: func(c *calc) float64 { return c.packets(d) }})
		in(Feature{Name: p + "_bytes", Family: "volume", Unit: "bytes", Definition: "Sum of on-the-wire frame lengths in " + w + ".", Peers: peer(d, "", "", "bytes"),
			value: func(c *calc) float64 { return c.bytes(d) }})
		in(Feature{Name: p + "_payload_bytes", Family: "volume", Unit: "bytes", Definition: "Transport payload bytes (from IP lengths, so snap-length cuts do not shrink them) in " + w + ".", Peers: peer(d, "Total Length of Fwd Packet", "Total Length of Bwd Packet", ""),
			value: func(c *calc) float64 { return c.payload(d) }})
		in(Feature{Name: p + "_header_bytes", Family: "volume", Unit: "bytes", Definition: "Frame bytes that are not transport payload (link, IP, transport headers and trailers) in " + w + ".", Peers: peer(d, "Fwd Header Length (L4 only there)", "Bwd Header Length", ""),
			value: func(c *calc) float64 { return c.header(d) }})
		in(Feature{Name: p + "_payload_packets", Family: "volume", Unit: "packets", Definition: "Packets carrying transport payload in " + w + ".", Peers: peer(d, "Fwd Act Data Pkts", "", ""),
			value: func(c *calc) float64 { return c.payloadPackets(d) }})
		in(Feature{Name: p + "_duration_ms", Family: "volume", Unit: "ms", Definition: "Time from the first to the last packet of " + w + ".", Peers: peer(d, "Flow Duration (µs, both)", "", "duration_ms"),
			value: func(c *calc) float64 { return c.dur[d] / 1e6 }})
		in(Feature{Name: p + "_packets_per_s", Family: "volume", Unit: "packets/s", Definition: "Packets of " + w + " divided by its duration; 0 when the duration is 0.", Peers: peer(d, "Fwd Packets/s", "Bwd Packets/s", ""),
			value: func(c *calc) float64 { return rate(c.packets(d), c.dur[d]) }})
		in(Feature{Name: p + "_bytes_per_s", Family: "volume", Unit: "bytes/s", Definition: "Bytes of " + w + " divided by its duration; 0 when the duration is 0.", Peers: peer(d, "Flow Bytes/s (payload, both)", "", ""),
			value: func(c *calc) float64 { return rate(c.bytes(d), c.dur[d]) }})
	}
	in(Feature{Name: "down_up_packets_ratio", Family: "volume", Unit: "ratio", Definition: "dst2src_packets / src2dst_packets.", Peers: "CIC Down/Up Ratio",
		value: func(c *calc) float64 { return ratio(c.packets(2), c.packets(1)) }})
	in(Feature{Name: "down_up_bytes_ratio", Family: "volume", Unit: "ratio", Definition: "dst2src_bytes / src2dst_bytes.", Peers: "",
		value: func(c *calc) float64 { return ratio(c.bytes(2), c.bytes(1)) }})
	in(Feature{Name: "down_up_payload_ratio", Family: "volume", Unit: "ratio", Definition: "dst2src_payload_bytes / src2dst_payload_bytes; 0 when the forward direction carried no payload.", Peers: "",
		value: func(c *calc) float64 { return ratio(c.payload(2), c.payload(1)) }})
	// Transport header bytes and payload sizes per direction: what
	// CICFlowMeter's header-length and packet-length columns measure.
	for d := 1; d < 3; d++ {
		d := d
		in(Feature{Name: dirNames[d] + "_l4_header_bytes", Family: "volume", Unit: "bytes", Definition: "Transport header bytes alone (TCP header with options, 8 per UDP or ICMP packet, 12 per SCTP packet) in " + dirWords[d] + ".",
			Peers: peer(d, "Fwd Header Length", "Bwd Header Length", ""),
			value: func(c *calc) float64 { return float64(c.acc.dir[d-1].l4Header) }})
	}
	in(Feature{Name: "src2dst_min_l4_header_bytes", Family: "volume", Unit: "bytes", Definition: "Smallest transport header of a forward packet; -1 without one.", Peers: "CIC Fwd Seg Size Min",
		value: func(c *calc) float64 { return float64(c.acc.dir[0].minL4Header) }})
	for d := 1; d < 3; d++ {
		d := d
		for _, st := range []string{"min", "max", "mean", "stddev"} {
			st := st
			cic := capital(st)
			if st == "stddev" {
				cic = "Std"
			}
			in(Feature{Name: dirNames[d] + "_" + st + "_payload_ps", Family: "distribution", Unit: "bytes",
				Definition: fmt.Sprintf("%s of the transport payload lengths of the packets of %s (0 for packets without payload; 0 without packets).", capital(statDefs[st]), dirWords[d]),
				Peers:      peer(d, "Fwd Packet Length "+cic, "Bwd Packet Length "+cic, ""),
				value: func(c *calc) float64 {
					m := &c.pay[d]
					if m.n == 0 {
						return 0
					}
					switch st {
					case "min":
						return m.min
					case "max":
						return m.max
					case "mean":
						return m.sum / m.n
					}
					return math.Sqrt(m.variance())
				}})
		}
	}

	// Distributions.
	series := []struct {
		name, unit, what, peerCIC string
		dirs                      []int
		get                       func(c *calc, d int) *summary
		scale                     float64
	}{
		{"ps", "bytes", "frame sizes", "Packet Length", []int{0, 1, 2}, func(c *calc, d int) *summary { return &c.size[d] }, 1},
		{"piat_ms", "ms", "packet inter-arrival times (time since the previous packet of the same series)", "IAT", []int{0, 1, 2}, func(c *calc, d int) *summary { return &c.piat[d] }, 1e-6},
		{"ps_delta", "bytes", "consecutive frame-size differences (size minus the previous size, signed)", "", []int{1, 2}, func(c *calc, d int) *summary { return &c.sizeDelta[d] }, 1},
		{"piat_delta_ms", "ms", "consecutive inter-arrival differences (jitter, signed)", "", []int{1, 2}, func(c *calc, d int) *summary { return &c.piatDelta[d] }, 1e-6},
	}
	for _, sr := range series {
		sr := sr
		for _, d := range sr.dirs {
			d := d
			var scales [len(statNames)]float64
			first := len(s.Features)
			for k, st := range statNames {
				k, st := k, st
				unit := sr.unit
				switch st {
				case "cv", "skewness", "kurtosis":
					unit = "ratio"
				case "variance":
					unit = sr.unit + "²"
				}
				scale := sr.scale
				if st == "variance" {
					scale *= sr.scale
				}
				if unit == "ratio" {
					scale = 1
				}
				scales[k] = scale
				in(Feature{Name: dirNames[d] + "_" + st + "_" + sr.name, Family: "distribution", Unit: unit,
					Definition: fmt.Sprintf("%s of the %s of %s.", capital(statDefs[st]), sr.what, dirWords[d]),
					Peers:      seriesPeer(sr.name, sr.peerCIC, d, st),
					value:      func(c *calc) float64 { return statFields[k](sr.get(c, d)) * scale }})
			}
			s.Features[first].blockLen = len(statNames)
			s.Features[first].block = func(c *calc, out []float64) {
				v := sr.get(c, d).values()
				for k := range v {
					out[k] = clean(v[k] * scales[k])
				}
			}
		}
	}

	// TCP.
	flagNames := [8]string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"}
	for d := 0; d < 3; d++ {
		d := d
		for i, fn := range flagNames {
			i := i
			in(Feature{Name: dirNames[d] + "_" + fn + "_packets", Family: "tcp", Unit: "packets", Definition: "TCP packets with " + upper(fn) + " set in " + dirWords[d] + ".",
				Peers: peer(d, upper(fn)+" Flag Count (both)", "", fn+"_packets"),
				value: func(c *calc) float64 { return c.flag(d, i) }})
		}
	}
	in(Feature{Name: "src2dst_init_win_bytes", Family: "tcp", Unit: "bytes", Definition: "TCP window field of the first forward packet; -1 without one.", Peers: "CIC FWD Init Win Bytes",
		value: func(c *calc) float64 { return float64(c.acc.dir[0].initWin) }})
	in(Feature{Name: "dst2src_init_win_bytes", Family: "tcp", Unit: "bytes", Definition: "TCP window field of the first backward packet; -1 without one.", Peers: "CIC Bwd Init Win Bytes",
		value: func(c *calc) float64 { return float64(c.acc.dir[1].initWin) }})
	in(Feature{Name: "tcp_handshake_seen", Family: "tcp", Unit: "0/1", Definition: "1 when SYN, SYN-ACK and the client's ACK were all seen in order.", Peers: "",
		value: func(c *calc) float64 { return b2f(c.acc.hsAckTS != 0) }})
	in(Feature{Name: "tcp_syn_synack_ms", Family: "tcp", Unit: "ms", Definition: "Time from the client's SYN to the server's SYN-ACK (server-side round trip seen from the sensor); 0 when not seen.", Peers: "",
		value: func(c *calc) float64 { return span(c.acc.synTS, c.acc.synAckTS) }})
	in(Feature{Name: "tcp_synack_ack_ms", Family: "tcp", Unit: "ms", Definition: "Time from the SYN-ACK to the client's ACK (client-side round trip); 0 when not seen.", Peers: "",
		value: func(c *calc) float64 { return span(c.acc.synAckTS, c.acc.hsAckTS) }})
	in(Feature{Name: "tcp_handshake_rtt_ms", Family: "tcp", Unit: "ms", Definition: "Time from SYN to the client's ACK: the connection's round-trip time; 0 when the handshake was not seen.", Peers: "",
		value: func(c *calc) float64 {
			if c.acc.hsAckTS == 0 {
				return 0
			}
			return span(c.acc.synTS, c.acc.hsAckTS)
		}})

	// ICMP.
	in(Feature{Name: "icmp_type", Family: "icmp", Unit: "number", Definition: "ICMP/ICMPv6 type of the first packet; -1 for other protocols.", Peers: "",
		value: func(c *calc) float64 { return float64(c.acc.icmpType) }})
	in(Feature{Name: "icmp_code", Family: "icmp", Unit: "number", Definition: "ICMP/ICMPv6 code of the first packet; -1 for other protocols.", Peers: "",
		value: func(c *calc) float64 { return float64(c.acc.icmpCode) }})

	// Active and idle periods (CICFlowMeter).
	for _, per := range []struct {
		name string
		get  func(c *calc) *moments
	}{{"active", func(c *calc) *moments { return &c.active }}, {"idle", func(c *calc) *moments { return &c.idle }}} {
		per := per
		for _, st := range []string{"min", "mean", "max", "stddev"} {
			st := st
			in(Feature{Name: per.name + "_" + st + "_ms", Family: "activity", Unit: "ms",
				Definition: fmt.Sprintf("%s of the %s periods: the flow is active while its packets are less than the activity timeout (%v) apart, idle in longer gaps.", capital(statDefs[st]), per.name, fmtNS(cfg.ActivityTimeoutNS)),
				Peers:      "CIC " + capital(per.name) + " " + capital(st),
				value: func(c *calc) float64 {
					m := per.get(c)
					if m.n == 0 {
						return 0
					}
					switch st {
					case "min":
						return m.min / 1e6
					case "max":
						return m.max / 1e6
					case "mean":
						return m.mean / 1e6
					}
					return math.Sqrt(m.variance()) / 1e6
				}})
		}
	}

	// Bulk transfers and subflows (CICFlowMeter).
	for d := 1; d < 3; d++ {
		d := d
		in(Feature{Name: dirNames[d] + "_bulk_bytes_avg", Family: "bulk", Unit: "bytes", Definition: "Mean payload bytes per bulk in " + dirWords[d] + " (a bulk: 4 or more payload packets in one direction, under 1 s apart, with no payload from the other side in between).",
			Peers: peer(d, "Fwd Bytes/Bulk Avg", "Bwd Bytes/Bulk Avg", ""),
			value: func(c *calc) float64 { b := &c.walk.bulk[d-1]; return ratio(float64(b.bytes), float64(b.count)) }})
		in(Feature{Name: dirNames[d] + "_bulk_packets_avg", Family: "bulk", Unit: "packets", Definition: "Mean packets per bulk in " + dirWords[d] + ".",
			Peers: peer(d, "Fwd Packet/Bulk Avg", "Bwd Packet/Bulk Avg", ""),
			value: func(c *calc) float64 { b := &c.walk.bulk[d-1]; return ratio(float64(b.packets), float64(b.count)) }})
		in(Feature{Name: dirNames[d] + "_bulk_rate", Family: "bulk", Unit: "bytes/s", Definition: "Bulk payload bytes divided by the time spent in bulks in " + dirWords[d] + "; 0 without bulks.",
			Peers: peer(d, "Fwd Bulk Rate Avg", "Bwd Bulk Rate Avg", ""),
			value: func(c *calc) float64 { b := &c.walk.bulk[d-1]; return rate(float64(b.bytes), float64(b.duration)) }})
	}
	in(Feature{Name: "subflow_count", Family: "subflow", Unit: "subflows", Definition: "1 plus the number of gaps over 1 s between consecutive packets.", Peers: "CIC subflow count (starts at 0 there)",
		value: func(c *calc) float64 { return float64(c.walk.subflows) }})
	for d := 1; d < 3; d++ {
		d := d
		in(Feature{Name: dirNames[d] + "_subflow_packets", Family: "subflow", Unit: "packets", Definition: "Packets of " + dirWords[d] + " per subflow.", Peers: peer(d, "Subflow Fwd Packets", "Subflow Bwd Packets", ""),
			value: func(c *calc) float64 { return c.packets(d) / float64(c.walk.subflows) }})
		in(Feature{Name: dirNames[d] + "_subflow_bytes", Family: "subflow", Unit: "bytes", Definition: "Bytes of " + dirWords[d] + " per subflow.", Peers: peer(d, "Subflow Fwd Bytes", "Subflow Bwd Bytes", ""),
			value: func(c *calc) float64 { return c.bytes(d) / float64(c.walk.subflows) }})
	}

	// Early-flow sequence (SPLT).
	for i := 0; i < cfg.SPLT; i++ {
		i := i
		in(Feature{Name: fmt.Sprintf("splt_direction_%d", i+1), Family: "splt", Unit: "0/1", Definition: fmt.Sprintf("Direction of packet %d: 0 forward, 1 backward; -1 when the flow has fewer packets.", i+1), Peers: "NFStream splt_direction",
			value: func(c *calc) float64 { return c.splt(i, 0) }})
	}
	for i := 0; i < cfg.SPLT; i++ {
		i := i
		in(Feature{Name: fmt.Sprintf("splt_ps_%d", i+1), Family: "splt", Unit: "bytes", Definition: fmt.Sprintf("Frame size of packet %d; -1 when the flow has fewer packets.", i+1), Peers: "NFStream splt_ps",
			value: func(c *calc) float64 { return c.splt(i, 1) }})
	}
	for i := 0; i < cfg.SPLT; i++ {
		i := i
		in(Feature{Name: fmt.Sprintf("splt_piat_ms_%d", i+1), Family: "splt", Unit: "ms", Definition: fmt.Sprintf("Time from packet %d's predecessor to packet %d (0 for the first); -1 when the flow has fewer packets.", i, i+1), Peers: "NFStream splt_piat_ms",
			value: func(c *calc) float64 { return c.splt(i, 2) }})
	}

	for _, f := range appFeatures {
		in(f)
	}

	// Context: filled after the flow expires by window.Context, which sees
	// every flow in expiry order; the extractor leaves them 0.
	for _, f := range contextFeatures {
		f.value = func(*calc) float64 { return 0 }
		in(f)
	}

	s.byName = make(map[string]int, len(s.Features))
	for i, f := range s.Features {
		if _, dup := s.byName[f.Name]; dup {
			return nil, fmt.Errorf("feature %s defined twice", f.Name)
		}
		s.byName[f.Name] = i
	}
	return s, nil
}

func peer(d int, fwd, bwd, nf string) string {
	var cic string
	switch d {
	case 1:
		cic = fwd
	case 2:
		cic = bwd
	default:
		if fwd != "" && bwd == "" && d == 0 {
			cic = ""
		}
	}
	out := ""
	if cic != "" {
		out = "CIC " + cic
	}
	if nf != "" {
		if out != "" {
			out += "; "
		}
		out += "NFStream " + dirNames[d] + "_" + nf
	}
	return out
}

func seriesPeer(series, cic string, d int, st string) string {
	var parts []string
	if cic != "" {
		dir := map[int]string{0: "Packet Length", 1: "Fwd", 2: "Bwd"}[d]
		if series == "ps" {
			if d == 0 {
				parts = append(parts, "CIC Packet Length "+capital(st))
			} else {
				parts = append(parts, "CIC "+dir+" Packet Length "+capital(st))
			}
		} else {
			if d == 0 {
				parts = append(parts, "CIC Flow IAT "+capital(st))
			} else {
				parts = append(parts, "CIC "+dir+" IAT "+capital(st))
			}
		}
	}
	switch st {
	case "min", "max", "mean", "stddev":
		if series == "ps" || series == "piat_ms" {
			parts = append(parts, "NFStream "+dirNames[d]+"_"+st+"_"+series)
		}
	}
	if series == "ps_delta" || series == "piat_delta_ms" {
		parts = append(parts, "AppFlowMeter delta "+st)
	} else {
		parts = append(parts, "AppFlowMeter "+st)
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "; "
		}
		out += p
	}
	return out
}

func capital(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-32) + s[1:]
	}
	return s
}

func upper(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 32
		}
	}
	return string(b)
}

func fmtNS(ns int64) string { return fmt.Sprintf("%gs", float64(ns)/1e9) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// rate is n per second over a duration in ns; 0 for a zero duration.
func rate(n, durNS float64) float64 {
	if durNS <= 0 {
		return 0
	}
	return n / (durNS / 1e9)
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// span is the time from a to b in ms, 0 when either is unknown.
func span(a, b int64) float64 {
	if a == 0 || b == 0 || b < a {
		return 0
	}
	return float64(b-a) / 1e6
}

// FeatureNames returns every numeric feature's name in schema order: the
// layout of Record.Values, which model scorers bind to.
func (s *Schema) FeatureNames() []string {
	out := make([]string, len(s.Features))
	for i, f := range s.Features {
		out[i] = f.Name
	}
	return out
}

// contextFeatures count, for each flow, the flows that expired before it
// (and itself) whose last packet lies in the same window as its own last
// packet or in the window before; see ContextPreamble.
var contextFeatures = []Feature{
	{Name: "ctx_src_flows", Family: "context", Unit: "flows", Definition: "Flows from this flow's source address.", Peers: ""},
	{Name: "ctx_src_dst_ips", Family: "context", Unit: "addresses", Definition: "Distinct destination addresses this flow's source address sent flows to (a sweep drives it up).", Peers: ""},
	{Name: "ctx_src_dst_ports", Family: "context", Unit: "ports", Definition: "Distinct (protocol, destination port) pairs of the TCP and UDP flows this flow's source address opened (a vertical port scan drives it up).", Peers: ""},
	{Name: "ctx_src_dport_flows", Family: "context", Unit: "flows", Definition: "Flows from this flow's source address with its protocol and destination port (for protocols without ports: its protocol): brute force and floods drive it up.", Peers: ""},
	{Name: "ctx_src_dport_answered", Family: "context", Unit: "flows", Definition: "Of those, the flows the other side answered (dst2src_packets > 0): scans and floods are mostly unanswered.", Peers: ""},
	{Name: "ctx_dst_flows", Family: "context", Unit: "flows", Definition: "Flows to this flow's destination address, from any source.", Peers: ""},
	{Name: "ctx_dst_other_srcs", Family: "context", Unit: "addresses", Definition: "Distinct source addresses other than this flow's own that sent flows to its destination address (a distributed flood drives it up).", Peers: ""},
}

// ContextPreamble defines what the context columns count over.
const ContextPreamble = "Context columns count flows by their last packet time in tumbling windows of packet time (`--window`, 10 s by default): " +
	"those whose last packet lies in the window of this flow's last packet or in the window before it, among the flows that expired before this one, and this flow itself. " +
	"Counting only flows already expired keeps a flow's context free of the future, so classify scores it the moment it expires; " +
	"flows still active (a long connection) are counted when they end. Addresses and ports are compared by 64-bit hashes (collisions below one in 10^9 at these sizes); " +
	"a window holds at most 4,194,304 distinct keys, after which new keys are not counted (classify reports how many flows that touched). " +
	"With `--window 0` the columns are 0. The windows CSV (`--windows`) reports the whole-window statistics these columns are drawn from."
