package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// labelled is one capture with the label all its flows take unless a rule
// says otherwise.
type labelled struct {
	Path  string
	Label int // 0 benign, 1 malicious
}

const (
	benign    = 0
	malicious = 1
)

var labelNames = [2]string{"benign", "malicious"}

// captureExts are the file endings taken from folders, each also with
// .gz after it.
var captureExts = map[string]bool{".pcap": true, ".pcapng": true, ".cap": true}

func isCaptureName(name string) bool {
	return captureExts[filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz"))]
}

// expand turns files and folders into capture paths, sorted for a
// deterministic run. A folder without captures is an error: training on
// nothing would silently give a useless model.
func expand(paths []string, label int) ([]labelled, error) {
	var out []labelled
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", labelNames[label], p, err)
		}
		if !st.IsDir() {
			out = append(out, labelled{p, label})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isCaptureName(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", labelNames[label], p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("--%s %s: folder holds no .pcap, .pcapng or .cap file (gzipped or not)", labelNames[label], p)
		}
		sort.Strings(found)
		for _, f := range found {
			out = append(out, labelled{f, label})
		}
	}
	return out, nil
}

// readManifest reads a TSV with at least "file" and "label" columns; paths
// are relative to the manifest's folder. Rows whose label is neither benign
// nor malicious (mixed, odd) are skipped and counted.
func readManifest(path string) (caps []labelled, skipped map[string]int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--manifest: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fileCol, labelCol := -1, -1
	line := 0
	skipped = map[string]int{}
	dir := filepath.Dir(path)
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if fileCol < 0 {
			for i, h := range fields {
				switch strings.TrimSpace(strings.ToLower(h)) {
				case "file":
					fileCol = i
				case "label":
					labelCol = i
				}
			}
			if fileCol < 0 || labelCol < 0 {
				return nil, nil, fmt.Errorf("--manifest %s: header needs tab-separated \"file\" and \"label\" columns", path)
			}
			continue
		}
		if len(fields) <= max(fileCol, labelCol) || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		label := strings.ToLower(strings.TrimSpace(fields[labelCol]))
		p := fields[fileCol]
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		switch label {
		case "benign":
			caps = append(caps, labelled{p, benign})
		case "malicious":
			caps = append(caps, labelled{p, malicious})
		default:
			skipped[label]++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("--manifest %s line %d: %w", path, line, err)
	}
	if len(caps) == 0 {
		return nil, nil, fmt.Errorf("--manifest %s: no benign or malicious rows", path)
	}
	return caps, skipped, nil
}

// fileHash is the SHA-256 of a file, recorded in the model's provenance.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
