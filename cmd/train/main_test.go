package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// trainBin is the train binary built once for the package's tests, so the
// error table exercises the real command line (flags, exit code, stderr).
var trainBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "train-test-bin")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	trainBin = filepath.Join(dir, "train")
	cmd := exec.Command("go", "build", "-o", trainBin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build train: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is one run of the train binary.
type result struct {
	code           int
	stdout, stderr string
}

func runTrain(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(trainBin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run train %v: %v", args, err)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("train %v panicked:\n%s", args, r.stderr)
	}
	return r
}

// mustTrain runs train and fails the test unless it exits 0.
func mustTrain(t *testing.T, args ...string) result {
	t.Helper()
	r := runTrain(t, args...)
	if r.code != 0 {
		t.Fatalf("train %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// manifestRow is one capture of the shared datasets' MANIFEST.tsv.
type manifestRow struct {
	path    string // absolute
	label   string
	packets int
}

func readManifestRows(t *testing.T) []manifestRow {
	t.Helper()
	dir := testdata.Datasets(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("shared datasets have no MANIFEST.tsv (%v); skipping", err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if first || len(fs) < 6 {
			first = false
			continue
		}
		n, err := strconv.Atoi(fs[5])
		if err != nil {
			continue
		}
		rows = append(rows, manifestRow{filepath.Join(dir, fs[0]), fs[1], n})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	return rows
}

// pickCaptures takes n captures of a label whose packet counts lie in
// [lo, hi], evenly spread over the manifest's order, so the choice is
// fixed, covers several sources, and stays fast.
func pickCaptures(t *testing.T, label string, n, lo, hi int) []string {
	t.Helper()
	var cands []string
	for _, r := range readManifestRows(t) {
		if r.label == label && r.packets >= lo && r.packets <= hi {
			if _, err := os.Stat(r.path); err == nil {
				cands = append(cands, r.path)
			}
		}
	}
	if len(cands) < n {
		t.Skipf("only %d %s captures with %d..%d packets in the shared datasets, need %d; skipping", len(cands), label, lo, hi, n)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = cands[i*len(cands)/n]
	}
	return out
}

// captureArgs turns capture lists into --benign/--malicious flags.
func captureArgs(benignCaps, maliciousCaps []string) []string {
	var a []string
	for _, p := range benignCaps {
		a = append(a, "--benign", p)
	}
	for _, p := range maliciousCaps {
		a = append(a, "--malicious", p)
	}
	return a
}

// csvFile is a whole CSV in memory with its header's column positions.
type csvFile struct {
	header []string
	col    map[string]int
	rows   [][]string
}

func readCSVFile(t *testing.T, path string) *csvFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	c := &csvFile{header: header, col: map[string]int{}}
	for i, h := range header {
		c.col[h] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		c.rows = append(c.rows, rec)
	}
	return c
}

func (c *csvFile) get(row []string, name string) string { return row[c.col[name]] }

func writeCSVFile(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}
