package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/flowclass/flowclass/cicflow"
	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/cli"
	"github.com/flowclass/flowclass/model/gbdt"
	"github.com/spf13/pflag"
)

// Config is everything the command line sets.
type Config struct {
	Benign, Malicious []string
	Manifest          string
	Labels            string
	CSV               string
	Columns           string
	FromCSV           []string
	Model             string
	ImportXGBoost     string
	Report            string
	BPF               string

	Holdout     float64
	Folds       int
	ThresholdBy string
	WeightBy    string
	Seed        int64
	Refit       bool
	NoBaseline  bool

	Rounds          int
	LearningRate    float64
	MaxDepth        int
	MaxLeaves       int
	MinChildWeight  float64
	MinSamplesLeaf  int
	Lambda          float64
	Subsample       float64
	ColSample       float64
	EarlyStopping   int
	EvalMetric      string
	ScalePosWeight  float64
	IdleTimeout     time.Duration
	ActiveTimeout   time.Duration
	ActivityTimeout time.Duration
	SPLT            int
	WindowsCSV      string
	Exclude         []string
	Window          time.Duration
	Version         bool
}

// BindFlags registers the flags on fs and returns the config they fill.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	d := gbdt.DefaultParams()
	fs.SortFlags = false
	fs.StringArrayVar(&c.Benign, "benign", nil, "benign capture `file or folder` (repeatable)")
	fs.StringArrayVar(&c.Malicious, "malicious", nil, "malicious capture `file or folder` (repeatable)")
	fs.StringVar(&c.Manifest, "manifest", "", "TSV `file` with file and label columns (paths relative to it)")
	fs.StringVar(&c.Labels, "labels", "", "per-flow label rules `file` for mixed captures (see README)")
	fs.StringVar(&c.BPF, "bpf", "", "only meter packets matching this tcpdump-style `filter`")

	fs.StringVar(&c.CSV, "csv", "", "write every flow with features, label and source to `file`")
	fs.StringVar(&c.Columns, "columns", "flowclass", "columns of --csv: flowclass (ours) or cic (CICFlowMeter's, Label benign/malicious; see docs/CIC.md)")
	fs.StringArrayVar(&c.FromCSV, "from-csv", nil, "train from a labelled flow CSV `file` instead of captures: ours, or CIC-IDS2017/2018-style (repeatable)")
	fs.StringVarP(&c.Model, "output", "o", "", "write the trained model to `file`")
	fs.StringVar(&c.ImportXGBoost, "import-xgboost", "", "convert an XGBoost JSON model `file` into a model file (-o)")
	fs.StringVar(&c.Report, "report", "", "write report.json and report.html to `dir`")

	fs.Float64Var(&c.Holdout, "holdout-fraction", 0.25, "share of captures held out for the test (by capture, stratified)")
	fs.IntVar(&c.Folds, "folds", 5, "grouped cross-validation folds by capture (0 to skip)")
	fs.StringVar(&c.ThresholdBy, "threshold-for", "fpr=0.01", "how to choose the threshold on validation data: fpr=0.01 (most recall at 1% false positives), f1, youden, or a number")
	fs.StringVar(&c.WeightBy, "weight-by", "capture", "row weights: capture (each capture weighs the same) or flow")
	fs.Int64Var(&c.Seed, "seed", 1, "seed for splits and sampling")
	fs.BoolVar(&c.Refit, "refit", false, "after evaluation, refit on every capture with the chosen number of trees")
	fs.BoolVar(&c.NoBaseline, "no-baseline", false, "skip the golearn baseline")

	fs.IntVar(&c.Rounds, "rounds", 200, "most boosting rounds (trees)")
	fs.Float64Var(&c.LearningRate, "learning-rate", d.LearningRate, "shrinkage per tree")
	fs.IntVar(&c.MaxDepth, "max-depth", d.MaxDepth, "tree depth limit (0: none)")
	fs.IntVar(&c.MaxLeaves, "max-leaves", 31, "leaves per tree (0: none)")
	fs.Float64Var(&c.MinChildWeight, "min-child-weight", d.MinChildWeight, "minimum hessian per leaf")
	fs.IntVar(&c.MinSamplesLeaf, "min-samples-leaf", 5, "minimum flows per leaf")
	fs.Float64Var(&c.Lambda, "lambda", d.Lambda, "L2 regularisation of leaf values")
	fs.Float64Var(&c.Subsample, "subsample", 0.8, "rows drawn per tree")
	fs.Float64Var(&c.ColSample, "colsample", 0.8, "features drawn per tree")
	fs.IntVar(&c.EarlyStopping, "early-stopping", 50, "stop after this many rounds without validation improvement (0: off)")
	fs.StringVar(&c.EvalMetric, "eval-metric", "auc", "validation metric for early stopping: auc or logloss")
	fs.Float64Var(&c.ScalePosWeight, "scale-pos-weight", 0, "weight of malicious rows (0: balance the classes)")

	fs.DurationVar(&c.IdleTimeout, "idle-timeout", flow.DefaultIdleTimeout, "flow idle timeout (packet time)")
	fs.DurationVar(&c.ActiveTimeout, "active-timeout", flow.DefaultActiveTimeout, "flow active timeout (packet time)")
	fs.DurationVar(&c.ActivityTimeout, "activity-timeout", time.Duration(features.DefaultActivityTimeout), "gap that splits active and idle periods")
	fs.IntVar(&c.SPLT, "splt", features.DefaultSPLT, "early packets described per flow (0 to 255)")
	fs.BoolVarP(&c.Version, "version", "V", false, "print version, commit, Go version and feature set")
	fs.StringVar(&c.WindowsCSV, "windows-csv", "", "write per-window traffic statistics of each capture (a source column names it) to CSV `file`")
	fs.DurationVar(&c.Window, "window", 10*time.Second, "width of the windows in packet time, for the flows' context columns and --windows-csv (0: context columns off)")
	fs.StringSliceVar(&c.Exclude, "exclude", nil, "leave features matching these `globs` out of the model (comma-separated or repeated, e.g. 'ctx_*,splt_*')")
	return c
}

