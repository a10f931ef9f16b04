package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/meter"
	"github.com/flowclass/flowclass/model"
)

// alertWriter prints one line per alert: readable text, or JSON shaped like
// Suricata's EVE alert records so SIEMs that ingest EVE take them as they
// are. The reason names the features that pushed the score up most
// (Saabas path attribution over the trees).
type alertWriter struct {
	w       *bufio.Writer
	json    bool
	scorer  *model.Scorer
	explain int
	schema  *features.Schema
	buf     []byte
	// cic is set for a model trained on CIC columns: explanations are
	// computed on the flow's CIC vector, kept in row.
	cic *cicflow.Vector
	row []float64
}

func newAlertWriter(w io.Writer, json bool, s *model.Scorer, explain int, schema *features.Schema) *alertWriter {
	return &alertWriter{w: bufio.NewWriter(w), json: json, scorer: s, explain: explain, schema: schema}
}

func protoName(p uint8) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 1:
		return "ICMP"
	case 58:
		return "IPv6-ICMP"
	case 132:
		return "SCTP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	}
	return strconv.Itoa(int(p))
}

// severity maps a score to EVE's 1 (high) to 3 (low).
func severity(score float64) int {
	switch {
	case score >= 0.99:
		return 1
	case score >= 0.9:
		return 2
	}
	return 3
}

