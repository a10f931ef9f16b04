// Command xgb-compare benchmarks model/gbdt against XGBoost's hist method.
// It generates a synthetic CSV (label first, then features, "nan" for
// missing, no header), splits a CSV deterministically into train/test files,
// trains and scores model/gbdt, and computes the ROC AUC of a predictions
// file so both libraries are scored by the same code. scripts/xgb-compare.sh
// drives it together with XGBoost.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/dmitryikh/leaves"
	"github.com/flowclass/flowclass/model/gbdt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: xgb-compare gen|split|train|auc [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = runGen(os.Args[2:])
	case "split":
		err = runSplit(os.Args[2:])
	case "train":
		err = runTrain(os.Args[2:])
	case "auc":
		err = runAUC(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xgb-compare:", err)
		os.Exit(1)
	}
}

// runGen writes a synthetic problem: 10 informative features with
// non-linear effects and interactions, 10 noisy copies of them, the rest
// pure noise; about 3% missing values in some columns.
func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	rows := fs.Int("rows", 100000, "rows")
	cols := fs.Int("cols", 100, "feature columns (>= 20)")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output CSV")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cols < 20 || *rows < 1 || *out == "" {
		return errors.New("gen needs -out, -rows >= 1 and -cols >= 20")
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(*seed, 1))
	x := make([]float64, *cols)
	var line []byte
	for r := 0; r < *rows; r++ {
		for c := range x {
			x[c] = rng.NormFloat64()
		}
		z := 1.2*x[0] - 0.9*x[1] + 0.8*x[2]*x[3] + math.Sin(2*x[4]) - 0.5*x[6]*x[6] + 0.7*math.Abs(x[7]) - 0.6
		if x[5] > 0.5 {
			z += 1
		}
		if x[8] > 0 {
			z += 0.6 * x[9]
		}
		for c := 10; c < 20; c++ {
			x[c] = x[c-10] + 0.5*rng.NormFloat64()
		}
		label := 0
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			label = 1
		}
		line = strconv.AppendInt(line[:0], int64(label), 10)
		for c, v := range x {
			line = append(line, ',')
			if (c < 5 || (c >= 50 && c < 60)) && rng.Float64() < 0.03 {
				line = append(line, "nan"...)
				continue
			}
			line = strconv.AppendFloat(line, v, 'g', 7, 64)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return f.Close()
}

