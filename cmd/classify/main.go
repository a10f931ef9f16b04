// Command classify reads packets from capture files or a live interface,
// assembles bidirectional flows, computes their features and scores each
// flow with a gradient-boosted model as it expires.
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

// errUsage marks errors in how the command was called.
var errUsage = errors.New("usage")

func run(args []string) int {
	fs := pflag.NewFlagSet("classify", pflag.ContinueOnError)
	cfg := BindFlags(fs)
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "classify: %v (see classify --help)\n", err)
		return 1
	}
	if err := cfg.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "classify: %v\n", err)
		return 1
	}
	return 0
}
