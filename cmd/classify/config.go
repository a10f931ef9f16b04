package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/cli"
	"github.com/flowclass/flowclass/meter"
	"github.com/flowclass/flowclass/model"
	"github.com/flowclass/flowclass/model/embedded"
	"github.com/flowclass/flowclass/window"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	// exitAlerts is returned with --fail-on-alert when any flow raised an
	// alert, so pipelines can stop on it.
	exitAlerts = 3
)

// Config is everything the command line sets.
type Config struct {
	Read      []string
	Interface string
	Model     string
	Threshold float64
	BPF       string

	Output     string
	Format     string
	Columns    string
	JSON       bool
	Explain    int
	Quiet      bool
	NoProgress bool
	Windows    string
	Window     time.Duration

	IdleTimeout     time.Duration
	ActiveTimeout   time.Duration
	ActivityTimeout time.Duration
	MaxFlows        int
	SPLT            int
	Workers         int
	RescoreInterval time.Duration
	RescorePackets  uint64
	SnapLen         int
	RingMiB         int
	Promiscuous     bool
	User            string

	FailOnAlert     bool
	FailOnTruncated bool
	Version         bool
	CPUProfile      string
}

// BindFlags registers the flags on fs and returns the config they fill.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.SortFlags = false
	fs.StringArrayVarP(&c.Read, "read", "r", nil, "read packets from a pcap or pcapng `file`, gzipped or not (- for standard input; repeatable, read in order)")
	fs.StringVarP(&c.Interface, "interface", "i", "", "capture live from `iface` (Linux; needs CAP_NET_RAW)")
	fs.StringVar(&c.BPF, "bpf", "", "only meter packets matching a tcpdump-style `filter`, e.g. 'tcp port 443'")
	fs.StringVarP(&c.Model, "model", "m", "", "score with this model `file` (ours, LightGBM text or XGBoost JSON) instead of the embedded one")
	fs.Float64Var(&c.Threshold, "threshold", 0, "alert when a flow's score is at least this (default: the model's own)")

	fs.StringVarP(&c.Output, "output", "o", "", "write every scored flow to `file` (- for stdout)")
	fs.StringVar(&c.Format, "format", "", "format of -o: csv or jsonl (default: from the file name, else csv)")
	fs.StringVar(&c.Columns, "columns", "flowclass", "columns of a CSV -o: flowclass (ours) or cic (CICFlowMeter's, predicted label in Label, then Score; see docs/CIC.md)")
	fs.BoolVar(&c.JSON, "json", false, "print alerts as JSON lines shaped like Suricata EVE alerts")
	fs.IntVar(&c.Explain, "explain", 3, "features named in each alert's reason (0 for none)")
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print no summary")
	fs.BoolVar(&c.NoProgress, "no-progress", false, "never draw the progress bar")
	fs.StringVar(&c.Windows, "windows", "", "write per-window traffic statistics (flows, distinct addresses and ports, TCP states, group sizes) to CSV `file`")
	fs.DurationVar(&c.Window, "window", 10*time.Second, "width of the windows in packet time, for the flows' context columns and --windows (0: context columns off)")

	fs.DurationVar(&c.IdleTimeout, "idle-timeout", flow.DefaultIdleTimeout, "expire a flow after this long without packets (packet time)")
	fs.DurationVar(&c.ActiveTimeout, "active-timeout", flow.DefaultActiveTimeout, "expire a flow this long after its first packet (packet time)")
	fs.DurationVar(&c.ActivityTimeout, "activity-timeout", time.Duration(features.DefaultActivityTimeout), "gap that splits a flow's active and idle periods")
	fs.IntVar(&c.MaxFlows, "max-flows", flow.DefaultMaxFlows, "most flows held at once; past it the longest-idle flow is evicted")
	fs.IntVar(&c.SPLT, "splt", features.DefaultSPLT, "early packets described by direction/size/inter-arrival columns (0 to 255)")
	fs.IntVarP(&c.Workers, "workers", "w", min(runtime.NumCPU(), 4), "flow-table shards, each on its own goroutine")
	fs.DurationVar(&c.RescoreInterval, "rescore-interval", 10*time.Second, "re-score active flows this often in packet time, to alert before long flows end (0: off)")
	fs.Uint64Var(&c.RescorePackets, "rescore-packets", 1000, "re-score a flow each time it reaches a multiple of this many packets (0: off)")
	fs.IntVar(&c.SnapLen, "snaplen", 262144, "live: bytes kept of each packet (at least 65535)")
	fs.IntVar(&c.RingMiB, "ring-size", capture.DefaultNumBlocks*capture.DefaultBlockSize>>20, "live: kernel ring `MiB`, absorbs bursts while classify is busy (larger takes longer to set up at start)")
	fs.BoolVar(&c.Promiscuous, "promisc", true, "live: capture in promiscuous mode")
	fs.StringVar(&c.User, "user", "", "live: after opening the capture, drop root privileges to this `user`")

	fs.BoolVar(&c.FailOnAlert, "fail-on-alert", false, fmt.Sprintf("exit with code %d when any flow raised an alert", exitAlerts))
	fs.BoolVar(&c.FailOnTruncated, "fail-on-truncated", false, "exit with code 1 when a capture file is cut short (it is always reported)")
	fs.BoolVarP(&c.Version, "version", "V", false, "print version, commit, Go version and the embedded model")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile to `file` (for performance work)")
	return c
}

