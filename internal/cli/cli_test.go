package cli

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestUsageListsEveryFlagOnceUnderItsGroup(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.StringP("read", "r", "", "read a `file`")
	fs.Int("workers", 2, "workers")
	fs.Bool("forgotten", false, "in no group")
	out := Usage(fs, []Group{{"Input", []string{"read", "nosuch"}}, {"Speed", []string{"workers", "read"}}})
	for _, name := range []string{"--read", "--workers", "--forgotten"} {
		if n := strings.Count(out, name); n != 1 {
			t.Errorf("%s listed %d times:\n%s", name, n, out)
		}
	}
	in, sp, other := strings.Index(out, "Input:"), strings.Index(out, "Speed:"), strings.Index(out, "Other flags:")
	if !(in >= 0 && in < strings.Index(out, "--read") && sp < strings.Index(out, "--workers") && other < strings.Index(out, "--forgotten")) {
		t.Errorf("groups out of order:\n%s", out)
	}
	if !strings.Contains(out, "(default 2)") {
		t.Errorf("defaults not shown:\n%s", out)
	}
}
