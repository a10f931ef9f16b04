// Package features is the feature catalogue and the per-flow accumulators
// behind it: every column's name, unit and definition, the online
// statistics that fill them packet by packet, and the CSV writer. The same
// extractor feeds train and classify.
package features

import (
	"fmt"
	"strings"
)

// Markdown renders the catalogue as docs/FEATURES.md.
func Markdown(s *Schema) string {
	var b strings.Builder
	b.WriteString("# Feature catalogue\n\n")
	b.WriteString("Generated from the code (`go test ./features -run TestFeaturesDoc -update` rewrites it); a test fails when it is stale.\n\n")
	fmt.Fprintf(&b, "Feature set version: `%s`. Default configuration: SPLT %d packets, activity timeout %s, exact order statistics over the first %d packets of a flow.\n\n",
		Version, s.Config.SPLT, fmtNS(s.Config.ActivityTimeoutNS), s.Config.MaxSamples)
	b.WriteString(`## Conventions

- Directions follow NFStream: ` + "`bidirectional_`" + ` (both), ` + "`src2dst_`" + ` (forward: from the side that sent the first packet, or the TCP client when the first packet seen is a SYN-ACK), ` + "`dst2src_`" + ` (backward).
- Sizes are on-the-wire frame lengths (the capture's original length, what tshark calls ` + "`frame.len`" + `), link header, Ethernet padding and trailers included; payload bytes come from the IP lengths, so a snap length that cuts packets does not shrink them.
- Times are packet times (never the wall clock), in milliseconds as float64; captures carry microseconds or nanoseconds.
- Inter-arrival times (` + "`piat`" + `) are gaps between consecutive packets of the same series; a packet time that runs backwards counts as a gap of 0.
- ` + "`ps_delta`" + ` and ` + "`piat_delta_ms`" + ` are differences between consecutive values of one direction (AppFlowMeter's deltas), signed.
- **Empty series and edge cases:** every statistic of an empty series is 0 and the matching ` + "`*_packets`" + ` count of 0 tells it apart; rates over a zero duration are 0; ratios with a zero denominator are 0; the coefficient of variation is 0 when the mean is 0 (or lost in rounding, below 1e-9 of the largest magnitude); skewness and kurtosis of a constant series are 0. NaN and Inf never appear.
- Statistics: variance and standard deviation are population values (divide by n); skewness is the biased Fisher-Pearson coefficient and kurtosis the biased excess kurtosis (scipy.stats' defaults); percentiles interpolate linearly between closest ranks (numpy's default); the mode is the most frequent value, the smallest on ties.
- **Bounded memory:** min, max, mean, variance, skewness and kurtosis are exact for every flow: computed in two passes over the kept packets when the flow ends, merged (Chan et al.'s pairwise formulas) with online Welford/Terriberry moments of any packets past them. Median, mode and percentiles are exact over the first ` + fmt.Sprint(s.Config.MaxSamples) + ` packets of a flow; for longer flows they describe those first packets.
- CICFlowMeter's 84 columns (` + "`--columns cic`" + `) are computed from these features; [CIC.md](CIC.md) maps each one and lists every difference from CICFlowMeter's own output.
- Identity and metadata columns are not model inputs, except ` + "`protocol`, `dst_port` and `ip_version`" + `, which describe the service rather than the capture.

`)
	b.WriteString("## Identity columns\n\n| column | definition |\n|---|---|\n")
	for _, c := range s.Identity {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, c.Definition)
	}
	if len(s.Meta) > 0 {
		b.WriteString("\n## Application metadata columns (strings, not model inputs)\n\n| column | definition |\n|---|---|\n")
		for _, c := range s.Meta {
			fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, c.Definition)
		}
	}
	b.WriteString("\n## Numeric features\n\n")
	family := ""
	for _, f := range s.Features {
		if f.Family != family {
			family = f.Family
			fmt.Fprintf(&b, "\n### %s\n\n", family)
			if family == "context" {
				b.WriteString(ContextPreamble + "\n\n")
			}
			b.WriteString("| name | unit | model input | definition | closest peer column |\n|---|---|---|---|---|\n")
		}
		in := "yes"
		if !f.ModelInput {
			in = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Unit, in, f.Definition, f.Peers)
	}
	return b.String()
}
