// Package testdata locates the shared labelled captures for tests and
// benchmarks, and skips the caller with a clear message when they are absent,
// so a fresh clone with only Go still passes.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDatasets overrides where the shared captures are looked for.
const EnvDatasets = "FLOWCLASS_DATASETS"

// RepoRoot returns the directory holding go.mod, walking up from the
// working directory (tests run in their package's directory).
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// DatasetsDir returns the shared datasets directory (../shared/datasets next
// to the repository, or $FLOWCLASS_DATASETS), or "" when it is absent.
func DatasetsDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(EnvDatasets); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	d := filepath.Join(RepoRoot(tb), "..", "shared", "datasets")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Datasets returns the shared datasets directory or skips the test with a
// message saying how to provide it.
func Datasets(tb testing.TB) string {
	tb.Helper()
	d := DatasetsDir(tb)
	if d == "" {
		tb.Skipf("shared datasets not found (expected ../shared/datasets beside the repository or $%s); skipping", EnvDatasets)
	}
	return d
}

// Capture returns the path of one shared capture (relative to the datasets
// directory, for example "benign/ndpi_dns.pcap"), skipping when absent.
func Capture(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Datasets(tb), rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared capture %s not found; skipping", rel)
	}
	return p
}
