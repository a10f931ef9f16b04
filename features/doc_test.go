package features

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestFeaturesDoc keeps docs/FEATURES.md in step with the catalogue.
func TestFeaturesDoc(t *testing.T) {
	s, err := NewSchema(Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := Markdown(s)
	path := filepath.Join("..", "docs", "FEATURES.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./features -run TestFeaturesDoc -update)", path, err)
	}
	if string(got) != want {
		t.Fatalf("%s is stale: run go test ./features -run TestFeaturesDoc -update", path)
	}
}

// TestCatalogueNamesAreStable guards the naming scheme and column count.
func TestCatalogueNamesAreStable(t *testing.T) {
	s, err := NewSchema(Config{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, h := range s.Header() {
		if seen[h] {
			t.Errorf("column %s twice", h)
		}
		seen[h] = true
		for _, c := range h {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				t.Errorf("column %q is not snake_case", h)
				break
			}
		}
	}
	for _, f := range s.Features {
		if f.Definition == "" || f.Unit == "" || f.Family == "" {
			t.Errorf("feature %s lacks a definition, unit or family", f.Name)
		}
	}
	for _, id := range []string{"src_ip", "src_port", "flow_id", "first_seen"} {
		for _, in := range s.ModelInputs() {
			if in == id {
				t.Errorf("identity column %s is a model input", id)
			}
		}
	}
}
