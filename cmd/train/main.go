// Command train turns labelled captures into a gradient-boosted flow
// classifier: it extracts flows with the same meter classify uses, exports
// the labelled feature CSV, fits the model, evaluates it on whole held-out
// captures and writes a model file that classify loads.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	cfg := BindFlags(fs)
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "train: %v (see train --help)\n", err)
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "train: unexpected argument %q (captures go after --benign or --malicious)\n", fs.Arg(0))
		return 1
	}
	if err := cfg.Run(os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "train: %v\n", err)
		return 1
	}
	return 0
}
