package features

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// CSVWriter streams records as CSV rows under a header row: identity
// columns, metadata, features, then the caller's extra columns (train adds
// label and source; classify adds score and predicted).
type CSVWriter struct {
	w      *bufio.Writer
	schema *Schema
	cols   []int // feature indexes written after the metadata
	extra  int
	buf    []byte
	err    error
}

// NewCSVWriter writes the header at once so that even an empty run leaves
// a loadable file.
func NewCSVWriter(w io.Writer, s *Schema, extra ...string) (*CSVWriter, error) {
	c := &CSVWriter{w: bufio.NewWriterSize(w, 1<<16), schema: s, extra: len(extra)}
	for i, f := range s.Features {
		if !inIdentity(f.Name) {
			c.cols = append(c.cols, i)
		}
	}
	c.buf = c.buf[:0]
	for i, h := range append(s.Header(), extra...) {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendField(c.buf, h)
	}
	c.buf = append(c.buf, '\n')
	if _, err := c.w.Write(c.buf); err != nil {
		return nil, fmt.Errorf("write csv header: %w", err)
	}
	return c, nil
}

// Write appends one row. A row is written whole or not at all as far as
// this writer's buffer goes; the first error sticks.
func (c *CSVWriter) Write(r *Record, extra ...string) error {
	if c.err != nil {
		return c.err
	}
	if len(extra) != c.extra {
		return fmt.Errorf("csv: %d extra values for %d extra columns", len(extra), c.extra)
	}
	b := AppendIdentity(c.buf[:0], r)
	for _, m := range r.Meta {
		b = append(b, ',')
		b = appendField(b, m)
	}
	for _, i := range c.cols {
		b = append(b, ',')
		b = AppendNumber(b, r.Values[i])
	}
	for _, x := range extra {
		b = append(b, ',')
		b = appendField(b, x)
	}
	b = append(b, '\n')
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		c.err = fmt.Errorf("write csv: %w", err)
	}
	return c.err
}

// Flush writes buffered rows out.
func (c *CSVWriter) Flush() error {
	if c.err != nil {
		return c.err
	}
	if err := c.w.Flush(); err != nil {
		c.err = fmt.Errorf("write csv: %w", err)
	}
	return c.err
}

// TimeLayout is RFC 3339 in UTC with microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// AppendIdentity appends the identity columns of r, comma-separated.
func AppendIdentity(b []byte, r *Record) []byte {
	b = strconv.AppendUint(b, r.FlowID, 10)
	b = append(b, ',')
	b = r.Src.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.SrcPort), 10)
	b = append(b, ',')
	b = r.Dst.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.DstPort), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.Proto), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.IPVersion), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(r.VLAN), 10)
	b = append(b, ',')
	b = time.Unix(0, r.First).UTC().AppendFormat(b, TimeLayout)
	b = append(b, ',')
	b = time.Unix(0, r.Last).UTC().AppendFormat(b, TimeLayout)
	b = append(b, ',')
	b = append(b, r.Expiration.String()...)
	return b
}

// AppendNumber writes integers without a decimal point and everything else
// in the shortest form that reads back to the same float64.
func AppendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func appendField(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
