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
	RowWriter
	schema *Schema
	cols   []int // feature indexes written after the metadata
	extra  int
	buf    []byte
}

// RowWriter writes whole rows through a buffer; the first error sticks, so
// a failed disk stops the output at a row boundary as far as this writer
// goes. The CSV writers of this and other packages share it.
type RowWriter struct {
	w   *bufio.Writer
	err error
}

// NewRowWriter buffers w.
func NewRowWriter(w io.Writer) RowWriter { return RowWriter{w: bufio.NewWriterSize(w, 1<<16)} }

// WriteRow writes one complete row.
func (r *RowWriter) WriteRow(b []byte) error {
	if r.err != nil {
		return r.err
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = fmt.Errorf("write csv: %w", err)
	}
	return r.err
}

// Err is the first write error, if any.
func (r *RowWriter) Err() error { return r.err }

// Flush writes buffered rows out.
func (r *RowWriter) Flush() error {
	if r.err != nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil {
		r.err = fmt.Errorf("write csv: %w", err)
	}
	return r.err
}

// NewCSVWriter writes the header at once so that even an empty run leaves
// a loadable file.
func NewCSVWriter(w io.Writer, s *Schema, extra ...string) (*CSVWriter, error) {
	c := &CSVWriter{RowWriter: NewRowWriter(w), schema: s, extra: len(extra)}
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
		c.buf = AppendField(c.buf, h)
	}
	c.buf = append(c.buf, '\n')
	if err := c.WriteRow(c.buf); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	return c, nil
}

// Write appends one row. A row is written whole or not at all as far as
// this writer's buffer goes; the first error sticks.
func (c *CSVWriter) Write(r *Record, extra ...string) error {
	if err := c.Err(); err != nil {
		return err
	}
	if len(extra) != c.extra {
		return fmt.Errorf("csv: %d extra values for %d extra columns", len(extra), c.extra)
	}
	b := AppendIdentity(c.buf[:0], r)
	for _, m := range r.Meta {
		b = append(b, ',')
		b = AppendField(b, m)
	}
	for _, i := range c.cols {
		b = append(b, ',')
		b = AppendNumber(b, r.Values[i])
	}
	for _, x := range extra {
		b = append(b, ',')
		b = AppendField(b, x)
	}
	b = append(b, '\n')
	c.buf = b
	return c.WriteRow(b)
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

// AppendField appends s as one CSV field, quoted when it holds a comma,
// quote or line break, or starts with white space.
func AppendField(b []byte, s string) []byte {
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