func usage(fs *pflag.FlagSet) {
	fmt.Fprintf(os.Stderr, `Usage: train (--benign PATH --malicious PATH | --manifest FILE | --from-csv FILE) [-o MODEL] [flags]

Extracts flows from labelled captures, exports them as CSV, fits a
gradient-boosted model and evaluates it on whole held-out captures.

%sExamples:
  train --benign captures/benign --malicious captures/attacks -o model.json --report out/
  train --manifest datasets/MANIFEST.tsv --csv flows.csv            # export only
  train --from-csv flows.csv -o model.json                           # train from a CSV
  train --import-xgboost xgb.json -o model.json                      # bring an XGBoost model
`, cli.Usage(fs, flagGroups))
}

var flagGroups = []cli.Group{
	{Title: "Labelled input", Flags: []string{"benign", "malicious", "manifest", "labels", "from-csv", "bpf"}},
	{Title: "Output", Flags: []string{"output", "csv", "columns", "windows-csv", "window", "report", "import-xgboost"}},
	{Title: "Evaluation", Flags: []string{"holdout-fraction", "folds", "threshold-for", "weight-by", "seed", "refit", "no-baseline"}},
	{Title: "Model", Flags: []string{"rounds", "learning-rate", "max-depth", "max-leaves", "min-child-weight", "min-samples-leaf", "lambda", "subsample", "colsample", "early-stopping", "eval-metric", "scale-pos-weight"}},
	{Title: "Flows", Flags: []string{"idle-timeout", "active-timeout", "activity-timeout", "splt"}},
	{Title: "Other", Flags: []string{"version"}},
}

func (c *Config) params() gbdt.Params {
	p := gbdt.DefaultParams()
	p.NumRounds, p.LearningRate, p.MaxDepth, p.MaxLeaves = c.Rounds, c.LearningRate, c.MaxDepth, c.MaxLeaves
	p.MinChildWeight, p.MinSamplesLeaf, p.Lambda = c.MinChildWeight, c.MinSamplesLeaf, c.Lambda
	p.Subsample, p.ColSampleByTree = c.Subsample, c.ColSample
	p.EarlyStoppingRounds = c.EarlyStopping
	if c.EvalMetric == "logloss" {
		p.EvalMetric = gbdt.LogLoss
	} else {
		p.EvalMetric = gbdt.AUC
	}
	p.Seed = uint64(c.Seed)
	return p
}

func (c *Config) schema() (*features.Schema, error) {
	splt := c.SPLT
	if splt == 0 {
		splt = -1
	}
	ctxWidth := int64(c.Window)
	if ctxWidth == 0 {
		ctxWidth = -1
	}
	return features.NewSchema(features.Config{SPLT: splt, ActivityTimeoutNS: int64(c.ActivityTimeout), ContextWindowNS: ctxWidth})
}

