package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/flowclass/flowclass/cicflow"
)

// isCICHeader tells a CICFlowMeter-style header (CIC-IDS2017, CSE-CIC-IDS2018
// or ours with --columns cic) from ours: more than half of its cells are
// CIC column names in some spelling. Our header shares at most a couple of
// names with CIC's (protocol, label), so the rule cannot confuse the two.
func isCICHeader(header []string) bool {
	n := 0
	for _, h := range header {
		if _, _, ok := cicflow.Canonical(h); ok {
			n++
		}
	}
	return 2*n > len(header)
}

// cicHeader reads the first line of path; ok is false when it is not CIC.
func cicHeader(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("--from-csv: %w", err)
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return false, fmt.Errorf("--from-csv %s: file is empty", path)
		}
		return false, fmt.Errorf("--from-csv %s: header: %w", path, err)
	}
	return isCICHeader(h), nil
}

// readCIC loads CIC-style CSVs over cicflow.ModelInputs. Labels go through
// cicflow.ParseLabel and attack names are kept per row. Rows are grouped for
// the held-out test by file when there are several files, else by (Src IP,
// Dst IP, Dst Port): flows of one host to one service of another are
// repeats of one behaviour (a keep-alive client, one run of an attack tool)
// and splitting them between training and test would flatter the model.
// Hours of Timestamp would give a CIC-IDS2017 day file about eight groups
// with its attack in one or two, and the bare address pair puts a host's
// web, DNS and ping traffic in one group, too few to hold out; the service
// triple still keeps each flood or brute-force run whole.
func readCIC(paths []string) (*table, error) {
	inputs := cicflow.ModelInputs()
	t := &table{names: inputs, featureSet: cicflow.FeatureSet}
	for _, path := range paths {
		if err := readCICFile(t, path, inputs, len(paths) > 1); err != nil {
			return nil, err
		}
	}
	if t.rows() == 0 {
		return nil, fmt.Errorf("--from-csv %s: no rows", strings.Join(paths, ", "))
	}
	return t, nil
}

func readCICFile(t *table, path string, inputs []string, groupByFile bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--from-csv: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("--from-csv %s: file is empty", path)
		}
		return fmt.Errorf("--from-csv %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		name, dup, ok := cicflow.Canonical(h)
		if !ok || dup {
			continue
		}
		// A CSV read raw has Fwd Header Length twice; the first counts.
		if _, seen := col[name]; !seen {
			col[name] = i
		}
	}
	labelCol, ok := col["Label"]
	if !ok {
		return fmt.Errorf("--from-csv %s: no Label column", path)
	}
	idx := make([]int, len(inputs))
	for i, n := range inputs {
		c, ok := col[n]
		if !ok {
			return fmt.Errorf("--from-csv %s: CIC column %q is missing (a CIC CSV must have all %d CIC feature columns)", path, n, len(inputs))
		}
		idx[i] = c
	}
	// idx[0] is Dst Port, the first of ModelInputs.
	srcCol, hasSrc := col["Src IP"]
	dstCol, hasDst := col["Dst IP"]
	if !groupByFile && !(hasSrc && hasDst) {
		return fmt.Errorf("--from-csv %s: no Src IP and Dst IP columns to group flows by for the held-out test (MachineLearningCSV files lack them): give several --from-csv files, each is then a group", path)
	}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return fmt.Errorf("--from-csv %s: line %d: %w", path, line, err)
		}
		mal, attack, err := cicflow.ParseLabel(rec[labelCol])
		if err != nil {
			return fmt.Errorf("--from-csv %s: line %d: %w", path, line, err)
		}
		for i, c := range idx {
			v, err := parseCell(rec[c])
			if err != nil {
				return fmt.Errorf("--from-csv %s: line %d, column %s: %w", path, line, inputs[i], err)
			}
			if math.IsNaN(v) {
				t.nonFinite++
			}
			t.x = append(t.x, v)
		}
		label := benign
		if mal {
			label = malicious
		}
		t.y = append(t.y, label)
		t.attack = append(t.attack, attack)
		g := path
		if !groupByFile {
			g = strings.TrimSpace(rec[srcCol]) + " " + strings.TrimSpace(rec[dstCol]) + ":" + strings.TrimSpace(rec[idx[0]])
		}
		t.groups = append(t.groups, g)
	}
	return nil
}
