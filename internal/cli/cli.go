// Package cli renders a pflag flag set as help text grouped by purpose,
// so --help reads as a short manual rather than one long alphabet.
package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// Group is a titled set of flags, listed in the order given.
type Group struct {
	Title string
	Flags []string
}

// Usage renders fs group by group. Flags that no group names are listed
// last under "Other flags", so a new flag is never hidden from --help.
func Usage(fs *pflag.FlagSet, groups []Group) string {
	var b strings.Builder
	seen := map[string]bool{}
	section := func(title string, flags []*pflag.Flag) {
		if len(flags) == 0 {
			return
		}
		g := pflag.NewFlagSet(title, pflag.ContinueOnError)
		g.SortFlags = false
		for _, f := range flags {
			g.AddFlag(f)
		}
		b.WriteString(title + ":\n")
		b.WriteString(g.FlagUsages())
		b.WriteString("\n")
	}
	for _, gr := range groups {
		var flags []*pflag.Flag
		for _, name := range gr.Flags {
			if f := fs.Lookup(name); f != nil && !seen[name] {
				seen[name] = true
				flags = append(flags, f)
			}
		}
		section(gr.Title, flags)
	}
	var rest []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if !seen[f.Name] {
			rest = append(rest, f)
		}
	})
	section("Other flags", rest)
	return b.String()
}
