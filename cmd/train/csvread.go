package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/flowclass/flowclass/features"
)

// readCSV loads a labelled flow CSV (ours, or one made elsewhere with the
// same column names) into a table over the given model inputs. Every input
// must be present: a missing one is an error naming it. Columns it does not
// know are ignored and reported. NaN, Inf and empty cells become missing
// values, counted.
func readCSV(path string, inputs, ourColumns []string) (*table, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--from-csv: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("--from-csv %s: file is empty", path)
		}
		return nil, nil, fmt.Errorf("--from-csv %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	labelCol, ok := col["label"]
	if !ok {
		return nil, nil, fmt.Errorf("--from-csv %s: no \"label\" column", path)
	}
	sourceCol, hasSource := col["source"]
	idx := make([]int, len(inputs))
	known := map[string]bool{"label": true, "source": true, "score": true, "predicted": true}
	for _, c := range ourColumns {
		known[c] = true
	}
	for i, n := range inputs {
		c, ok := col[n]
		if !ok {
			return nil, nil, fmt.Errorf("--from-csv %s: feature column %q is missing (the CSV must have every model input of %s; export one with train --csv)", path, n, features.Version)
		}
		idx[i] = c
		known[n] = true
	}
	var extra []string
	for _, h := range header {
		if !known[strings.TrimSpace(h)] {
			extra = append(extra, h)
		}
	}
	t := &table{names: inputs}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, nil, fmt.Errorf("--from-csv %s: line %d: %w", path, line, err)
		}
		label, err := parseLabel(rec[labelCol])
		if err != nil {
			return nil, nil, fmt.Errorf("--from-csv %s: line %d: %w", path, line, err)
		}
		for i, c := range idx {
			v, err := parseCell(rec[c])
			if err != nil {
				return nil, nil, fmt.Errorf("--from-csv %s: line %d, column %s: %w", path, line, inputs[i], err)
			}
			if math.IsNaN(v) {
				t.nonFinite++
			}
			t.x = append(t.x, v)
		}
		t.y = append(t.y, label)
		g := path
		if hasSource {
			g = rec[sourceCol]
		}
		t.groups = append(t.groups, g)
	}
	if t.rows() == 0 {
		return nil, nil, fmt.Errorf("--from-csv %s: no rows", path)
	}
	return t, extra, nil
}

func parseLabel(s string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "benign", "0", "normal":
		return benign, nil
	case "malicious", "1", "attack":
		return malicious, nil
	}
	return 0, fmt.Errorf("label %q is neither benign nor malicious", s)
}

// parseCell reads a number; NaN, Inf and empty cells are missing values.
func parseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "null", "na":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsInf(v, 0) {
		return math.NaN(), nil
	}
	return v, nil
}