func usage(fs *pflag.FlagSet) {
	fmt.Fprintf(os.Stderr, `Usage: classify (-r FILE [-r FILE...] | -i IFACE) [flags]

Meters bidirectional flows, scores each one with a gradient-boosted model
(the embedded default unless --model) as it expires, and prints an alert
line for every flow scored at or above the threshold.

%sExit codes: 0 done; 1 bad usage, bad input or a failed capture; %d alerts
were raised and --fail-on-alert was given.

Examples:
  classify -r capture.pcap
  classify -r capture.pcap -o flows.csv --json > alerts.json
  classify -r a.pcap -r b.pcapng --bpf 'not port 53' --model mine.json
  sudo classify -i eth0 --user nobody
  classify -r capture.pcap -o flows.csv --columns cic --windows windows.csv
`, cli.Usage(fs, flagGroups), exitAlerts)
}

var flagGroups = []cli.Group{
	{Title: "Input", Flags: []string{"read", "interface", "bpf"}},
	{Title: "Model and alerts", Flags: []string{"model", "threshold", "json", "explain", "rescore-interval", "rescore-packets", "fail-on-alert"}},
	{Title: "Output", Flags: []string{"output", "format", "columns", "windows", "window", "quiet", "no-progress", "fail-on-truncated"}},
	{Title: "Flows", Flags: []string{"idle-timeout", "active-timeout", "activity-timeout", "max-flows", "splt", "workers"}},
	{Title: "Live capture", Flags: []string{"snaplen", "ring-size", "promisc", "user"}},
	{Title: "Other", Flags: []string{"version", "cpuprofile", "help"}},
}