// Run does what the flags ask.
func (c *Config) Run(stdout, stderr io.Writer) error {
	if c.Version {
		fmt.Fprintf(stdout, "%s\nfeature set %s\n", cli.VersionLine("train"), features.Version)
		return nil
	}
	if c.ImportXGBoost != "" {
		return c.importXGBoost(stderr)
	}
	sources := 0
	if len(c.Benign)+len(c.Malicious) > 0 {
		sources++
	}
	if c.Manifest != "" {
		sources++
	}
	if len(c.FromCSV) > 0 {
		sources++
	}
	switch {
	case sources == 0:
		return fmt.Errorf("no training data: give --benign and --malicious captures, --manifest, or --from-csv")
	case sources > 1:
		return fmt.Errorf("give captures (--benign/--malicious), --manifest or --from-csv, not several")
	case c.Model == "" && c.CSV == "" && c.WindowsCSV == "":
		return fmt.Errorf("nothing to write: give -o MODEL to train, --csv FILE to export, or both")
	case c.WindowsCSV != "" && len(c.FromCSV) > 0:
		return fmt.Errorf("--windows-csv needs captures, not --from-csv")
	case c.WeightBy != "capture" && c.WeightBy != "flow":
		return fmt.Errorf("--weight-by %q: must be capture or flow", c.WeightBy)
	case c.EvalMetric != "auc" && c.EvalMetric != "logloss":
		return fmt.Errorf("--eval-metric %q: must be auc or logloss", c.EvalMetric)
	case c.Holdout <= 0 || c.Holdout >= 1:
		return fmt.Errorf("--holdout-fraction %v: must be between 0 and 1", c.Holdout)
	case c.SPLT < 0 || c.SPLT > features.MaxSPLT:
		return fmt.Errorf("--splt %d: must be 0 to %d", c.SPLT, features.MaxSPLT)
	case c.Columns != "flowclass" && c.Columns != "cic":
		return fmt.Errorf("--columns %q: must be flowclass or cic", c.Columns)
	}
	// Find an output folder that cannot exist before extracting and
	// training, which can take long, rather than when writing at the end.
	for _, out := range []struct{ flag, path string }{{"-o", c.Model}, {"--csv", c.CSV}, {"--windows-csv", c.WindowsCSV}} {
		if out.path == "" {
			continue
		}
		if st, err := os.Stat(filepath.Dir(out.path)); err != nil || !st.IsDir() {
			return fmt.Errorf("%s %s: %s is not an existing folder", out.flag, out.path, filepath.Dir(out.path))
		}
	}
	schema, err := c.schema()
	if err != nil {
		return err
	}
	var t *table
	var provenance []dataset
	if len(c.FromCSV) > 0 {
		if t, err = c.readFromCSV(schema, stderr); err != nil {
			return err
		}
		for _, p := range c.FromCSV {
			h, _ := fileHash(p)
			provenance = append(provenance, dataset{Path: p, SHA256: h, Flows: t.rows()})
		}
	} else {
		if t, provenance, err = c.extract(schema, stderr); err != nil {
			return err
		}
	}
	if c.Model == "" {
		return nil
	}
	if len(c.Exclude) > 0 {
		n := len(t.names)
		if err := t.exclude(c.Exclude); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "note: --exclude left %d of %d features for the model\n", len(t.names), n)
	}
	return c.fit(t, schema, provenance, stdout, stderr)
}

// readFromCSV reads the --from-csv files: CIC-style when the first one's
// header is (see isCICHeader), ours otherwise.
func (c *Config) readFromCSV(schema *features.Schema, stderr io.Writer) (*table, error) {
	cic, err := cicHeader(c.FromCSV[0])
	if err != nil {
		return nil, err
	}
	var t *table
	if cic {
		if t, err = readCIC(c.FromCSV); err != nil {
			return nil, err
		}
		how := "(Src IP, Dst IP, Dst Port)"
		if len(c.FromCSV) > 1 {
			how = "file"
		}
		fmt.Fprintf(stderr, "note: read %d flows (%d benign, %d malicious) as CIC columns (%s); held-out groups by %s\n",
			t.rows(), count(t.y, benign), count(t.y, malicious), cicflow.FeatureSet, how)
	} else {
		for _, p := range c.FromCSV {
			one, extra, err := readCSV(p, schema.ModelInputs(), schema.Header())
			if err != nil {
				return nil, err
			}
			if len(extra) > 0 {
				fmt.Fprintf(stderr, "note: %s: ignoring %d columns that are not features of %s: %v\n", p, len(extra), features.Version, head(extra, 8))
			}
			if t == nil {
				t = one
				continue
			}
			t.x = append(t.x, one.x...)
			t.y = append(t.y, one.y...)
			t.groups = append(t.groups, one.groups...)
			t.nonFinite += one.nonFinite
		}
	}
	if t.nonFinite > 0 {
		fmt.Fprintf(stderr, "note: %d NaN/Inf/empty cells read as missing values\n", t.nonFinite)
	}
	return t, nil
}

// dataset is one input in the model's provenance.
type dataset struct {
	Path   string `json:"path"`
	Label  string `json:"label,omitempty"`
	SHA256 string `json:"sha256"`
	Flows  int    `json:"flows"`
}

