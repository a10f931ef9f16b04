// Command floodgen writes the captures scripts/resource-bounds.sh meters to
// check memory bounds under attack traffic: a SYN flood from random spoofed
// sources (every packet a new flow), a capture of a few long flows, or one
// TCP connection of tens of millions of packets (--kind single).
package main

import (
	"fmt"
	"os"

	"github.com/flowclass/flowclass/synth"
	"github.com/spf13/pflag"
)

func main() {
	out := pflag.StringP("out", "o", "", "output capture `file`")
	packets := pflag.Int("packets", 3_000_000, "packets to write")
	kind := pflag.String("kind", "flood", "flood (random-source SYN flood), elephant (mostly one long flow) or single (one TCP connection, nothing else)")
	pflag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "floodgen: -o FILE is required")
		os.Exit(1)
	}
	if *kind == "single" {
		if err := writeSingle(*out, *packets); err != nil {
			fmt.Fprintf(os.Stderr, "floodgen: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("%d packets, 1 flows\n", *packets)
		return
	}
	cfg := synth.DefaultConfig(1, *packets)
	switch *kind {
	case "flood":
		cfg.Concurrency = 1
		cfg.Attacks = []synth.Attack{{Kind: synth.KindSYNFlood, AtPacket: 1, Size: *packets}}
	case "elephant":
		cfg.Concurrency = 1
		cfg.Attacks = []synth.Attack{{Kind: synth.KindUDPFlood, AtPacket: 1, Size: *packets}}
	default:
		fmt.Fprintf(os.Stderr, "floodgen: --kind %q: flood, elephant or single\n", *kind)
		os.Exit(1)
	}
	sum, err := synth.WriteFile(*out, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "floodgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d packets, %d flows\n", sum.Packets, sum.TotalFlows())
}
