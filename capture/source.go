package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Record is one captured packet. Data aliases the source's buffer and is
// valid only until the next call to Next: copy what must outlive it.
type Record struct {
	Data      []byte
	Timestamp time.Time // packet time as the capture recorded it
	// Length is the packet's length on the wire; len(Data) may be shorter
	// when the snap length cut it.
	Length   int
	LinkType layers.LinkType
	// Source names where the packet came from (file path or interface),
	// for messages and for labelling flows.
	Source string
}

// Source yields packets in capture order. Next returns io.EOF at the end of
// input; any other error is fatal for that source and says what went wrong.
type Source interface {
	Next(r *Record) error
	Close() error
}

// Stats is what a source can report about packets it could not deliver.
type Stats struct {
	Packets     uint64 // records delivered
	KernelDrops uint64 // live only: dropped by the kernel before we saw them
	// Truncated is set when the input ended inside a record (a cut file).
	Truncated bool
	// Warnings are tolerable oddities met while reading (for example an
	// unknown pcapng block), counted by kind.
	Warnings map[string]uint64
}

// StatsReporter is implemented by sources that know their losses.
type StatsReporter interface {
	Stats() Stats
}
