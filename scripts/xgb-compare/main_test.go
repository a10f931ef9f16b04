package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitAndLoad(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		sb.WriteString([]string{"0", "1"}[i%2])
		sb.WriteString(",1.5,nan,\n")
	}
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	split := func(tag string) (string, string) {
		tr, te := filepath.Join(dir, tag+"tr.csv"), filepath.Join(dir, tag+"te.csv")
		if err := runSplit([]string{"-in", in, "-train", tr, "-test", te, "-test-frac", "0.25", "-seed", "3"}); err != nil {
			t.Fatal(err)
		}
		return tr, te
	}
	tr1, te1 := split("a")
	tr2, te2 := split("b")
	for _, p := range [][2]string{{tr1, tr2}, {te1, te2}} {
		a, _ := os.ReadFile(p[0])
		b, _ := os.ReadFile(p[1])
		if string(a) != string(b) {
			t.Fatal("split is not deterministic")
		}
	}
	dtr, err := loadCSV(tr1)
	if err != nil {
		t.Fatal(err)
	}
	dte, err := loadCSV(te1)
	if err != nil {
		t.Fatal(err)
	}
	if dtr.NRows+dte.NRows != 1000 || dte.NRows < 200 || dte.NRows > 300 || dtr.NCols != 3 {
		t.Fatalf("split %d/%d rows, %d cols", dtr.NRows, dte.NRows, dtr.NCols)
	}
	row := dtr.X[:3]
	if row[0] != 1.5 || !math.IsNaN(row[1]) || !math.IsNaN(row[2]) {
		t.Fatalf("row parsed as %v", row)
	}
}

func TestParseLineErrors(t *testing.T) {
	var y [1]float64
	row := make([]float64, 2)
	for _, line := range []string{"1,2", "1,2,3,4", "1,x,3"} {
		if err := parseLine([]byte(line), y[:], row); err == nil {
			t.Errorf("%q parsed", line)
		}
	}
	if err := parseLine([]byte("1,2,3"), y[:], row); err != nil || y[0] != 1 || row[1] != 3 {
		t.Errorf("good line: %v %v %v", err, y, row)
	}
}
