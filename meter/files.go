package meter

import (
	"errors"
	"fmt"
	"io"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket/layers"
)

// Matcher decides whether a packet passes the capture filter.
type Matcher interface {
	Match(data []byte, wireLen int, lt layers.LinkType) bool
}

// Sink receives packets that pass the filter.
type Sink interface {
	Packet(r *capture.Record)
	Flush(reason flow.Reason)
}

// FileResult reports one input file.
type FileResult struct {
	Path     string // or interface name
	Packets  uint64 // records read
	Filtered uint64 // records the capture filter rejected
	// Err is the error that ended reading early (truncation included);
	// packets read before it were processed.
	Err error
}

// Truncated reports a file cut inside a record.
func (r FileResult) Truncated() bool { return errors.Is(r.Err, capture.ErrTruncated) }

// ReadFiles feeds the files, in the order given, into sink. The flow table
// carries over between files so rotated captures join up, but when a file
// starts earlier than the previous one ended they are separate recordings
// and every active flow is expired first. Files that cannot be opened are
// reported in their result; reading goes on with the next.
func ReadFiles(paths []string, sink Sink, m Matcher) []FileResult {
	results := make([]FileResult, 0, len(paths))
	var last int64
	for _, p := range paths {
		res := FileResult{Path: p}
		f, err := capture.OpenFile(p)
		if err != nil {
			res.Err = err
			results = append(results, res)
			continue
		}
		var rec capture.Record
		first := true
		for {
			err := f.Next(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				res.Err = err
				break
			}
			res.Packets++
			ts := rec.Timestamp.UnixNano()
			if first {
				if ts < last {
					sink.Flush(flow.EndOfInput)
				}
				first = false
			}
			last = max(last, ts)
			if m != nil && !m.Match(rec.Data, rec.Length, rec.LinkType) {
				res.Filtered++
				continue
			}
			sink.Packet(&rec)
		}
		f.Close()
		results = append(results, res)
	}
	sink.Flush(flow.EndOfInput)
	return results
}

// Errors joins the errors of results into one, naming each file.
func Errors(results []FileResult) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

var _ Sink = (*features.Extractor)(nil)

// Describe is a one-line account of a file result.
func (r FileResult) Describe() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %d packets, stopped: %v", r.Path, r.Packets, r.Err)
	}
	return fmt.Sprintf("%s: %d packets", r.Path, r.Packets)
}