// runSplit sends each line to the test file when a hash of (seed, line
// number) falls under the test fraction, so the split is reproducible and
// independent of the data.
func runSplit(args []string) error {
	fs := flag.NewFlagSet("split", flag.ContinueOnError)
	in := fs.String("in", "", "input CSV")
	trainOut := fs.String("train", "", "train CSV to write")
	testOut := fs.String("test", "", "test CSV to write")
	frac := fs.Float64("test-frac", 0.2, "fraction of rows for the test file")
	seed := fs.Uint64("seed", 1, "split seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *trainOut == "" || *testOut == "" {
		return errors.New("split needs -in, -train and -test")
	}
	src, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("open %s: %w", *in, err)
	}
	defer src.Close()
	files := [2]*os.File{}
	writers := [2]*bufio.Writer{}
	for i, name := range []string{*trainOut, *testOut} {
		if files[i], err = os.Create(name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		defer files[i].Close()
		writers[i] = bufio.NewWriterSize(files[i], 1<<20)
	}
	rd := bufio.NewReaderSize(src, 1<<20)
	limit := uint64(*frac * (1 << 53))
	for n := uint64(0); ; n++ {
		line, err := rd.ReadSlice('\n')
		if len(line) > 0 {
			k := 0
			if splitmix(n^(*seed*0x9e3779b97f4a7c15))>>11 < limit {
				k = 1
			}
			writers[k].Write(line)
			if line[len(line)-1] != '\n' {
				writers[k].WriteByte('\n')
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", *in, err)
		}
	}
	for i := range writers {
		if err := writers[i].Flush(); err != nil {
			return fmt.Errorf("write split: %w", err)
		}
		if err := files[i].Close(); err != nil {
			return fmt.Errorf("close split: %w", err)
		}
	}
	return nil
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func runTrain(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	trainPath := fs.String("train", "", "train CSV")
	testPath := fs.String("test", "", "test CSV")
	rounds := fs.Int("rounds", 100, "boosting rounds (no early stopping)")
	depth := fs.Int("depth", 6, "max depth")
	leavesN := fs.Int("leaves", 0, "max leaves (0: depth-wise)")
	lr := fs.Float64("lr", 0.1, "learning rate")
	maxBin := fs.Int("max-bin", 255, "value bins per feature")
	modelOut := fs.String("model", "", "write the LightGBM text model here")
	predOut := fs.String("pred", "", "write test probabilities here")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of training here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t0 := time.Now()
	tr, err := loadCSV(*trainPath)
	if err != nil {
		return err
	}
	te, err := loadCSV(*testPath)
	if err != nil {
		return err
	}
	loadSec := time.Since(t0).Seconds()
	p := gbdt.DefaultParams()
	p.NumRounds, p.MaxDepth, p.MaxLeaves, p.LearningRate, p.MaxBin = *rounds, *depth, *leavesN, *lr, *maxBin
	p.EarlyStoppingRounds = 0
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("create %s: %w", *cpuProfile, err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start profile: %w", err)
		}
	}
	t1 := time.Now()
	e, err := gbdt.Train(tr, p, nil)
	if err != nil {
		return err
	}
	trainSec := time.Since(t1).Seconds()
	pprof.StopCPUProfile()
	pred := make([]float64, te.NRows)
	for r := range pred {
		pred[r] = e.Predict(te.X[r*te.NCols : (r+1)*te.NCols])
	}
	auc, err := gbdt.ROCAUC(pred, te.Y)
	if err != nil {
		return err
	}
	// Round-trip through leaves: the written model must score the test
	// rows exactly as the trainer does.
	var buf bytes.Buffer
	if err := e.WriteLightGBM(&buf, nil); err != nil {
		return err
	}
	lm, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(buf.Bytes())), true)
	if err != nil {
		return fmt.Errorf("leaves load: %w", err)
	}
	maxDiff := 0.0
	for r := range pred {
		d := math.Abs(lm.PredictSingle(te.X[r*te.NCols:(r+1)*te.NCols], 0) - pred[r])
		maxDiff = max(maxDiff, d)
	}
	if *modelOut != "" {
		if err := os.WriteFile(*modelOut, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", *modelOut, err)
		}
	}
	if *predOut != "" {
		if err := writePred(*predOut, pred); err != nil {
			return err
		}
	}
	fmt.Printf("gbdt rows=%d cols=%d trees=%d threads=%d load_s=%.2f train_s=%.2f test_auc=%.5f leaves_max_abs_diff=%.3g\n",
		tr.NRows, tr.NCols, e.NumTrees(), runtime.NumCPU(), loadSec, trainSec, auc, maxDiff)
	return nil
}

func writePred(path string, pred []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	for _, v := range pred {
		w.WriteString(strconv.FormatFloat(v, 'g', 9, 64))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func runAUC(args []string) error {
	fs := flag.NewFlagSet("auc", flag.ContinueOnError)
	predPath := fs.String("pred", "", "one probability per line")
	testPath := fs.String("test", "", "test CSV with the labels")
	name := fs.String("name", "xgboost", "label for the output line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	te, err := loadCSV(*testPath)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(*predPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", *predPath, err)
	}
	var pred []float64
	for i, line := range bytes.Fields(raw) {
		v, err := strconv.ParseFloat(string(line), 64)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", *predPath, i+1, err)
		}
		pred = append(pred, v)
	}
	if len(pred) != te.NRows {
		return fmt.Errorf("%d predictions for %d test rows", len(pred), te.NRows)
	}
	auc, err := gbdt.ROCAUC(pred, te.Y)
	if err != nil {
		return err
	}
	fmt.Printf("%s test_auc=%.5f\n", *name, auc)
	return nil
}

