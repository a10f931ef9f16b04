// Command classify reads packets from capture files or a live interface,
// assembles bidirectional flows, computes their features and scores each
// flow with a gradient-boosted model as it expires, alerting on the ones
// at or above the threshold.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// A flow meter's heap is mostly flow state that lives for minutes:
		// the collector's default headroom (as much again) was the largest
		// part of peak memory under a flood, and halving it cost no
		// measurable time (see the README's performance section).
		debug.SetGCPercent(50)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := pflag.NewFlagSet("classify", pflag.ContinueOnError)
	cfg := BindFlags(fs)
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(os.Stderr, "classify: %v (see classify --help)\n", err)
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "classify: unexpected argument %q (read a capture with -r %s)\n", fs.Arg(0), fs.Arg(0))
		return exitError
	}
	ignoreSIGPIPE()
	code, err := runSafely(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "classify: %v\n", err)
	}
	return code
}

// runSafely turns a panic, which is a bug, into one line and exit 1
// rather than a stack trace.
func runSafely(cfg *Config) (code int, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = exitError, fmt.Errorf("internal error (a bug; please report it with the input that caused it): %v", r)
		}
	}()
	return cfg.Run(os.Stdout, os.Stderr)
}