func (c *Config) extract(schema *features.Schema, stderr io.Writer) (*table, []dataset, error) {
	var caps []labelled
	if c.Manifest != "" {
		m, skipped, err := readManifest(c.Manifest)
		if err != nil {
			return nil, nil, err
		}
		for label, n := range skipped {
			fmt.Fprintf(stderr, "note: manifest rows labelled %q skipped: %d\n", label, n)
		}
		caps = m
	} else {
		// Exporting needs no second class, and label rules can mark flows
		// of a single capture malicious; fit checks the flows' classes.
		if c.Model != "" && c.Labels == "" && (len(c.Benign) == 0 || len(c.Malicious) == 0) {
			return nil, nil, fmt.Errorf("training needs both --benign and --malicious captures (or --labels rules)")
		}
		b, err := expand(c.Benign, benign)
		if err != nil {
			return nil, nil, err
		}
		m, err := expand(c.Malicious, malicious)
		if err != nil {
			return nil, nil, err
		}
		caps = append(b, m...)
	}
	var rules []rule
	if c.Labels != "" {
		var err error
		if rules, err = readRules(c.Labels); err != nil {
			return nil, nil, err
		}
	}
	fc := flow.Config{IdleTimeout: c.IdleTimeout, ActiveTimeout: c.ActiveTimeout}
	csvCols := ""
	if c.CSV != "" {
		csvCols = c.Columns
	}
	results, err := extractAll(caps, schema, fc, c.BPF, rules, csvCols, newProgress())
	if err != nil {
		return nil, nil, err
	}
	t := &table{names: schema.ModelInputs()}
	var prov []dataset
	var total features.Counters
	var empty []string
	for _, r := range results {
		for _, fr := range r.fileErrs {
			if fr.Err != nil {
				fmt.Fprintf(stderr, "warning: %v\n", fr.Err)
			}
		}
		total.Add(r.counts)
		n := r.flows[0] + r.flows[1]
		if n == 0 {
			empty = append(empty, r.cap.Path)
			continue
		}
		t.x = append(t.x, r.x...)
		t.y = append(t.y, r.y...)
		// Group by the whole path, as --csv's source column does: capture
		// folders often repeat file names, and --from-csv must split the
		// same way.
		for range r.y {
			t.groups = append(t.groups, r.cap.Path)
		}
		h, err := fileHash(r.cap.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("hash %s: %w", r.cap.Path, err)
		}
		prov = append(prov, dataset{Path: r.cap.Path, Label: labelNames[r.cap.Label], SHA256: h, Flows: n})
	}
	if len(empty) > 0 {
		fmt.Fprintf(stderr, "note: %d captures gave no flows (no IP traffic): %v\n", len(empty), head(empty, 5))
	}
	fmt.Fprintf(stderr, "extracted %d flows (%d benign, %d malicious) from %d captures; packets %d, skipped %d\n",
		t.rows(), count(t.y, benign), count(t.y, malicious), len(caps), total.Read, total.SkippedTotal())
	if c.CSV != "" {
		if err := writeCSV(c.CSV, c.Columns, schema, results); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(stderr, "wrote %s\n", c.CSV)
	}
	if c.WindowsCSV != "" {
		if err := writeWindows(c.WindowsCSV, caps, schema, fc, c.BPF, c.Window); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(stderr, "wrote %s\n", c.WindowsCSV)
	}
	if t.rows() == 0 {
		return nil, nil, fmt.Errorf("the captures hold no IP flows to learn from")
	}
	return t, prov, nil
}

// rowWriter writes --csv rows in one column set.
type rowWriter interface {
	row(r *features.Record, label, source string) error
	Flush() error
}

type ourRows struct{ *features.CSVWriter }

func (o ourRows) row(r *features.Record, label, source string) error {
	return o.Write(r, label, source)
}

// cicRows keeps CICFlowMeter's header exact: no source column.
type cicRows struct{ *cicflow.CSVWriter }

func (c cicRows) row(r *features.Record, label, _ string) error { return c.Write(r, label) }

func newRowWriter(columns string, w io.Writer, schema *features.Schema) (rowWriter, error) {
	if columns == "cic" {
		cw, err := cicflow.NewCSVWriter(w, schema)
		return cicRows{cw}, err
	}
	cw, err := features.NewCSVWriter(w, schema, "label", "source")
	return ourRows{cw}, err
}

func writeCSV(path, columns string, schema *features.Schema, results []captureResult) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--csv: %w", err)
	}
	w, err := newRowWriter(columns, f, schema)
	if err == nil {
		err = w.Flush()
	}
	for _, r := range results {
		if err != nil {
			break
		}
		_, err = f.Write(r.csv)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--csv %s: %w", path, err)
	}
	return nil
}

func count(y []int, label int) int {
	n := 0
	for _, v := range y {
		if v == label {
			n++
		}
	}
	return n
}

func head(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... %d more", len(s)-n))
	}
	return s
}