// Run does the work the flags describe and returns the exit code.
func (c *Config) Run(stdout, stderr io.Writer) (int, error) {
	if c.Version {
		fmt.Fprintln(stdout, versionLine())
		return exitOK, nil
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return exitError, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return exitError, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if len(c.Read) == 0 && c.Interface == "" {
		return exitError, fmt.Errorf("no input: give a capture with -r FILE or an interface with -i IFACE")
	}
	if len(c.Read) > 0 && c.Interface != "" {
		return exitError, fmt.Errorf("-r and -i cannot be combined: read files or capture live")
	}
	if c.SPLT < 0 || c.SPLT > features.MaxSPLT {
		return exitError, fmt.Errorf("--splt %d: must be 0 to %d", c.SPLT, features.MaxSPLT)
	}
	if c.Workers < 1 || c.Workers > 256 {
		return exitError, fmt.Errorf("--workers %d: must be 1 to 256", c.Workers)
	}
	if c.Columns != "flowclass" && c.Columns != "cic" {
		return exitError, fmt.Errorf("--columns %q: must be flowclass or cic", c.Columns)
	}
	if c.User != "" && c.Interface == "" {
		return exitError, fmt.Errorf("--user only applies to live capture (-i)")
	}
	fc := flow.Config{IdleTimeout: c.IdleTimeout, ActiveTimeout: c.ActiveTimeout, MaxFlows: c.MaxFlows}
	if err := fc.Validate(); err != nil {
		return exitError, err
	}
	splt := c.SPLT
	if splt == 0 {
		splt = -1
	}
	if c.Window < 0 {
		return exitError, fmt.Errorf("--window %v: must not be negative", c.Window)
	}
	ctxWidth := int64(c.Window)
	if ctxWidth == 0 {
		ctxWidth = -1
	}
	schema, err := features.NewSchema(features.Config{SPLT: splt, ActivityTimeoutNS: int64(c.ActivityTimeout), ContextWindowNS: ctxWidth})
	if err != nil {
		return exitError, err
	}
	flowCtx, err := window.NewContext(schema, int64(c.IdleTimeout), 0)
	if err != nil {
		return exitError, err
	}
	mod, modelName, err := c.loadModel()
	if err != nil {
		return exitError, err
	}
	if flowCtx == nil && !c.Quiet {
		for _, f := range mod.Features {
			if strings.HasPrefix(f, "ctx_") {
				fmt.Fprintf(stderr, "note: --window 0 turns the context columns off, but model %s uses them (%s...): they read as 0\n", modelName, f)
				break
			}
		}
	}
	var scorer *model.Scorer
	var cicVec *cicflow.Vector
	if mod.FeatureSet == cicflow.FeatureSet {
		// Trained on CIC columns: scored on the CIC vector of each flow.
		if c.Columns != "cic" {
			return exitError, fmt.Errorf("model %s was trained on CICFlowMeter's columns (feature set %s): add --columns cic", modelName, cicflow.FeatureSet)
		}
		if cicVec, err = cicflow.NewVector(schema); err != nil {
			return exitError, err
		}
		scorer, err = mod.Bind(cicflow.ModelInputs(), cicflow.FeatureSet)
	} else {
		scorer, err = mod.Bind(schema.FeatureNames(), features.Version)
	}
	if err != nil {
		return exitError, fmt.Errorf("model %s does not fit this extractor: %w", modelName, err)
	}
	newScorer := func() (meter.Scorer, error) { return scorer.Clone(), nil }
	if cicVec != nil {
		newScorer = func() (meter.Scorer, error) { return newCICScorer(cicVec, scorer.Clone()), nil }
	}
	threshold := mod.Threshold
	if c.Threshold != 0 {
		threshold = c.Threshold
	}
	if threshold <= 0 || threshold > 1 {
		return exitError, fmt.Errorf("--threshold %v: must be in (0, 1]", threshold)
	}

	if err := c.outputIsInput(); err != nil {
		return exitError, err
	}
	flowsTo, alertsTo := stdout, stdout
	if c.Output == "-" {
		// Flows and alerts both go to stdout: through separate buffers
		// their lines would tear where one buffer flushes mid-line. The
		// writers' bufio.NewWriterSize calls (64 KiB and less) hand back
		// this one buffer, so every line goes in whole.
		shared := bufio.NewWriterSize(stdout, 1<<16)
		flowsTo, alertsTo = shared, shared
	}
	out, closeOut, err := c.openOutput(schema, flowsTo)
	if err != nil {
		return exitError, err
	}
	alerts := newAlertWriter(alertsTo, c.JSON, scorer.Clone(), c.Explain, schema)
	alerts.cic = cicVec
	windows, closeWindows, err := c.openWindows(schema)
	if err != nil {
		return exitError, err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var inputs []meter.Input
	var live *capture.Live
	if c.Interface != "" {
		if live, err = c.openLive(); err != nil {
			return exitError, err
		}
		inputs = []meter.Input{{Live: live, Name: c.Interface}}
		if c.User != "" {
			if err := capture.DropPrivileges(c.User); err != nil {
				live.Close()
				return exitError, fmt.Errorf("--user %s: %w", c.User, err)
			}
		}
	} else {
		for _, p := range c.Read {
			inputs = append(inputs, meter.Input{Path: p, Name: p})
		}
	}

	bar := newProgressBar(stderr, !c.NoProgress && !c.Quiet && c.Interface == "", c.Read)
	status := newStatus()
	stopUSR1 := c.onUSR1(stderr, status)
	defer stopUSR1()

	opt := meter.Options{
		Schema: schema, Flow: fc, Workers: c.Workers, Threshold: threshold,
		NewScorer:       newScorer,
		RescoreInterval: c.RescoreInterval, RescorePackets: c.RescorePackets,
		OnPanic: func(r any) {
			fmt.Fprintf(stderr, "classify: internal error (a bug; please report it with the input that caused it): %v\n", r)
			os.Exit(exitError)
		},
		Progress: func(p meter.Progress) {
			status.set(p)
			bar.update(p)
		},
	}
	if c.Interface == "" {
		opt.BPF = c.BPF // live filters run in the kernel
	}
	if flowCtx != nil {
		opt.Context = flowCtx
	}
	// Alerts and the flow file fail separately: a closed stdout must not
	// cost the -o file its rows.
	var alertErr, writeErr error
	sum, runErr := meter.Run(ctx, inputs, opt, func(ev *meter.Event) {
		status.event(ev)
		if ev.Alert && alertErr == nil {
			if err := alerts.write(ev); err != nil {
				alertErr = fmt.Errorf("write alerts: %w", err)
			} else if live != nil {
				// Live alerts are for now, not for when the buffer fills.
				if err := alerts.flush(); err != nil {
					alertErr = fmt.Errorf("write alerts: %w", err)
				}
			}
		}
		if ev.Kind == meter.FlowEnd && out != nil && writeErr == nil {
			writeErr = out.write(ev, threshold)
		}
		if ev.Kind == meter.FlowEnd {
			windows.Add(&ev.Record)
		}
	})
	bar.finish()
	if err := alerts.flush(); err != nil && alertErr == nil {
		alertErr = fmt.Errorf("write alerts: %w", err)
	}
	if writeErr == nil {
		writeErr = alertErr
	}
	if out != nil {
		if err := closeOut(); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if err := closeWindows(); err != nil && writeErr == nil {
		writeErr = err
	}
	if !c.Quiet {
		fmt.Fprint(stderr, summary(sum, modelName, threshold))
		if n := flowCtx.Saturated(); n > 0 {
			fmt.Fprintf(stderr, "note: %d flows found their context window full (%d distinct keys): their context columns are lower bounds\n", n, window.DefaultMaxKeys)
		}
	} else {
		fmt.Fprint(stderr, warnings(sum))
	}
	if runErr != nil {
		return exitError, runErr
	}
	if writeErr != nil {
		return exitError, writeErr
	}
	if err := c.inputError(sum); err != nil {
		return exitError, err
	}
	if c.FailOnAlert && sum.Alerts > 0 {
		return exitAlerts, nil
	}
	return exitOK, nil
}

// inputError decides which input problems fail the run: a file that could
// not be read at all, a live capture that failed, corruption mid-file; a
// truncated file only with --fail-on-truncated (it was processed and
// reported).
func (c *Config) inputError(sum meter.Summary) error {
	var errs []error
	for _, f := range sum.Files {
		switch {
		case f.Err == nil:
		case f.Truncated() && !c.FailOnTruncated:
		default:
			errs = append(errs, f.Err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	if len(errs) > 1 {
		return fmt.Errorf("%d inputs failed; first: %w", len(errs), errs[0])
	}
	return nil
}

func (c *Config) loadModel() (*model.Model, string, error) {
	if c.Model == "" {
		m, err := embedded.Default()
		return m, "(embedded default)", err
	}
	m, err := model.LoadFile(c.Model)
	if err != nil {
		return nil, "", fmt.Errorf("--model %s: %w", c.Model, err)
	}
	return m, c.Model, nil
}

func (c *Config) openLive() (*capture.Live, error) {
	opts := capture.LiveOptions{SnapLen: c.SnapLen, Promiscuous: c.Promiscuous}
	if c.RingMiB < 4 || c.RingMiB > 16384 {
		return nil, fmt.Errorf("--ring-size %d: must be 4 to 16384 MiB", c.RingMiB)
	}
	opts.NumBlocks = c.RingMiB * (1 << 20) / capture.DefaultBlockSize
	if opts.BlockSize = capture.DefaultBlockSize; c.SnapLen+256 > opts.BlockSize {
		// A block must hold one whole packet: bigger snap lengths need
		// bigger blocks, and fewer of them.
		opts.BlockSize = (c.SnapLen + 256 + (1 << 20) - 1) &^ ((1 << 20) - 1)
		opts.NumBlocks = max(c.RingMiB*(1<<20)/opts.BlockSize, 1)
	}
	if c.BPF != "" {
		b, err := meter.NewBPF(c.BPF)
		if err != nil {
			return nil, err
		}
		// Live link types come from the interface; Ethernet covers the
		// usual case and the capture layer reports anything else.
		f, err := b.ForLink(1)
		if err != nil {
			return nil, fmt.Errorf("--bpf %q: %w", c.BPF, err)
		}
		if opts.BPF, err = f.Raw(); err != nil {
			return nil, fmt.Errorf("--bpf %q: %w", c.BPF, err)
		}
	}
	l, err := capture.OpenLive(c.Interface, opts)
	if errors.Is(err, capture.ErrNoSuchInterface) {
		return nil, fmt.Errorf("%w (list this machine's interfaces with `ip link`)", err)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// outputIsInput refuses an -o file that is one of the -r captures:
// creating the output would empty the capture before it is read.
func (c *Config) outputIsInput() error {
	if c.Output == "" || c.Output == "-" {
		return nil
	}
	out, err := os.Stat(c.Output)
	if err != nil {
		return nil // does not exist yet, or openOutput reports it
	}
	for _, p := range c.Read {
		if in, err := os.Stat(p); err == nil && os.SameFile(in, out) {
			return fmt.Errorf("-o %s is also read with -r %s: writing it would destroy the capture", c.Output, p)
		}
	}
	return nil
}

// flowWriter writes every scored flow.
type flowWriter interface {
	write(ev *meter.Event, threshold float64) error
}

func (c *Config) openOutput(schema *features.Schema, stdout io.Writer) (flowWriter, func() error, error) {
	if c.Output == "" {
		return nil, nil, nil
	}
	format := strings.ToLower(c.Format)
	if format == "" {
		switch strings.ToLower(filepath.Ext(c.Output)) {
		case ".jsonl", ".json", ".ndjson":
			format = "jsonl"
		default:
			format = "csv"
		}
	}
	if format != "csv" && format != "jsonl" {
		return nil, nil, fmt.Errorf("--format %q: must be csv or jsonl", c.Format)
	}
	if c.Columns == "cic" && format != "csv" {
		return nil, nil, fmt.Errorf("--columns cic: CICFlowMeter's columns are CSV; -o %s is %s", c.Output, format)
	}
	var cicOut *cicflow.CSVWriter
	if c.Columns == "cic" {
		// Before the file is created, so a bad schema leaves nothing behind.
		if _, err := cicflow.New(schema); err != nil {
			return nil, nil, err
		}
	}
	var w io.Writer = stdout
	closeFile := func() error { return nil }
	if c.Output != "-" {
		f, err := os.Create(c.Output)
		if err != nil {
			return nil, nil, fmt.Errorf("-o: %w", err)
		}
		w = f
		closeFile = func() error {
			if err := f.Close(); err != nil {
				return fmt.Errorf("-o %s: %w", c.Output, err)
			}
			return nil
		}
	}
	if format == "jsonl" {
		jw := newJSONFlowWriter(w, schema)
		return jw, func() error {
			if err := jw.flush(); err != nil {
				closeFile()
				return fmt.Errorf("-o %s: %w", c.Output, err)
			}
			return closeFile()
		}, nil
	}
	if c.Columns == "cic" {
		var err error
		if cicOut, err = cicflow.NewCSVWriter(w, schema, "Score"); err != nil {
			closeFile()
			return nil, nil, err
		}
		return &cicFlowWriter{w: cicOut}, func() error {
			if err := cicOut.Flush(); err != nil {
				closeFile()
				return fmt.Errorf("-o %s: %w", c.Output, err)
			}
			return closeFile()
		}, nil
	}
	cw, err := features.NewCSVWriter(w, schema, "score", "predicted")
	if err != nil {
		return nil, nil, err
	}
	csvOut := &csvFlowWriter{w: cw}
	return csvOut, func() error {
		if err := cw.Flush(); err != nil {
			closeFile()
			return fmt.Errorf("-o %s: %w", c.Output, err)
		}
		return closeFile()
	}, nil
}

// cicFlowWriter writes CICFlowMeter's columns with the predicted label in
// Label and the score after it.
type cicFlowWriter struct {
	w   *cicflow.CSVWriter
	buf []byte
}

func (c *cicFlowWriter) write(ev *meter.Event, threshold float64) error {
	c.buf = features.AppendNumber(c.buf[:0], ev.Score)
	pred := "benign"
	if ev.Score >= threshold {
		pred = "malicious"
	}
	return c.w.Write(&ev.Record, pred, string(c.buf))
}

type csvFlowWriter struct {
	w   *features.CSVWriter
	buf []byte
}

func (c *csvFlowWriter) write(ev *meter.Event, threshold float64) error {
	c.buf = features.AppendNumber(c.buf[:0], ev.Score)
	pred := "benign"
	if ev.Score >= threshold {
		pred = "malicious"
	}
	return c.w.Write(&ev.Record, string(c.buf), pred)
}

func summary(s meter.Summary, modelName string, threshold float64) string {
	var b strings.Builder
	c := s.Counters
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(&b, "summary: %d packets read", c.Read+s.Filtered)
	if s.Filtered > 0 {
		fmt.Fprintf(&b, ", %d filtered out", s.Filtered)
	}
	fmt.Fprintf(&b, ", %d in flows, %d skipped", c.InFlows, c.SkippedTotal())
	var reasons []string
	for i, n := range c.Skipped {
		if n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d", decodeReason(i), n))
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, ", "))
	}
	fmt.Fprintf(&b, "\nsummary: %d flows, %d alerts (model %s, threshold %.4g)", s.Flows, s.Alerts, modelName, threshold)
	var exp []string
	for r, n := range c.Flows.Expired {
		if n > 0 {
			exp = append(exp, fmt.Sprintf("%s %d", flow.Reason(r), n))
		}
	}
	if len(exp) > 0 {
		fmt.Fprintf(&b, "; ended by %s", strings.Join(exp, ", "))
	}
	if c.SnapCut > 0 {
		fmt.Fprintf(&b, "; %d packets cut by the snap length (counted at full length)", c.SnapCut)
	}
	if s.Live {
		fmt.Fprintf(&b, "; kernel drops %d", s.KernelDrops)
	}
	if secs > 0 {
		fmt.Fprintf(&b, "\nsummary: %.2fs, %.0f packets/s, %.0f flows/s", secs, float64(c.Read+s.Filtered)/secs, float64(s.Flows)/secs)
	}
	b.WriteString("\n")
	b.WriteString(warnings(s))
	if s.Interrupted {
		b.WriteString("note: interrupted; every active flow was expired (reason shutdown) and scored\n")
	}
	return b.String()
}

// warnings accounts for packets left out or inputs cut short. They are
// printed even with --quiet: a truncated file must never pass unnoticed.
func warnings(s meter.Summary) string {
	var b strings.Builder
	for lt, err := range s.Unusable {
		fmt.Fprintf(&b, "warning: --bpf cannot apply to link type %v, its packets were left out: %v\n", lt, err)
	}
	for _, f := range s.Files {
		if f.Err != nil {
			if f.Truncated() {
				fmt.Fprintf(&b, "warning: %v; the %d packets before the cut were processed\n", f.Err, f.Packets)
			} else if f.Packets > 0 {
				fmt.Fprintf(&b, "warning: %v; the %d packets before it were processed\n", f.Err, f.Packets)
			}
		}
	}
	return b.String()
}

// versionLine is --version's output.
func versionLine() string {
	return fmt.Sprintf("%s\nfeature set %s\nembedded model: %s", cli.VersionLine("classify"), features.Version, embedded.DefaultIdentity())
}
