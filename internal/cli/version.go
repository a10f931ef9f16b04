package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time with
// -ldflags "-X github.com/flowclass/flowclass/internal/cli.version=... -X github.com/flowclass/flowclass/internal/cli.commit=...";
// otherwise they come from the module and VCS build information.
var version, commit string

// Version returns the program's version and commit.
func Version() (string, string) {
	v, c := version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
				if len(c) > 12 {
					c = c[:12]
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

// VersionLine is the first line of --version: program, version, commit, Go.
func VersionLine(program string) string {
	v, c := Version()
	return fmt.Sprintf("%s %s (commit %s, %s)", program, v, c, runtime.Version())
}