func (a *alertWriter) write(ev *meter.Event) error {
	var why []model.Contribution
	if a.explain > 0 {
		row := ev.Record.Values
		if a.cic != nil {
			a.row = a.cic.Append(a.row[:0], row)
			row = a.row
		}
		for _, c := range a.scorer.Explain(row, a.explain*2) {
			if c.Contribution > 0 && len(why) < a.explain {
				why = append(why, c)
			}
		}
	}
	r := &ev.Record
	b := a.buf[:0]
	state := r.Expiration.String()
	if ev.Kind == meter.ActiveAlert {
		state = "active"
	}
	if a.json {
		b = append(b, `{"timestamp":"`...)
		b = time.Unix(0, ev.Time).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000-0700")
		b = append(b, `","flow_id":`...)
		b = strconv.AppendUint(b, r.FlowID, 10)
		b = append(b, `,"event_type":"alert","src_ip":"`...)
		b = r.Src.AppendTo(b)
		b = append(b, `","src_port":`...)
		b = strconv.AppendUint(b, uint64(r.SrcPort), 10)
		b = append(b, `,"dest_ip":"`...)
		b = r.Dst.AppendTo(b)
		b = append(b, `","dest_port":`...)
		b = strconv.AppendUint(b, uint64(r.DstPort), 10)
		b = append(b, `,"proto":"`...)
		b = append(b, protoName(r.Proto)...)
		b = append(b, `","alert":{"action":"allowed","gid":1,"signature_id":9100001,"rev":1,"signature":"flowclass: flow classified malicious","category":"Flow classified malicious by a machine-learning model","severity":`...)
		b = strconv.AppendInt(b, int64(severity(ev.Score)), 10)
		b = append(b, `},"score":`...)
		b = appendScore(b, ev.Score)
		b = append(b, `,"flowclass":{"state":"`...)
		b = append(b, state...)
		b = append(b, `","first_seen":"`...)
		b = time.Unix(0, r.First).UTC().AppendFormat(b, features.TimeLayout)
		b = append(b, `","application":`...)
		b = appendJSONString(b, appName(a.schema, r))
		b = append(b, `,"top_features":[`...)
		for i, c := range why {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"feature":`...)
			b = appendJSONString(b, c.Feature)
			b = append(b, `,"value":`...)
			b = features.AppendNumber(b, c.Value)
			b = append(b, `,"contribution":`...)
			b = appendScore(b, c.Contribution)
			b = append(b, '}')
		}
		b = append(b, "]}}\n"...)
	} else {
		b = time.Unix(0, ev.Time).UTC().AppendFormat(b, features.TimeLayout)
		b = append(b, " ALERT "...)
		b = appendEndpoint(b, r, true)
		b = append(b, " -> "...)
		b = appendEndpoint(b, r, false)
		b = append(b, ' ')
		b = append(b, protoName(r.Proto)...)
		b = append(b, " score "...)
		b = strconv.AppendFloat(b, ev.Score, 'f', 3, 64)
		b = append(b, " ("...)
		b = append(b, state...)
		if app := appName(a.schema, r); app != "" {
			b = append(b, ", "...)
			b = append(b, app...)
		}
		b = append(b, ')')
		if len(why) > 0 {
			b = append(b, " why: "...)
			for i, c := range why {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = append(b, c.Feature...)
				b = append(b, '=')
				b = features.AppendNumber(b, roundSig(c.Value))
			}
		}
		b = append(b, '\n')
	}
	a.buf = b
	_, err := a.w.Write(b)
	return err
}

func (a *alertWriter) flush() error { return a.w.Flush() }

func appName(s *features.Schema, r *features.Record) string {
	for i, c := range s.Meta {
		if c.Name == "application" && i < len(r.Meta) {
			return r.Meta[i]
		}
	}
	return ""
}

func appendEndpoint(b []byte, r *features.Record, src bool) []byte {
	addr, port := r.Src, r.SrcPort
	if !src {
		addr, port = r.Dst, r.DstPort
	}
	if addr.Is6() {
		b = append(b, '[')
		b = addr.AppendTo(b)
		b = append(b, ']')
	} else {
		b = addr.AppendTo(b)
	}
	if r.Proto == 6 || r.Proto == 17 || r.Proto == 132 {
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(port), 10)
	}
	return b
}

func appendScore(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// roundSig keeps four significant digits for reading.
func roundSig(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// appendJSONString writes s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// jsonFlowWriter writes every scored flow as a JSON object per line.
type jsonFlowWriter struct {
	w      *bufio.Writer
	schema *features.Schema
	cols   []int
	buf    []byte
	err    error
}

func newJSONFlowWriter(w io.Writer, s *features.Schema) *jsonFlowWriter {
	j := &jsonFlowWriter{w: bufio.NewWriterSize(w, 1<<16), schema: s}
	seen := map[string]bool{"protocol": true, "dst_port": true, "ip_version": true}
	for i, f := range s.Features {
		if !seen[f.Name] {
			j.cols = append(j.cols, i)
		}
	}
	return j
}

func (j *jsonFlowWriter) write(ev *meter.Event, threshold float64) error {
	if j.err != nil {
		return j.err
	}
	r := &ev.Record
	b := append(j.buf[:0], `{"flow_id":`...)
	b = strconv.AppendUint(b, r.FlowID, 10)
	b = append(b, `,"src_ip":"`...)
	b = r.Src.AppendTo(b)
	b = append(b, `","src_port":`...)
	b = strconv.AppendUint(b, uint64(r.SrcPort), 10)
	b = append(b, `,"dst_ip":"`...)
	b = r.Dst.AppendTo(b)
	b = append(b, `","dst_port":`...)
	b = strconv.AppendUint(b, uint64(r.DstPort), 10)
	b = append(b, `,"protocol":`...)
	b = strconv.AppendUint(b, uint64(r.Proto), 10)
	b = append(b, `,"ip_version":`...)
	b = strconv.AppendUint(b, uint64(r.IPVersion), 10)
	b = append(b, `,"vlan_id":`...)
	b = strconv.AppendUint(b, uint64(r.VLAN), 10)
	b = append(b, `,"first_seen":"`...)
	b = time.Unix(0, r.First).UTC().AppendFormat(b, features.TimeLayout)
	b = append(b, `","last_seen":"`...)
	b = time.Unix(0, r.Last).UTC().AppendFormat(b, features.TimeLayout)
	b = append(b, `","expiration":"`...)
	b = append(b, r.Expiration.String()...)
	b = append(b, '"')
	for i, c := range j.schema.Meta {
		b = append(b, ',', '"')
		b = append(b, c.Name...)
		b = append(b, '"', ':')
		b = appendJSONString(b, r.Meta[i])
	}
	for _, i := range j.cols {
		b = append(b, ',', '"')
		b = append(b, j.schema.Features[i].Name...)
		b = append(b, '"', ':')
		b = features.AppendNumber(b, r.Values[i])
	}
	b = append(b, `,"score":`...)
	b = appendScore(b, ev.Score)
	b = append(b, `,"predicted":"`...)
	if ev.Score >= threshold {
		b = append(b, "malicious"...)
	} else {
		b = append(b, "benign"...)
	}
	b = append(b, "\"}\n"...)
	j.buf = b
	if _, err := j.w.Write(b); err != nil {
		j.err = fmt.Errorf("write flows: %w", err)
	}
	return j.err
}

func (j *jsonFlowWriter) flush() error {
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}
