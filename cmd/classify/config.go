package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/meter"
	"github.com/spf13/pflag"
)

// Config is everything the command line sets.
type Config struct {
	Read            []string
	Output          string
	IdleTimeout     time.Duration
	ActiveTimeout   time.Duration
	ActivityTimeout time.Duration
	MaxFlows        int
	SPLT            int
	Quiet           bool
}

// BindFlags registers the flags on fs and returns the config they fill.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.SortFlags = false
	fs.StringArrayVarP(&c.Read, "read", "r", nil, "read packets from a pcap or pcapng `file` (repeatable; files are read in the order given)")
	fs.StringVarP(&c.Output, "output", "o", "", "write every flow with its features to `file` as CSV (- for stdout)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", flow.DefaultIdleTimeout, "expire a flow after this long without packets (packet time)")
	fs.DurationVar(&c.ActiveTimeout, "active-timeout", flow.DefaultActiveTimeout, "expire a flow this long after its first packet (packet time)")
	fs.DurationVar(&c.ActivityTimeout, "activity-timeout", time.Duration(features.DefaultActivityTimeout), "gap that splits a flow's active and idle periods")
	fs.IntVar(&c.MaxFlows, "max-flows", flow.DefaultMaxFlows, "most flows held at once; past it the longest-idle flow is evicted")
	fs.IntVar(&c.SPLT, "splt", features.DefaultSPLT, "early packets described by direction/size/inter-arrival columns (0 to 255)")
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print no summary")
	return c
}

func usage(fs *pflag.FlagSet) {
	fmt.Fprintf(os.Stderr, `Usage: classify -r FILE [-r FILE...] [flags]

Reads packets, assembles bidirectional flows and writes one row per flow.

Flags:
%s
Examples:
  classify -r capture.pcap -o flows.csv
  classify -r a.pcap -r b.pcapng --idle-timeout 60s -o -
`, fs.FlagUsages())
}

// Run does the work the flags describe.
func (c *Config) Run() error {
	if len(c.Read) == 0 {
		return fmt.Errorf("no input: give a capture with -r FILE")
	}
	fc := flow.Config{IdleTimeout: c.IdleTimeout, ActiveTimeout: c.ActiveTimeout, MaxFlows: c.MaxFlows}
	if err := fc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if c.SPLT < 0 || c.SPLT > features.MaxSPLT {
		return fmt.Errorf("--splt %d: must be 0 to %d", c.SPLT, features.MaxSPLT)
	}
	splt := c.SPLT
	if splt == 0 {
		splt = -1
	}
	schema, err := features.NewSchema(features.Config{SPLT: splt, ActivityTimeoutNS: int64(c.ActivityTimeout)})
	if err != nil {
		return err
	}
	out := os.Stdout
	if c.Output != "" && c.Output != "-" {
		f, err := os.Create(c.Output)
		if err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		defer f.Close()
		out = f
	}
	var w *features.CSVWriter
	if c.Output != "" {
		if w, err = features.NewCSVWriter(out, schema); err != nil {
			return err
		}
	}
	var flows uint64
	var werr error
	emit := func(r *features.Record) {
		flows++
		if w != nil && werr == nil {
			werr = w.Write(r)
		}
	}
	e := features.NewExtractor(schema, fc, emit, 1, 1)
	results := meter.ReadFiles(c.Read, e, nil)
	if w != nil {
		if err := w.Flush(); err != nil && werr == nil {
			werr = err
		}
	}
	cnt := e.Counters()
	if !c.Quiet {
		fmt.Fprint(os.Stderr, summary(results, cnt, flows))
	}
	if werr != nil {
		return werr
	}
	return meter.Errors(results)
}

func summary(results []meter.FileResult, c features.Counters, flows uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "packets %d, in flows %d, skipped %d", c.Read, c.InFlows, c.SkippedTotal())
	for i, n := range c.Skipped {
		if n > 0 {
			fmt.Fprintf(&b, " (%s %d)", decodeReason(i), n)
		}
	}
	fmt.Fprintf(&b, "; flows %d\n", flows)
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(&b, "warning: %v\n", r.Err)
		}
	}
	return b.String()
}