// loadCSV reads a headerless CSV (label, features...) into a Dataset. A
// first pass counts the lines so the matrix is allocated once; the second
// reads the file in chunks and parses each chunk's lines on all cores, so
// memory stays close to the matrix itself. Empty fields and "nan" are
// missing.
func loadCSV(path string) (*gbdt.Dataset, error) {
	n, nCols, err := countCSV(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	x := make([]float64, n*nCols)
	y := make([]float64, n)
	threads := runtime.NumCPU()
	const chunk = 16 << 20
	buf := make([]byte, chunk)
	carry := 0
	row := 0
	var lines [][]byte
	for {
		m, rerr := io.ReadFull(f, buf[carry:])
		end := carry + m
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return nil, fmt.Errorf("read %s: %w", path, rerr)
		}
		cut := end
		if !eof {
			cut = bytes.LastIndexByte(buf[:end], '\n') + 1
			if cut == 0 {
				return nil, fmt.Errorf("%s: line longer than %d bytes", path, chunk)
			}
		}
		lines = lines[:0]
		for data := buf[:cut]; len(data) > 0; {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				i = len(data)
			}
			if line := bytes.TrimRight(data[:i], "\r"); len(line) > 0 {
				lines = append(lines, line)
			}
			data = data[min(i+1, len(data)):]
		}
		if row+len(lines) > n {
			return nil, fmt.Errorf("%s changed while being read", path)
		}
		errs := make([]error, threads)
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(t int) {
				defer wg.Done()
				for i := t; i < len(lines); i += threads {
					r := row + i
					if err := parseLine(lines[i], y[r:r+1], x[r*nCols:(r+1)*nCols]); err != nil {
						errs[t] = fmt.Errorf("%s line %d: %w", path, r+1, err)
						return
					}
				}
			}(t)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		row += len(lines)
		if eof {
			break
		}
		carry = copy(buf, buf[cut:end])
	}
	if row != n {
		return nil, fmt.Errorf("%s: read %d rows, counted %d", path, row, n)
	}
	d, err := gbdt.NewDataset(x, n, nCols, y, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// countCSV returns the number of non-empty lines and the number of feature
// columns (fields of the first line minus the label).
func countCSV(path string) (rows, cols int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := rd.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return 0, 0, fmt.Errorf("%s: line longer than 1 MiB", path)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if rows == 0 {
				cols = bytes.Count(line, []byte{','})
			}
			rows++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if rows == 0 || cols < 1 {
		return 0, 0, fmt.Errorf("%s: need rows with a label and at least one feature", path)
	}
	return rows, cols, nil
}

func parseLine(line []byte, label, row []float64) error {
	field := 0
	for len(line) > 0 || field <= len(row) {
		i := bytes.IndexByte(line, ',')
		var tok []byte
		if i < 0 {
			tok, line = line, nil
		} else {
			tok, line = line[:i], line[i+1:]
		}
		v := math.NaN()
		if len(tok) > 0 {
			// Viewing tok as a string avoids one allocation per field (80 M
			// for the 1 M x 100 benchmark); ParseFloat does not keep it on
			// success, and the error path parses a real copy.
			var err error
			if v, err = strconv.ParseFloat(unsafe.String(&tok[0], len(tok)), 64); err != nil {
				_, err = strconv.ParseFloat(string(tok), 64)
				return fmt.Errorf("field %d: %w", field+1, err)
			}
		}
		if field == 0 {
			label[0] = v
		} else if field <= len(row) {
			row[field-1] = v
		} else {
			return fmt.Errorf("more than %d fields", len(row)+1)
		}
		field++
		if i < 0 {
			break
		}
	}
	if field != len(row)+1 {
		return fmt.Errorf("%d fields, want %d", field, len(row)+1)
	}
	return nil
}
