// Command gencap writes a synthetic capture with package synth and prints
// what it contains.
//
//	go run ./scripts/gencap -o out.pcap --packets 1000000 --seed 1 [--attacks] [--format pcap|pcap-ns|pcapng]
//	go run ./scripts/gencap --sample -o datasets/sample/synth.pcap
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowclass/flowclass/synth"
)

// Config is the command line.
type Config struct {
	Out         string
	Packets     int
	Seed        int64
	Attacks     bool
	Format      string
	Start       string
	IPv6Share   float64
	VLANShare   float64
	Concurrency int
	Sample      bool
}

// BindFlags registers the flags on fs.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.StringVarP(&c.Out, "out", "o", "", "output capture file (required)")
	fs.IntVar(&c.Packets, "packets", 100000, "number of packets to write")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed; the same seed and flags give the same bytes")
	fs.BoolVar(&c.Attacks, "attacks", false, "inject one attack of every kind (see package synth)")
	fs.StringVar(&c.Format, "format", "pcap", "pcap (microseconds), pcap-ns or pcapng")
	fs.StringVar(&c.Start, "start", "2024-03-04T09:30:00Z", "timestamp of the first packet (RFC 3339)")
	fs.Float64Var(&c.IPv6Share, "ipv6", 0.10, "share of benign sessions over IPv6")
	fs.Float64Var(&c.VLANShare, "vlan", 0.05, "share of benign sessions with an 802.1Q tag")
	fs.IntVar(&c.Concurrency, "concurrency", 1000, "benign sessions active at once")
	fs.BoolVar(&c.Sample, "sample", false, "small mixed sample (under 2 MB): 2500 packets, 40 concurrent sessions, all attacks")
	return c
}

func main() {
	fs := pflag.NewFlagSet("gencap", pflag.ExitOnError)
	c := BindFlags(fs)
	_ = fs.Parse(os.Args[1:])
	if err := run(c, fs, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
}

func run(c *Config, fs *pflag.FlagSet, out io.Writer) error {
	if c.Out == "" {
		return fmt.Errorf("missing -o/--out")
	}
	format, err := synth.ParseFormat(c.Format)
	if err != nil {
		return err
	}
	start, err := time.Parse(time.RFC3339Nano, c.Start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	if c.Sample {
		if !fs.Changed("packets") {
			c.Packets = 2500
		}
		if !fs.Changed("concurrency") {
			c.Concurrency = 40
		}
		c.Attacks = true
	}
	cfg := synth.DefaultConfig(c.Seed, c.Packets)
	cfg.Start = start
	cfg.Format = format
	cfg.IPv6Share, cfg.VLANShare = c.IPv6Share, c.VLANShare
	cfg.Concurrency = c.Concurrency
	if c.Attacks {
		cfg.Attacks = synth.DefaultAttacks(c.Packets)
	}
	t0 := time.Now()
	sum, err := synth.WriteFile(c.Out, cfg)
	if err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Fprintf(out, "wrote %s: %d packets, %d bytes, %d flows (%d malicious), capture %s .. %s (%s)\n",
		c.Out, sum.Packets, sum.Bytes, sum.TotalFlows(), sum.MaliciousFlows(),
		sum.First.Format(time.RFC3339Nano), sum.Last.Format(time.RFC3339Nano), sum.Last.Sub(sum.First).Round(time.Millisecond))
	kinds := make([]synth.Kind, 0, len(sum.Flows))
	for k := range sum.Flows {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	for _, k := range kinds {
		label := "benign"
		if k.Malicious() {
			label = "malicious src " + k.Source().String()
		}
		fmt.Fprintf(out, "  %-10s %8d flows  %s\n", k, sum.Flows[k], label)
	}
	fmt.Fprintf(out, "generated in %s (%.0f MB/s)\n", el.Round(time.Millisecond), float64(sum.Bytes)/1e6/el.Seconds())
	return nil
}
