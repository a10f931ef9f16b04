package window

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/flowclass/flowclass/features"
)

// Header returns the CSV columns of a window row, before any extra ones.
func Header() []string {
	h := []string{"window_start", "window_end", "flows", "packets", "bytes_up", "bytes_down",
		"src_ips", "dst_ips", "src_ports", "dst_ports", "conversations"}
	for s := State(0); s < NumStates; s++ {
		h = append(h, "tcp_"+s.String())
	}
	for g := Grouping(0); g < NumGroupings; g++ {
		for _, st := range []string{"max", "mean", "p25", "p50", "p75", "p90", "sample"} {
			h = append(h, g.String()+"_"+st)
		}
	}
	return append(h, "exact", "late_flows")
}

// CSVWriter writes window rows with a fixed header.
type CSVWriter struct {
	w      *bufio.Writer
	extra  int
	header bool
	buf    []byte
}

// NewCSVWriter returns a writer whose header is Header() followed by extra
// column names (e.g. "source"); every Write then gives their values.
func NewCSVWriter(w io.Writer, extra ...string) *CSVWriter {
	c := &CSVWriter{w: bufio.NewWriterSize(w, 1<<16), extra: len(extra)}
	for i, h := range append(Header(), extra...) {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = features.AppendField(c.buf, h)
	}
	c.buf = append(c.buf, '\n')
	return c
}

// SkipHeader leaves the header out, for rows appended to a file that has
// one already.
func (c *CSVWriter) SkipHeader() {
	c.header = true
	c.buf = c.buf[:0]
}

// Write writes one row. The header goes out with the first row, or at
// Flush when there are none.
func (c *CSVWriter) Write(s *Stats, extra ...string) error {
	if len(extra) != c.extra {
		return fmt.Errorf("window csv: %d extra values for %d extra columns", len(extra), c.extra)
	}
	if c.header {
		c.buf = c.buf[:0]
	}
	c.header = true
	b := c.buf
	b = s.Start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, ',')
	b = s.End.AppendFormat(b, time.RFC3339Nano)
	for _, n := range []uint64{s.Flows, s.Packets, s.BytesUp, s.BytesDown, s.SrcIPs, s.DstIPs, s.SrcPorts, s.DstPorts, s.Conversations} {
		b = append(b, ',')
		b = strconv.AppendUint(b, n, 10)
	}
	for _, n := range s.TCP {
		b = append(b, ',')
		b = strconv.AppendUint(b, n, 10)
	}
	for _, g := range s.Groups {
		for _, v := range []float64{g.Max, g.Mean, g.P25, g.P50, g.P75, g.P90, g.SampleRate} {
			b = append(b, ',')
			b = appendFloat(b, v)
		}
	}
	b = append(b, ',')
	if s.Exact {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	b = append(b, ',')
	b = strconv.AppendUint(b, s.LateFlows, 10)
	for _, e := range extra {
		b = append(b, ',')
		b = features.AppendField(b, e)
	}
	b = append(b, '\n')
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("write window row: %w", err)
	}
	return nil
}

// Flush writes what is buffered (the header alone if no row was written).
func (c *CSVWriter) Flush() error {
	if !c.header {
		c.header = true
		if _, err := c.w.Write(c.buf); err != nil {
			return fmt.Errorf("write window header: %w", err)
		}
		c.buf = c.buf[:0]
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("write windows: %w", err)
	}
	return nil
}

func appendFloat(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', 10, 64)
}
